using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Providers.HyperV;
using LabRunner.Simulation.Model;
using static LabRunner.Simulation.Tests.TestHost;

namespace LabRunner.Simulation.Tests.Model;

public class DefaultHostTests
{
    [Fact]
    public void The_default_host_is_a_laptop_with_ethernet_wifi_and_the_default_switch()
    {
        var inventory = SimulatedHost.InMemory().GetInventory([]);

        Assert.Equal(["Ethernet", "Wi-Fi", "vEthernet (Default Switch)"], inventory.NetAdapters.Select(a => a.Name));
        Assert.Equal("192.168.1.50/24", inventory.NetAdapters[0].Addresses.Single().ToString());
        Assert.Equal("Intel(R) Ethernet Connection", inventory.NetAdapters[0].InterfaceDescription);
        Assert.Equal("172.29.80.1/20", inventory.HostInterfaceOf(HyperVRules.Instance, "Default Switch")!.Addresses.Single().ToString());
        Assert.False(inventory.HostInterfaceOf(HyperVRules.Instance, "Default Switch")!.IsPhysical);
        Assert.Equal(SwitchKind.Internal, inventory.Switch("Default Switch")!.Kind);
        Assert.Empty(inventory.Nats);
        Assert.Empty(inventory.Vms);
    }

    [Fact]
    public void No_default_address_overlaps_LabRunners_default_NAT_prefix()
    {
        var inventory = SimulatedHost.InMemory().GetInventory([]);

        Assert.DoesNotContain(inventory.NetAdapters.SelectMany(a => a.Addresses), ip => ip.Subnet.Overlaps(Prefix("10.188.0.0/16")));
    }
}

public class SwitchRulesTests
{
    [Fact]
    public void Switch_names_are_unique_whatever_their_case()
    {
        var host = SimulatedHost.InMemory();
        host.Mutate(m => m.NewSwitch("lab-net", SwitchKind.Internal, null, false, null));

        var refusal = Refusal(host, m => m.NewSwitch("LAB-NET", SwitchKind.Private, null, false, null));

        Assert.Equal(HostErrorKind.AlreadyExists, refusal.Kind);
        Assert.Contains("'LAB-NET' already exists", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_internal_switch_gives_the_host_a_vnic_and_a_private_one_does_not()
    {
        var host = SimulatedHost.InMemory();
        host.Mutate(m => m.NewSwitch("inside", SwitchKind.Internal, null, false, "n"));
        host.Mutate(m => m.NewSwitch("hidden", SwitchKind.Private, null, false, null));

        var inventory = host.GetInventory([]);

        Assert.NotNull(inventory.HostInterfaceOf(HyperVRules.Instance, "inside"));
        Assert.Equal("Hyper-V Virtual Ethernet Adapter #2", inventory.HostInterfaceOf(HyperVRules.Instance, "inside")!.InterfaceDescription);
        Assert.Null(inventory.HostInterfaceOf(HyperVRules.Instance, "hidden"));
        Assert.Equal("n", inventory.Switch("inside")!.Notes);
    }

    [Fact]
    public void An_external_switch_needs_an_existing_physical_adapter()
    {
        var host = SimulatedHost.InMemory();

        var missing = Refusal(host, m => m.NewSwitch("bridge", SwitchKind.External, "Ethernet 9", true, null));
        var vnic = Refusal(host, m => m.NewSwitch("bridge", SwitchKind.External, "vEthernet (Default Switch)", true, null));

        Assert.Equal(HostErrorKind.NotFound, missing.Kind);
        Assert.Contains("Ethernet 9", missing.Message, StringComparison.Ordinal);
        Assert.Contains("physical network adapter", vnic.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_physical_adapter_takes_one_external_switch()
    {
        var host = SimulatedHost.InMemory();
        host.Mutate(m => m.NewSwitch("bridge", SwitchKind.External, "Ethernet", true, null));

        var refusal = Refusal(host, m => m.NewSwitch("bridge2", SwitchKind.External, "Ethernet", true, null));

        Assert.Equal(HostErrorKind.Conflict, refusal.Kind);
        Assert.Equal("Failed while adding virtual Ethernet switch connections. External Ethernet adapter 'Intel(R) Ethernet Connection' is already bound to the Microsoft Virtual Switch protocol.", refusal.Message);
    }

    [Fact]
    public void Sharing_an_adapter_with_the_host_moves_its_addresses_to_the_vnic_until_the_switch_goes()
    {
        var host = SimulatedHost.InMemory();
        host.Mutate(m => m.NewSwitch("bridge", SwitchKind.External, "Ethernet", true, null));

        var bridged = host.GetInventory([]);
        host.Mutate(m => m.RemoveSwitch(m.GetSwitch("bridge")));
        var restored = host.GetInventory([]);

        Assert.Empty(bridged.NetAdapters.Single(a => a.Name == "Ethernet").Addresses);
        Assert.Equal("192.168.1.50/24", bridged.HostInterfaceOf(HyperVRules.Instance, "bridge")!.Addresses.Single().ToString());
        Assert.Equal("Ethernet", bridged.Switch("bridge")!.NetAdapterName);
        Assert.Equal("192.168.1.50/24", restored.NetAdapters.Single(a => a.Name == "Ethernet").Addresses.Single().ToString());
        Assert.Null(restored.HostInterfaceOf(HyperVRules.Instance, "bridge"));
    }

    [Fact]
    public void Removing_a_switch_disconnects_its_vms_and_removes_its_vnic_and_addresses()
    {
        var host = WithBaseImage();
        host.Mutate(m =>
        {
            m.NewSwitch("lab", SwitchKind.Internal, null, false, null);
            m.NewNetIPAddress(m.FindInterface("vEthernet (lab)")!, Ip("10.188.1.1"), 24);
            var vm = m.NewVm("web");
            m.AddVmNetworkAdapter(vm, "lan", "lab", null);
        });

        host.Mutate(m => m.RemoveSwitch(m.GetSwitch("lab")));

        var inventory = host.GetInventory([]);
        Assert.Null(inventory.Switch("lab"));
        Assert.Null(inventory.HostInterfaceOf(HyperVRules.Instance, "lab"));
        Assert.DoesNotContain(inventory.NetAdapters.SelectMany(a => a.Addresses), ip => ip.Address == Ip("10.188.1.1"));
        Assert.Null(inventory.Vm("web")!.Adapters.Single(a => a.Name == "lan").SwitchName);
    }
}

public class IpAddressRulesTests
{
    [Fact]
    public void An_address_goes_on_an_interface_that_exists()
    {
        var host = SimulatedHost.InMemory();
        host.Mutate(m => m.NewSwitch("lab", SwitchKind.Internal, null, false, null));

        host.Mutate(m => m.NewNetIPAddress(m.FindInterface("vEthernet (lab)")!, Ip("10.188.1.1"), 24));

        Assert.Equal("10.188.1.1/24", host.GetInventory([]).HostInterfaceOf(HyperVRules.Instance, "lab")!.Addresses.Single().ToString());
    }

    [Fact]
    public void An_address_the_host_already_has_is_refused_as_windows_refuses_it()
    {
        var host = SimulatedHost.InMemory();
        host.Mutate(m => m.NewSwitch("lab", SwitchKind.Internal, null, false, null));

        var refusal = Refusal(host, m => m.NewNetIPAddress(m.FindInterface("vEthernet (lab)")!, Ip("192.168.1.50"), 24));

        Assert.Equal(HostErrorKind.AlreadyExists, refusal.Kind);
        Assert.Equal("Windows System Error 5010", refusal.ErrorId);
        Assert.StartsWith("The object already exists.", refusal.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("10.188.1.0", 24, "network address")]
    [InlineData("10.188.1.255", 24, "broadcast address")]
    [InlineData("127.0.0.2", 8, "loopback")]
    [InlineData("224.0.0.1", 24, "multicast")]
    [InlineData("10.188.1.1", 0, "prefix length")]
    [InlineData("10.188.1.1", 33, "prefix length")]
    public void An_unusable_address_or_prefix_is_refused(string ip, int prefix, string why)
    {
        var host = SimulatedHost.InMemory();
        host.Mutate(m => m.NewSwitch("lab", SwitchKind.Internal, null, false, null));

        var refusal = Refusal(host, m => m.NewNetIPAddress(m.FindInterface("vEthernet (lab)")!, Ip(ip), prefix));

        Assert.Equal("Windows System Error 87", refusal.ErrorId);
        Assert.Contains(why, refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_adapter_bound_to_an_external_switch_has_no_ip_interface()
    {
        var host = SimulatedHost.InMemory();
        host.Mutate(m => m.NewSwitch("bridge", SwitchKind.External, "Wi-Fi", true, null));

        var refusal = Refusal(host, m => m.NewNetIPAddress(m.FindInterface("Wi-Fi")!, Ip("10.0.0.99"), 24));

        Assert.Equal(HostErrorKind.NotFound, refusal.Kind);
        Assert.Equal("No MSFT_NetIPInterface objects found with property 'InterfaceAlias' equal to 'Wi-Fi'. Verify the value of the property and retry.", refusal.Message);
    }

    [Fact]
    public void Removing_an_address_that_is_not_there_is_refused()
    {
        var host = SimulatedHost.InMemory();

        var refusal = Refusal(host, m => m.RemoveNetIPAddresses((_, ip) => ip.Address == Ip("10.9.9.9"), "IPAddress = 10.9.9.9"));

        Assert.Equal(HostErrorKind.NotFound, refusal.Kind);
    }
}

public class NatRulesTests
{
    [Fact]
    public void A_host_has_one_netnat_so_a_second_is_a_conflict()
    {
        var host = SimulatedHost.InMemory();
        host.Mutate(m => m.NewNat("DockerNAT", Prefix("172.20.0.0/16")));

        var refusal = Refusal(host, m => m.NewNat("LabRunnerNAT", Prefix("10.188.0.0/16")));

        Assert.Equal(HostErrorKind.Conflict, refusal.Kind);
        Assert.Equal("Windows System Error 87", refusal.ErrorId);
        Assert.StartsWith("The parameter is incorrect.", refusal.Message, StringComparison.Ordinal);
        Assert.Contains("'DockerNAT' (172.20.0.0/16)", refusal.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("10.0.0.0/8", "Wi-Fi")]
    [InlineData("192.168.0.0/16", "Ethernet")]
    [InlineData("10.0.0.0/26", "Wi-Fi")]
    public void A_nat_prefix_may_not_overlap_a_physical_adapter(string prefix, string adapter)
    {
        var host = SimulatedHost.InMemory();

        var refusal = Refusal(host, m => m.NewNat("LabRunnerNAT", Prefix(prefix)));

        Assert.Equal(HostErrorKind.Conflict, refusal.Kind);
        Assert.Contains($"'{adapter}'", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_nat_prefix_may_not_overlap_an_external_switchs_vnic_but_may_hold_an_internal_gateway()
    {
        var host = SimulatedHost.InMemory();
        host.Mutate(m =>
        {
            m.NewSwitch("bridge", SwitchKind.External, "Ethernet", true, null);
            m.NewSwitch("lab", SwitchKind.Internal, null, false, null);
            m.NewNetIPAddress(m.FindInterface("vEthernet (lab)")!, Ip("10.188.1.1"), 24);
        });

        var refusal = Refusal(host, m => m.NewNat("n", Prefix("192.168.1.0/24")));
        host.Mutate(m => m.NewNat("n", Prefix("10.188.0.0/16")));

        Assert.Contains("'vEthernet (bridge)'", refusal.Message, StringComparison.Ordinal);
        Assert.Equal("10.188.0.0/16", host.GetInventory([]).Nats.Single().InternalPrefix.ToString());
    }

    [Fact]
    public void Removing_a_nat_removes_its_static_mappings()
    {
        var host = SimulatedHost.InMemory();
        host.Mutate(m =>
        {
            m.NewNat("LabRunnerNAT", Prefix("10.188.0.0/16"));
            m.AddStaticMapping("LabRunnerNAT", PortProtocol.Tcp, Ip("0.0.0.0"), 8080, Ip("10.188.1.10"), 80);
        });

        host.Mutate(m => m.RemoveNat(m.FindNat("labrunnernat")!));

        Assert.Empty(host.GetInventory([]).PortMappings);
    }
}

public class StaticMappingRulesTests
{
    private static SimulatedHost HostWithNat()
    {
        var host = SimulatedHost.InMemory();
        host.Mutate(m => m.NewNat("LabRunnerNAT", Prefix("10.188.0.0/16")));
        return host;
    }

    [Fact]
    public void A_mapping_needs_its_nat()
    {
        var refusal = Refusal(HostWithNat(), m => m.AddStaticMapping("Other", PortProtocol.Tcp, Ip("0.0.0.0"), 8080, Ip("10.188.1.10"), 80));

        Assert.Equal(HostErrorKind.NotFound, refusal.Kind);
    }

    [Fact]
    public void A_mapping_reaches_only_addresses_inside_the_nat_prefix()
    {
        var refusal = Refusal(HostWithNat(), m => m.AddStaticMapping("LabRunnerNAT", PortProtocol.Tcp, Ip("0.0.0.0"), 8080, Ip("192.168.1.60"), 80));

        Assert.Equal(HostErrorKind.Conflict, refusal.Kind);
        Assert.Contains("outside the prefix 10.188.0.0/16", refusal.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0.0.0.0", "0.0.0.0")]
    [InlineData("0.0.0.0", "192.168.1.50")]
    [InlineData("192.168.1.50", "0.0.0.0")]
    [InlineData("192.168.1.50", "192.168.1.50")]
    public void One_external_port_per_protocol_and_address_host_wide(string first, string second)
    {
        var host = HostWithNat();
        host.Mutate(m => m.AddStaticMapping("LabRunnerNAT", PortProtocol.Tcp, Ip(first), 8080, Ip("10.188.1.10"), 80));

        var refusal = Refusal(host, m => m.AddStaticMapping("LabRunnerNAT", PortProtocol.Tcp, Ip(second), 8080, Ip("10.188.2.10"), 80));

        Assert.Equal(HostErrorKind.Conflict, refusal.Kind);
        Assert.Equal("Windows System Error 32", refusal.ErrorId);
        Assert.Contains("static mapping 1", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_same_port_is_free_for_another_protocol_or_another_specific_address()
    {
        var host = HostWithNat();

        host.Mutate(m =>
        {
            m.AddStaticMapping("LabRunnerNAT", PortProtocol.Tcp, Ip("192.168.1.50"), 53, Ip("10.188.1.10"), 53);
            m.AddStaticMapping("LabRunnerNAT", PortProtocol.Udp, Ip("192.168.1.50"), 53, Ip("10.188.1.10"), 53);
            m.AddStaticMapping("LabRunnerNAT", PortProtocol.Tcp, Ip("10.0.0.23"), 53, Ip("10.188.1.11"), 53);
        });

        Assert.Equal(3, host.GetInventory([]).PortMappings.Length);
    }
}
