using System.Text.Json;
using LabRunner.Boxes.Tests.Support;
using LabRunner.Simulation;
using LabRunner.Tests.Shared;

namespace LabRunner.Cli.Tests;

/// <summary>
/// Vagrant's way with boxes: 'lab box add NAME SOURCE' once, then a Labfile names the box alone (a VM's 'box:')
/// or pins only a 'version' under 'boxes:'. The boxes are added from local files into a throw-away
/// LABRUNNER_HOME, for QEMU (a raw disk) and for Hyper-V (a VHDX, the simulated host's provider): no network.
/// </summary>
public sealed class StoreBoxByNameTests : IDisposable
{
    /// <summary>The VM's 'box: debian-12' value is at 6:10.</summary>
    private const string NameOnly = """
        name: shop
        networks:
          - { name: lan, type: nat }
        vms:
          - name: web
            box: debian-12
            networks: [lan]
        """;

    /// <summary>The VM's 'box: debian-12' value is at 8:10.</summary>
    private const string VersionOnly = """
        name: shop
        boxes:
          debian-12: { version: "~> 1.2" }
        networks:
          - { name: lan, type: nat }
        vms:
          - name: web
            box: debian-12
            networks: [lan]
        """;

    private readonly BoxFiles _files = new();
    private readonly TempProject _project = new();

    public void Dispose()
    {
        _files.Dispose();
        _project.Dispose();
    }

    private string Home => Path.Combine(_project.Root, "home");

    private string HostFile => Path.Combine(_project.Root, "host.json");

    private Task<CliResult> Lab(string provider, params string[] args) => Cli.Tests.Lab.RunAsync(_project.Root, new Dictionary<string, string>
    {
        ["LABRUNNER_PROVIDER"] = provider,
        ["LABRUNNER_SIM_HOST"] = HostFile,
        ["LABRUNNER_HOME"] = Home,
    }, args);

    /// <summary>
    /// Adds NAME VERSION to the store from a local disk: a raw disk for QEMU, a minimal well-formed VHDX (its
    /// header is checked at add; the simulated host reads no further) for Hyper-V. Returns the installed disk's path.
    /// </summary>
    private async Task<string> AddAsync(string provider, string name, string version)
    {
        string disk;
        if (provider == "qemu")
        {
            disk = _files.RandomRaw($"{name}-{version}.img", 64 << 10, seed: version.Length + version[^1]);
        }
        else
        {
            disk = _files.PathOf($"{name}-{version}.vhdx");
            // A well-formed VHDX header (a box's header is checked at add); the last byte, free metadata space, tells versions apart.
            var bytes = DiskImages.Vhdx();
            bytes[^1] = (byte)version[^1];
            await File.WriteAllBytesAsync(disk, bytes);
        }
        var added = await Lab(provider, "box", "add", name, disk, "--version", version);
        Assert.True(added.ExitCode == 0, added.ToString());
        var target = provider == "qemu" ? "qemu" : "hyperv";
        return Assert.Single(Directory.GetFiles(Path.Combine(Home, "boxes", name, version), "box.*", SearchOption.AllDirectories),
            f => Path.GetFileName(f) != "box.json" && Path.GetFileName(Path.GetDirectoryName(f)!).StartsWith(target + "-", StringComparison.Ordinal));
    }

    private static JsonElement PlannedBox(CliResult planJson)
    {
        Assert.True(planJson.ExitCode == 0, planJson.ToString());
        using var doc = JsonDocument.Parse(planJson.Stdout);
        return Assert.Single(doc.RootElement.GetProperty("boxes").EnumerateArray().ToList()).Clone();
    }

    [Fact]
    public async Task Plan_on_QEMU_resolves_a_box_named_alone_to_the_newest_version_stored_for_QEMU()
    {
        await AddAsync("qemu", "debian-12", "1.0");
        var disk = await AddAsync("qemu", "debian-12", "1.2");
        await AddAsync("simulated", "debian-12", "1.5"); // Hyper-V's: not QEMU's to use
        _project.With("Labfile.yml", NameOnly);

        var validate = await Lab("qemu", "validate");
        var plan = await Lab("qemu", "plan");
        var box = PlannedBox(await Lab("qemu", "plan", "--json"));

        Assert.True(validate.ExitCode == 0, validate.ToString());
        Assert.True(plan.ExitCode == 0, plan.ToString());
        Assert.Contains("1.2 (qemu)", plan.Stdout, StringComparison.Ordinal);
        Assert.Equal(("debian-12", JsonValueKind.Null, JsonValueKind.Null, true, "1.2", "qemu", disk),
            (box.GetProperty("name").GetString(), box.GetProperty("url").ValueKind, box.GetProperty("constraint").ValueKind,
             box.GetProperty("in_store").GetBoolean(), box.GetProperty("version").GetString(), box.GetProperty("provider").GetString(),
             box.GetProperty("disk").GetString()));
    }

    [Fact]
    public async Task Plan_on_Hyper_V_resolves_a_box_named_alone_to_the_newest_version_stored_for_Hyper_V()
    {
        await AddAsync("simulated", "debian-12", "1.0");
        var disk = await AddAsync("simulated", "debian-12", "1.1");
        await AddAsync("qemu", "debian-12", "2.0"); // QEMU's: not Hyper-V's to use
        _project.With("Labfile.yml", NameOnly);

        var box = PlannedBox(await Lab("simulated", "plan", "--json"));

        Assert.Equal(("1.1", "hyperv", disk),
            (box.GetProperty("version").GetString(), box.GetProperty("provider").GetString(), box.GetProperty("disk").GetString()));
    }

    [Fact]
    public async Task A_version_only_box_resolves_to_the_newest_stored_version_that_fits()
    {
        await AddAsync("qemu", "debian-12", "1.1");
        var fits = await AddAsync("qemu", "debian-12", "1.3");
        await AddAsync("qemu", "debian-12", "2.0");
        _project.With("Labfile.yml", VersionOnly);

        var validate = await Lab("qemu", "validate");
        var box = PlannedBox(await Lab("qemu", "plan", "--json"));

        Assert.True(validate.ExitCode == 0, validate.ToString());
        Assert.Equal(("~> 1.2", JsonValueKind.Null, "1.3", fits),
            (box.GetProperty("constraint").GetString(), box.GetProperty("url").ValueKind, box.GetProperty("version").GetString(), box.GetProperty("disk").GetString()));
    }

    [Fact]
    public async Task Validate_and_plan_report_a_box_the_store_lacks_at_the_VMs_box_with_the_command_that_adds_it()
    {
        await AddAsync("qemu", "debian-11", "1.0");
        _project.With("Labfile.yml", NameOnly);

        var validate = await Lab("qemu", "validate");
        var plan = await Lab("qemu", "plan");
        var planJson = await Lab("qemu", "plan", "--json");

        foreach (var result in new[] { validate, plan })
        {
            Assert.True(result.ExitCode == ExitCodes.InvalidLabfile, result.ToString());
            Assert.Contains("Labfile.yml:6:10: error LAB301: box 'debian-12' is not in the box store (for qemu)", result.Stderr, StringComparison.Ordinal);
            Assert.Contains("add it with 'lab box add debian-12 SOURCE'", result.Stderr, StringComparison.Ordinal);
            Assert.Contains("did you mean 'debian-11'?", result.Stderr, StringComparison.Ordinal);
        }
        Assert.Equal(ExitCodes.InvalidLabfile, planJson.ExitCode);
        using var doc = JsonDocument.Parse(planJson.Stdout);
        var d = Assert.Single(doc.RootElement.GetProperty("diagnostics").EnumerateArray().ToList());
        Assert.Equal(("LAB301", 6, 10), (d.GetProperty("code").GetString(), d.GetProperty("line").GetInt32(), d.GetProperty("column").GetInt32()));
    }

    [Fact]
    public async Task Validate_reports_a_box_the_store_lacks_together_with_the_Labfiles_other_problems()
    {
        _project.With("Labfile.yml", NameOnly.Replace("    box: debian-12\n", "    box: debian-12\n    cpus: 0\n", StringComparison.Ordinal));

        var validate = await Lab("qemu", "validate");

        Assert.True(validate.ExitCode == ExitCodes.InvalidLabfile, validate.ToString());
        Assert.Contains("Labfile.yml:6:10: error LAB301: ", validate.Stderr, StringComparison.Ordinal);
        Assert.Contains("Labfile.yml:7:11: error LAB304: ", validate.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_reports_a_version_only_box_with_no_fitting_version_at_the_VMs_box()
    {
        await AddAsync("qemu", "debian-12", "2.0");
        _project.With("Labfile.yml", VersionOnly);

        var validate = await Lab("qemu", "validate");

        Assert.True(validate.ExitCode == ExitCodes.InvalidLabfile, validate.ToString());
        Assert.Contains("Labfile.yml:8:10: error LAB313: box 'debian-12' has no version in the box store (for qemu) that fits '~> 1.2'", validate.Stderr, StringComparison.Ordinal);
        Assert.Contains("'lab box add debian-12 SOURCE --version V'", validate.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Up_refuses_a_box_the_store_lacks_and_creates_nothing()
    {
        _project.With("Labfile.yml", NameOnly);

        var up = await Lab("simulated", "up");
        var status = await Lab("simulated", "status");

        Assert.True(up.ExitCode == ExitCodes.InvalidLabfile, up.ToString());
        Assert.Contains("Labfile.yml:6:10: error LAB301: box 'debian-12' is not in the box store (for hyperv)", up.Stderr, StringComparison.Ordinal);
        Assert.Contains("not_created", status.Stdout, StringComparison.Ordinal);
        var host = new SimulatedHost(HostFile).GetInventory([]);
        Assert.Empty(host.Vms);
        Assert.DoesNotContain(host.Switches, s => s.Name.Contains("shop", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Up_uses_the_stored_box_records_its_version_and_box_remove_refuses_while_the_lab_uses_it()
    {
        await AddAsync("simulated", "debian-12", "1.0");
        await AddAsync("simulated", "debian-12", "1.1");
        _project.With("Labfile.yml", NameOnly);

        var up = await Lab("simulated", "up");
        var status = await Lab("simulated", "status");
        var list = await Lab("simulated", "box", "list", "--json");
        var remove = await Lab("simulated", "box", "remove", "debian-12", "--version", "1.1");
        var removeUnused = await Lab("simulated", "box", "remove", "debian-12", "--version", "1.0");
        var forced = await Lab("simulated", "box", "remove", "debian-12", "--version", "1.1", "--force");
        var down = await Lab("simulated", "down");

        Assert.True(up.ExitCode == 0, up.ToString());
        Assert.Contains("VM 'web' runs on box 'debian-12' 1.1 (hyperv).", status.Stdout, StringComparison.Ordinal);
        using (var doc = JsonDocument.Parse(list.Stdout))
        {
            var used = doc.RootElement.GetProperty("boxes").EnumerateArray()
                .Where(b => b.GetProperty("used_by").GetArrayLength() > 0)
                .Select(b => (b.GetProperty("version").GetString(), b.GetProperty("used_by")[0].GetProperty("lab").GetString())).ToList();
            Assert.Equal([("1.1", "shop")], used);
        }
        Assert.Equal(4, remove.ExitCode);
        Assert.Contains("is used by lab 'shop'", remove.Stderr, StringComparison.Ordinal);
        Assert.True(removeUnused.ExitCode == 0, removeUnused.ToString());
        Assert.True(forced.ExitCode == 0, forced.ToString());
        Assert.True(down.ExitCode == 0, down.ToString()); // the lab comes down with its box gone
    }
}
