using System.Text.Json;

namespace LabRunner.Cli.Tests;

/// <summary>lab port and up's summary show what the host forwards; up and status agree on what waits for reload.</summary>
public sealed class PortsAndPendingTests : IDisposable
{
    private const string Labfile = """
        name: shop
        defaults: { box: ubuntu, memory: 1GB }
        networks:
          - { name: lan, type: nat }
        vms:
          - name: web
            networks: [lan]
            forwarded_ports:
              - { guest: 80, host: 8080 }
          - name: db
            networks: [lan]
        """;

    private readonly TempProject _project = new TempProject().With("Labfile.yml", Labfile).With("boxes/ubuntu.vhdx", new string('\0', 512));
    private readonly Dictionary<string, string> _env;

    public PortsAndPendingTests()
    {
        _env = new Dictionary<string, string>
        {
            ["LABRUNNER_PROVIDER"] = "simulated",
            ["LABRUNNER_SIM_HOST"] = Path.Combine(_project.Root, "host.json"),
        };
    }

    public void Dispose() => _project.Dispose();

    private Task<CliResult> Lab(params string[] args) => Cli.Tests.Lab.RunAsync(_project.Root, _env, args);

    private static JsonElement Json(CliResult r) => JsonDocument.Parse(r.Stdout).RootElement;

    private static int PortCount(JsonElement json) => json.GetProperty("forwarded_ports").GetArrayLength();

    [Fact]
    public async Task Port_lists_nothing_for_a_VM_that_is_not_up()
    {
        var up = await Lab("up", "db");

        var json = Json(await Lab("port", "--json"));
        var text = await Lab("port");
        var status = Json(await Lab("status", "--json"));

        Assert.True(up.ExitCode == 0, up.ToString());
        Assert.Equal(0, PortCount(json));
        Assert.Contains("No port is forwarded on this host yet", text.Stdout, StringComparison.Ordinal);
        Assert.All(status.GetProperty("vms").EnumerateArray(), v => Assert.Equal(0, PortCount(v)));
    }

    [Fact]
    public async Task Port_lists_nothing_after_down()
    {
        await Lab("up");
        var before = Json(await Lab("port", "--json"));

        await Lab("down");
        var after = Json(await Lab("port", "--json"));

        Assert.Equal(1, PortCount(before));
        Assert.Equal(0, PortCount(after));
    }

    [Fact]
    public async Task Up_that_stops_before_the_port_mapping_does_not_list_the_port()
    {
        var plan = Json(await Lab("up", "--what-if", "--json"));
        var network = plan.GetProperty("batches")[0].GetProperty("operations").EnumerateArray().ToList();
        var mapping = network.FindIndex(o => o.GetProperty("type").GetString() == "AddPortMapping");
        Assert.True(mapping >= 0);
        var failing = new Dictionary<string, string>(_env) { ["LABRUNNER_SIM_FAIL_AT"] = (mapping + 1).ToString(System.Globalization.CultureInfo.InvariantCulture) };

        var text = await Cli.Tests.Lab.RunAsync(_project.Root, failing, "up");
        // The same failure on a second, fresh host, seen through --json.
        var json = Json(await Cli.Tests.Lab.RunAsync(_project.Root,
            new Dictionary<string, string>(failing) { ["LABRUNNER_SIM_HOST"] = Path.Combine(_project.Root, "host2.json") }, "up", "--json"));

        Assert.Equal(3, text.ExitCode);
        Assert.DoesNotContain("8080", text.Stdout, StringComparison.Ordinal);
        Assert.Equal(0, PortCount(json));
    }

    [Fact]
    public async Task A_change_waiting_for_reload_is_said_once_by_up_and_shown_by_status()
    {
        await Lab("up");
        _project.With("Labfile.yml", Labfile.Replace("memory: 1GB", "memory: 2GB", StringComparison.Ordinal));

        var up = await Lab("up");
        var status = await Lab("status");
        var json = Json(await Lab("status", "--json"));

        Assert.True(up.ExitCode == 0, up.ToString());
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.StartsWith("Nothing to do, except what waits for 'lab reload web' and 'lab reload db'", up.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("as the Labfile says", up.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("Note:", up.Stdout, StringComparison.Ordinal);
        Assert.Contains("Pending on 'web', for 'lab reload web'", status.Stdout, StringComparison.Ordinal);
        Assert.Contains("1GB", status.ToString(), StringComparison.Ordinal);
        var web = json.GetProperty("vms")[0];
        Assert.Equal(1024, web.GetProperty("memory_mb").GetInt64());
        Assert.Equal(2, web.GetProperty("cpus").GetInt32());
        Assert.Equal("lab reload web", web.GetProperty("pending_changes").GetProperty("command").GetString());
        Assert.Contains("2GB", web.GetProperty("pending_changes").GetProperty("changes")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_new_seed_stays_pending_in_up_and_status_until_reload_applies_it()
    {
        await Lab("up");
        _project.With("Labfile.yml", Labfile.Replace("  - name: db\n", "  - name: db\n    hostname: database\n", StringComparison.Ordinal));

        var first = await Lab("up");
        var second = await Lab("up");
        var status = await Lab("status");
        var json = Json(await Lab("status", "--json"));
        var reload = await Lab("reload", "db");
        var afterReload = await Lab("up");
        var statusAfter = Json(await Lab("status", "--json"));

        Assert.Contains("'lab reload db' restarts it", first.Stdout, StringComparison.Ordinal);
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.StartsWith("Nothing to do, except what waits for 'lab reload db'", second.Stdout, StringComparison.Ordinal);
        Assert.Contains("db: apply the new seed", second.Stdout, StringComparison.Ordinal);
        Assert.Contains("Pending on 'db', for 'lab reload db'", status.Stdout, StringComparison.Ordinal);
        var db = json.GetProperty("vms").EnumerateArray().Single(v => v.GetProperty("name").GetString() == "db");
        Assert.Equal("lab reload db", db.GetProperty("pending_changes").GetProperty("command").GetString());
        Assert.True(reload.ExitCode == 0, reload.ToString());
        Assert.DoesNotContain("reload", afterReload.Stdout, StringComparison.Ordinal);
        Assert.All(statusAfter.GetProperty("vms").EnumerateArray(), v => Assert.Equal(JsonValueKind.Null, v.GetProperty("pending_changes").ValueKind));
    }

    [Fact]
    public async Task Status_names_a_VM_removed_from_the_Labfile_as_the_Labfile_did_with_the_command_that_removes_only_it()
    {
        await Lab("up");
        _project.With("Labfile.yml", Labfile[..Labfile.IndexOf("  - name: db", StringComparison.Ordinal)]);

        var up = await Lab("up");
        var status = await Lab("status");
        var json = Json(await Lab("status", "--json"));

        Assert.Contains("'lab down db' removes it", up.Stdout, StringComparison.Ordinal);
        Assert.Contains("VM 'db' (shop-db) of this lab is no longer in the Labfile; 'lab down db' removes it.", status.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("'lab down' removes", status.Stdout, StringComparison.Ordinal);
        Assert.Equal(["db"], json.GetProperty("stray_vms").EnumerateArray().Select(v => v.GetString()));
    }

    [Fact]
    public async Task Status_shows_no_pending_change_when_the_lab_is_as_the_Labfile_says()
    {
        await Lab("up");

        var json = Json(await Lab("status", "--json"));

        Assert.All(json.GetProperty("vms").EnumerateArray(), v => Assert.Equal(JsonValueKind.Null, v.GetProperty("pending_changes").ValueKind));
    }
}
