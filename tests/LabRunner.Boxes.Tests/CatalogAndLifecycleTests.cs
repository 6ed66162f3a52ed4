using LabRunner.Boxes.Tests.Support;
using LabRunner.Core.Boxes;

namespace LabRunner.Boxes.Tests;

/// <summary>Catalogs (version choice, outdated, update), and remove/prune with the registry of labs that use a box.</summary>
public sealed class CatalogAndLifecycleTests : IAsyncLifetime, IDisposable
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

    /// <summary>Serves a catalog at catalog.json with a libvirt .box per version (each a distinct raw disk, with its sha256).</summary>
    private Uri ServeCatalog(params string[] versions)
    {
        var entries = new List<string>();
        foreach (var v in versions)
        {
            var disk = _files.RandomRaw($"disk-{v}.img", 256 << 10, seed: v.GetHashCode(StringComparison.Ordinal));
            var box = _files.Box($"debian-{v}.box", "tar.gz", BoxFiles.Metadata("libvirt"), disk, "box.img");
            _server.ServeFile($"boxes/debian-{v}.box", box);
            entries.Add($$"""
                {"version": "{{v}}", "providers": [
                  {"name": "virtualbox", "url": "boxes/none.box"},
                  {"name": "libvirt", "url": "boxes/debian-{{v}}.box", "checksum_type": "sha256", "checksum": "{{BoxFiles.Sha256(box)}}", "architecture": "{{BoxCatalog.HostArchitecture}}"}
                ]}
                """);
        }
        return _server.Serve("catalog.json", $$"""{"name": "acme/debian", "description": "test", "versions": [{{string.Join(",", entries)}}]}""");
    }

    private Task<BoxAddResult> AddFromCatalogAsync(Uri catalog, string constraint = "", string name = "acme/debian") =>
        _store.Service.AddAsync(new BoxAddRequest(name, catalog.ToString())
        {
            IsCatalog = true,
            Target = BoxTarget.Qemu,
            Version = constraint.Length == 0 ? VersionConstraint.Any : VersionConstraint.Parse(constraint),
        }, NullBoxReporter.Instance, default);

    [Theory]
    [InlineData("", "1.10.0")]
    [InlineData("~> 1.2.0", "1.2.1")]
    [InlineData("< 1.10", "1.9.0")]
    [InlineData(">= 1.2, < 1.9", "1.2.1")]
    [InlineData("= 1.2.0", "1.2.0")]
    public async Task A_catalog_add_picks_the_newest_version_that_fits(string constraint, string expected)
    {
        var catalog = ServeCatalog("1.2.0", "1.2.1", "1.9.0", "1.10.0", "2.0.0.beta1");

        var result = await AddFromCatalogAsync(catalog, constraint);

        Assert.Equal(expected, result.Box.Manifest.Version);
        Assert.Equal(catalog.ToString(), result.Box.Manifest.Catalog);
        Assert.StartsWith("sha256:", result.Box.Manifest.Checksum, StringComparison.Ordinal);
        Assert.EndsWith(Path.Combine("acme-VAGRANTSLASH-debian", expected, "qemu-raw"), result.Box.Folder, StringComparison.Ordinal);
        Assert.Single(_server.RequestsFor($"boxes/debian-{expected}.box"));
    }

    [Fact]
    public async Task A_catalog_with_no_fitting_version_says_what_it_has()
    {
        var catalog = ServeCatalog("1.2.0");

        var ex = await Assert.ThrowsAsync<BoxException>(() => AddFromCatalogAsync(catalog, ">= 3"));

        Assert.Equal(BoxErrorKind.NotFound, ex.Kind);
        Assert.Contains("1.2.0 (virtualbox, libvirt/", ex.Message, StringComparison.Ordinal);
        Assert.Empty(_store.Store.List());
    }

    [Fact]
    public async Task A_catalog_whose_box_does_not_match_its_checksum_installs_nothing()
    {
        var disk = _files.RandomRaw("disk.img", 64 << 10);
        var box = _files.Box("d.box", "tar", BoxFiles.Metadata("libvirt"), disk, "box.img");
        _server.ServeFile("d.box", box);
        var catalog = _server.Serve("c.json", $$"""{"versions":[{"version":"1.0","providers":[{"name":"libvirt","url":"d.box","checksum_type":"sha512","checksum":"{{new string('1', 128)}}"}]}]}""");

        var ex = await Assert.ThrowsAsync<BoxException>(() => AddFromCatalogAsync(catalog, name: "d"));

        Assert.Equal(BoxErrorKind.ChecksumMismatch, ex.Kind);
        Assert.Empty(_store.Store.List());
        Assert.Empty(_store.TempFiles());
    }

    [Fact]
    public async Task Remove_is_refused_while_a_lab_uses_the_box_and_names_the_lab()
    {
        var catalog = ServeCatalog("1.0.0");
        var added = await AddFromCatalogAsync(catalog);
        using var project = new TempFolder();
        Directory.CreateDirectory(Path.Combine(project.Path, ".lab"));
        await _store.Store.RecordUsesAsync(project.Path, "webshop", [new BoxUse("acme/debian", BoxVersion.Parse("1.0.0"), "qemu")], default);

        var ex = await Assert.ThrowsAsync<BoxException>(() => _store.Service.RemoveAsync("acme/debian", null, false, false, null, default));
        var listedUsers = _store.Store.UsersOf(added.Box);
        var removed = await _store.Service.RemoveAsync("acme/debian", null, false, force: true, null, default);

        Assert.Equal(BoxErrorKind.InUse, ex.Kind);
        Assert.Contains("lab 'webshop' in " + project.Path, ex.Message, StringComparison.Ordinal);
        Assert.Equal([new BoxUser("webshop", project.Path)], listedUsers);
        Assert.Single(removed);
        Assert.Empty(_store.Store.List());
        Assert.False(Directory.Exists(Path.Combine(_store.Store.Root, "acme-VAGRANTSLASH-debian")));
    }

    [Theory]
    [InlineData("{ \"labs\": [ {\"project\": ")]
    [InlineData("{ \"labs\": null }")]
    [InlineData("{ \"labs\": [null] }")]
    [InlineData("null")]
    public async Task A_damaged_uses_record_is_moved_aside_and_nothing_is_removed_on_a_guess(string damaged)
    {
        await AddFromCatalogAsync(ServeCatalog("1.0.0"));
        using var project = new TempFolder();
        Directory.CreateDirectory(Path.Combine(project.Path, ".lab"));
        await _store.Store.RecordUsesAsync(project.Path, "webshop", [new BoxUse("acme/debian", BoxVersion.Parse("1.0.0"), "qemu")], default);
        var uses = Path.Combine(_store.Store.Root, "uses.json");
        File.WriteAllText(uses, damaged);

        var remove = await Assert.ThrowsAsync<BoxException>(() => _store.Service.RemoveAsync("acme/debian", null, false, false, null, default));
        var again = await Assert.ThrowsAsync<BoxException>(() => _store.Service.RemoveAsync("acme/debian", null, false, false, null, default));
        var prune = await Assert.ThrowsAsync<BoxException>(() => _store.Service.PruneAsync(dryRun: false, default));

        Assert.Equal(BoxErrorKind.Damaged, remove.Kind);
        Assert.Contains(uses + ", is damaged", remove.Message, StringComparison.Ordinal);
        var aside = Assert.Single(_store.Store.DamagedUses());
        Assert.StartsWith(uses + ".damaged-", aside, StringComparison.Ordinal);
        Assert.Equal(damaged, File.ReadAllText(aside));
        Assert.Contains("moved to " + aside, remove.Message, StringComparison.Ordinal);
        Assert.Equal(BoxErrorKind.Damaged, again.Kind);
        Assert.Contains(aside, again.Message, StringComparison.Ordinal);
        Assert.Equal(BoxErrorKind.Damaged, prune.Kind);
        Assert.Single(_store.Store.List());
    }

    [Fact]
    public async Task A_uses_record_that_is_a_folder_refuses_remove_instead_of_reading_as_no_uses()
    {
        await AddFromCatalogAsync(ServeCatalog("1.0.0"));
        Directory.CreateDirectory(Path.Combine(_store.Store.Root, "uses.json"));

        var ex = await Assert.ThrowsAsync<BoxException>(() => _store.Service.RemoveAsync("acme/debian", null, false, false, null, default));

        Assert.Equal(BoxErrorKind.Damaged, ex.Kind);
        Assert.Contains("uses.json, is a folder", ex.Message, StringComparison.Ordinal);
        Assert.Single(_store.Store.List());
    }

    [Fact]
    public async Task A_damaged_uses_record_is_not_replaced_by_the_next_lab_that_records_its_uses()
    {
        var uses = Path.Combine(_store.Store.Root, "uses.json");
        Directory.CreateDirectory(_store.Store.Root);
        File.WriteAllText(uses, "{\"labs\": [{\"project\": \"/srv/other\", \"lab\": \"other\", \"boxes\": [");

        var ex = await Assert.ThrowsAsync<BoxException>(() => _store.Store.RecordUsesAsync("/srv/mine", "mine", [new BoxUse("b", BoxVersion.Parse("1"), "qemu")], default));

        Assert.Equal(BoxErrorKind.Damaged, ex.Kind);
        Assert.False(File.Exists(uses));
        Assert.Contains("/srv/other", File.ReadAllText(Assert.Single(_store.Store.DamagedUses())), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_lab_whose_project_is_gone_no_longer_holds_its_box()
    {
        await AddFromCatalogAsync(ServeCatalog("1.0.0"));
        var gone = Path.Combine(Path.GetTempPath(), "labrunner-gone-" + Guid.NewGuid().ToString("N"));
        await _store.Store.RecordUsesAsync(gone, "old", [new BoxUse("acme/debian", BoxVersion.Parse("1.0.0"), "qemu")], default);

        var removed = await _store.Service.RemoveAsync("acme/debian", BoxVersion.Parse("1.0.0"), false, false, null, default);

        Assert.Single(removed);
    }

    [Fact]
    public async Task Remove_of_a_box_with_several_versions_asks_which()
    {
        var catalog = ServeCatalog("1.0.0", "1.1.0");
        await AddFromCatalogAsync(catalog, "= 1.0.0");
        await AddFromCatalogAsync(catalog, "= 1.1.0");

        var ex = await Assert.ThrowsAsync<BoxException>(() => _store.Service.RemoveAsync("acme/debian", null, false, false, null, default));
        var all = await _store.Service.RemoveAsync("acme/debian", null, all: true, false, null, default);

        Assert.Equal(BoxErrorKind.Usage, ex.Kind);
        Assert.Contains("1.0.0", ex.Message, StringComparison.Ordinal);
        Assert.Equal(2, all.Count);
    }

    [Fact]
    public async Task Outdated_and_update_add_the_newest_and_keep_the_pinned_version()
    {
        var first = ServeCatalog("1.0.0");
        await AddFromCatalogAsync(first);
        ServeCatalog("1.0.0", "1.1.0"); // the catalog gets a new version at the same URL

        var outdated = await _store.Service.OutdatedAsync(null, default);
        var updated = await _store.Service.UpdateAsync("acme/debian", NullBoxReporter.Instance, default);
        var after = await _store.Service.OutdatedAsync(null, default);

        var o = Assert.Single(outdated);
        Assert.Equal(("1.0.0", "1.1.0"), (o.Installed.Text, o.Latest?.Text));
        Assert.Equal("1.1.0", Assert.Single(updated).Box.Manifest.Version);
        Assert.Equal(["1.1.0", "1.0.0"], _store.Store.List().Select(b => b.Manifest.Version));
        Assert.Equal(Assert.Single(after).Installed, Assert.Single(after).Latest);
    }

    [Fact]
    public async Task Prune_removes_versions_no_lab_uses_that_are_not_the_newest()
    {
        var catalog = ServeCatalog("1.0.0", "1.1.0", "1.2.0");
        foreach (var v in new[] { "1.0.0", "1.1.0", "1.2.0" }) await AddFromCatalogAsync(catalog, "= " + v);
        using var project = new TempFolder();
        Directory.CreateDirectory(Path.Combine(project.Path, ".lab"));
        await _store.Store.RecordUsesAsync(project.Path, "pinned", [new BoxUse("acme/debian", BoxVersion.Parse("1.0.0"), "qemu")], default);

        var pruned = await _store.Service.PruneAsync(dryRun: false, default);

        Assert.Equal(["1.1.0"], pruned.Boxes.Select(b => b.Manifest.Version));
        Assert.Equal(["1.2.0", "1.0.0"], _store.Store.List().Select(b => b.Manifest.Version));
    }

    [Fact]
    public async Task A_use_recorded_with_a_version_that_is_not_one_makes_prune_refuse_rather_than_remove_a_box_in_use()
    {
        var catalog = ServeCatalog("1.0.0", "1.1.0");
        foreach (var v in new[] { "1.0.0", "1.1.0" }) await AddFromCatalogAsync(catalog, "= " + v);
        using var project = new TempFolder();
        Directory.CreateDirectory(Path.Combine(project.Path, ".lab"));
        await _store.Store.RecordUsesAsync(project.Path, "pinned", [new BoxUse("acme/debian", BoxVersion.Parse("1.0.0"), "qemu")], default);
        var uses = Path.Combine(_store.Store.Root, "uses.json");
        await File.WriteAllTextAsync(uses, (await File.ReadAllTextAsync(uses)).Replace("\"1.0.0\"", "\"1.0.0-\"", StringComparison.Ordinal));

        var ex = await Assert.ThrowsAsync<BoxException>(() => _store.Service.PruneAsync(dryRun: false, default));

        Assert.Equal(BoxErrorKind.Damaged, ex.Kind);
        Assert.Equal(["1.1.0", "1.0.0"], _store.Store.List().Select(b => b.Manifest.Version));
    }

    [Fact]
    public async Task A_box_installed_for_a_provider_labrunner_does_not_know_is_not_outdated_or_updated_as_a_hyperv_box()
    {
        var first = ServeCatalog("1.0.0");
        var added = await AddFromCatalogAsync(first);
        ServeCatalog("1.0.0", "1.1.0");
        var manifest = Path.Combine(added.Box.Folder, "box.json");
        await File.WriteAllTextAsync(manifest, (await File.ReadAllTextAsync(manifest)).Replace("\"provider\": \"qemu\"", "\"provider\": \"virtualbox\"", StringComparison.Ordinal));

        var outdated = Assert.Single(await _store.Service.OutdatedAsync(null, default));
        var updated = await _store.Service.UpdateAsync(null, NullBoxReporter.Instance, default);

        Assert.Equal("virtualbox", outdated.Provider);
        Assert.Null(outdated.Latest);
        Assert.Contains("'virtualbox'", outdated.Error, StringComparison.Ordinal);
        Assert.Empty(updated);
        Assert.Equal(["1.0.0"], _store.Store.List().Select(b => b.Manifest.Version));
    }
}

internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "labrunner-project-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
    }
}
