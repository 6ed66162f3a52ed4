using System.Text.Json;
using LabRunner.Boxes.Tests.Support;
using LabRunner.Core.Boxes;

namespace LabRunner.Boxes.Tests;

/// <summary><c>lab box add</c> from every kind of source, served over loopback HTTP or read from disk.</summary>
public sealed class BoxAddTests : IAsyncLifetime, IDisposable
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

    private static async Task<string> QemuImgFormatAsync(string path)
    {
        var info = await HostTools.RunAsync("qemu-img", "info", "--output=json", path);
        using var doc = JsonDocument.Parse(info.StandardOutput);
        return doc.RootElement.GetProperty("format").GetString()!;
    }

    [ToolFact("qemu-img")]
    public async Task A_bare_qcow2_URL_is_stored_as_is_for_QEMU_with_its_checksum_verified()
    {
        HostTools.Require(false, "qemu-img");
        var disk = await _files.DiskAsync("debian.qcow2", "qcow2");
        var url = _server.ServeFile("debian.qcow2", disk);

        var result = await _store.Service.AddAsync(new BoxAddRequest("debian-12", url.ToString())
        {
            Target = BoxTarget.Qemu,
            Checksum = Checksum.Parse("sha256:" + BoxFiles.Sha256(disk)),
            Version = VersionConstraint.Parse("1.0.0"),
        }, NullBoxReporter.Instance, default);

        var box = result.Box;
        Assert.False(result.AlreadyInstalled);
        Assert.Equal(Path.Combine(_store.Store.Root, "debian-12", "1.0.0", "qemu-qcow2"), box.Folder);
        Assert.Equal("qcow2", await QemuImgFormatAsync(box.DiskPath));
        Assert.Equal(64L << 20, box.Manifest.VirtualSize);
        Assert.Equal("sha256:" + BoxFiles.Sha256(disk), box.Manifest.Checksum);
        Assert.Equal(url.ToString(), box.Manifest.Source);
        Assert.Empty(_store.TempFiles());
        Assert.Equal(["debian-12"], _store.Store.List().Select(b => b.Name));
    }

    [ToolTheory("qemu-img")]
    [InlineData("tar")]
    [InlineData("tar.gz")]
    [InlineData("zip")]
    public async Task A_libvirt_box_is_converted_once_to_a_dynamic_VHDX_for_HyperV(string kind)
    {
        HostTools.Require(false, "qemu-img");
        var disk = await _files.DiskAsync("box.img", "qcow2");
        var boxFile = _files.Box("debian.box", kind, BoxFiles.Metadata("libvirt"), disk, "box.img");
        var url = _server.ServeFile("debian.box", boxFile);

        var result = await _store.Service.AddAsync(new BoxAddRequest("debian-12", url.ToString()) { Target = BoxTarget.HyperV },
            NullBoxReporter.Instance, default);

        var box = result.Box;
        Assert.Equal("vhdx", box.Manifest.Format);
        Assert.Equal("qcow2", box.Manifest.ConvertedFrom);
        Assert.Equal("libvirt", box.Manifest.VagrantProvider);
        Assert.Equal("amd64", box.Manifest.Architecture);
        Assert.Equal("0", box.Manifest.Version);
        Assert.EndsWith(Path.Combine("debian-12", "0", "hyperv-vhdx"), box.Folder, StringComparison.Ordinal);
        Assert.Equal("vhdx", await QemuImgFormatAsync(box.DiskPath));
        var info = await HostTools.RunAsync("qemu-img", "info", "--output=json", box.DiskPath);
        Assert.Contains("\"virtual-size\": 67108864", info.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(["box.json", "box.vhdx"], Directory.GetFiles(box.Folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Empty(_store.TempFiles());
    }

    [ToolTheory("qemu-img")]
    [InlineData("tar")]
    [InlineData("zip")]
    public async Task A_hyperv_box_keeps_its_VHDX_from_Virtual_Hard_Disks(string kind)
    {
        HostTools.Require(false, "qemu-img");
        var disk = await _files.DiskAsync("win.vhdx", "vhdx");
        var boxFile = _files.Box("win.box", kind, BoxFiles.Metadata("hyperv"), disk, "Virtual Hard Disks/win2022.vhdx");

        var result = await _store.Service.AddAsync(new BoxAddRequest("win2022", boxFile) { Version = VersionConstraint.Parse("2.1") },
            NullBoxReporter.Instance, default);

        Assert.Equal("vhdx", result.Box.Manifest.Format);
        Assert.Null(result.Box.Manifest.ConvertedFrom);
        Assert.Equal("hyperv", result.Box.Manifest.VagrantProvider);
        Assert.Equal(File.ReadAllBytes(disk), File.ReadAllBytes(result.Box.DiskPath));
        Assert.True(File.Exists(boxFile), "a local source is the user's and stays");
    }

    [ToolFact("qemu-img")]
    public async Task A_box_for_another_provider_is_refused_and_nothing_is_installed()
    {
        HostTools.Require(false, "qemu-img");
        var disk = await _files.DiskAsync("box.img", "qcow2");
        var boxFile = _files.Box("vbox.box", "tar", """{"provider":"virtualbox"}""", disk, "box.img");

        var ex = await Assert.ThrowsAsync<BoxException>(() => _store.Service.AddAsync(new BoxAddRequest("x", boxFile), NullBoxReporter.Instance, default));

        Assert.Equal(BoxErrorKind.Source, ex.Kind);
        Assert.Contains("virtualbox", ex.Message, StringComparison.Ordinal);
        Assert.Empty(_store.Store.List());
        Assert.Empty(_store.TempFiles());
    }

    [ToolFact("qemu-img")]
    public async Task A_vhd_disk_is_told_by_its_footer_and_kept_for_HyperV()
    {
        HostTools.Require(false, "qemu-img");
        var disk = await _files.DiskAsync("old.bin", "vpc", "32M");

        var result = await _store.Service.AddAsync(new BoxAddRequest("old", disk), NullBoxReporter.Instance, default);

        Assert.Equal("vhd", result.Box.Manifest.Format);
        Assert.Equal("box.vhd", result.Box.Manifest.Disk);
    }

    [Fact]
    public async Task A_checksum_mismatch_installs_nothing_and_removes_the_download()
    {
        var disk = _files.RandomRaw("disk.img", 3 << 20);
        var url = _server.ServeFile("disk.img", disk);
        var wrong = Checksum.Parse("sha256:" + new string('0', 64));

        var ex = await Assert.ThrowsAsync<BoxException>(() => _store.Service.AddAsync(
            new BoxAddRequest("bad", url.ToString()) { Checksum = wrong, Target = BoxTarget.Qemu }, NullBoxReporter.Instance, default));

        Assert.Equal(BoxErrorKind.ChecksumMismatch, ex.Kind);
        Assert.Contains(BoxFiles.Sha256(disk), ex.Message, StringComparison.Ordinal);
        Assert.Empty(_store.Store.List());
        Assert.Empty(_store.TempFiles());
        Assert.False(Directory.Exists(Path.Combine(_store.Store.Root, "bad")));
    }

    [Theory]
    [InlineData("md5")]
    [InlineData("sha1")]
    [InlineData("sha256")]
    [InlineData("sha384")]
    [InlineData("sha512")]
    public async Task Every_catalog_checksum_algorithm_is_verified(string algorithm)
    {
        var disk = _files.RandomRaw("disk.img", 1 << 20);
        var url = _server.ServeFile("disk.img", disk);
        var digest = await Downloader.HashFileAsync(disk, algorithm, default);

        var ok = await _store.Service.AddAsync(new BoxAddRequest("good", url.ToString())
        { Checksum = Checksum.Parse($"{algorithm}:{digest}"), Target = BoxTarget.Qemu }, NullBoxReporter.Instance, default);
        var bad = await Assert.ThrowsAsync<BoxException>(() => _store.Service.AddAsync(new BoxAddRequest("bad", url.ToString())
        { Checksum = Checksum.Parse($"{algorithm}:{new string('a', digest.Length)}"), Target = BoxTarget.Qemu }, NullBoxReporter.Instance, default));

        Assert.Equal("raw", ok.Box.Manifest.Format);
        Assert.Equal(BoxErrorKind.ChecksumMismatch, bad.Kind);
    }

    [Fact]
    public async Task A_download_cut_midway_resumes_with_a_Range_and_fetches_only_the_missing_bytes()
    {
        const int size = 6 << 20;
        var disk = _files.RandomRaw("disk.img", size);
        var url = _server.ServeFile("disk.img", disk);
        _server.CutNextAfter("disk.img", 2_500_000);
        var reporter = new RecordingReporter();

        var result = await _store.Service.AddAsync(new BoxAddRequest("cut", url.ToString())
        { Checksum = Checksum.Parse("sha256:" + BoxFiles.Sha256(disk)), Target = BoxTarget.Qemu }, reporter, default);

        var served = _server.RequestsFor("disk.img").ToList();
        Assert.Equal(2, served.Count);
        Assert.Equal((200, 2_500_000L), (served[0].Status, served[0].BodyBytes));
        Assert.Equal(("bytes=2500000-", 206, size - 2_500_000L), (served[1].Range, served[1].Status, served[1].BodyBytes));
        Assert.Equal(size, served.Sum(r => r.BodyBytes));
        Assert.Equal(File.ReadAllBytes(disk), File.ReadAllBytes(result.Box.DiskPath));
        Assert.Contains(reporter.Notes, n => n.Contains("resuming", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_interrupted_add_leaves_the_partial_download_and_the_next_add_resumes_it()
    {
        const int size = 24 << 20;
        var disk = _files.RandomRaw("big.img", size);
        var url = _server.ServeFile("big.img", disk);
        using var interrupt = new CancellationTokenSource();
        var request = new BoxAddRequest("big", url.ToString()) { Checksum = Checksum.Parse("sha256:" + BoxFiles.Sha256(disk)), Target = BoxTarget.Qemu };
        var stopper = new RecordingReporter { OnProgress = p => { if (p.Done >= 8 << 20) interrupt.Cancel(); } };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _store.Service.AddAsync(request, stopper, interrupt.Token));
        var partial = _store.TempFiles().Where(f => f.EndsWith(".part", StringComparison.Ordinal)).ToList();
        var kept = new FileInfo(Assert.Single(partial)).Length;
        var result = await _store.NewService().AddAsync(request, NullBoxReporter.Instance, default);

        Assert.InRange(kept, 8 << 20, size - 1);
        Assert.Equal(kept, result.Resumed);
        Assert.Equal(size - kept, result.Fetched);
        var second = _server.RequestsFor("big.img").Last();
        Assert.Equal(($"bytes={kept}-", size - kept), (second.Range, second.BodyBytes));
        Assert.Equal(File.ReadAllBytes(disk), File.ReadAllBytes(result.Box.DiskPath));
        Assert.Empty(_store.TempFiles());
    }

    [Fact]
    public async Task Two_adds_at_once_install_one_box_and_download_it_once()
    {
        var disk = _files.RandomRaw("disk.img", 8 << 20);
        var url = _server.ServeFile("disk.img", disk);
        var request = new BoxAddRequest("shared", url.ToString()) { Checksum = Checksum.Parse("sha256:" + BoxFiles.Sha256(disk)), Target = BoxTarget.Qemu };

        var results = await Task.WhenAll(
            Task.Run(() => _store.NewService().AddAsync(request, NullBoxReporter.Instance, default)),
            Task.Run(() => _store.NewService().AddAsync(request, NullBoxReporter.Instance, default)));

        Assert.Single(results, r => r.AlreadyInstalled);
        Assert.Single(results, r => !r.AlreadyInstalled);
        Assert.Single(_server.RequestsFor("disk.img"));
        Assert.Single(_store.Store.List());
        Assert.Equal(File.ReadAllBytes(disk), File.ReadAllBytes(_store.Store.List()[0].DiskPath));
    }

    [Fact]
    public async Task An_installed_version_is_not_fetched_again_unless_forced()
    {
        var disk = _files.RandomRaw("disk.img", 1 << 20);
        var url = _server.ServeFile("disk.img", disk).ToString();
        await _store.Service.AddAsync(new BoxAddRequest("b", url) { Target = BoxTarget.Qemu }, NullBoxReporter.Instance, default);

        var again = await _store.Service.AddAsync(new BoxAddRequest("b", url) { Target = BoxTarget.Qemu }, NullBoxReporter.Instance, default);
        var forced = await _store.Service.AddAsync(new BoxAddRequest("b", url) { Target = BoxTarget.Qemu, Force = true }, NullBoxReporter.Instance, default);

        Assert.True(again.AlreadyInstalled);
        Assert.False(forced.AlreadyInstalled);
        Assert.Equal(2, _server.RequestsFor("disk.img").Count());
        Assert.Single(_store.Store.List());
    }

    [Fact]
    public async Task A_file_that_is_no_box_is_refused_by_its_content_not_its_name()
    {
        var notABox = _files.PathOf("readme.box");
        File.WriteAllText(notABox, "just some text, not an archive");

        var ex = await Assert.ThrowsAsync<BoxException>(() => _store.Service.AddAsync(new BoxAddRequest("x", notABox), NullBoxReporter.Instance, default));

        Assert.Equal(BoxErrorKind.Source, ex.Kind);
        Assert.Empty(_store.Store.List());
    }
}
