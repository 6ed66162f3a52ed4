using LabRunner.Core.Planning;

namespace LabRunner.Engine.Sync;

/// <summary>How a push reaches one guest: over its SSH session (a tar stream) or a provider's direct channel (file by file).</summary>
public interface IPushTransport
{
    /// <summary>The token the folder's last push left in the guest, or null when none did (a new guest, a new folder).</summary>
    Task<string?> ReadTokenAsync(string key, CancellationToken cancellationToken);

    /// <summary>Removes <paramref name="paths"/> (relative, '/'-separated) inside the guest folder.</summary>
    Task DeleteAsync(SyncedFolderPlan folder, IReadOnlyList<string> paths, CancellationToken cancellationToken);

    /// <summary>Writes <paramref name="entries"/> from <paramref name="hostRoot"/> into the guest folder, then records <paramref name="token"/>.</summary>
    Task SendAsync(SyncedFolderPlan folder, string hostRoot, IReadOnlyList<SyncEntry> entries, string key, string token, CancellationToken cancellationToken);
}
