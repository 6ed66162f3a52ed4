using LabRunner.HostCommon.Files;

namespace LabRunner.HostCommon.Tests.Files;

public sealed class FileLockTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("labrunner-lock-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task A_held_lock_is_waited_for_telling_once_and_then_times_out()
    {
        var path = Path.Combine(_folder, "x.lock");
        using var held = FileLock.Acquire(path, TimeSpan.FromSeconds(5));
        var told = 0;

        await Assert.ThrowsAsync<TimeoutException>(() =>
            FileLock.AcquireAsync(path, TimeSpan.FromMilliseconds(300), new LockWait { OnWaiting = () => told++ }, CancellationToken.None));

        Assert.Equal(1, told);
    }

    [Fact]
    public async Task A_lock_released_while_waited_for_is_taken()
    {
        var path = Path.Combine(_folder, "x.lock");
        var first = await FileLock.AcquireAsync(path, TimeSpan.FromSeconds(5), null, CancellationToken.None);

        var second = FileLock.AcquireAsync(path, TimeSpan.FromMinutes(1), null, CancellationToken.None);
        var waitedWhileHeld = !second.IsCompleted;
        first.Dispose();
        using var taken = await second;

        Assert.True(waitedWhileHeld);
    }

    [Fact]
    public async Task A_lock_file_that_cannot_be_made_is_refused_at_once_not_waited_for_as_if_held()
    {
        var blocker = Path.Combine(_folder, "file");
        await File.WriteAllTextAsync(blocker, "not a folder");
        var told = false;

        // Its folder is a file: no other process holds anything, so there is nothing to wait for.
        await Assert.ThrowsAnyAsync<IOException>(() =>
            FileLock.AcquireAsync(Path.Combine(blocker, "x.lock"), TimeSpan.FromMinutes(5), new LockWait { OnWaiting = () => told = true }, CancellationToken.None));

        Assert.False(told);
    }

    [Fact]
    public async Task Waiting_for_a_lock_stops_when_cancelled()
    {
        var path = Path.Combine(_folder, "x.lock");
        using var held = FileLock.Acquire(path, TimeSpan.FromSeconds(5));
        using var cancel = new CancellationTokenSource();

        var waiting = FileLock.AcquireAsync(path, TimeSpan.FromMinutes(5), null, cancel.Token);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
    }
}
