using System.Globalization;
using LabRunner.Core.Hosting;
using LabRunner.HostCommon.Files;

namespace LabRunner.Engine;

/// <summary>
/// One host-wide lock, so that two <c>lab</c> processes — two projects, or the same one twice — never
/// interleave their changes to a host: NAT slices, addresses and host ports are chosen from the
/// inventory read under the lock, and applied before it is released. An OS file lock: released by
/// the OS when the process dies, so a crash never leaves the host locked.
/// </summary>
public sealed class HostLock : IDisposable
{
    private readonly FileLock _lock;

    private HostLock(FileLock fileLock) => _lock = fileLock;

    /// <exception cref="HostUnavailableException">
    /// The lock is still held by another process after <paramref name="timeout"/>, or the lock file cannot
    /// be created or opened (not elevated, a folder in its place); the message names the file.
    /// </exception>
    public static async Task<HostLock> AcquireAsync(string path, TimeSpan timeout, Action? onWaiting, CancellationToken cancellationToken)
    {
        var fullPath = Path.GetFullPath(path);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Unavailable(e, $"The folder of LabRunner's host lock '{fullPath}' cannot be created: {FileFailure.Reason(e)}.");
        }
        try
        {
            // Shared by every user who runs lab on this host (sudo or not): not owner-only.
            return new HostLock(await FileLock.AcquireAsync(fullPath, timeout, new LockWait { OnWaiting = onWaiting, OwnerOnly = false }, cancellationToken).ConfigureAwait(false));
        }
        catch (TimeoutException)
        {
            throw new HostUnavailableException(new HostError(HostErrorKind.Unavailable, string.Create(CultureInfo.InvariantCulture,
                $"Another lab command on this host has held the host lock '{fullPath}' for more than {timeout.TotalSeconds:0} s. Wait for it to finish (or end it), then run the command again.")));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (Directory.Exists(fullPath))
                throw new HostUnavailableException(new HostError(HostErrorKind.Unavailable,
                    $"LabRunner's host lock '{fullPath}' is a folder; remove it (LabRunner creates the lock file itself)."));
            throw Unavailable(e, $"LabRunner's host lock '{fullPath}' cannot be opened: {FileFailure.Reason(e)}.");
        }
    }

    private static HostUnavailableException Unavailable(Exception e, string message) => new(e is UnauthorizedAccessException
        ? new HostError(HostErrorKind.AccessDenied, message + (OperatingSystem.IsWindows()
            ? " Run lab from an elevated prompt (Administrator), as every lab command on a Hyper-V host needs; a lock file another user created can be deleted by an administrator."
            : " Run lab with sudo, as lab commands that change the host need; a lock file another user created can be deleted by root."))
        : new HostError(HostErrorKind.Unavailable, message));

    public void Dispose() => _lock.Dispose();
}
