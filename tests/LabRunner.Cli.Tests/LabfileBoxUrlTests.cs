using System.Text.Json;
using LabRunner.Boxes.Tests.Support;
using LabRunner.Tests.Shared;

namespace LabRunner.Cli.Tests;

/// <summary>
/// Labfile 'boxes:' entries with 'url', 'version' and 'checksum': validated with positions, and added to the
/// box store by 'lab up' (on the simulated host) before anything is created.
/// </summary>
public sealed class LabfileBoxUrlTests : IAsyncLifetime, IDisposable
{
    private readonly BoxFiles _files = new();
    private readonly TempProject _project = new();
    private readonly LoopbackServer _server = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose()
    {
        _files.Dispose();
        _project.Dispose();
    }

    private string Home => Path.Combine(_project.Root, "home");

    private Task<CliResult> Lab(params string[] args) => Cli.Tests.Lab.RunAsync(_project.Root, new Dictionary<string, string>
    {
        ["LABRUNNER_PROVIDER"] = "simulated",
        ["LABRUNNER_SIM_HOST"] = Path.Combine(_project.Root, "host.json"),
        ["LABRUNNER_HOME"] = Home,
    }, args);

    private static string Labfile(string box) => $"""
        name: shop
        boxes:
          debian:
        {box}
        networks:
          - {"{"} name: lan, type: nat {"}"}
        vms:
          - name: web
            box: debian
            networks: [lan]
        """;

    [Theory]
    [InlineData("    url: ftp://boxes.example.org/d.box", "Labfile.yml:4:10: error LAB311: ")]
    [InlineData("    url: https://boxes.example.org/d.json\n    version: \"~> \"", "Labfile.yml:5:14: error LAB309: ")]
    [InlineData("    url: https://boxes.example.org/d.img\n    checksum: sha256:1234", "Labfile.yml:5:15: error LAB310: ")]
    [InlineData("    url: https://boxes.example.org/d.img\n    path: d.vhdx", "Labfile.yml:5:5: error LAB312: ")]
    [InlineData("    path: d.vhdx\n    version: \"1.0\"", "Labfile.yml:5:5: error LAB009: ")]
    public async Task Validate_reports_a_bad_box_url_version_or_checksum_where_it_is_written(string box, string expected)
    {
        _project.With("Labfile.yml", Labfile(box));

        var result = await Lab("validate");

        Assert.True(result.ExitCode == ExitCodes.InvalidLabfile, result.ToString());
        Assert.Contains(expected, result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_accepts_a_url_box_that_is_not_in_the_store_yet()
    {
        _project.With("Labfile.yml", Labfile("    url: https://boxes.example.org/debian.json\n    version: \">= 1.2, < 2\""));

        var result = await Lab("validate");

        Assert.True(result.ExitCode == 0, result.ToString());
    }

    [Fact]
    public async Task Plan_and_up_never_show_the_password_of_a_box_url()
    {
        var url = new UriBuilder(_server.Url("missing.json")) { UserName = "alice", Password = "hunter2" }.Uri;
        _project.With("Labfile.yml", Labfile($"    url: {url}"));

        var plan = await Lab("plan");
        var planJson = await Lab("plan", "--json");
        var up = await Lab("up");

        Assert.True(plan.ExitCode == 0, plan.ToString());
        Assert.Contains(_server.Url("missing.json").ToString(), plan.Stdout + planJson.Stdout, StringComparison.Ordinal);
        Assert.Equal(3, up.ExitCode);
        Assert.Contains("404", up.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", plan.ToString() + planJson + up, StringComparison.Ordinal);
    }

    [ToolFact("qemu-img")]
    public async Task Up_adds_the_missing_box_from_its_catalog_records_the_version_per_VM_and_status_shows_it()
    {
        HostTools.Require(false, "qemu-img");
        foreach (var v in new[] { "1.2.0", "1.3.0", "2.0.0" })
        {
            var disk = await _files.DiskAsync($"d{v}.qcow2", "qcow2", "16M");
            _server.ServeFile($"d{v}.box", _files.Box($"d{v}.box", "tar.gz", BoxFiles.Metadata("libvirt"), disk, "box.img"));
        }
        var entries = string.Join(",", new[] { "1.2.0", "1.3.0", "2.0.0" }.Select(v =>
            $$"""{"version":"{{v}}","providers":[{"name":"libvirt","url":"d{{v}}.box","checksum_type":"sha256","checksum":"{{BoxFiles.Sha256(_files.PathOf($"d{v}.box"))}}"}]}"""));
        var catalog = _server.Serve("debian", $$"""{"name":"acme/debian","versions":[{{entries}}]}"""); // no .json: told by its content
        _project.With("Labfile.yml", Labfile($"    url: {catalog}\n    version: \"~> 1.2\""));

        var up = await Lab("up");
        var again = await Lab("up");
        var status = await Lab("status");
        var statusJson = await Lab("status", "--json");
        var list = await Lab("box", "list", "--json");
        var remove = await Lab("box", "remove", "debian");
        var down = await Lab("down");
        var removeAfterDown = await Lab("box", "remove", "debian");

        Assert.True(up.ExitCode == 0, up.ToString());
        Assert.Contains("==> Adding box 'debian' from " + catalog, up.Stdout, StringComparison.Ordinal);
        Assert.Contains("box 'debian' 1.3.0 (hyperv, vhdx) is in the store", up.Stdout, StringComparison.Ordinal);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.DoesNotContain("Adding box", again.Stdout, StringComparison.Ordinal);
        Assert.Single(_server.RequestsFor("d1.3.0.box"));
        Assert.Contains("VM 'web' runs on box 'debian' 1.3.0 (hyperv).", status.Stdout, StringComparison.Ordinal);
        using (var doc = JsonDocument.Parse(statusJson.Stdout))
            Assert.Equal("1.3.0", doc.RootElement.GetProperty("vms")[0].GetProperty("box").GetProperty("version").GetString());
        var state = File.ReadAllText(Path.Combine(_project.Root, ".lab", "state.json"));
        Assert.Contains("\"version\": \"1.3.0\"", state, StringComparison.Ordinal);
        using (var doc = JsonDocument.Parse(list.Stdout))
            Assert.Equal("shop", doc.RootElement.GetProperty("boxes")[0].GetProperty("used_by")[0].GetProperty("lab").GetString());
        Assert.Equal(4, remove.ExitCode);
        Assert.True(down.ExitCode == 0, down.ToString());
        Assert.True(removeAfterDown.ExitCode == 0, removeAfterDown.ToString());
    }

    [Fact]
    public async Task Up_with_a_box_whose_checksum_does_not_match_creates_nothing_and_exits_3()
    {
        var disk = _files.RandomRaw("d.vhd.img", 1 << 20);
        var url = _server.ServeFile("d.img", disk);
        _project.With("Labfile.yml", Labfile($"    url: {url}\n    checksum: sha256:{new string('0', 64)}"));

        var up = await Lab("up");
        var status = await Lab("status");

        Assert.Equal(3, up.ExitCode);
        Assert.Contains("Nothing was created", up.Stderr, StringComparison.Ordinal);
        Assert.Contains("not_created", status.Stdout, StringComparison.Ordinal);
    }
}
