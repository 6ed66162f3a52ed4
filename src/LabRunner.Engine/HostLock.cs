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

    public static async Task<HostLock> AcquireAsync(string path, TimeSpan timeout, Action? onWaiting, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var deadline = DateTime.UtcNow + timeout;
        var told = false;
        while (true)
        {
            try
            {
                return new HostLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None));
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
        }
    }

    public void Dispose() => _stream.Dispose();
}
