using LabRunner.Core.Labfile;
using LabRunner.Core.Planning;
using LabRunner.Engine.Sync;
using LabRunner.Providers.HyperV;

namespace LabRunner.Engine.Tests.Sync;

/// <summary>'lab sync --watch': a change of a host folder is pushed (only it), one report per push; excludes and deletions as in any push.</summary>
public sealed class WatchTests : IDisposable
{
    private readonly DirectoryInfo _project = Directory.CreateTempSubdirectory("labrunner-watch");

    public void Dispose() => _project.Delete(recursive: true);

    private static VmPlan Vm(SyncedFolderPlan folder) =>
        new("web", "demo-web", "web", GuestOs.Linux, "debian", 1, 512L << 20, 2, "lab", [], [], null) { SyncedFolders = [folder] };

    [Fact]
    public async Task A_change_in_a_watched_folder_is_pushed_alone_and_reported_once_it_settles()
    {
        File.WriteAllText(Path.Combine(_project.FullName, "Labfile.yml"), "name: demo\n");
        Directory.CreateDirectory(Path.Combine(_project.FullName, "site", "logs"));
        File.WriteAllText(Path.Combine(_project.FullName, "site", "index.html"), "v1");
        var project = LabProject.Open(null, _project.FullName, _ => null, HyperVRules.Instance);
        var folder = new SyncedFolderPlan(0, "site", "/var/www", SyncedFolderType.Push, ["logs/"], "lab", "lab");
        var guest = new MemoryGuest();
        var target = new SyncTarget(Vm(folder), guest);
        var sync = new LabSync(project, TimeProvider.System);
        await sync.PushAsync([target], (_, _) => { }, (_, why) => Assert.Fail(why), quietWhenUnchanged: false, CancellationToken.None);
        var pushes = new List<PushResult>();
        var second = new TaskCompletionSource<PushResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource();

        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var watching = sync.WatchAsync([target], (_, r) => { lock (pushes) pushes.Add(r); second.TrySetResult(r); },
            (_, why) => second.TrySetException(new InvalidOperationException(why)), listening.SetResult, stop.Token);
        await listening.Task.WaitAsync(TimeSpan.FromSeconds(30));
        File.WriteAllText(Path.Combine(_project.FullName, "site", "logs", "today.log"), "excluded: not a push of its own");
        File.WriteAllText(Path.Combine(_project.FullName, "site", "index.html"), "v2");
        File.WriteAllText(Path.Combine(_project.FullName, "site", "new.css"), "body {}");
        var pushed = await second.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => watching);

        Assert.Equal(2, pushed.Sent);
        Assert.Equal(["index.html", "new.css"], guest.Sends[^1]);
        Assert.All(pushes, p => Assert.True(p.Sent > 0 || p.Deleted > 0, "a push that changed nothing is not reported"));
    }

    [Fact]
    public async Task A_change_made_before_the_watchers_started_is_pushed_before_watching_is_reported()
    {
        File.WriteAllText(Path.Combine(_project.FullName, "Labfile.yml"), "name: demo\n");
        Directory.CreateDirectory(Path.Combine(_project.FullName, "site"));
        File.WriteAllText(Path.Combine(_project.FullName, "site", "index.html"), "v1");
        var project = LabProject.Open(null, _project.FullName, _ => null, HyperVRules.Instance);
        var guest = new MemoryGuest();
        var target = new SyncTarget(Vm(new SyncedFolderPlan(0, "site", "/var/www", SyncedFolderType.Push, [], "lab", "lab")), guest);
        var sync = new LabSync(project, TimeProvider.System);
        await sync.PushAsync([target], (_, _) => { }, (_, why) => Assert.Fail(why), quietWhenUnchanged: false, CancellationToken.None);
        File.WriteAllText(Path.Combine(_project.FullName, "site", "index.html"), "v2, before any watcher");
        var sendsWhenWatching = -1;
        using var stop = new CancellationTokenSource();

        var watching = sync.WatchAsync([target], (_, _) => { }, (_, why) => Assert.Fail(why), () => { sendsWhenWatching = guest.Sends.Count; stop.Cancel(); }, stop.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => watching);

        Assert.Equal(2, sendsWhenWatching);
        Assert.Equal(["index.html"], guest.Sends[^1]);
    }

    /// <summary>A guest that keeps the token and records what each push sent.</summary>
    private sealed class MemoryGuest : IPushTransport
    {
        private string? _token;
        public List<List<string>> Sends { get; } = [];

        public Task<string?> ReadTokenAsync(string key, CancellationToken cancellationToken) => Task.FromResult(_token);

        public Task DeleteAsync(SyncedFolderPlan folder, IReadOnlyList<string> paths, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task SendAsync(SyncedFolderPlan folder, string hostRoot, IReadOnlyList<SyncEntry> entries, string key, string token, CancellationToken cancellationToken)
        {
            lock (Sends) Sends.Add([.. entries.Where(e => e.Kind == SyncEntryKind.File).Select(e => e.Path)]);
            _token = token;
            return Task.CompletedTask;
        }
    }
}
