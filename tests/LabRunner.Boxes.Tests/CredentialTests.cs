using System.Text;
using LabRunner.Boxes.Tests.Support;
using LabRunner.Core.Boxes;

namespace LabRunner.Boxes.Tests;

/// <summary>A user and password in a catalog or box URL: sent as HTTP Basic auth to that URL's origin, never stored or shown.</summary>
public sealed class CredentialTests : IAsyncLifetime, IDisposable
{
    private const string Password = "s3cret!pw";
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

    private static string Expected => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:" + Password));

    private static string WithCredentials(Uri url) => new UriBuilder(url) { UserName = "alice", Password = Uri.EscapeDataString(Password) }.Uri.ToString();

    private Uri ServeProtectedCatalog()
    {
        var disk = _files.RandomRaw("d.img", 128 << 10);
        var box = _files.Box("d.box", "tar.gz", BoxFiles.Metadata("libvirt"), disk, "box.img");
        _server.ServeFile("d.box", box);
        _server.RequireBasicAuth("d.box", "alice", Password);
        var catalog = _server.Serve("cat.json", $$"""{"versions":[{"version":"1.0.0","providers":[{"name":"libvirt","url":"d.box","checksum_type":"sha256","checksum":"{{BoxFiles.Sha256(box)}}"}]}]}""");
        _server.RequireBasicAuth("cat.json", "alice", Password);
        return catalog;
    }

    [Fact]
    public async Task Credentials_in_a_catalog_URL_are_sent_as_basic_auth_and_never_stored()
    {
        var catalog = ServeProtectedCatalog();

        var result = await _store.Service.AddAsync(new BoxAddRequest("acme/d", WithCredentials(catalog)) { IsCatalog = true, Target = BoxTarget.Qemu },
            NullBoxReporter.Instance, default);

        Assert.Equal(Expected, Assert.Single(_server.RequestsFor("cat.json")).Authorization);
        Assert.Equal(Expected, Assert.Single(_server.RequestsFor("d.box")).Authorization);
        Assert.Equal(catalog.ToString(), result.Box.Manifest.Catalog);
        Assert.Equal(_server.Url("d.box").ToString(), result.Box.Manifest.Source);
        var stored = File.ReadAllText(Path.Combine(result.Box.Folder, "box.json"));
        Assert.DoesNotContain(Password, stored, StringComparison.Ordinal);
        Assert.DoesNotContain("alice", stored, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refused_credentials_are_not_shown_in_the_message()
    {
        var catalog = ServeProtectedCatalog();
        var wrong = new UriBuilder(catalog) { UserName = "alice", Password = "wrong-pw" }.Uri.ToString();

        var ex = await Assert.ThrowsAsync<BoxException>(() => _store.Service.AddAsync(new BoxAddRequest("acme/d", wrong) { IsCatalog = true, Target = BoxTarget.Qemu },
            NullBoxReporter.Instance, default));

        Assert.Equal(BoxErrorKind.Source, ex.Kind);
        Assert.Contains("401", ex.Message, StringComparison.Ordinal);
        Assert.Contains("were sent (HTTP Basic auth) and refused", ex.Message, StringComparison.Ordinal);
        Assert.Contains(catalog.ToString(), ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-pw", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Outdated_of_a_protected_catalog_says_how_to_give_the_credentials_again()
    {
        var catalog = ServeProtectedCatalog();
        await _store.Service.AddAsync(new BoxAddRequest("acme/d", WithCredentials(catalog)) { IsCatalog = true, Target = BoxTarget.Qemu }, NullBoxReporter.Instance, default);

        var outdated = Assert.Single(await _store.Service.OutdatedAsync(null, default));

        Assert.Contains("give them in the URL", outdated.Error, StringComparison.Ordinal);
        Assert.Contains("--catalog URL", outdated.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Credentials_are_not_sent_to_another_origin_a_redirect_names()
    {
        await using var other = new LoopbackServer();
        var disk = _files.RandomRaw("d.img", 64 << 10);
        var target = other.ServeFile("d.img", disk);
        var url = _server.Redirect("d.img", target.ToString());

        await _store.Service.AddAsync(new BoxAddRequest("d", WithCredentials(url)) { Target = BoxTarget.Qemu }, NullBoxReporter.Instance, default);

        Assert.Equal(Expected, Assert.Single(_server.RequestsFor("d.img")).Authorization);
        Assert.Null(Assert.Single(other.RequestsFor("d.img")).Authorization);
    }
}
