namespace LabRunner.Cli.Tests;

/// <summary>Synced folders from the command line: a host folder that is not there is a Labfile error at its position.</summary>
public sealed class SyncCliTests : IDisposable
{
    private const string Labfile = """
        name: shop
        vms:
          - name: web
            box: ubuntu
            synced_folders:
              - { host: ./site, guest: /var/www }
              - { host: notes.txt, guest: /srv/notes }
        """;

    private readonly TempProject _project = new TempProject().With("Labfile.yml", Labfile).With("boxes/ubuntu.vhdx", "box").With("notes.txt", "a file");

    public void Dispose() => _project.Dispose();

    [Fact]
    public async Task Validate_reports_a_missing_host_folder_and_a_file_where_a_folder_belongs()
    {
        var missing = await Lab.RunAsync(_project.Root, "validate");

        Assert.True(missing.ExitCode == ExitCodes.InvalidLabfile, missing.ToString());
        Assert.Contains("Labfile.yml:6:17: error LAB802: synced folder './site' does not exist", missing.Stderr, StringComparison.Ordinal);
        Assert.Contains("Labfile.yml:7:17: error LAB802: synced folder 'notes.txt'", missing.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_accepts_the_folders_once_they_are_there()
    {
        _project.With("site/index.html", "<p>hi</p>");
        File.Delete(Path.Combine(_project.Root, "notes.txt"));
        Directory.CreateDirectory(Path.Combine(_project.Root, "notes.txt"));

        var present = await Lab.RunAsync(_project.Root, "validate");

        Assert.True(present.ExitCode == 0, present.ToString());
    }

    [Fact]
    public async Task Sync_on_a_host_that_boots_no_guests_says_there_is_nothing_to_sync()
    {
        _project.With("site/index.html", "<p>hi</p>");
        var env = new Dictionary<string, string> { ["LABRUNNER_SIM_HOST"] = Path.Combine(_project.Root, ".sim", "host.json") };

        var sync = await Lab.RunAsync(_project.Root, env, "sync", "--provider", "simulated");

        Assert.True(sync.ExitCode == ExitCodes.Usage, sync.ToString());
        Assert.Contains("boots no guests, so there is nothing to sync", sync.Stderr, StringComparison.Ordinal);
    }
}
