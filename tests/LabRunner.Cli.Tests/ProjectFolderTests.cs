namespace LabRunner.Cli.Tests;

/// <summary>
/// The project folder's safety (issues 14.13, 14.14, 13.17): --what-if changes nothing in it, and the .lab folder
/// LabRunner keeps there is the user's alone and out of git.
/// </summary>
public sealed class ProjectFolderTests : IDisposable
{
    private const string Labfile = """
        name: shop
        defaults: { box: ubuntu, memory: 1GB }
        networks:
          - { name: lan, type: nat }
        vms:
          - name: web
            networks: [lan]
        """;

    private readonly TempProject _project = new TempProject().With("Labfile.yml", Labfile).With("boxes/ubuntu.vhdx", new string('\0', 512));
    private readonly Dictionary<string, string> _env;

    public ProjectFolderTests()
    {
        _env = new Dictionary<string, string>
        {
            ["LABRUNNER_PROVIDER"] = "simulated",
            ["LABRUNNER_SIM_HOST"] = Path.Combine(_project.Root, "host.json"),
        };
    }

    public void Dispose() => _project.Dispose();

    private Task<CliResult> Lab(params string[] args) => Cli.Tests.Lab.RunAsync(_project.Root, _env, args);

    private string StateDirectory => Path.Combine(_project.Root, ".lab");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Up_what_if_changes_no_file_under_the_project_and_still_shows_the_plan(bool afterAnUp)
    {
        if (afterAnUp)
        {
            Assert.Equal(0, (await Lab("up")).ExitCode);
            _project.With("Labfile.yml", Labfile + "\n  - name: db\n    networks: [lan]\n");
        }
        var before = Snapshot();

        var result = await Lab("up", "--what-if");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(before, Snapshot());
        Assert.Contains(afterAnUp ? "create generation 2 VM 'shop-db'" : "create generation 2 VM 'shop-web'", result.Stdout, StringComparison.Ordinal);
        if (!afterAnUp) Assert.Contains("'lab up' will make them", result.Stdout + result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_state_folder_is_kept_out_of_git_and_tightened_when_the_user_made_it_readable()
    {
        Directory.CreateDirectory(StateDirectory);
        var userMade = Path.Combine(StateDirectory, "known_hosts");
        File.WriteAllText(userMade, "");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(StateDirectory, (UnixFileMode)Convert.ToInt32("755", 8));
            File.SetUnixFileMode(userMade, (UnixFileMode)Convert.ToInt32("644", 8));
        }

        var up = await Lab("up");

        Assert.True(up.ExitCode == 0, up.ToString());
        Assert.Equal("*\n", File.ReadAllText(Path.Combine(StateDirectory, ".gitignore")));
        if (OperatingSystem.IsWindows()) return;
        Assert.Equal("700", Mode(StateDirectory));
        foreach (var file in Directory.EnumerateFiles(StateDirectory))
            Assert.True(Mode(file) == "600", $"{file} is {Mode(file)}");
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static string Mode(string path) => Convert.ToString((int)File.GetUnixFileMode(path), 8);

    /// <summary>Every file and folder under the project, with its content and last write time.</summary>
    private SortedDictionary<string, string> Snapshot()
    {
        var entries = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in Directory.EnumerateFileSystemEntries(_project.Root, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(_project.Root, entry);
            entries[relative] = Directory.Exists(entry)
                ? "folder"
                : $"{Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(entry)))} {File.GetLastWriteTimeUtc(entry):O}";
        }
        return entries;
    }
}
