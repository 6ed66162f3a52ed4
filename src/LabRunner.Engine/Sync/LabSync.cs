using System.Threading.Channels;
using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Core.Planning;
using LabRunner.Engine.Guests;
using LabRunner.Engine.Lifecycle;
using LabRunner.Guest.Access;

namespace LabRunner.Engine.Sync;

/// <summary>A running VM whose push folders 'lab sync' gives it, and the way in (an SSH session or the direct channel).</summary>
public sealed class SyncTarget(VmPlan vm, IPushTransport transport, IAsyncDisposable? session = null) : IAsyncDisposable
{
    public VmPlan Vm { get; } = vm;
    public IPushTransport Transport { get; } = transport;

    public ValueTask DisposeAsync() => session?.DisposeAsync() ?? ValueTask.CompletedTask;
}

/// <summary>
/// <c>lab sync [VM…] [--watch]</c>: pushes the running VMs' push folders now, and with <c>--watch</c> again after each
/// change of a host folder (changes coming together are pushed together, once they have settled for
/// <see cref="Settle"/>), until cancelled. Each push is one line; a failed push is reported and the others go on.
/// </summary>
public sealed class LabSync(LabProject project, TimeProvider time)
{
    /// <summary>How long a host folder must stay quiet before a watched change is pushed (an editor's save is several events).</summary>
    public static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(200);

    /// <summary>How long changes that keep coming (a build writing files) may hold a push back.</summary>
    public static readonly TimeSpan MaxSettle = TimeSpan.FromMilliseconds(700);

    /// <summary>Opens the way into <paramref name="vm"/> (running; reached as 'lab up' reaches it), or says why it cannot.</summary>
    public static async Task<(SyncTarget? Target, string? Error)> OpenAsync(LabProject project, LabPlan plan, VmPlan vm, IHostProvider? provider, GuestAccess access, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(vm);
        ArgumentNullException.ThrowIfNull(access);
        if (vm.Os == GuestOs.Windows)
        {
            if (provider?.Capability<IDirectGuestAccess>() is not { } direct)
                return (null, "Windows guests are reached through PowerShell Direct, which only the Hyper-V provider has");
            return (new SyncTarget(vm, new DirectPushTransport(direct, new DirectGuest(vm.HostVmName, DirectGuests.User, access.AdminPassword()))), null);
        }
        if (GuestEndpoint.Of(vm) is not { Address: { } address })
            return (null, GuestWork.UnreachablePrefix + GuestEndpoint.Of(vm).Unreachable);
        if (GuestWork.LoginFor(project, plan, vm, address) is not { } login) return (null, GuestWork.MissingKey(project));
        try
        {
            var session = await access.Connector.TryConnectAsync(login, ct).ConfigureAwait(false);
            return session is null
                ? (null, "the guest does not let the lab's user in yet; 'lab up' waits until it is ready")
                : (new SyncTarget(vm, new SshPushTransport(session), session), null);
        }
        catch (GuestConnectionException ex)
        {
            return (null, ex.Message);
        }
    }

    /// <summary>Pushes every push folder of every target; <paramref name="failed"/> hears each failure. True when all were pushed.</summary>
    public async Task<bool> PushAsync(IReadOnlyList<SyncTarget> targets, Action<string, PushResult> pushed, Action<string, string> failed, bool quietWhenUnchanged, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(pushed);
        ArgumentNullException.ThrowIfNull(failed);
        var results = await Task.WhenAll(targets.Select(t => PushVmAsync(t, FolderPush.PushFolders(t.Vm), pushed, failed, quietWhenUnchanged, ct))).ConfigureAwait(false);
        return results.All(ok => ok);
    }

    private async Task<bool> PushVmAsync(SyncTarget target, IEnumerable<SyncedFolderPlan> folders, Action<string, PushResult> pushed, Action<string, string> failed,
        bool quietWhenUnchanged, CancellationToken ct)
    {
        var ok = true;
        foreach (var folder in folders)
        {
            try
            {
                var result = await new FolderPush(project, time).PushAsync(target.Vm.Name, folder, target.Transport, ct).ConfigureAwait(false);
                if (!quietWhenUnchanged || result.Sent > 0 || result.Deleted > 0) pushed(target.Vm.Name, result);
            }
            catch (Exception ex) when (!(ex is OperationCanceledException && ct.IsCancellationRequested))
            {
                failed(target.Vm.Name, $"synced folder {folder.HostPath} -> {folder.GuestPath}: {GuestWork.Reason(ex)}");
                ok = false;
            }
        }
        return ok;
    }

    /// <summary>
    /// Watches the targets' host folders and pushes what changed, one line per push that changed anything, until
    /// <paramref name="ct"/> is cancelled (Ctrl+C). Changes inside the project's <c>.lab</c> are not the project's.
    /// </summary>
    /// <param name="watching">Called once the folders are watched (and what changed before that has been pushed).</param>
    public async Task WatchAsync(IReadOnlyList<SyncTarget> targets, Action<string, PushResult> pushed, Action<string, string> failed, Action? watching, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(targets);
        var changes = Channel.CreateUnbounded<string>();
        var folders = targets.SelectMany(t => FolderPush.PushFolders(t.Vm).Select(f => (Target: t, Folder: f, Root: project.SyncedFolderPath(f.HostPath)))).ToList();
        var watchers = new List<FileSystemWatcher>();
        try
        {
            foreach (var root in folders.Select(f => f.Root).Distinct(StringComparer.Ordinal))
            {
                var watcher = new FileSystemWatcher(root)
                {
                    IncludeSubdirectories = true,
                    NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.Attributes,
                    InternalBufferSize = 64 * 1024,
                };
                void Changed(string path)
                {
                    if (!IsUnder(path, project.StateDirectory)) changes.Writer.TryWrite(root);
                }
                watcher.Changed += (_, e) => Changed(e.FullPath);
                watcher.Created += (_, e) => Changed(e.FullPath);
                watcher.Deleted += (_, e) => Changed(e.FullPath);
                watcher.Renamed += (_, e) => { Changed(e.FullPath); Changed(e.OldFullPath); };
                // Events were lost (too many at once): the whole folder is compared again anyway.
                watcher.Error += (_, _) => changes.Writer.TryWrite(root);
                watcher.EnableRaisingEvents = true;
                watchers.Add(watcher);
            }
            // What changed between the last push and the watchers' start would raise no event: compare once more.
            await Task.WhenAll(targets.Select(t => PushVmAsync(t, FolderPush.PushFolders(t.Vm), pushed, failed, quietWhenUnchanged: true, ct))).ConfigureAwait(false);
            watching?.Invoke();
            while (await changes.Reader.WaitToReadAsync(ct).ConfigureAwait(false))
            {
                var dirty = new HashSet<string>(StringComparer.Ordinal);
                // Changes that come together are pushed together, once the folders have been quiet for a moment.
                var first = time.GetTimestamp();
                do
                {
                    while (changes.Reader.TryRead(out var root)) dirty.Add(root);
                    await Task.Delay(Settle, time, ct).ConfigureAwait(false);
                }
                while (changes.Reader.TryPeek(out _) && time.GetElapsedTime(first) < MaxSettle);
                await Task.WhenAll(folders.Where(f => dirty.Contains(f.Root)).GroupBy(f => f.Target)
                    .Select(g => PushVmAsync(g.Key, g.Select(f => f.Folder), pushed, failed, quietWhenUnchanged: true, ct))).ConfigureAwait(false);
            }
        }
        finally
        {
            foreach (var w in watchers) w.Dispose();
        }
    }

    private static bool IsUnder(string path, string folder) =>
        path.StartsWith(Path.TrimEndingDirectorySeparator(folder) + Path.DirectorySeparatorChar, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal)
        || string.Equals(path, folder, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
}
