using System.Diagnostics;
using System.Management.Automation.Language;
using System.Text.Json;

namespace LabRunner.Cli.Tests;

/// <summary>The whole CLI, run as a user would, against a simulated host in a temp file.</summary>
public sealed class LifecycleCliTests : IDisposable
{
    private const string Labfile = """
        name: shop
        defaults: { box: ubuntu, memory: 1GB }
        networks:
          - { name: lan, type: nat }
          - { name: back, type: private, subnet: 192.168.70.0/24 }
        vms:
          - name: web
            networks: [lan, back]
            forwarded_ports:
              - { guest: 80, host: 8080 }
          - name: db
            networks: [{ network: back, ip: 192.168.70.10 }]
        """;

    private readonly TempProject _project = new TempProject().With("Labfile.yml", Labfile).With("boxes/ubuntu.vhdx", new string('\0', 512));
    private readonly Dictionary<string, string> _env;

    public LifecycleCliTests()
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

    [Fact]
    public async Task Up_then_status_json_shows_running_vms_with_the_planned_macs_and_ips()
    {
        var up = await Lab("up");
        var status = Json(await Lab("status", "--json"));
        var plan = Json(await Lab("plan", "--json"));

        Assert.Equal(0, up.ExitCode);
        Assert.Equal("shop", status.GetProperty("lab").GetString());
        var vms = status.GetProperty("vms").EnumerateArray().ToList();
        Assert.Equal(["web", "db"], vms.Select(v => v.GetProperty("name").GetString()));
        Assert.All(vms, v => Assert.Equal("running", v.GetProperty("state").GetString()));
        var planned = plan.GetProperty("vms").EnumerateArray().SelectMany(v => v.GetProperty("adapters").EnumerateArray())
            .Select(a => (a.GetProperty("mac").GetString(), a.GetProperty("ip").GetString()));
        var actual = vms.SelectMany(v => v.GetProperty("adapters").EnumerateArray())
            .Select(a => (a.GetProperty("mac").GetString(), a.GetProperty("ip").GetString()));
        Assert.Equal(planned, actual);
    }

    [Fact]
    public async Task Status_before_up_says_not_created()
    {
        var result = await Lab("status", "--json");

        Assert.Equal(0, result.ExitCode);
        var vms = Json(result).GetProperty("vms").EnumerateArray().ToList();
        Assert.Equal(["web", "db"], vms.Select(v => v.GetProperty("name").GetString()));
        Assert.All(vms, v => Assert.Equal("not_created", v.GetProperty("state").GetString()));
    }

    [Fact]
    public async Task A_second_up_has_zero_operations()
    {
        await Lab("up");

        var second = await Lab("up", "--json");

        Assert.Equal(0, second.ExitCode);
        var json = Json(second);
        Assert.Equal("nothing_to_do", json.GetProperty("outcome").GetString());
        Assert.Equal(0, json.GetProperty("batches").GetArrayLength());
    }

    [Fact]
    public async Task What_if_changes_nothing_and_prints_powershell_the_real_parser_accepts()
    {
        var whatIf = await Lab("up", "--what-if", "--json");
        var status = Json(await Lab("status", "--json"));

        Assert.Equal(0, whatIf.ExitCode);
        Assert.All(status.GetProperty("vms").EnumerateArray(), v => Assert.Equal("not_created", v.GetProperty("state").GetString()));
        var scripts = Json(whatIf).GetProperty("batches").EnumerateArray().Select(b => b.GetProperty("preview").GetString()!).ToList();
        Assert.NotEmpty(scripts);
        foreach (var script in scripts)
        {
            Parser.ParseInput(script, out _, out var errors);
            Assert.Empty(errors);
            Assert.Contains("Hyper-V\\New-VM", string.Concat(scripts), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task What_if_in_text_shows_operations_and_the_script()
    {
        var whatIf = await Lab("up", "--what-if");

        Assert.Equal(0, whatIf.ExitCode);
        Assert.Contains("nothing was changed", whatIf.Stdout, StringComparison.Ordinal);
        Assert.Contains("create internal switch 'LabRunner-shop-lan'", whatIf.Stdout, StringComparison.Ordinal);
        Assert.Contains("--- PowerShell for", whatIf.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Port_lists_host_port_guest_address_and_the_loopback_note()
    {
        await Lab("up");

        var port = await Lab("port", "web");
        var json = Json(await Lab("port", "--json"));

        Assert.Equal(0, port.ExitCode);
        Assert.Contains("*:8080/tcp", port.Stdout, StringComparison.Ordinal);
        Assert.Contains("from this host, connect to the guest's own address", port.Stdout, StringComparison.Ordinal);
        var mapping = Assert.Single(json.GetProperty("forwarded_ports").EnumerateArray());
        Assert.Equal(8080, mapping.GetProperty("host_port").GetInt32());
        Assert.Equal(mapping.GetProperty("guest_ip").GetString() + ":80", mapping.GetProperty("from_host").GetString());
    }

    [Fact]
    public async Task Down_leaves_nothing_of_the_lab_and_a_second_down_has_nothing_to_do()
    {
        await Lab("up");

        var down = await Lab("down");
        var status = Json(await Lab("status", "--json"));
        var again = await Lab("down");

        Assert.Equal(0, down.ExitCode);
        Assert.All(status.GetProperty("vms").EnumerateArray(), v => Assert.Equal("not_created", v.GetProperty("state").GetString()));
        Assert.Contains("Nothing to do", again.Stdout, StringComparison.Ordinal);
        var host = File.ReadAllText(_env["LABRUNNER_SIM_HOST"]);
        Assert.DoesNotContain("labrunner:v1", host, StringComparison.Ordinal);
        Assert.DoesNotContain("LabRunnerNAT", host, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_injected_failure_exits_3_and_the_next_up_finishes()
    {
        var failing = new Dictionary<string, string>(_env) { ["LABRUNNER_SIM_FAIL_AT"] = "5" };

        var failed = await Cli.Tests.Lab.RunAsync(_project.Root, failing, "up");
        var retry = await Lab("up");
        var third = Json(await Lab("up", "--json"));

        Assert.Equal(3, failed.ExitCode);
        Assert.Contains("failed", failed.Stderr, StringComparison.Ordinal);
        Assert.Contains("run 'lab up' again to finish", failed.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, retry.ExitCode);
        Assert.Equal("nothing_to_do", third.GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task A_failure_of_web_leaves_db_created_and_started_and_the_summary_lists_each_vm()
    {
        // Six host networking changes (2 switches, 2 host addresses, the NetNat, 1 mapping), then web's disk,
        // VM and hardware: the 9th change is web's hardware, in the one VM batch it shares with db.
        var failing = new Dictionary<string, string>(_env) { ["LABRUNNER_SIM_FAIL_AT"] = "9" };

        var failed = await Cli.Tests.Lab.RunAsync(_project.Root, failing, "up", "--parallel", "1");
        var status = Json(await Lab("status", "--json"));
        var retry = await Lab("up", "--json");
        var third = Json(await Lab("up", "--json"));

        Assert.Equal(3, failed.ExitCode);
        Assert.Contains("  web: failed at 'give VM 'shop-web' ", failed.Stderr, StringComparison.Ordinal);
        Assert.Contains("Injected fault", failed.Stderr, StringComparison.Ordinal);
        Assert.Contains("  db: done\n", failed.Stderr.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        var states = status.GetProperty("vms").EnumerateArray().ToDictionary(v => v.GetProperty("name").GetString()!, v => v.GetProperty("state").GetString());
        Assert.Equal(("off", "running"), (states["web"], states["db"]));
        Assert.Equal(0, retry.ExitCode);
        var outcomes = Json(retry).GetProperty("vm_outcomes").EnumerateArray().Select(o => (o.GetProperty("vm").GetString(), o.GetProperty("outcome").GetString()));
        Assert.Equal([("web", "done"), ("db", "nothing_to_do")], outcomes);
        Assert.Equal("nothing_to_do", third.GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task A_port_taken_by_another_lab_exits_4_and_changes_nothing()
    {
        using var other = new TempProject().With("Labfile.yml", Labfile.Replace("name: shop", "name: other", StringComparison.Ordinal)
            .Replace("192.168.70.", "192.168.71.", StringComparison.Ordinal)).With("boxes/ubuntu.vhdx", "x");
        await Cli.Tests.Lab.RunAsync(other.Root, _env, "up");
        var before = File.ReadAllText(_env["LABRUNNER_SIM_HOST"]);

        var up = await Lab("up");

        Assert.Equal(4, up.ExitCode);
        Assert.Contains("tcp/8080", up.Stderr, StringComparison.Ordinal);
        Assert.Contains("stopped before changing anything", up.Stderr, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllText(_env["LABRUNNER_SIM_HOST"]));
    }

    [Fact]
    public async Task Up_with_an_unknown_vm_is_a_usage_error()
    {
        var up = await Lab("up", "nosuch");

        Assert.Equal(2, up.ExitCode);
        Assert.Contains("no VM named 'nosuch'", up.Stderr, StringComparison.Ordinal);
    }

    [NotOnWindowsFact]
    public async Task The_hyperv_provider_off_windows_is_a_clear_usage_error()
    {
        var up = await Lab("up", "--provider", "hyperv");

        Assert.Equal(2, up.ExitCode);
        Assert.Contains("--provider simulated", up.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Seed_writes_the_guest_files_and_an_iso_for_one_vm()
    {
        var outDir = Path.Combine(_project.Root, "seed-out");

        var seed = await Lab("seed", "web", "--out", outDir);

        Assert.Equal(0, seed.ExitCode);
        Assert.Equal(["meta-data", "network-config", "seed.iso", "user-data"], Directory.GetFiles(outDir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        var iso = File.ReadAllBytes(Path.Combine(outDir, "seed.iso"));
        Assert.Equal("CD001", System.Text.Encoding.ASCII.GetString(iso, 16 * 2048 + 1, 5));
        var plan = Json(await Lab("plan", "--json"));
        var mac = plan.GetProperty("vms")[0].GetProperty("adapters")[0].GetProperty("mac").GetString()!.Replace('-', ':').ToLowerInvariant();
        Assert.Contains(mac, File.ReadAllText(Path.Combine(outDir, "network-config")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Seed_all_writes_one_folder_per_vm()
    {
        var seed = await Lab("seed", "--all", "--out", "out");

        Assert.Equal(0, seed.ExitCode);
        Assert.True(File.Exists(Path.Combine(_project.Root, "out", "web", "seed.iso")));
        Assert.True(File.Exists(Path.Combine(_project.Root, "out", "db", "seed.iso")));
    }

    [Fact]
    public async Task Two_lab_up_processes_started_at_once_both_finish_correctly()
    {
        using var other = new TempProject().With("Labfile.yml", Labfile.Replace("name: shop", "name: other", StringComparison.Ordinal)
            .Replace("192.168.70.", "192.168.71.", StringComparison.Ordinal).Replace("host: 8080", "host: 9090", StringComparison.Ordinal)).With("boxes/ubuntu.vhdx", "x");

        var runs = await Task.WhenAll(Process(_project.Root, "up"), Process(other.Root, "up"));
        var mine = Json(await Lab("status", "--json"));
        var theirs = Json(await Cli.Tests.Lab.RunAsync(other.Root, _env, "status", "--json"));

        Assert.All(runs, r => Assert.True(r.ExitCode == 0, r.ToString()));
        Assert.All(mine.GetProperty("vms").EnumerateArray().Concat(theirs.GetProperty("vms").EnumerateArray()),
            v => Assert.Equal("running", v.GetProperty("state").GetString()));
        Assert.Equal("nothing_to_do", Json(await Lab("up", "--json")).GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task A_windows_vm_needs_the_password_variable_which_is_never_printed_and_lands_in_an_owner_only_seed()
    {
        const string secret = "S3cret-Pa$$w0rd";
        using var win = new TempProject().With("Labfile.yml", """
            name: winlab
            boxes: { win: { path: boxes/win.vhdx, os: windows } }
            defaults: { box: win }
            networks:
              - { name: lan, type: nat }
            vms:
              - { name: dc, networks: [lan] }
            """).With("boxes/win.vhdx", "x");
        var withPassword = new Dictionary<string, string>(_env) { ["LABRUNNER_ADMIN_PASSWORD"] = secret };

        var refused = await Cli.Tests.Lab.RunAsync(win.Root, _env, "up");
        var up = await Cli.Tests.Lab.RunAsync(win.Root, withPassword, "up");

        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("LABRUNNER_ADMIN_PASSWORD", refused.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, up.ExitCode);
        Assert.DoesNotContain(secret, up.Stdout + up.Stderr, StringComparison.Ordinal);
        var seed = Assert.Single(Directory.GetFiles(Path.Combine(win.Root, ".lab", "vms", "dc"), "seed-*.iso"));
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(seed));
        var key = Path.Combine(win.Root, ".lab", "id_ecdsa");
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
    }

    /// <summary>Runs the built lab.dll as its own process, as a user's shell would.</summary>
    private async Task<CliResult> Process(string workingDirectory, params string[] args)
    {
        var lab = Path.Combine(AppContext.BaseDirectory, "lab.dll");
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(lab);
        foreach (var a in args) start.ArgumentList.Add(a);
        foreach (var (k, v) in _env) start.Environment[k] = v;
        using var p = System.Diagnostics.Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return new CliResult(p.ExitCode, await stdout, await stderr);
    }
}

/// <summary>On Windows, '--provider hyperv' reaches the real Hyper-V, which a unit test must not touch.</summary>
public sealed class NotOnWindowsFactAttribute : FactAttribute
{
    public NotOnWindowsFactAttribute()
    {
        if (OperatingSystem.IsWindows()) Skip = "Would drive the real Hyper-V on this machine.";
    }
}
