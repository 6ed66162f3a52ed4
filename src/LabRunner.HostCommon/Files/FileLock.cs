using System.Globalization;

namespace LabRunner.HostCommon.Files;

/// <summary>
/// An exclusive lock between processes on a lock file, held while the object lives: a
/// <see cref="FileShare.None"/> open, which on Unix .NET backs with <c>flock</c>. The OS releases it when
/// the process dies, so a crash never leaves it held. Waiting is bounded. Every lock file of LabRunner
/// (the host's, the project state's, the box store's, a simulated host's, a network namespace's) is taken here.
/// </summary>
public sealed class FileLock : IDisposable
{
    /// <summary>The longest pause between two tries: a lock held by a long command is noticed within it once released.</summary>
    private static readonly TimeSpan MaxPause = TimeSpan.FromMilliseconds(100);

    private readonly FileStream _stream;

    private FileLock(FileStream stream) => _stream = stream;

    /// <summary>Takes the lock, blocking the calling thread while another process holds it (for short critical sections).</summary>
    /// <exception cref="TimeoutException">Another process held the lock for longer than <paramref name="timeout"/>.</exception>
    /// <exception cref="IOException">The lock file cannot be created (its folder is a file, say).</exception>
    /// <exception cref="UnauthorizedAccessException">The lock file cannot be opened (a folder in its place, access denied).</exception>
    public static FileLock Acquire(string path, TimeSpan timeout, bool ownerOnly = true)
    {
        // Synchronous all the way: with blocking pauses the task below completes before it is returned.
        var acquiring = AcquireAsync(path, timeout, new LockWait { Blocking = true, OwnerOnly = ownerOnly }, CancellationToken.None);
        return acquiring.GetAwaiter().GetResult();
    }

    /// <summary>Takes the lock, waiting asynchronously while another process holds it.</summary>
    /// <param name="wait">How to wait: <see cref="LockWait.OnWaiting"/> is called once when the lock is held by another process.</param>
    /// <exception cref="TimeoutException">Another process held the lock for longer than <paramref name="timeout"/>.</exception>
    /// <exception cref="IOException">The lock file cannot be created (its folder is a file, say).</exception>
    /// <exception cref="UnauthorizedAccessException">The lock file cannot be opened (a folder in its place, access denied).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while waiting.</exception>
    public static async Task<FileLock> AcquireAsync(string path, TimeSpan timeout, LockWait? wait, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        wait ??= new LockWait();
        var time = wait.Time ?? TimeProvider.System;
        var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None, BufferSize = 0 };
        if (wait.OwnerOnly && !OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        var started = time.GetTimestamp();
        var pause = TimeSpan.FromMilliseconds(2);
        var told = false;
        while (true)
        {
            try
            {
                return new FileLock(new FileStream(path, options));
            }
            catch (IOException e) when (IsSharingViolation(e, path))
            {
                if (time.GetElapsedTime(started) >= timeout)
                    throw new TimeoutException(string.Create(CultureInfo.InvariantCulture,
                        $"another process has held the lock '{path}' for more than {timeout.TotalSeconds:0} s"), e);
                if (!told)
                {
                    wait.OnWaiting?.Invoke();
                    told = true;
                }
            }
            // Short pauses first (a state file is held for milliseconds), then up to MaxPause; jittered so waiters do not march in step.
            var jittered = pause + TimeSpan.FromMilliseconds(Random.Shared.Next(0, (int)Math.Max(1, pause.TotalMilliseconds)));
            if (wait.Blocking) Thread.Sleep(jittered);
            else await Task.Delay(jittered, time, cancellationToken).ConfigureAwait(false);
            pause = pause * 2 < MaxPause ? pause * 2 : MaxPause;
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

/// <summary>How <see cref="FileLock.AcquireAsync"/> waits for a lock another process holds.</summary>
public sealed record LockWait
{
    /// <summary>Called once, when the lock turns out to be held (to tell the user why nothing happens).</summary>
    public Action? OnWaiting { get; init; }

    /// <summary>Whether a lock file made anew is readable by its owner only (Unix); a lock shared between users is not.</summary>
    public bool OwnerOnly { get; init; } = true;

    /// <summary>The clock the timeout and the pauses are measured on; the system's when null.</summary>
    public TimeProvider? Time { get; init; }

    internal bool Blocking { get; init; }
}
