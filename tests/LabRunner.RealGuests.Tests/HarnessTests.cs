using LabRunner.RealGuests.Tests.Support;

namespace LabRunner.RealGuests.Tests;

/// <summary>
/// The harness itself, for real and without guests: the namespaces, the uplink, the upstream server, the foreign
/// objects' snapshot and the cleanup, and that the machine's own namespace sees none of it.
/// </summary>
public sealed class HarnessTests
{
    [RealGuestFact(0)]
    public async Task The_topology_joins_host_and_upstream_only_and_upstream_logs_the_hosts_uplink_address()
    {
        Requirements.Require();
        var rootLinksBefore = (await Proc.CheckedAsync("ip", ["-j", "link", "show"])).Stdout;
        var rootRulesBefore = (await Proc.CheckedAsync("nft", ["-j", "list", "ruleset"])).Stdout;
        var work = Directory.CreateTempSubdirectory("lr-e2e-harness-").FullName;
        string hostNs, upNs;
        try
        {
            await using (var topology = await Topology.CreateAsync(work))
            {
                hostNs = topology.Host.Name;
                upNs = topology.Upstream.Name;

                var body = await topology.Host.HttpGetAsync(topology.UpstreamUrl("hello.txt?harness"));
                await Task.Delay(300);
                var route = (await topology.Host.IpAsync("-4", "route", "show", "default")).Stdout;
                var upstreamRoutes = (await topology.Upstream.IpAsync("-4", "route", "show")).Stdout;
                var lo = await topology.Host.IpJsonAsync("link", "show", "lo");
                var rootLinksDuring = (await Proc.CheckedAsync("ip", ["-j", "link", "show"])).Stdout;
                var server = Assert.Single(topology.Upstream.Processes());

                Assert.True(body.Succeeded, body.ToString());
                Assert.Equal("hello from upstream\n", body.Stdout);
                Assert.StartsWith($"{Topology.HostUplinkIp} ", Assert.Single(topology.UpstreamLog, l => l.Contains("harness", StringComparison.Ordinal)), StringComparison.Ordinal);
                Assert.StartsWith($"default via {Topology.UpstreamIp} dev {Topology.HostUplink}", route, StringComparison.Ordinal);
                Assert.DoesNotContain("default", upstreamRoutes, StringComparison.Ordinal); // the "internet" leads nowhere
                Assert.Contains("UP", lo.Single()!["flags"]!.AsArray().Select(f => (string?)f));
                Assert.Equal(rootLinksBefore, rootLinksDuring);
                Assert.True(server > 0);
            }

            var namespaces = (await Proc.CheckedAsync("ip", ["netns", "list"])).Stdout;
            Assert.DoesNotContain(hostNs, namespaces, StringComparison.Ordinal);
            Assert.DoesNotContain(upNs, namespaces, StringComparison.Ordinal);
            Assert.Equal(rootLinksBefore, (await Proc.CheckedAsync("ip", ["-j", "link", "show"])).Stdout);
            Assert.Equal(rootRulesBefore, (await Proc.CheckedAsync("nft", ["-j", "list", "ruleset"])).Stdout);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [RealGuestFact(0)]
    public async Task The_snapshot_sees_a_new_link_and_a_new_nft_rule_but_not_ticking_bridge_timers()
    {
        Requirements.Require();
        var work = Directory.CreateTempSubdirectory("lr-e2e-harness-").FullName;
        try
        {
            await using var topology = await Topology.CreateAsync(work);
            var host = topology.Host;
            await host.IpAsync("link", "add", "usrbr0", "type", "bridge");
            await host.IpAsync("link", "set", "usrbr0", "up");
            await Proc.CheckedAsync("ip", host.Exec("nft", "-f", "-"), stdin: RealLab.ForeignTable);
            var before = await HostSnapshot.TakeAsync(host);
            await Task.Delay(1500); // the bridge's timers tick meanwhile

            var same = await HostSnapshot.TakeAsync(host);
            await host.IpAsync("link", "add", "lrdeadbeef", "type", "bridge");
            await Proc.CheckedAsync("ip", host.Exec("nft", "add", "table", "inet", "labrunner"));
            await Proc.CheckedAsync("ip", host.Exec("nft", "add", "chain", "inet", "labrunner", "postrouting", "{ type nat hook postrouting priority srcnat; }"));
            await Proc.CheckedAsync("ip", host.Exec("nft", "add", "rule", "inet", "labrunner", "postrouting", "masquerade"));
            await Proc.CheckedAsync("ip", host.Exec("nft", "add", "rule", "inet", "userfw", "input", "tcp", "dport", "9998", "accept"));
            var changed = await HostSnapshot.TakeAsync(host);

            Assert.Equal(before, same with { LabRunnerNft = before.LabRunnerNft });
            Assert.Equal(before.Links, same.Links);
            Assert.Equal(before.Ruleset, same.Ruleset);
            Assert.Equal(["lrdeadbeef"], changed.LinksAddedSince(before));
            Assert.NotEqual(before.Ruleset, changed.Ruleset);
            Assert.Contains(changed.LabRunnerNft, i => i!.AsObject().ContainsKey("rule"));
            Assert.DoesNotContain("labrunner", changed.Ruleset, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [RealGuestFact(0)]
    public async Task The_test_labfile_is_valid_and_plans_three_guests_on_the_box()
    {
        Requirements.Require();
        var work = Directory.CreateTempSubdirectory("lr-e2e-harness-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(work, "Labfile.yml"), RealLab.Labfile(Requirements.Box!, extraVm: true, failingDbProvisioner: true));
            RealLab.WriteProvisionerFiles(work);
            var dotnet = Requirements.Find("dotnet")!;

            var validate = await Proc.RunAsync(dotnet, [LabCli.LabDll, "validate"], TimeSpan.FromMinutes(2), work);
            var planRun = await Proc.RunAsync(dotnet, [LabCli.LabDll, "plan", "--json"], TimeSpan.FromMinutes(2), work);

            Assert.True(validate.Succeeded, validate.ToString());
            Assert.True(planRun.Succeeded, planRun.ToString());
            var plan = LabPlan.Parse(planRun.Stdout);
            Assert.Equal(["web-1", "web-2", "db", "extra"], plan.Vms.Select(v => v.Name));
            Assert.Equal("10.188.7.1", plan.Network("front").Gateway);
            Assert.Equal([Topology.UpstreamIp, "198.51.100.53"], plan.Resolvers(plan.Vm("web-1")));
            Assert.Empty(plan.Resolvers(plan.Vm("db")));
            Assert.Equal([8080, 8081], plan.Vms.SelectMany(v => v.Ports).Select(p => p.HostPort));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}

/// <summary>The lab's own timeouts against the test host's hang timeout; no guest needed.</summary>
public sealed class TimeoutBudgetTests
{
    [Fact]
    public void Every_boot_timeout_and_command_wait_ends_before_the_test_hosts_hang_timeout()
    {
        var labfile = RealLab.Labfile("/boxes/debian-12.box", extraVm: true);
        var bootTimeouts = System.Text.RegularExpressions.Regex.Matches(labfile, @"boot_timeout: (\d+)")
            .Select(m => TimeSpan.FromSeconds(int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))).ToList();

        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(root.FullName, "LabRunner.sln"))) root = root.Parent!;
        var ci = System.Text.RegularExpressions.Regex.Match(File.ReadAllText(Path.Combine(root.FullName, ".ci", "run")), @"--blame-hang-timeout (\d+)m");

        Assert.True(ci.Success, ".ci/run sets no --blame-hang-timeout in minutes");
        Assert.Equal(RealLab.HangTimeout, TimeSpan.FromMinutes(int.Parse(ci.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(3, bootTimeouts.Count);
        // A stuck guest must fail its step with LabRunner's message and console tail, a minute or more before the run would be killed.
        Assert.All(bootTimeouts, t => Assert.True(t + TimeSpan.FromMinutes(1) < RealLab.HangTimeout, $"boot_timeout {t.TotalSeconds} s"));
        Assert.True(bootTimeouts.Max() < RealLab.CommandTimeout, "a command must outlast the VMs' boot_timeout it waits for");
        Assert.True(RealLab.CommandTimeout < RealLab.HangTimeout, $"a lab command may take {RealLab.CommandTimeout}");
    }
}
