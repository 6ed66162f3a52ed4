using LabRunner.Core.Planning;
using LabRunner.Guest.Tests.Tools;
using YamlDotNet.RepresentationModel;

namespace LabRunner.Guest.Tests;

/// <summary>
/// The rendered seeds, read by cloud-init 22.4 itself (Debian 12's package): the user-data must pass
/// its schema, and its network renderers must turn network-config into exactly the addresses,
/// MAC matches and routes the plan decided. Expectations come from the plan, not from copied output.
/// </summary>
public class CloudInitToolTests
{
    [ToolFact("cloud-init")]
    public void User_data_of_every_lab_passes_the_cloud_config_schema()
    {
        foreach (var lab in new[] { Labs.SingleNat, Labs.MultiNic, Labs.BridgedDhcp, Labs.BridgedStatic, Labs.DigitMacs, UserDataTests.HostileLab })
        {
            using var folder = new Iso.TempDirectory();
            var seed = CloudInit.WriteSeed(Labs.Render(lab), folder);
            var run = ExternalTool.Run("cloud-init", "schema", "--config-file", Path.Combine(seed.FullName, GuestConfigRenderer.UserDataFile));
            Assert.True(run.ExitCode == 0, $"{Labs.Plan(lab).Lab}: {run}");
            Assert.Contains("Valid cloud-config", run.StandardOutput, StringComparison.Ordinal);
        }
    }

    [ToolFact("cloud-init")]
    public void Single_nat_nic_converts_to_the_planned_network() => AssertConverts(Labs.SingleNat);

    [ToolFact("cloud-init")]
    public void Nat_private_and_isolated_nics_convert_to_the_planned_network() => AssertConverts(Labs.MultiNic);

    [ToolFact("cloud-init")]
    public void Bridged_dhcp_nic_converts_to_dhcp() => AssertConverts(Labs.BridgedDhcp);

    [ToolFact("cloud-init")]
    public void Bridged_static_nic_converts_with_its_gateway() => AssertConverts(Labs.BridgedStatic);

    [ToolFact("cloud-init")]
    public void Macs_made_only_of_digits_stay_macs() => AssertConverts(Labs.DigitMacs);

    [Fact]
    public void The_test_labs_cover_every_kind_of_adapter()
    {
        // Guards the tests above: if the planner changed, they could silently stop exercising a case.
        var adapters = new[] { Labs.SingleNat, Labs.MultiNic, Labs.BridgedDhcp, Labs.BridgedStatic, Labs.DigitMacs }
            .SelectMany(l => Labs.Vm(l).Adapters).ToList();
        Assert.Contains(adapters, a => a.Dhcp && a.DefaultRoute);
        Assert.Contains(adapters, a => a.Dhcp && !a.DefaultRoute);
        Assert.Contains(adapters, a => a.Ip is null && !a.Dhcp);
        Assert.Contains(adapters, a => CloudInit.ExpectedRoute(a) is not null);
        Assert.Contains(adapters, a => a.Ip is not null && CloudInit.ExpectedRoute(a) is null);
        Assert.Contains(adapters, a => a.Mac.ToColonString() == "52:54:00:12:34:56");
        Assert.Contains(adapters, a => a.Mac.ToColonString() == "02:12:34:56:78:90");
    }

    private static void AssertConverts(string labfile)
    {
        var vm = Labs.Vm(labfile);
        using var folder = new Iso.TempDirectory();
        var seed = CloudInit.WriteSeed(Labs.Render(labfile), folder);
        AssertEni(vm, CloudInit.NetConvert(seed, "debian", "eni"));
        AssertNetworkd(vm, CloudInit.NetConvert(seed, "debian", "networkd"));
        AssertNetplan(vm, CloudInit.NetConvert(seed, "ubuntu", "netplan"));
        AssertSysconfig(vm, CloudInit.NetConvert(seed, "rhel", "sysconfig"));
    }

    private static void AssertSysconfig(VmPlan vm, DirectoryInfo output)
    {
        foreach (var a in vm.Adapters)
        {
            var ifcfg = CloudInit.Read(output, $"etc/sysconfig/network-scripts/ifcfg-{a.GuestInterfaceName}")
                .Split('\n').Select(l => l.Trim()).ToList();
            Assert.Contains($"HWADDR={a.Mac.ToColonString()}", ifcfg);
            Assert.Contains(a.Dhcp ? "BOOTPROTO=dhcp" : "BOOTPROTO=none", ifcfg);
            Assert.Equal(a.Ip is { } ip ? [$"IPADDR={ip}"] : [], ifcfg.Where(l => l.StartsWith("IPADDR=", StringComparison.Ordinal)));
            Assert.Equal(CloudInit.ExpectedRoute(a) is { } gw ? [$"GATEWAY={gw}"] : [], ifcfg.Where(l => l.StartsWith("GATEWAY=", StringComparison.Ordinal)));
            Assert.Equal(CloudInit.ExpectedRoute(a) is not null, ifcfg.Contains("DEFROUTE=yes"));
            // cloud-init 22.4's sysconfig renderer ignores dhcp4-overrides (like ENI): no assertion on
            // DHCLIENT_SET_DEFAULT_ROUTE; the network-config template documents the limit.
            // A route file would be read by ifup-routes; the plan has no route besides the default one.
            Assert.False(File.Exists(Path.Combine(output.FullName, $"etc/sysconfig/network-scripts/route-{a.GuestInterfaceName}")));
        }
    }

    private static void AssertEni(VmPlan vm, DirectoryInfo output)
    {
        var stanzas = CloudInit.EniStanzas(CloudInit.Read(output, "etc/network/interfaces.d/50-cloud-init"));
        var udev = CloudInit.Read(output, "etc/udev/rules.d/70-persistent-net.rules");
        foreach (var a in vm.Adapters)
        {
            var name = a.GuestInterfaceName;
            Assert.Contains($"ATTR{{address}}==\"{a.Mac.ToColonString()}\", NAME=\"{name}\"", udev, StringComparison.Ordinal);
            Assert.True(stanzas.TryGetValue(name, out var stanza), $"no iface stanza for {name}");
            Assert.Equal(a.Cidr is not null ? "static" : a.Dhcp ? "dhcp" : "manual", stanza.Method);
            if (a.Cidr is { } cidr) Assert.Contains($"address {cidr}", stanza.Options);
            // ifupdown's own gateway option runs "ip route add default via …"; a "route add" line needs
            // net-tools, which minimal images lack, and "|| true" would hide that the route is missing.
            Assert.Equal(CloudInit.ExpectedRoute(a) is { } gw ? [$"gateway {gw}"] : [],
                stanza.Options.Where(o => o.StartsWith("gateway ", StringComparison.Ordinal)));
            Assert.DoesNotContain(stanza.Options, o => o.Contains("route ", StringComparison.Ordinal));
            if (!a.Dns.IsEmpty)
                Assert.Contains($"dns-nameservers {string.Join(' ', a.Dns)}", stanza.Options);
        }
        Assert.Equal(vm.Adapters.Length, stanzas.Count(s => s.Key != "lo"));
    }

    private static void AssertNetworkd(VmPlan vm, DirectoryInfo output)
    {
        foreach (var a in vm.Adapters)
        {
            var unit = CloudInit.Read(output, $"etc/systemd/network/10-cloud-init-{a.GuestInterfaceName}.network")
                .Split('\n').Select(l => l.Trim()).ToList();
            Assert.Contains($"MACAddress={a.Mac.ToColonString()}", unit);
            Assert.Contains($"Name={a.GuestInterfaceName}", unit);
            Assert.Contains(a.Dhcp ? "DHCP=ipv4" : "DHCP=no", unit);
            Assert.Equal(a.Cidr is { } cidr ? [$"Address={cidr}"] : [], unit.Where(l => l.StartsWith("Address=", StringComparison.Ordinal)));
            // A [Route] section with Gateway= and no Destination= is networkd's default route.
            Assert.Equal(CloudInit.ExpectedRoute(a) is { } gw ? [$"Gateway={gw}"] : [], unit.Where(l => l.StartsWith("Gateway=", StringComparison.Ordinal)));
            Assert.DoesNotContain(unit, l => l.StartsWith("Destination=", StringComparison.Ordinal) && l != "Destination=0.0.0.0/0");
            if (!a.Dns.IsEmpty) Assert.Contains($"DNS={string.Join(' ', a.Dns)}", unit);
            // Only the adapter the plan chose may take a default route from DHCP.
            Assert.Equal(a.Dhcp && !a.DefaultRoute, unit.Contains("UseRoutes=False"));
        }
    }

    private static void AssertNetplan(VmPlan vm, DirectoryInfo output)
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(CloudInit.Read(output, "etc/netplan/50-cloud-init.yaml")));
        var ethernets = (YamlMappingNode)((YamlMappingNode)((YamlMappingNode)yaml.Documents[0].RootNode)["network"])["ethernets"];
        Assert.Equal(vm.Adapters.Length, ethernets.Children.Count);
        foreach (var a in vm.Adapters)
        {
            var eth = (YamlMappingNode)ethernets[a.GuestInterfaceName];
            Assert.Equal(a.Mac.ToColonString(), ((YamlScalarNode)((YamlMappingNode)eth["match"])["macaddress"]).Value);
            Assert.Equal(a.Dhcp ? "true" : "false", ((YamlScalarNode)eth["dhcp4"]).Value);
            var addresses = eth.Children.TryGetValue("addresses", out var list) ? ((YamlSequenceNode)list).Select(n => ((YamlScalarNode)n).Value) : [];
            Assert.Equal(a.Cidr is { } cidr ? [cidr] : [], addresses);
            // netplan calls gateway4 deprecated but still turns it into the default route; one form for
            // every renderer beats a routes: entry that ifupdown would run through net-tools.
            var gateway = eth.Children.TryGetValue("gateway4", out var g) ? ((YamlScalarNode)g).Value : null;
            Assert.Equal(CloudInit.ExpectedRoute(a), gateway);
            Assert.False(eth.Children.ContainsKey("routes"), "the default route is gateway4, not a second declaration");
            var ignoresDhcpRoutes = eth.Children.TryGetValue("dhcp4-overrides", out var o)
                && ((YamlScalarNode)((YamlMappingNode)o)["use-routes"]).Value == "false";
            Assert.Equal(a.Dhcp && !a.DefaultRoute, ignoresDhcpRoutes);
        }
    }
}
