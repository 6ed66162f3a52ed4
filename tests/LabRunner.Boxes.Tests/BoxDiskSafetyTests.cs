using LabRunner.Boxes.Tests.Support;
using LabRunner.HostCommon.Running;

namespace LabRunner.Boxes.Tests;

/// <summary>
/// A box must not read the host's files (issue 13.4) and a local source must be a regular file with a real
/// disk in it (issue 13.11): refused at add, nothing installed, nothing left in the store's temporary folder.
/// </summary>
public sealed class BoxDiskSafetyTests : IAsyncLifetime, IDisposable
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

    /// <summary>Records every command and runs none: proves qemu-img was never asked to read the image.</summary>
    private sealed class RecordingRunner : IHostCommandRunner
    {
        public List<HostCommand> Commands { get; } = [];

        public Task<HostCommandResult> RunAsync(HostCommand command, CancellationToken cancellationToken)
        {
            lock (Commands) Commands.Add(command);
            return Task.FromResult(new HostCommandResult(1, "", "not run by this test"));
        }
    }

    private async Task<BoxException> RefusedAsync(BoxAddRequest request, BoxService? service = null)
    {
        // A FIFO or a device would block or never end: the add must come back on its own (the timeout only keeps a broken build from hanging).
        var add = Task.Run(() => (service ?? _store.Service).AddAsync(request, NullBoxReporter.Instance, default));
        var ex = await Assert.ThrowsAsync<BoxException>(() => add.WaitAsync(TimeSpan.FromMinutes(1)));
        Assert.Equal(BoxErrorKind.Source, ex.Kind);
        Assert.Empty(_store.Store.List());
        Assert.Empty(_store.TempFiles());
        return ex;
    }

    public static TheoryData<string, byte[], string> Hostile => new()
    {
        { "qcow2 with a backing file", DiskImages.Qcow2(backingFile: "/etc/shadow"), "backing file ('/etc/shadow')" },
        { "qcow2 with an external data file", DiskImages.Qcow2(externalDataBit: true, dataFileName: "/dev/sda"), "external data file" },
        { "differencing VHDX", DiskImages.Vhdx(hasParent: true, parentLocator: true), "differencing VHDX" },
        { "differencing VHD", DiskImages.Vhd(4), "differencing VHD" },
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public async Task A_bare_disk_naming_another_file_is_refused_for_either_provider(string what, byte[] image, string expected)
    {
        var disk = DiskImages.Write(_files.PathOf("evil.img"), image);

        foreach (var target in new[] { BoxTarget.Qemu, BoxTarget.HyperV })
        {
            var ex = await RefusedAsync(new BoxAddRequest("evil", disk) { Target = target });
            Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
            Assert.Contains("self-contained", ex.Message, StringComparison.Ordinal);
        }
        Assert.True(File.Exists(disk), what);
    }

    [Theory]
    [InlineData("tar")]
    [InlineData("tar.gz")]
    [InlineData("zip")]
    public async Task A_box_archive_whose_disk_names_another_file_is_refused_from_a_URL(string kind)
    {
        var libvirt = DiskImages.Write(_files.PathOf("box.img"), DiskImages.Qcow2(backingFile: "/root/.ssh/id_ed25519"));
        var hyperv = DiskImages.Write(_files.PathOf("win.vhdx"), DiskImages.Vhdx(hasParent: true));
        var url1 = _server.ServeFile("libvirt.box", _files.Box("libvirt.box", kind, BoxFiles.Metadata("libvirt"), libvirt, "box.img"));
        var url2 = _server.ServeFile("hyperv.box", _files.Box("hyperv.box", kind, BoxFiles.Metadata("hyperv"), hyperv, "Virtual Hard Disks/win.vhdx"));

        var backing = await RefusedAsync(new BoxAddRequest("evil", url1.ToString()) { Target = BoxTarget.Qemu });
        var parent = await RefusedAsync(new BoxAddRequest("evil", url2.ToString()) { Target = BoxTarget.HyperV });

        Assert.Contains("backing file", backing.Message, StringComparison.Ordinal);
        Assert.Contains("differencing VHDX", parent.Message, StringComparison.Ordinal);
    }

    [ToolFact("qemu-img")]
    public async Task For_HyperV_a_qcow2_with_a_backing_file_is_refused_before_qemu_img_could_convert_it()
    {
        HostTools.Require(false, "qemu-img");
        var secret = _files.PathOf("host-secret");
        await File.WriteAllTextAsync(secret, "the host's private bytes");
        var evil = _files.PathOf("evil.qcow2");
        await HostTools.RunAsync("qemu-img", "create", "-q", "-f", "qcow2", "-b", secret, "-F", "raw", evil, "1M");
        var runner = new RecordingRunner();
        var service = new BoxService(_store.Store, new Downloader(TestStore.Http), new DiskTool(runner), TimeProvider.System) { Targets = BoxTarget.All };

        var ex = await RefusedAsync(new BoxAddRequest("evil", evil) { Target = BoxTarget.HyperV }, service);

        Assert.Contains(secret, ex.Message, StringComparison.Ordinal);
        Assert.Empty(runner.Commands); // no 'qemu-img convert' (which follows the backing file), no 'qemu-img info'
    }

    [ToolFact("qemu-img")]
    public async Task A_qcow2_made_by_qemu_img_with_an_external_data_file_is_refused()
    {
        HostTools.Require(false, "qemu-img");
        var evil = _files.PathOf("evil.qcow2");
        await HostTools.RunAsync("qemu-img", "create", "-q", "-f", "qcow2", "-o", $"data_file={_files.PathOf("data.raw")}", evil, "1M");

        var ex = await RefusedAsync(new BoxAddRequest("evil", evil) { Target = BoxTarget.Qemu });

        Assert.Contains("external data file", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_empty_file_eight_bytes_of_vhdxfile_and_a_raw_file_of_no_whole_sector_are_refused()
    {
        var empty = DiskImages.Write(_files.PathOf("empty.img"), []);
        var magic = DiskImages.Write(_files.PathOf("tiny.vhdx"), "vhdxfile"u8.ToArray());
        var odd = DiskImages.Write(_files.PathOf("odd.img"), new byte[1000]);

        Assert.Contains("empty or not a regular file", (await RefusedAsync(new BoxAddRequest("x", empty))).Message, StringComparison.Ordinal);
        Assert.Contains("not a whole VHDX image", (await RefusedAsync(new BoxAddRequest("x", magic))).Message, StringComparison.Ordinal);
        Assert.Contains("512-byte sectors", (await RefusedAsync(new BoxAddRequest("x", odd) { Target = BoxTarget.Qemu })).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_device_a_FIFO_and_links_to_them_are_refused_without_being_read()
    {
        if (OperatingSystem.IsWindows()) return;
        var fifo = _files.PathOf("pipe.img");
        await HostTools.RunAsync("mkfifo", fifo);
        var zeroLink = _files.PathOf("zero.img");
        File.CreateSymbolicLink(zeroLink, "/dev/zero");
        var fifoLink = _files.PathOf("pipe-link.box");
        File.CreateSymbolicLink(fifoLink, fifo);

        foreach (var source in new[] { "/dev/zero", zeroLink, fifo, fifoLink })
        {
            var ex = await RefusedAsync(new BoxAddRequest("x", source) { Target = BoxTarget.Qemu });
            Assert.Contains("not a regular file", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_link_to_a_plain_disk_is_followed_and_the_disk_added()
    {
        var disk = DiskImages.Write(_files.PathOf("plain.qcow2"), DiskImages.Qcow2());
        var link = _files.PathOf("link.qcow2");
        File.CreateSymbolicLink(link, disk);

        var result = await _store.Service.AddAsync(new BoxAddRequest("plain", link) { Target = BoxTarget.Qemu }, NullBoxReporter.Instance, default);

        Assert.Equal("qcow2", result.Box.Manifest.Format);
        Assert.Equal(File.ReadAllBytes(disk), File.ReadAllBytes(result.Box.DiskPath));
    }
}
