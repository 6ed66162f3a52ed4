using System.Net;
using System.Net.Sockets;
using LabRunner.Boxes.Tests.Support;
using LabRunner.Core.Boxes;

namespace LabRunner.Boxes.Tests;

/// <summary>What a failed download says is what happened, and <c>box prune</c> removes what interrupted ones left.</summary>
public sealed class DownloadMessageTests : IAsyncLifetime, IDisposable
{
    private readonly BoxFiles _files = new();
    private readonly TestStore _store = new();
    private readonly LoopbackServer _server = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose()
    {
        _files.Dispose();
        _store.Dispose();
    }

    private BoxService Service(int attempts = 4, TimeSpan? lockTimeout = null) =>
        new(BoxStore.ForHome(_store.Home), new Downloader(TestStore.Http) { Attempts = attempts }, new DiskTool(HostTools.Runner), TimeProvider.System)
        {
            LockTimeout = lockTimeout ?? TimeSpan.FromMinutes(1),
            Targets = BoxTarget.All,
        };

    private static BoxAddRequest Request(Uri url) => new("d", url.ToString()) { Target = BoxTarget.Qemu };

    /// <summary>A loopback port nothing listens on (the connection is refused).</summary>
    private static int ClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    [Fact]
    public async Task A_refused_connection_says_nothing_was_fetched_and_does_not_speak_of_resuming()
    {
        var reporter = new RecordingReporter();
        var url = new Uri($"http://127.0.0.1:{ClosedPort()}/d.img");

        var ex = await Assert.ThrowsAsync<BoxException>(() => Service(attempts: 3).AddAsync(Request(url), reporter, default));

        Assert.Equal(BoxErrorKind.Source, ex.Kind);
        Assert.Contains("after 3 attempts", ex.Message, StringComparison.Ordinal);
        Assert.EndsWith("Nothing was fetched.", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("kept", ex.Message, StringComparison.Ordinal);
        Assert.Equal(2, reporter.Notes.Count);
        Assert.All(reporter.Notes, n => Assert.Contains("the download failed", n, StringComparison.Ordinal));
        Assert.All(reporter.Notes, n => Assert.DoesNotContain("resum", n, StringComparison.Ordinal));
        Assert.Empty(_store.TempFiles());
    }

    [Fact]
    public async Task A_cut_download_that_can_resume_says_how_much_is_kept()
    {
        var disk = _files.RandomRaw("disk.img", 4 << 20);
        var url = _server.ServeFile("disk.img", disk);
        _server.CutNextAfter("disk.img", 1_000_000);

        var ex = await Assert.ThrowsAsync<BoxException>(() => Service(attempts: 1).AddAsync(Request(url), NullBoxReporter.Instance, default));

        Assert.Contains("The 1000000 bytes fetched are kept; run the command again to resume.", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1_000_000, new FileInfo(Assert.Single(_store.TempFiles(), f => f.EndsWith(".part", StringComparison.Ordinal))).Length);
    }

    [Fact]
    public async Task A_server_without_ETag_or_Last_Modified_is_not_said_to_resume_and_its_partial_file_is_not_kept()
    {
        var disk = _files.RandomRaw("disk.img", 4 << 20);
        var url = _server.ServeFile("disk.img", disk);
        _server.WithoutValidator("disk.img");
        _server.CutNextAfter("disk.img", 1_000_000);

        var ex = await Assert.ThrowsAsync<BoxException>(() => Service(attempts: 1).AddAsync(Request(url), NullBoxReporter.Instance, default));

        Assert.Contains("no ETag or Last-Modified", ex.Message, StringComparison.Ordinal);
        Assert.Contains("what was fetched was deleted and the next attempt starts over", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("resume.", ex.Message, StringComparison.Ordinal);
        Assert.Empty(_store.TempFiles());
    }

    [Fact]
    public async Task A_retry_against_a_server_without_validators_starts_over_and_says_so()
    {
        var disk = _files.RandomRaw("disk.img", 4 << 20);
        var url = _server.ServeFile("disk.img", disk);
        _server.WithoutValidator("disk.img");
        _server.CutNextAfter("disk.img", 1_000_000);
        var reporter = new RecordingReporter();

        var result = await Service().AddAsync(Request(url), reporter, default);

        Assert.Equal(File.ReadAllBytes(disk), File.ReadAllBytes(result.Box.DiskPath));
        Assert.All(_server.RequestsFor("disk.img"), r => Assert.Null(r.Range));
        Assert.Contains("trying again", Assert.Single(reporter.Notes), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Prune_removes_what_interrupted_downloads_left_and_dry_run_only_lists_it()
    {
        var disk = _files.RandomRaw("big.img", 24 << 20);
        var url = _server.ServeFile("big.img", disk);
        using var interrupt = new CancellationTokenSource();
        var stopper = new RecordingReporter { OnProgress = p => { if (p.Done >= 8 << 20) interrupt.Cancel(); } };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Service().AddAsync(Request(url), stopper, interrupt.Token));
        var left = _store.TempFiles().Order(StringComparer.Ordinal).ToList();

        var dry = await Service().PruneAsync(dryRun: true, default);
        var afterDry = _store.TempFiles().Count();
        var pruned = await Service().PruneAsync(dryRun: false, default);

        Assert.Contains(left, f => f.EndsWith(".part", StringComparison.Ordinal));
        Assert.Equal(left, dry.Leftovers);
        Assert.Equal(left.Count, afterDry);
        Assert.Equal(left, pruned.Leftovers);
        Assert.InRange(pruned.LeftoverBytes, 8 << 20, 24 << 20);
        Assert.Empty(_store.TempFiles());
    }

    [Fact]
    public async Task Prune_leaves_a_download_alone_while_another_command_holds_the_store()
    {
        Directory.CreateDirectory(_store.Store.TempFolder);
        var part = Path.Combine(_store.Store.TempFolder, "download-0123456789abcdef01234567.part");
        File.WriteAllBytes(part, new byte[4096]);
        using (await _store.Store.LockAsync(TimeSpan.FromSeconds(5), null, default))
        {
            var ex = await Assert.ThrowsAsync<BoxException>(() => Service(lockTimeout: TimeSpan.FromMilliseconds(300)).PruneAsync(dryRun: false, default));

            Assert.Contains("lock", ex.Message, StringComparison.Ordinal);
            Assert.True(File.Exists(part));
        }
        Assert.Equal([part], (await Service().PruneAsync(dryRun: false, default)).Leftovers);
        Assert.False(File.Exists(part));
    }

    [Fact]
    public async Task A_folder_where_the_stores_lock_belongs_is_a_box_error_naming_it()
    {
        var path = Path.Combine(_store.Store.Root, ".lock");
        Directory.CreateDirectory(path);

        var ex = await Assert.ThrowsAsync<BoxException>(() => _store.Store.LockAsync(TimeSpan.FromSeconds(2), null, default));

        Assert.Equal(BoxErrorKind.Damaged, ex.Kind);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("is a folder", ex.Message, StringComparison.Ordinal);
    }
}
