using LabRunner.Tests.Shared;

namespace LabRunner.Cli.Tests;

/// <summary>
/// The Labfile, its local override and templates (issue 13.11): links are followed and the regular-file and size
/// rules apply to what they lead to. A symbolic link to a good file is read; one to a FIFO or a device, and a FIFO
/// itself, is refused at once (a FIFO would block the open, a device never ends) instead of hanging or being skipped.
/// </summary>
public sealed class InputFileLinkTests : IDisposable
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

    private readonly TempProject _project = new TempProject().With("boxes/ubuntu.vhdx", new string('\0', 512));
    private readonly Dictionary<string, string> _env;

    public InputFileLinkTests()
    {
        _env = new Dictionary<string, string>
        {
            ["LABRUNNER_PROVIDER"] = "simulated",
            ["LABRUNNER_SIM_HOST"] = Path.Combine(_project.Root, "host.json"),
        };
    }

    public void Dispose() => _project.Dispose();

    /// <summary>The command, with a generous bound: a FIFO that is opened blocks for ever, which this turns into a failure.</summary>
    private async Task<CliResult> Lab(params string[] args)
    {
        // On a worker thread: an open that blocks does so before the command's first await.
        var run = Task.Run(() => Cli.Tests.Lab.RunAsync(_project.Root, _env, args));
        Assert.True(await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(30))) == run, $"'lab {string.Join(' ', args)}' did not finish: a FIFO or device was opened");
        return await run;
    }

    private string InProject(string relative) => Path.Combine(_project.Root, relative);

    private async Task Fifo(string relative)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(InProject(relative))!);
        await HostTools.RunAsync("mkfifo", InProject(relative));
    }

    [Fact]
    public async Task A_symlinked_Labfile_is_read_by_its_target_size()
    {
        _project.With("shared/team-Labfile.yml", Labfile);
        File.CreateSymbolicLink(InProject("Labfile.yml"), InProject("shared/team-Labfile.yml"));

        var result = await Lab("validate");

        Assert.True(result.ExitCode == 0, result.ToString());
    }

    [UnixTheory]
    [InlineData("fifo")]
    [InlineData("/dev/zero")]
    public async Task A_Labfile_linked_to_a_fifo_or_device_is_refused_at_once(string target)
    {
        if (target == "fifo") await Fifo("fifo");
        File.CreateSymbolicLink(InProject("Labfile.yml"), target == "fifo" ? InProject("fifo") : target);

        var result = await Lab("validate");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("'Labfile.yml' is not a regular file", result.Stderr, StringComparison.Ordinal);
    }

    [UnixTheory]
    [InlineData("Labfile.local.yml", false)]
    [InlineData("Labfile.local.yml", true)]
    [InlineData("templates/cloud-init/user-data", false)]
    [InlineData("templates/cloud-init/user-data", true)]
    public async Task A_fifo_as_local_override_or_template_is_refused_not_skipped(string file, bool throughLink)
    {
        _project.With("Labfile.yml", Labfile);
        if (throughLink)
        {
            await Fifo("elsewhere/fifo");
            Directory.CreateDirectory(Path.GetDirectoryName(InProject(file))!);
            File.CreateSymbolicLink(InProject(file), InProject("elsewhere/fifo"));
        }
        else
        {
            await Fifo(file);
        }

        var result = await Lab("seed", "--all");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains($"'{file}' is not a regular file", result.Stderr, StringComparison.Ordinal);
    }

    [UnixFact]
    public async Task A_template_linked_to_dev_zero_is_refused()
    {
        _project.With("Labfile.yml", Labfile);
        Directory.CreateDirectory(InProject("templates/cloud-init"));
        File.CreateSymbolicLink(InProject("templates/cloud-init/user-data"), "/dev/zero");

        var result = await Lab("seed", "--all");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("'templates/cloud-init/user-data' is not a regular file", result.Stderr, StringComparison.Ordinal);
    }
}
