using System.IO.Compression;
using System.Text;
using LabRunner.Boxes.Tests.Support;
using LabRunner.Core.Boxes;

namespace LabRunner.Boxes.Tests;

/// <summary>
/// Damaged and hostile archives, catalogs and servers: each is a <see cref="BoxException"/> that says what was
/// wrong (never another exception), and nothing is installed.
/// </summary>
public sealed class HostileSourceTests : IAsyncLifetime, IDisposable
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

    private Task<BoxAddResult> AddAsync(string source, bool catalog = false, string name = "b") =>
        _store.Service.AddAsync(new BoxAddRequest(name, source) { Target = BoxTarget.Qemu, IsCatalog = catalog }, NullBoxReporter.Instance, default);

    private string LibvirtBox(string kind, string name = "d.box")
    {
        var disk = _files.RandomRaw("box-" + kind + ".img", 512 << 10);
        return _files.Box(name, kind, BoxFiles.Metadata("libvirt"), disk, "box.img");
    }

    [Theory]
    [InlineData("tar")]
    [InlineData("tar.gz")]
    [InlineData("zip")]
    public async Task A_truncated_box_is_refused_as_a_damaged_archive(string kind)
    {
        var box = LibvirtBox(kind);
        var bytes = File.ReadAllBytes(box);
        File.WriteAllBytes(box, bytes[..(bytes.Length * 6 / 10)]);

        var ex = await Assert.ThrowsAsync<BoxException>(() => AddAsync(box));

        Assert.Equal(BoxErrorKind.Source, ex.Kind);
        Assert.Contains($"is not a readable {kind} archive", ex.Message, StringComparison.Ordinal);
        Assert.Empty(_store.Store.List());
    }

    [Fact]
    public async Task A_zip_box_with_an_unsupported_compression_is_refused_with_why()
    {
        var box = LibvirtBox("zip");
        var bytes = File.ReadAllBytes(box);
        // Mark every entry as compressed with LZMA (method 14), in its local header and the central directory.
        for (var i = 0; i + 10 < bytes.Length; i++)
        {
            if (bytes.AsSpan(i, 4).SequenceEqual("PK\u0003\u0004"u8)) bytes[i + 8] = 14;
            else if (bytes.AsSpan(i, 4).SequenceEqual("PK\u0001\u0002"u8)) bytes[i + 10] = 14;
        }
        File.WriteAllBytes(box, bytes);

        var ex = await Assert.ThrowsAsync<BoxException>(() => AddAsync(box));

        Assert.Equal(BoxErrorKind.Source, ex.Kind);
        Assert.Contains("is not a readable zip archive", ex.Message, StringComparison.Ordinal);
        Assert.Empty(_store.Store.List());
    }

    [Theory]
    [InlineData("""{"versions":[1]}""", "an entry of 'versions' is a number")]
    [InlineData("""{"versions":[null]}""", "an entry of 'versions' is null")]
    [InlineData("""{"versions":["1.0"]}""", "an entry of 'versions' is text")]
    [InlineData("""{"versions":[{"version":"1.0","providers":[null]}]}""", "a provider of version 1.0 is null")]
    [InlineData("""{"versions":[{"version":"1.0","providers":[[]]}]}""", "a provider of version 1.0 is a list")]
    public async Task A_catalog_of_the_wrong_shape_is_refused_with_where(string json, string why)
    {
        var catalog = _server.Serve("c.json", json);

        var ex = await Assert.ThrowsAsync<BoxException>(() => AddAsync(catalog.ToString(), catalog: true));

        Assert.Equal(BoxErrorKind.Source, ex.Kind);
        Assert.Contains("is not a usable Vagrant box catalog: " + why, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("file:///etc/passwd", "file:")]
    [InlineData("ftp://127.0.0.1/d.box", "ftp:")]
    [InlineData("gopher://127.0.0.1:1/x", "gopher:")]
    public async Task A_redirect_to_anything_but_http_is_refused(string target, string scheme)
    {
        var url = _server.Redirect("d.box", target);

        var ex = await Assert.ThrowsAsync<BoxException>(() => AddAsync(url.ToString()));

        Assert.Equal(BoxErrorKind.Source, ex.Kind);
        Assert.Contains($"it redirects to a {scheme} address", ex.Message, StringComparison.Ordinal);
        Assert.Contains("LabRunner follows redirects only to http(s)", ex.Message, StringComparison.Ordinal);
        Assert.Empty(_store.Store.List());
        Assert.Single(_server.RequestsFor("d.box"));
    }

    [Fact]
    public async Task A_refused_redirect_does_not_show_the_credentials_it_names()
    {
        var url = _server.Redirect("d.box", "ftp://bob:hunter2@127.0.0.1/d.box");

        var ex = await Assert.ThrowsAsync<BoxException>(() => AddAsync(url.ToString()));

        Assert.DoesNotContain("hunter2", ex.Message, StringComparison.Ordinal);
        Assert.Contains("ftp://127.0.0.1/d.box", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_http_redirect_is_followed()
    {
        var disk = _files.RandomRaw("disk.img", 256 << 10);
        _server.ServeFile("real/disk.img", disk);
        var url = _server.Redirect("disk.img", "/real/disk.img", 301);

        var result = await AddAsync(url.ToString());

        Assert.Equal(File.ReadAllBytes(disk), File.ReadAllBytes(result.Box.DiskPath));
    }

    [Fact]
    public async Task A_damaged_validator_of_a_partial_download_restarts_the_download_instead_of_failing_every_add()
    {
        const int size = 24 << 20;
        var disk = _files.RandomRaw("big.img", size);
        var url = _server.ServeFile("big.img", disk);
        using var interrupt = new CancellationTokenSource();
        var request = new BoxAddRequest("big", url.ToString()) { Target = BoxTarget.Qemu };
        var stopper = new RecordingReporter { OnProgress = p => { if (p.Done >= 8 << 20) interrupt.Cancel(); } };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _store.Service.AddAsync(request, stopper, interrupt.Token));
        var validator = Assert.Single(_store.TempFiles(), f => f.EndsWith(".validator", StringComparison.Ordinal));
        File.WriteAllText(validator, "\"broken");

        var result = await _store.NewService().AddAsync(request, NullBoxReporter.Instance, default);

        Assert.Equal(File.ReadAllBytes(disk), File.ReadAllBytes(result.Box.DiskPath));
        Assert.Null(_server.RequestsFor("big.img").Last().Range);
        Assert.Equal(size, result.Fetched);
    }

    [Fact]
    public async Task An_endless_catalog_is_not_read_past_the_limit()
    {
        var url = _server.ServeEndless("endless.json");

        var ex = await Assert.ThrowsAsync<BoxException>(() => AddAsync(url.ToString(), catalog: true));
        await WaitForAsync(() => _server.RequestsFor("endless.json").Any());

        Assert.Equal(BoxErrorKind.Source, ex.Kind);
        Assert.Contains("is larger than a box catalog can be (16 MiB); it was not read further", ex.Message, StringComparison.Ordinal);
        // The server stops once the client hangs up: only what socket buffers hold can follow the 16 MiB read.
        Assert.InRange(Assert.Single(_server.RequestsFor("endless.json")).BodyBytes, BoxCatalog.MaxLength - (64 << 10), 4L * BoxCatalog.MaxLength);
        Assert.Empty(_store.TempFiles());
    }

    [Fact]
    public async Task A_catalog_declared_larger_than_the_limit_is_refused_before_its_body_is_read()
    {
        var url = _server.Serve("big.json", new byte[BoxCatalog.MaxLength + 1]);

        var ex = await Assert.ThrowsAsync<BoxException>(() => AddAsync(url.ToString(), catalog: true));

        Assert.Contains("is larger than a box catalog can be (16 MiB)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_catalog_with_a_UTF8_byte_order_mark_is_read()
    {
        var box = LibvirtBox("tar.gz");
        _server.ServeFile("d.box", box);
        var json = $$"""{"versions":[{"version":"1.2.0","providers":[{"name":"libvirt","url":"d.box","checksum_type":"sha256","checksum":"{{BoxFiles.Sha256(box)}}"}]}]}""";
        var catalog = _server.Serve("bom", [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(json)]);

        var result = await AddAsync(catalog.ToString());

        Assert.Equal("1.2.0", result.Box.Manifest.Version);
        Assert.Equal(catalog.ToString(), result.Box.Manifest.Catalog);
    }

    [Fact]
    public async Task Catalog_text_with_escape_sequences_reaches_messages_escaped()
    {
        var catalog = _server.Serve("c.json", """
            {"versions":[{"version":"1.0","providers":[
              {"name":"libvirt\u001b[2J","url":"a.box","architecture":"sparc\u001b]0;pwned\u0007"},
              {"name":"hyperv","url":"b.box","architecture":"mips\n\u009b31m"}]}]}
            """);

        var ex = await Assert.ThrowsAsync<BoxException>(() => AddAsync(catalog.ToString(), catalog: true));

        Assert.Equal(BoxErrorKind.NotFound, ex.Kind);
        Assert.DoesNotContain(ex.Message, char.IsControl);
        Assert.Contains("libvirt\\x1b[2J/sparc\\x1b]0;pwned\\x07", ex.Message, StringComparison.Ordinal);
        Assert.Contains("hyperv/mips\\n\\x9b31m", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("debian\n", false)]
    [InlineData("debian\r", false)]
    [InlineData("acme/debian\n", false)]
    [InlineData("acme/debian", true)]
    [InlineData("debian-12.1_x", true)]
    [InlineData("acme/../x", false)]
    public void Box_names_end_where_the_text_ends(string name, bool valid)
    {
        Assert.Equal(valid, BoxNames.IsValid(name));
    }

    [Fact]
    public async Task A_box_name_with_a_trailing_newline_is_refused()
    {
        var disk = _files.RandomRaw("disk.img", 64 << 10);

        var ex = await Assert.ThrowsAsync<BoxException>(() => AddAsync(disk, name: "debian\n"));

        Assert.Equal(BoxErrorKind.Usage, ex.Kind);
        Assert.Contains("box name 'debian\\n' is not allowed", ex.Message, StringComparison.Ordinal);
        Assert.Empty(_store.Store.List());
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++) await Task.Delay(20);
    }
}
