using System.Diagnostics;
using System.Globalization;
using LabRunner.Core.Hosting;

namespace LabRunner.Engine.Tests;

/// <summary>
/// state.json between processes and when damaged (issue 13.6, 13.9, 13.17, 14.13): every read-modify-write
/// holds the project's file lock and works on the file as it is; a damaged file is refused, named and moved
/// aside; the folder is the user's alone and kept out of git.
/// </summary>
public sealed class ProjectStateFileTests : IDisposable
{
    private readonly string _project = Directory.CreateTempSubdirectory("lr-statefile-").FullName;

    private string StateDirectory => Path.Combine(_project, ".lab");

    private string StatePath => ProjectState.PathIn(StateDirectory);

    public void Dispose() => Directory.Delete(_project, recursive: true);

    private const string Each = "150";

    [Fact]
    public async Task Two_processes_updating_disjoint_records_at_once_lose_none()
    {

        var runs = await Task.WhenAll(RunWorkerAsync("add-pending", StateDirectory, "a", Each), RunWorkerAsync("add-pending", StateDirectory, "b", Each));

        Assert.All(runs, r => Assert.True(r.Exit == 0, r.Output));
        var pending = ProjectState.LoadOrCreate(StateDirectory).PendingVms;
        var expected = Enumerable.Range(0, 150).SelectMany(i => new[] { $"a-{i}", $"b-{i}" }).Order(StringComparer.Ordinal);
        Assert.Equal(expected, pending.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void An_update_works_on_the_file_as_it_is_now_not_on_an_earlier_read()
    {
        ProjectState.Update(StateDirectory, s => s.SetReady(["web"], ready: true));
        var early = ProjectState.LoadOrCreate(StateDirectory);
        ProjectState.Update(StateDirectory, s => s.SetReady(["db"], ready: true)); // another command, meanwhile

        ProjectState.Update(StateDirectory, s =>
        {
            s.PendingVms.Add("cache");
            return true;
        });

        Assert.Equal(["web"], early.ReadyVms);
        var now = ProjectState.LoadOrCreate(StateDirectory);
        Assert.Equal(["web", "db"], now.ReadyVms);
        Assert.Equal(["cache"], now.PendingVms);
    }

    public static TheoryData<string> DamagedTexts => new()
    {
        """{"pending_vms": null}""",
        """{"ready_vms": null}""",
        """{"boxes": null}""",
        """{"provisioned": null}""",
        """{"pending_vms": ["a"], "pending_vms": null}""",
        """{"ready_vms": [null]}""",
        """{"boxes": {"web": null}}""",
        """{"provisioned": {"web": {"vm.provision[0]": null}}}""",
        "null",
        "{ not json",
        "",
    };

    [Theory]
    [MemberData(nameof(DamagedTexts))]
    public void A_damaged_state_file_is_refused_by_name_and_moved_aside(string text)
    {
        Directory.CreateDirectory(StateDirectory);
        File.WriteAllText(StatePath, text);

        var refused = Assert.Throws<HostUnavailableException>(() => ProjectState.Update(StateDirectory, s => s.SetReady(["web"], ready: true)));

        Assert.Contains(StatePath, refused.Message, StringComparison.Ordinal);
        Assert.Contains("damaged", refused.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(StatePath), "the damaged file must be moved aside");
        var aside = Assert.Single(Directory.EnumerateFiles(StateDirectory, "state.json.damaged-*"));
        Assert.Equal(text, File.ReadAllText(aside));
        Assert.Contains(aside, refused.Message, StringComparison.Ordinal);
        // The next command starts afresh.
        Assert.Equal(["web"], ProjectState.Update(StateDirectory, s => s.SetReady(["web"], ready: true)).ReadyVms);
    }

    [Fact]
    public async Task A_state_file_that_is_a_folder_link_or_fifo_is_refused_without_being_opened()
    {
        Directory.CreateDirectory(StateDirectory);
        var entries = new List<Action>
        {
            () => Directory.CreateDirectory(StatePath),
            () => File.CreateSymbolicLink(StatePath, Path.Combine(_project, "nowhere")),
        };
        if (!OperatingSystem.IsWindows())
        {
            entries.Add(() => File.CreateSymbolicLink(StatePath, "/dev/zero"));
            entries.Add(() => HostTools.RunAsync("mkfifo", StatePath).GetAwaiter().GetResult());
        }
        foreach (var make in entries)
        {
            make();

            // A FIFO would block the open and /dev/zero never ends: a bounded wait proves neither is read.
            var load = Task.Run(() => ProjectState.LoadOrCreate(StateDirectory));
            var finished = await Task.WhenAny(load, Task.Delay(TimeSpan.FromSeconds(30)));

            Assert.Same(load, finished);
            await Assert.ThrowsAsync<HostUnavailableException>(() => load);
            Assert.Equal(EntryKindMissing, Kind(StatePath));
        }
        Assert.Equal(entries.Count, Directory.EnumerateFileSystemEntries(StateDirectory, "state.json.damaged-*").Count());
    }

    [Fact]
    public void Down_goes_on_from_an_empty_state_when_the_file_is_damaged_and_says_so()
    {
        Directory.CreateDirectory(StateDirectory);
        File.WriteAllText(StatePath, """{"pending_vms": null}""");
        var told = new List<string>();

        var state = ProjectState.LoadOrCreate(StateDirectory, told.Add);

        Assert.Empty(state.PendingVms);
        Assert.Contains(StatePath, Assert.Single(told), StringComparison.Ordinal);
    }

    [Fact]
    public void What_if_reads_a_damaged_state_without_moving_it()
    {
        Directory.CreateDirectory(StateDirectory);
        File.WriteAllText(StatePath, "{ not json");

        Assert.Throws<HostUnavailableException>(() => ProjectState.Read(StateDirectory));

        Assert.Equal("{ not json", File.ReadAllText(StatePath));
    }

    [Fact]
    public void The_state_folder_and_its_files_are_tightened_to_the_user_every_time_and_kept_out_of_git()
    {
        Directory.CreateDirectory(StateDirectory);
        var known = Path.Combine(StateDirectory, "known_hosts");
        File.WriteAllText(known, "");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(StateDirectory, (UnixFileMode)Convert.ToInt32("755", 8));
            File.SetUnixFileMode(known, (UnixFileMode)Convert.ToInt32("644", 8));
        }

        ProjectState.SetReady(StateDirectory, ["web"], ready: true);

        Assert.Equal("*\n", File.ReadAllText(Path.Combine(StateDirectory, ".gitignore")));
        if (OperatingSystem.IsWindows()) return;
        Assert.Equal("700", Mode(StateDirectory));
        Assert.Equal("600", Mode(known));
        Assert.Equal("600", Mode(StatePath));
    }

    [Fact]
    public void Keys_are_made_once_and_a_second_maker_uses_the_first_ones()
    {
        var first = ProjectSecrets.LoadOrCreateSshKey(StateDirectory, "lab", []);
        var privatePath = Path.Combine(StateDirectory, LabRunner.Guest.Ssh.SshKeys.PrivateKeyFileName);
        var written = File.ReadAllText(privatePath);

        var made = AtomicFile.CreateNew(privatePath, "another key"u8.ToArray());

        Assert.False(made);
        Assert.Equal(written, File.ReadAllText(privatePath));
        Assert.Equal(first.PublicKey, ProjectSecrets.LoadOrCreateSshKey(StateDirectory, "lab", []).PublicKey);
        if (!OperatingSystem.IsWindows()) Assert.Equal("600", Mode(privatePath));
    }

    private const LabRunner.HostCommon.Files.EntryKind EntryKindMissing = LabRunner.HostCommon.Files.EntryKind.Missing;

    private static LabRunner.HostCommon.Files.EntryKind Kind(string path) => LabRunner.HostCommon.Files.FileEntry.Kind(path, followLinks: false);

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static string Mode(string path) => Convert.ToString((int)File.GetUnixFileMode(path), 8);

    private static async Task<(int Exit, string Output)> RunWorkerAsync(params string[] args)
    {
        var worker = Path.Combine(AppContext.BaseDirectory, "LabRunner.Simulation.Worker.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(worker);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        var output = await stdout + await stderr;
        return (process.ExitCode, string.Create(CultureInfo.InvariantCulture, $"exit {process.ExitCode}: {output}"));
    }
}
