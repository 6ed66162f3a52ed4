using System.Text.Json;
using LabRunner.Boxes;
using LabRunner.Boxes.Tests.Support;
using LabRunner.Cli.Commands;
using LabRunner.Engine;
using LabRunner.Providers.Qemu;
using LabRunner.Tests.Shared;
using Spectre.Console.Testing;

namespace LabRunner.Cli.Tests;

/// <summary>
/// A Labfile's store boxes ('url' + 'version') as 'plan' shows them, and the way the real-QEMU-guest suite uses
/// the store: 'lab box add NAME CATALOG-URL' of a Vagrant libvirt .box first, then a Labfile that names the same
/// catalog resolves to the stored box for QEMU with nothing downloaded again.
/// </summary>
public sealed class StoreBoxPlanTests : IAsyncLifetime, IDisposable
{
    private readonly BoxFiles _files = new();
    private readonly TempProject _project = new();
    private readonly LoopbackServer _server = new();
    private readonly Dictionary<string, string> _env;

    public StoreBoxPlanTests()
    {
        _env = new()
        {
            ["LABRUNNER_HOME"] = Path.Combine(_project.Root, "home"),
            ["LABRUNNER_PROVIDER"] = "qemu",
        };
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose()
    {
        _files.Dispose();
        _project.Dispose();
    }

    private Task<CliResult> Lab(params string[] args) => Cli.Tests.Lab.RunAsync(_project.Root, _env, args);

    /// <summary>
    /// What 'lab up' does for the QEMU provider before it creates anything (add the lab's missing boxes), and the
    /// base disk it then gives each VM: run in-process, since a real 'lab up' on QEMU would boot the guest.
    /// </summary>
    private async Task<(Core.Errors.LabRunnerException? Failure, string Output, string BoxDisk)> UpBoxStepForQemuAsync()
    {
        var console = new TestConsole().Width(200);
        var env = new CliEnvironment(console, new StringWriter(), _project.Root, name => _env.GetValueOrDefault(name));
        var project = LabBoxes.WithStore(LabProject.Open(null, _project.Root, env.GetVariable, QemuRules.Instance), env, QemuProviderDescriptor.BoxSupport);
        var failure = await LabBoxes.EnsureAsync(project, env, QemuProviderDescriptor.BoxSupport, json: false, CancellationToken.None);
        return (failure, console.Output, project.BoxPath(project.Load().Lab!, "debian-12"));
    }

    private static string Labfile(string url, string version) => $"""
        name: shop
        boxes:
          debian-12:
            url: {url}
            version: "{version}"
        networks:
          - {"{"} name: lan, type: nat {"}"}
        vms:
          - name: web
            box: debian-12
            networks: [lan]
        """;

    /// <summary>A Vagrant catalog at debian-12.json; each version a libvirt .box (uncompressed tar: box.img qcow2 + metadata.json) with its sha256.</summary>
    private async Task<string> ServeCatalogAsync(params string[] versions)
    {
        var entries = new List<string>();
        foreach (var v in versions)
        {
            var disk = await _files.DiskAsync($"debian-12-{v}.qcow2", "qcow2", "16M");
            var box = _files.Box($"debian-12-{v}.box", "tar", BoxFiles.Metadata("libvirt"), disk, "box.img");
            _server.ServeFile($"debian-12-{v}.box", box);
            entries.Add($$"""{"version":"{{v}}","providers":[{"name":"libvirt","url":"debian-12-{{v}}.box","checksum_type":"sha256","checksum":"{{BoxFiles.Sha256(box)}}"}]}""");
        }
        return _server.Serve("debian-12.json", $$"""{"name":"debian-12","versions":[{{string.Join(",", entries)}}]}""").ToString();
    }

    [ToolFact("qemu-img")]
    public async Task A_libvirt_box_added_from_its_catalog_is_what_plan_and_up_use_for_QEMU_without_downloading_again()
    {
        HostTools.Require(false, "qemu-img");
        var catalog = await ServeCatalogAsync("1.0.0", "1.1.0", "2.0.0");
        var added = await Lab("box", "add", "debian-12", catalog, "--version", "< 2");
        var fetchedByAdd = _server.Requests.Count;
        _project.With("Labfile.yml", Labfile(catalog, ">= 1.0, < 2"));

        var plan = await Lab("plan");
        var planJson = await Lab("plan", "--json");
        var up = await UpBoxStepForQemuAsync();

        Assert.True(added.ExitCode == 0, added.ToString());
        Assert.Contains("Added box 'debian-12' 1.1.0 (qemu, qcow2", added.Stdout, StringComparison.Ordinal);
        var disk = Path.Combine(_env["LABRUNNER_HOME"], "boxes", "debian-12", "1.1.0", "qemu-qcow2", "box.qcow2");
        Assert.True(File.Exists(disk), added.ToString());
        Assert.True(plan.ExitCode == 0, plan.ToString());
        Assert.Contains("1.1.0 (qemu)", plan.Stdout, StringComparison.Ordinal);
        using (var doc = JsonDocument.Parse(planJson.Stdout))
        {
            var box = Assert.Single(doc.RootElement.GetProperty("boxes").EnumerateArray().ToList());
            Assert.Equal(("debian-12", ">= 1.0, < 2", true, "1.1.0", "qemu", disk),
                (box.GetProperty("name").GetString(), box.GetProperty("constraint").GetString(), box.GetProperty("in_store").GetBoolean(),
                 box.GetProperty("version").GetString(), box.GetProperty("provider").GetString(), box.GetProperty("disk").GetString()));
        }
        Assert.Null(up.Failure);
        Assert.DoesNotContain("Adding box", up.Output, StringComparison.Ordinal);
        Assert.Equal(disk, up.BoxDisk);
        Assert.Equal(fetchedByAdd, _server.Requests.Count); // neither the catalog nor a .box was asked for again
        Assert.Single(_server.RequestsFor("debian-12-1.1.0.box"));
    }

    [Fact]
    public async Task Plan_of_a_box_the_store_does_not_have_says_up_adds_it_and_is_not_an_error()
    {
        _project.With("Labfile.yml", Labfile("https://boxes.example.org/debian-12.json", "~> 1.2"));

        var plan = await Lab("plan");
        var planJson = await Lab("plan", "--json");

        Assert.True(plan.ExitCode == 0, plan.ToString());
        Assert.Contains("not in the store: 'lab up' adds it", plan.Stdout, StringComparison.Ordinal);
        Assert.True(planJson.ExitCode == 0, planJson.ToString());
        using var doc = JsonDocument.Parse(planJson.Stdout);
        var box = Assert.Single(doc.RootElement.GetProperty("boxes").EnumerateArray().ToList());
        Assert.Equal(("debian-12", "https://boxes.example.org/debian-12.json", "~> 1.2", false, JsonValueKind.Null),
            (box.GetProperty("name").GetString(), box.GetProperty("url").GetString(), box.GetProperty("constraint").GetString(),
             box.GetProperty("in_store").GetBoolean(), box.GetProperty("version").ValueKind));
        Assert.Empty(_server.Requests); // plan never downloads
    }
}
