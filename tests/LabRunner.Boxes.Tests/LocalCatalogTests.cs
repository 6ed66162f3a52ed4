using LabRunner.Boxes.Tests.Support;
using LabRunner.Core.Boxes;

namespace LabRunner.Boxes.Tests;

/// <summary>Local sources as Vagrant reads them: file:// URLs, and catalogs on disk whose files are relative to the catalog.</summary>
public sealed class LocalCatalogTests : IAsyncLifetime, IDisposable
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

    private Task<BoxAddResult> AddAsync(string source, bool catalog = false, string name = "acme/d") =>
        _store.Service.AddAsync(new BoxAddRequest(name, source) { Target = BoxTarget.Qemu, IsCatalog = catalog }, NullBoxReporter.Instance, default);

    /// <summary>A libvirt .box under ROOT/boxes/, and its sha256.</summary>
    private (string Path, string Sha) LocalBox(string version)
    {
        Directory.CreateDirectory(_files.PathOf("boxes"));
        var disk = _files.RandomRaw($"disk-{version}.img", 128 << 10, seed: version.Length);
        var box = _files.Box(Path.Combine("boxes", $"d-{version}.box"), "tar", BoxFiles.Metadata("libvirt"), disk, "box.img");
        return (box, BoxFiles.Sha256(box));
    }

    [Fact]
    public async Task A_file_URL_is_the_local_path_it_names()
    {
        var disk = _files.RandomRaw("disk.img", 64 << 10);

        var result = await AddAsync(new Uri(disk).AbsoluteUri, name: "d");

        Assert.Equal(File.ReadAllBytes(disk), File.ReadAllBytes(result.Box.DiskPath));
        Assert.Equal(disk, result.Box.Manifest.Source);
    }

    [Fact]
    public async Task A_local_catalog_names_its_boxes_relative_to_itself_or_by_file_URL()
    {
        var (relative, relativeSha) = LocalBox("1.0.0");
        var (absolute, absoluteSha) = LocalBox("1.1.0");
        var catalog = _files.PathOf("catalog.json");
        File.WriteAllText(catalog, $$"""
            {"versions":[
              {"version":"1.0.0","providers":[{"name":"libvirt","url":"boxes/d-1.0.0.box","checksum_type":"sha256","checksum":"{{relativeSha}}"}]},
              {"version":"1.1.0","providers":[{"name":"libvirt","url":"{{new Uri(absolute).AbsoluteUri}}","checksum_type":"sha256","checksum":"{{absoluteSha}}"}]}]}
            """);

        var newest = (await AddAsync(catalog, catalog: true)).Box;
        var old = await _store.Service.AddAsync(
            new BoxAddRequest("acme/d", catalog) { Target = BoxTarget.Qemu, IsCatalog = true, Version = VersionConstraint.Parse("= 1.0.0") }, NullBoxReporter.Instance, default);

        Assert.Equal(relative, old.Box.Manifest.Source);
        Assert.Equal("1.1.0", newest.Manifest.Version);
        Assert.Equal(absolute, newest.Manifest.Source);
        Assert.Equal(catalog, newest.Manifest.Catalog);
        Assert.Equal("1.1.0", Assert.Single(await _store.Service.OutdatedAsync(null, default)).Latest?.Text);
    }

    [Fact]
    public async Task A_local_catalog_given_as_a_file_URL_is_read()
    {
        var (_, sha) = LocalBox("2.0.0");
        var catalog = _files.PathOf("c.json");
        File.WriteAllText(catalog, $$"""{"versions":[{"version":"2.0.0","providers":[{"name":"libvirt","url":"boxes/d-2.0.0.box","checksum_type":"sha256","checksum":"{{sha}}"}]}]}""");

        var result = await AddAsync(new Uri(catalog).AbsoluteUri, catalog: true);

        Assert.Equal("2.0.0", result.Box.Manifest.Version);
        Assert.Equal("sha256:" + sha, result.Box.Manifest.Checksum);
    }

    [Theory]
    [InlineData("file:///etc/passwd")]
    [InlineData("file://localhost/etc/passwd")]
    public async Task An_http_catalog_may_never_name_a_file_on_this_machine(string url)
    {
        var catalog = _server.Serve("c.json", $$"""{"versions":[{"version":"1.0","providers":[{"name":"libvirt","url":"{{url}}"}]}]}""");

        var ex = await Assert.ThrowsAsync<BoxException>(() => AddAsync(catalog.ToString(), catalog: true));

        Assert.Equal(BoxErrorKind.Source, ex.Kind);
        Assert.Contains("names a file on this machine", ex.Message, StringComparison.Ordinal);
        Assert.Empty(_store.Store.List());
    }

    [Fact]
    public async Task A_file_URL_of_another_machine_is_a_usage_error()
    {
        var ex = await Assert.ThrowsAsync<BoxException>(() => AddAsync("file://fileserver/share/d.box", name: "d"));

        Assert.Equal(BoxErrorKind.Usage, ex.Kind);
        Assert.Contains("not a file URL of this machine", ex.Message, StringComparison.Ordinal);
    }
}
