using System.Diagnostics;
using System.Text.RegularExpressions;
using System.Text.Json.Nodes;
using LabRunner.RealGuests.Tests.Support;

namespace LabRunner.RealGuests.Tests;

/// <summary>
/// Issue 8 §4 against one real lab (see <see cref="RealLab"/>): three Debian 12 guests under TCG, booted by
/// <c>lab up --provider qemu</c> inside the lab host's namespace. The read-only checks come first; the steps that
/// change the lab (edit, halt, reload, down, a killed up) run last, in order.
/// </summary>
[Collection(RealLabCollection.Name)]
[TestCaseOrderer(StepOrderer.TypeName, StepOrderer.AssemblyName)]
public sealed partial class RealGuestLabTests(RealLab lab, ITestOutputHelper output)
{
    private LabPlan Plan => lab.Plan;

    private void Report()
    {
        foreach (var line in lab.Log) output.WriteLine(line);
    }

    [RealGuestFact(1)]
    public void Up_creates_the_lab_and_every_guest_logs_in_over_ssh()
    {
        lab.Require();
        Report();

        Assert.Equal("done", (string?)lab.FirstUp["outcome"]);
        Assert.Equal(["db", "web-1", "web-2"], lab.SshAfter.Keys.Order(StringComparer.Ordinal));
        // Issue 16.4: each guest's shared SSH connection was open when 'up' returned (db's too, made anew after the
        // reboot its user_data asks for), so the first 'lab ssh' needs no handshake.
        foreach (var (vm, master) in lab.MasterAfterUp) output.WriteLine($"{vm}: {master}");
        Assert.All(Plan.Vms, vm => Assert.StartsWith("Master running (pid=", lab.MasterAfterUp[vm.Name], StringComparison.Ordinal));
        output.WriteLine($"lab up returned after {lab.FirstUpWall.TotalSeconds:0.0} s; all guests' cloud-init done after {lab.AllCloudInitDone.TotalSeconds:0} s");
    }

    [RealGuestFact(2)]
    public async Task Every_guest_answers_at_every_planned_ip_on_nat_and_private_networks_from_the_host()
    {
        lab.Require();
        var checkedIps = new List<string>();

        foreach (var vm in Plan.Vms)
            foreach (var adapter in vm.Adapters.Where(a => Plan.Network(a.Network).Type is "nat" or "private"))
            {
                Assert.True(await lab.Host.TcpConnectsAsync(adapter.Ip!, 22), $"{vm.Name} does not answer at {adapter.Ip} ({adapter.Network}) from the host");
                checkedIps.Add($"{vm.Name}@{adapter.Ip}");
            }

        output.WriteLine(string.Join(", ", checkedIps));
        Assert.Equal(5, checkedIps.Count); // web-1, web-2: NAT + private; db: private
    }

    [RealGuestFact(3)]
    public async Task The_host_cannot_reach_the_isolated_network_while_the_guests_reach_each_other_on_it()
    {
        lab.Require();
        var db = Plan.Vm("db");
        var dbIsolated = Plan.AdaptersOfType(db, "isolated").Single().Ip!;
        var web1 = Plan.Vm("web-1");

        var hostReaches = await lab.Host.TcpConnectsAsync(dbIsolated, 22, timeoutSeconds: 3);
        var hostAddresses = (await lab.Host.IpAsync("-4", "-o", "addr", "show")).Stdout;
        var fromWeb1 = await lab.Guests.RunAsync(Plan.SshIp(web1), $"ping -c 2 -W 3 {dbIsolated}");
        var web1Isolated = Plan.AdaptersOfType(web1, "isolated").Single().Ip!;
        var fromDb = await lab.Guests.RunAsync(Plan.SshIp(db), $"ping -c 2 -W 3 {web1Isolated}");

        Assert.False(hostReaches, $"the host reached {dbIsolated} on the isolated network");
        Assert.DoesNotContain("172.31.201.", hostAddresses, StringComparison.Ordinal);
        Assert.Contains("2 received", fromWeb1, StringComparison.Ordinal);
        Assert.Contains("2 received", fromDb, StringComparison.Ordinal);
    }

    [RealGuestFact(4)]
    public async Task Each_guests_hostname_default_route_and_resolvers_inside_it_are_what_the_plan_says()
    {
        lab.Require();
        foreach (var vm in Plan.Vms)
        {
            var ip = Plan.SshIp(vm);

            var hostname = (await lab.Guests.RunAsync(ip, "hostname")).Trim();
            var route = (await lab.Guests.RunAsync(ip, "ip -4 route show default")).Trim();
            var resolv = await lab.Guests.RunAsync(ip, "cat /etc/resolv.conf 2>/dev/null || true");
            var addresses = await lab.Guests.RunAsync(ip, "ip -4 -o addr show");
            output.WriteLine($"{vm.Name}: hostname {hostname}; default route '{route}'; resolv.conf: {resolv.Replace('\n', '|')}");

            Assert.Equal(vm.Hostname, hostname);
            foreach (var adapter in vm.Adapters.Where(a => a.Ip is not null))
                Assert.Matches($@"\b{adapter.Interface}\s+inet {Regex.Escape(adapter.Ip!)}/", addresses);
            var nat = Plan.AdaptersOfType(vm, "nat").FirstOrDefault();
            if (nat is null)
                Assert.Equal("", route);
            else
                Assert.StartsWith($"default via {Plan.Network(nat.Network).Gateway} dev {nat.Interface}", route, StringComparison.Ordinal);
            var nameservers = resolv.Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Where(f => f.Length >= 2 && f[0] == "nameserver").Select(f => f[1]).ToList();
            Assert.Equal(Plan.Resolvers(vm), nameservers);
        }
    }

    [RealGuestFact(5)]
    public async Task A_forwarded_port_reaches_the_guests_web_server_from_upstream_through_the_hosts_uplink_address()
    {
        lab.Require();
        foreach (var vm in Plan.Vms.Where(v => v.Ports.Count > 0))
        {
            var port = vm.Ports.Single();

            var body = await lab.Topology.Upstream.HttpGetAsync($"http://{Topology.HostUplinkIp}:{port.HostPort}/");

            Assert.True(body.Succeeded, $"GET {Topology.HostUplinkIp}:{port.HostPort} from upstream: {body}");
            Assert.Equal(vm.Hostname, body.Stdout.Trim());
        }
    }

    [RealGuestFact(6)]
    public async Task A_guest_reaches_upstream_through_masquerade_and_upstream_sees_the_hosts_uplink_address()
    {
        lab.Require();
        var web2 = Plan.Vm("web-2");
        var token = $"from-web-2-{Guid.NewGuid():N}";

        var body = await lab.Guests.RunAsync(Plan.SshIp(web2),
            $"python3 -c \"import urllib.request; print(urllib.request.urlopen('{lab.Topology.UpstreamUrl("hello.txt")}?{token}', timeout=10).read().decode())\"");
        await Task.Delay(500);

        Assert.Contains("hello from upstream", body, StringComparison.Ordinal);
        var line = Assert.Single(lab.Topology.UpstreamLog, l => l.Contains(token, StringComparison.Ordinal));
        output.WriteLine(line);
        Assert.StartsWith($"{Topology.HostUplinkIp} ", line, StringComparison.Ordinal);
    }

    [RealGuestFact(30)]
    public async Task A_second_up_has_nothing_to_do_and_starts_no_vm_process()
    {
        lab.Require();
        var qemuBefore = lab.Host.QemuProcesses();
        var pidFilesBefore = PidFiles();

        var (up, result) = await lab.Cli.JsonAsync(RealLab.CommandTimeout, "up");

        output.WriteLine($"idle lab up: {result.Elapsed.TotalSeconds:0.00} s");
        Assert.Equal("nothing_to_do", (string?)up["outcome"]);
        Assert.Empty(LabCli.Operations(up));
        Assert.Empty(up["guests"]!.AsArray()); // every guest was seen ready (by the first up; web-1 again by the key step): no wait
        Assert.Equal(3, qemuBefore.Count);
        Assert.Equal(qemuBefore, lab.Host.QemuProcesses());
        Assert.Equal(pidFilesBefore, PidFiles());
    }

    [RealGuestFact(31)]
    public async Task Adding_a_vm_creates_only_that_vm_its_boot_timeout_fails_it_with_its_console_and_down_of_it_removes_only_it()
    {
        lab.Require();
        var qemuBefore = lab.Host.QemuProcesses();
        await lab.WriteLabfileAsync(extraVm: true);
        try
        {
            // 'extra' has boot_timeout: 20 — far too short for a TCG boot: the wait must fail it, and only it.
            var upRun = await lab.Cli.RunAsync(RealLab.CommandTimeout, "up", "extra", "--json");
            var up = System.Text.Json.Nodes.JsonNode.Parse(upRun.Stdout)!.AsObject();
            var qemuWithExtra = lab.Host.QemuProcesses();
            var (down, _) = await lab.Cli.JsonAsync(RealLab.CommandTimeout, "down", "extra");

            var ops = LabCli.Operations(up);
            output.WriteLine(string.Join('\n', ops.Select(o => $"{o.Vm}: {o.Description}")) + $"\n{upRun}");
            Assert.Equal(3, upRun.ExitCode);
            Assert.Equal("done", (string?)up["outcome"]);
            var extra = Assert.Single(up["guests"]!.AsArray());
            Assert.Equal("extra", (string?)extra!["vm"]);
            Assert.Equal("failed", (string?)extra["state"]);
            Assert.Contains("not ready after 20 s (boot_timeout)", (string?)extra["error"], StringComparison.Ordinal);
            var console = extra["problems"]!.AsArray().Select(l => (string)l!).ToList();
            Assert.NotEmpty(console);
            Assert.Contains($"extra| {console[^1]}", upRun.Stderr, StringComparison.Ordinal);
            Assert.NotEmpty(ops);
            Assert.All(ops, o => Assert.Equal($"{Plan.Lab}-extra", o.Vm)); // operations name the VM as the host does: LAB-VM
            Assert.Equal(4, qemuWithExtra.Count);
            Assert.All(qemuBefore, p => Assert.Equal(p.Value, qemuWithExtra.GetValueOrDefault(p.Key)));
            Assert.All(LabCli.Operations(down), o => Assert.Equal($"{Plan.Lab}-extra", o.Vm));
            Assert.Equal(qemuBefore, lab.Host.QemuProcesses());
        }
        catch (Exception e)
        {
            lab.BrokenBy = $"adding a VM: {e.Message}";
            throw;
        }
        finally
        {
            await lab.WriteLabfileAsync();
        }
    }

    [RealGuestFact(32)]
    public async Task A_memory_change_waits_for_reload_and_halt_shuts_the_guests_down_through_acpi()
    {
        lab.Require();
        var qemuBefore = lab.Host.QemuProcesses();
        await lab.WriteLabfileAsync(dbMemoryMb: 768);
        try
        {
            var (up, _) = await lab.Cli.JsonAsync(RealLab.CommandTimeout, "up");
            var qemuAfterUp = lab.Host.QemuProcesses();
            var watch = Stopwatch.StartNew();
            var (halt, haltRun) = await lab.Cli.JsonAsync(RealLab.CommandTimeout, "halt", "--timeout", "180");
            var (status, _) = await lab.Cli.JsonAsync(RealLab.CommandTimeout, "status");

            output.WriteLine($"lab halt: {haltRun.Elapsed.TotalSeconds:0} s\n{haltRun.Stdout}\n{haltRun.Stderr}");
            Assert.Equal("nothing_to_do", (string?)up["outcome"]);
            var pending = Assert.Single(up["pending_changes"]!.AsArray());
            Assert.Equal("db", (string?)pending!["vm"]);
            Assert.Equal(qemuBefore, qemuAfterUp);
            Assert.Equal("done", (string?)halt["outcome"]);
            Assert.DoesNotContain(LabCli.Operations(halt), o => o.Description.StartsWith("turn off", StringComparison.Ordinal));
            Assert.DoesNotContain("turning them off", haltRun.Stdout + haltRun.Stderr, StringComparison.Ordinal);
            Assert.Empty(lab.Host.QemuProcesses());
            Assert.All(status["vms"]!.AsArray(), v => Assert.Equal("off", (string?)v!["state"]));
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(180));
        }
        catch (Exception e)
        {
            lab.BrokenBy = $"halt: {e.Message}";
            throw;
        }
    }

    [RealGuestFact(33)]
    public async Task Reload_brings_every_guest_back_with_the_new_memory()
    {
        lab.Require();
        try
        {
            var watch = Stopwatch.StartNew();
            var (reload, run) = await lab.Cli.JsonAsync(RealLab.CommandTimeout, "reload");
            await lab.WaitForGuestsAsync(watch);
            var dbMemTotalKb = long.Parse((await lab.Guests.RunAsync(Plan.SshIp(Plan.Vm("db")), "awk '/^MemTotal:/ {print $2}' /proc/meminfo")).Trim(), System.Globalization.CultureInfo.InvariantCulture);
            var webMemTotalKb = long.Parse((await lab.Guests.RunAsync(Plan.SshIp(Plan.Vm("web-1")), "awk '/^MemTotal:/ {print $2}' /proc/meminfo")).Trim(), System.Globalization.CultureInfo.InvariantCulture);

            output.WriteLine($"lab reload: {run.Elapsed.TotalSeconds:0} s; SSH again: {string.Join(", ", lab.SshAfter.Select(p => $"{p.Key} {p.Value.TotalSeconds:0} s"))}; MemTotal db {dbMemTotalKb} kB, web-1 {webMemTotalKb} kB");
            Assert.Equal("done", (string?)reload["outcome"]);
            Assert.Equal(3, lab.Host.QemuProcesses().Count);
            Assert.InRange(dbMemTotalKb, 640 * 1024, 768 * 1024);       // 768 MB less what the kernel keeps
            Assert.InRange(webMemTotalKb, 500 * 1024, 640 * 1024);
        }
        catch (Exception e)
        {
            lab.BrokenBy = $"reload: {e.Message}";
            throw;
        }
    }

    [RealGuestFact(34)]
    public async Task Down_leaves_nothing_of_the_lab_and_the_foreign_bridge_and_table_byte_identical()
    {
        lab.Require();
        try
        {
            var (down, run) = await lab.Cli.JsonAsync(RealLab.CommandTimeout, "down");
            output.WriteLine($"lab down: {run.Elapsed.TotalSeconds:0} s");

            Assert.Equal("done", (string?)down["outcome"]);
            await AssertNothingLeftAsync();
        }
        catch (Exception e)
        {
            lab.BrokenBy = $"down: {e.Message}";
            throw;
        }
    }

    [RealGuestFact(35)]
    public async Task An_up_killed_after_its_network_batch_or_its_first_vm_converges_on_the_next_up_and_down_still_leaves_nothing()
    {
        lab.Require();

        // Fault 1: SIGKILL when the first bridge of the lab appears (the network batch is under way).
        var firstBridge = await KillUpWhenAsync("the first marked bridge", async () =>
            (await lab.Host.IpJsonAsync("link", "show", "type", "bridge")).Any(l => ((string?)l!["ifalias"])?.StartsWith("labrunner", StringComparison.Ordinal) == true));
        // Fault 2: SIGKILL between VM batches, deterministically: one batch at a time, and a stand-in 'qemu-img' (first on
        // PATH for that 'lab up' only) lets the first VM's overlay through and holds the next one, so the kill comes
        // when exactly one VM runs and the next is half made (timing alone lost the race: all three had started).
        var (slowPath, creates) = HoldingQemuImg();
        var firstVm = await KillUpWhenAsync("the first QEMU process, the second VM's overlay held",
            () => Task.FromResult(lab.Host.QemuProcesses().Count > 0 && File.Exists(creates) && File.ReadAllText(creates).Trim() == "2"),
            new Dictionary<string, string> { ["PATH"] = slowPath }, "--parallel", "1");
        foreach (var held in lab.Host.LiveProcesses("sleep")) held.Kill();
        var startedBeforeConverging = lab.Host.QemuProcesses().Count;
        Assert.Equal(1, startedBeforeConverging);
        var watch = Stopwatch.StartNew();
        var (up, run) = await lab.Cli.JsonAsync(RealLab.CommandTimeout, "up");
        await lab.WaitForGuestsAsync(watch);
        var (again, _) = await lab.Cli.JsonAsync(RealLab.CommandTimeout, "up");
        var (status, _) = await lab.Cli.JsonAsync(RealLab.CommandTimeout, "status");
        var (down, _) = await lab.Cli.JsonAsync(RealLab.CommandTimeout, "down");

        output.WriteLine($"{firstBridge}\n{firstVm} ({startedBeforeConverging} of 3 QEMU processes running)\nconverging lab up: {run.Elapsed.TotalSeconds:0.0} s, {LabCli.Operations(up).Count} operations");
        Assert.Equal("done", (string?)up["outcome"]);
        // The converging up waited for every guest, also those the killed up had started and nobody had seen ready.
        Assert.Equal(["db", "web-1", "web-2"], up["guests"]!.AsArray().Select(g => (string)g!["vm"]!).Order(StringComparer.Ordinal));
        Assert.All(up["guests"]!.AsArray(), g => Assert.Equal("ready", (string?)g!["state"]));
        Assert.Equal("nothing_to_do", (string?)again["outcome"]);
        Assert.All(status["vms"]!.AsArray(), v => Assert.Equal("running", (string?)v!["state"]));
        Assert.Equal("done", (string?)down["outcome"]);
        await AssertNothingLeftAsync();
    }

    /// <summary>Starts <c>lab up</c> and kills it with SIGKILL as soon as <paramref name="condition"/> holds.</summary>
    private Task<string> KillUpWhenAsync(string what, Func<Task<bool>> condition) =>
        KillUpWhenAsync(what, condition, new Dictionary<string, string>());

    private async Task<string> KillUpWhenAsync(string what, Func<Task<bool>> condition, IReadOnlyDictionary<string, string> environment, params string[] options)
    {
        using var up = lab.Cli.Start(environment, ["up", .. options]);
        var watch = Stopwatch.StartNew();
        while (!up.HasExited && !await condition())
        {
            Assert.True(watch.Elapsed < TimeSpan.FromMinutes(5), $"{what} never appeared; lab up printed: {string.Join('\n', up.Stdout)} {string.Join('\n', up.Stderr)}");
            await Task.Delay(20);
        }
        Assert.False(up.HasExited, $"lab up ended before {what} appeared: {string.Join('\n', up.Stdout)} {string.Join('\n', up.Stderr)}");
        up.KillHard();
        await up.Process.WaitForExitAsync();
        return $"lab up killed (SIGKILL) {watch.Elapsed.TotalSeconds:0.00} s after its start, at {what}";
    }

    private async Task AssertNothingLeftAsync()
    {
        var after = await HostSnapshot.TakeAsync(lab.Host);
        Assert.Empty(lab.Host.QemuProcesses());
        Assert.Empty(after.LinksAddedSince(lab.Before));
        Assert.Equal(lab.Before.Links, after.Links);
        Assert.Equal(lab.Before.Ruleset, after.Ruleset);
        Assert.DoesNotContain(after.LabRunnerNft, i => i!.AsObject().ContainsKey("rule"));
        if (after.LabRunnerNft.Count > 0) output.WriteLine($"note: table labrunner stays, empty: {after.LabRunnerNft.ToJsonString()}");
        // No snapshot data: the internal snapshots went with the qcow2 files (checked below), the records with .lab/snapshots.
        Assert.False(Directory.Exists(Path.Combine(lab.ProjectDirectory, ".lab", "snapshots")), "down left .lab/snapshots");
        foreach (var folder in new[] { lab.ProjectDirectory, lab.StateDirectory })
        {
            var left = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
                .Where(f => f.EndsWith(".qcow2", StringComparison.Ordinal) || f.EndsWith(".pid", StringComparison.Ordinal))
                .ToList();
            var sockets = (await Proc.CheckedAsync("find", [folder, "-type", "s"])).Stdout.Trim();
            Assert.Empty(left);
            Assert.Equal("", sockets);
        }
    }

    /// <summary>
    /// A folder holding a stand-in <c>qemu-img</c> that passes everything to the real one except the second and later
    /// <c>create</c>, which it holds (<c>exec sleep 600</c>); the PATH to use, and the file counting the creates.
    /// </summary>
    private (string Path, string Creates) HoldingQemuImg()
    {
        var bin = Directory.CreateDirectory(Path.Combine(lab.WorkDirectory, "holding-bin")).FullName;
        var creates = Path.Combine(bin, "creates");
        var real = Requirements.Find("qemu-img") ?? throw new Xunit.Sdk.XunitException("qemu-img is not installed");
        var script = Path.Combine(bin, "qemu-img");
        File.WriteAllText(script, $"""
            #!/bin/sh
            if [ "$1" = create ]; then
              n=$(($(cat '{creates}' 2>/dev/null || echo 0) + 1))
              echo "$n" > '{creates}'
              [ "$n" -gt 1 ] && exec sleep 600
            fi
            exec '{real}' "$@"

            """);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return ($"{bin}:{Environment.GetEnvironmentVariable("PATH")}", creates);
    }

    /// <summary>Every *.pid file under the project and the provider's state folder, with its content.</summary>
    private Dictionary<string, string> PidFiles() =>
        new[] { lab.ProjectDirectory, lab.StateDirectory }
            .SelectMany(d => Directory.EnumerateFiles(d, "*.pid", SearchOption.AllDirectories))
            .ToDictionary(f => f, File.ReadAllText, StringComparer.Ordinal);
}
