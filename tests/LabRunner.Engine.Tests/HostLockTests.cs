using LabRunner.Core.Hosting;

namespace LabRunner.Engine.Tests;

public sealed class HostLockTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "labrunner-lock-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task A_lock_held_past_the_timeout_is_a_host_problem_naming_the_lock_file()
    {
        var path = Path.Combine(_folder, "host.lock");
        using var held = await HostLock.AcquireAsync(path, TimeSpan.FromSeconds(5), null, CancellationToken.None);
        var waited = false;

        var error = await Assert.ThrowsAsync<HostUnavailableException>(() =>
            HostLock.AcquireAsync(path, TimeSpan.FromMilliseconds(300), () => waited = true, CancellationToken.None));

        Assert.True(waited);
        Assert.Equal(HostErrorKind.Unavailable, error.Error.Kind);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("Another lab command", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_folder_where_the_lock_file_belongs_is_a_host_problem_naming_it()
    {
        var path = Path.Combine(_folder, "host.lock");
        Directory.CreateDirectory(path);

        var error = await Assert.ThrowsAsync<HostUnavailableException>(() =>
            HostLock.AcquireAsync(path, TimeSpan.FromMilliseconds(300), null, CancellationToken.None));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("is a folder", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_lock_file_that_cannot_be_opened_is_reported_at_once_not_as_held_by_another_command()
    {
        // A link to a place that does not exist: nobody holds the lock, the file just cannot be made.
        Directory.CreateDirectory(_folder);
        var path = Path.Combine(_folder, "host.lock");
        File.CreateSymbolicLink(path, Path.Combine(_folder, "no-such-folder", "host.lock"));
        var waited = false;

        var error = await Assert.ThrowsAsync<HostUnavailableException>(() =>
            HostLock.AcquireAsync(path, TimeSpan.FromSeconds(2), () => waited = true, CancellationToken.None));

        Assert.False(waited);
        Assert.DoesNotContain("Another lab command", error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }
}
