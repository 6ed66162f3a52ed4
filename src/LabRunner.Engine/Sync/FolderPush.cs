using System.Collections.Immutable;
using System.Globalization;
using LabRunner.Core.Labfile;
using LabRunner.Core.Planning;

namespace LabRunner.Engine.Sync;

/// <summary>What one push of one folder did.</summary>
public sealed record PushResult(string Vm, SyncedFolderPlan Folder, int Sent, long Bytes, int Deleted, bool Full, TimeSpan Elapsed)
{
    /// <summary>One line for people: "/srv/app: 12 sent (1.2 MB), 3 deleted in 0.4 s", or "up to date".</summary>
    public string Line => Sent == 0 && Deleted == 0
        ? string.Create(CultureInfo.InvariantCulture, $"{Folder.GuestPath}: up to date ({Elapsed.TotalSeconds:0.0} s)")
        : string.Create(CultureInfo.InvariantCulture,
            $"{Folder.GuestPath}: {Sent} sent ({Size(Bytes)}), {Deleted} deleted{(Full ? ", everything pushed" : "")} in {Elapsed.TotalSeconds:0.0} s");

    private static string Size(long bytes) => bytes switch
    {
        < 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.0} KB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.0} MB"),
    };
}

/// <summary>
/// Pushes a VM's <c>push</c> folders: reads the host folder (excludes honoured, <c>.lab</c> never), compares it
/// with the manifest of the last push when the guest still holds that push's token, deletes what the host no longer
/// has (only what an earlier push put there), sends what is new or changed, and records the new manifest.
/// </summary>
public sealed class FolderPush(LabProject project, TimeProvider time)
{
    /// <summary>The VM's folders a push gives (the two-way kinds are the provider's).</summary>
    public static IEnumerable<SyncedFolderPlan> PushFolders(VmPlan vm) =>
        (vm ?? throw new ArgumentNullException(nameof(vm))).SyncedFolders.Where(f => f.Type == SyncedFolderType.Push);

    public async Task<PushResult> PushAsync(string vm, SyncedFolderPlan folder, IPushTransport transport, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(transport);
        var start = time.GetTimestamp();
        var hostRoot = project.SyncedFolderPath(folder.HostPath);
        var key = SyncManifest.KeyOf(folder.GuestPath);
        var recorded = SyncManifest.Load(project.StateDirectory, vm, folder.GuestPath);
        var guestToken = await transport.ReadTokenAsync(key, cancellationToken).ConfigureAwait(false);
        var trusted = recorded is not null && guestToken is not null && guestToken == recorded.Token;

        var tree = new HostTree(hostRoot, ExcludeRules.From(folder.Exclude, OperatingSystem.IsWindows())) { Skip = [project.StateDirectory] };
        var now = tree.Scan(recorded?.Entries);
        var diff = SyncDiff.Between(recorded?.Entries, trusted, now);
        if (trusted && diff.IsEmpty)
            return new PushResult(vm, folder, 0, 0, 0, Full: false, time.GetElapsedTime(start));

        await transport.DeleteAsync(folder, diff.Delete, cancellationToken).ConfigureAwait(false);
        var token = Guid.NewGuid().ToString("N");
        await transport.SendAsync(folder, hostRoot, diff.Send, key, token, cancellationToken).ConfigureAwait(false);
        new SyncManifest(folder.GuestPath, token, now.ToImmutableDictionary(e => e.Path, StringComparer.Ordinal)).Save(project.StateDirectory, vm);
        return new PushResult(vm, folder, diff.Send.Count(e => e.Kind != SyncEntryKind.Directory), diff.Send.Sum(e => e.Size), diff.Delete.Count,
            Full: !trusted, time.GetElapsedTime(start));
    }
}
