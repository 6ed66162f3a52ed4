using System.Globalization;
using LabRunner.Core.Hosting;

namespace LabRunner.Engine;

/// <summary>
/// One host-wide lock, so that two <c>lab</c> processes — two projects, or the same one twice — never
/// interleave their changes to a host: NAT slices, addresses and host ports are chosen from the
/// inventory read under the lock, and applied before it is released. An OS file lock: released by
/// the OS when the process dies, so a crash never leaves the host locked.
/// </summary>
public sealed class HostLock : IDisposable
{
    private readonly FileStream _stream;

    private HostLock(FileStream stream) => _stream = stream;

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
        var deadline = DateTime.UtcNow + timeout;
        var told = false;
        while (true)
        {
            try
            {
                return new HostLock(new FileStream(fullPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None));
            }
            catch (UnauthorizedAccessException e)
            {
                if (Directory.Exists(fullPath))
                    throw new HostUnavailableException(new HostError(HostErrorKind.Unavailable,
                        $"LabRunner's host lock '{fullPath}' is a folder; remove it (LabRunner creates the lock file itself)."));
                throw Unavailable(e, $"LabRunner's host lock '{fullPath}' cannot be opened: {FileFailure.Reason(e)}.");
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                if (!told)
                {
                    onWaiting?.Invoke();
                    told = true;
                }
                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException)
            {
                throw new HostUnavailableException(new HostError(HostErrorKind.Unavailable, string.Create(CultureInfo.InvariantCulture,
                    $"Another lab command on this host has held the host lock '{fullPath}' for more than {timeout.TotalSeconds:0} s. Wait for it to finish (or end it), then run the command again.")));
            }
        }
    }

    private static HostUnavailableException Unavailable(Exception e, string message) => new(e is UnauthorizedAccessException
        ? new HostError(HostErrorKind.AccessDenied, message + (OperatingSystem.IsWindows()
            ? " Run lab from an elevated prompt (Administrator), as every lab command on a Hyper-V host needs; a lock file another user created can be deleted by an administrator."
            : " Run lab with sudo, as lab commands that change the host need; a lock file another user created can be deleted by root."))
        : new HostError(HostErrorKind.Unavailable, message));

    public void Dispose() => _stream.Dispose();
}
