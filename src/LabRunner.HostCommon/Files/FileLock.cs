using System.Globalization;

namespace LabRunner.HostCommon.Files;

/// <summary>
/// An exclusive lock between processes on a lock file, held while the object lives: a
/// <see cref="FileShare.None"/> open, which on Unix .NET backs with <c>flock</c>. The OS releases it when
/// the process dies, so a crash never leaves it held. Waiting is bounded.
/// </summary>
public sealed class FileLock : IDisposable
{
    private readonly FileStream _stream;

    private FileLock(FileStream stream) => _stream = stream;

    /// <exception cref="TimeoutException">Another process held the lock for longer than <paramref name="timeout"/>.</exception>
    /// <exception cref="IOException">The lock file cannot be created (its folder is a file, say).</exception>
    /// <exception cref="UnauthorizedAccessException">The lock file cannot be opened (a folder in its place, access denied).</exception>
    public static FileLock Acquire(string path, TimeSpan timeout, bool ownerOnly = true)
    {
        var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None, BufferSize = 0 };
        if (ownerOnly && !OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (true)
        {
            try
            {
                return new FileLock(new FileStream(path, options));
            }
            catch (IOException e) when (IsSharingViolation(e, path))
            {
                if (Environment.TickCount64 >= deadline)
                    throw new TimeoutException(string.Create(CultureInfo.InvariantCulture,
                        $"another process has held the lock '{path}' for more than {timeout.TotalSeconds:0} s"), e);
                Thread.Sleep(Random.Shared.Next(2, 20));
            }
        }
    }

    /// <summary>
    /// The lock is taken (rather than the file being unusable): the file exists as a regular file and the
    /// open failed anyway.
    /// </summary>
    private static bool IsSharingViolation(IOException e, string path) =>
        e is not (FileNotFoundException or DirectoryNotFoundException or PathTooLongException)
        && FileEntry.Kind(path, followLinks: false) == EntryKind.Regular;

    public void Dispose() => _stream.Dispose();
}
