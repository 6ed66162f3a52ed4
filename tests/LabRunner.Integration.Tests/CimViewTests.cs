using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Core.Net;
using LabRunner.Engine;
using LabRunner.HyperV.Emulation;
using LabRunner.HyperV.Emulation.Cim;
using LabRunner.Integration.Tests.Support;
using LabRunner.Providers.HyperV;
using LabRunner.Providers.HyperV.Cim;
using LabRunner.Simulation;
using LabRunner.Simulation.Model;

namespace LabRunner.Integration.Tests;

/// <summary>The provider's CIM mapper reading a CIM view of the simulated host sees what the host holds.</summary>
public class CimViewTests
{
    [Fact]
    public async Task The_inventory_read_through_cim_equals_the_simulated_hosts_own_for_a_busy_host()
    {
        var host = BusyHost();
        using var lab = new Lab(Labfiles.Shop, host, throughPowerShell: false);
        var up = await lab.UpAsync();
        Assert.True(up.Outcome == EngineOutcome.Done, Lab.Describe(up));

        await Inventory.AssertCimViewMatchesHostAsync(lab);

        // And the comparison has something to compare: every kind of object is there.
        var inventory = host.GetInventory([]);
        Assert.Equal([SwitchKind.Internal, SwitchKind.Private, SwitchKind.External], inventory.Switches.Select(s => s.Kind).Distinct().Order());
        Assert.Equal([VmState.Off, VmState.Running, VmState.Paused, VmState.Saved], inventory.Vms.Select(v => v.State).Distinct().Order());
        Assert.Contains(inventory.Vms, v => v.Generation == 1);
        Assert.Contains(inventory.Vms.SelectMany(v => v.Adapters), a => a.Mac is null);
        Assert.Contains(inventory.Vms.SelectMany(v => v.Adapters), a => a.SwitchName is null);
        Assert.Contains(inventory.Vms.SelectMany(v => v.DvdDrives), d => d.IsEmpty);
        Assert.Contains(inventory.PortMappings, m => m.Protocol == PortProtocol.Udp);
        Assert.Contains(inventory.PortMappings, m => m.NatName == "DockerNAT" && m.InternalIp == Ipv4Address.Parse("10.188.250.2"));
    }

    [Fact]
    public async Task Every_vm_state_reads_back_as_it_is()
    {
        var state = DefaultHost.Create();
        foreach (var vmState in Enum.GetValues<VmState>())
            state.Vms.Add(new SimVm { Name = "vm-" + vmState, State = vmState, Generation = 2, Firmware = new SimFirmware() });
        var host = SimulatedHost.InMemory(state);

        var inventory = await new HyperVProvider(new InProcessPowerShellRunner(host), new SimulatedCimClient(host), "test").GetInventoryAsync([], CancellationToken.None);

        Assert.Equal(Enum.GetValues<VmState>(), Enum.GetValues<VmState>().Select(s => inventory.Vm("vm-" + s)!.State));
    }

    [Fact]
    public async Task Two_readings_of_an_unchanged_host_give_the_same_instances_with_the_same_ids()
    {
        var host = BusyHost();
        var cim = new SimulatedCimClient(host);

        foreach (var (ns, className) in CimClasses.InventoryQueries)
        {
            var first = await cim.QueryAsync(ns, className, CancellationToken.None);
            var second = await cim.QueryAsync(ns, className, CancellationToken.None);

            Assert.Equal(Render(first), Render(second));
        }
        var vms = await cim.QueryAsync(CimClasses.Virtualization, CimClasses.ComputerSystem, CancellationToken.None);
        var ids = host.Snapshot().Vms.Select(v => v.Id.ToString("D").ToUpperInvariant());
        Assert.Subset(vms.Select(v => v.String("Name")!).ToHashSet(), ids.ToHashSet());
    }

    [Fact]
    public async Task References_are_wmi_object_paths_of_this_host_that_the_provider_can_follow()
    {
        var host = BusyHost();
        var cim = new SimulatedCimClient(host);

        var connections = await cim.QueryAsync(CimClasses.Virtualization, CimClasses.EthernetPortAllocationSettingData, CancellationToken.None);
        var switches = await cim.QueryAsync(CimClasses.Virtualization, CimClasses.VirtualEthernetSwitch, CancellationToken.None);
        var ports = await cim.QueryAsync(CimClasses.Virtualization, CimClasses.SyntheticEthernetPortSettingData, CancellationToken.None);

        var vmConnection = connections.First(c => c.String("Parent") is not null);
        Assert.StartsWith(@"\\SIMHOST\root\virtualization\v2:Msvm_SyntheticEthernetPortSettingData.InstanceID=""Microsoft:", vmConnection.String("Parent"), StringComparison.Ordinal);
        var parent = CimObjectPath.Parse(vmConnection.String("Parent"))!;
        Assert.Contains(ports, p => p.String("InstanceID") == parent.Key("InstanceID"));
        var target = CimObjectPath.Parse(vmConnection.Strings("HostResource")[0])!;
        Assert.True(target.IsClass(CimClasses.VirtualEthernetSwitch));
        Assert.Contains(switches, s => s.String("Name") == target.Key("Name"));
        Assert.Equal(parent.Key("InstanceID") + @"\C", vmConnection.String("InstanceID"));
    }

    [Fact]
    public async Task A_namespace_or_class_the_host_does_not_have_fails_as_cim_reports_it()
    {
        var cim = new SimulatedCimClient(SimulatedHost.InMemory());

        var ns = await Assert.ThrowsAsync<CimQueryException>(() => cim.QueryAsync("root/virtualization", "Msvm_ComputerSystem", CancellationToken.None));
        var cls = await Assert.ThrowsAsync<CimQueryException>(() => cim.QueryAsync(CimClasses.Virtualization, "Msvm_Nope", CancellationToken.None));

        Assert.Equal(CimFailure.InvalidNamespace, ns.Failure);
        Assert.Equal(CimFailure.InvalidClass, cls.Failure);
        Assert.Equal(HostErrorKind.Unavailable, HyperVErrors.FromCim(ns).Kind);
    }

    [Fact]
    public async Task An_unreadable_host_file_makes_the_inventory_unavailable()
    {
        var path = Path.Combine(Path.GetTempPath(), $"labrunner-int-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, "{ not json");
        try
        {
            var host = new SimulatedHost(path);
            var provider = new HyperVProvider(new InProcessPowerShellRunner(host), new SimulatedCimClient(host), "test");

            var e = await Assert.ThrowsAsync<HostUnavailableException>(() => provider.GetInventoryAsync([], CancellationToken.None));

            Assert.Equal(HostErrorKind.Unavailable, e.Error.Kind);
            Assert.Contains(path, e.Error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static IEnumerable<string> Render(IReadOnlyList<CimRecord> records) =>
        records.Select(r => string.Join("; ", r.Properties.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => $"{p.Key}={(p.Value is string[] a ? "[" + string.Join(",", a) + "]" : Convert.ToString(p.Value, System.Globalization.CultureInfo.InvariantCulture))}")));

    /// <summary>
    /// The default host with others' objects of every kind: an external switch on the wired adapter
    /// (shared with the host), a private switch, Docker's NetNat with a TCP and a UDP mapping, and VMs that
    /// are saved, paused and off, generation 1 and 2, with a dynamic MAC, a disconnected adapter, an empty
    /// DVD drive and multi-line notes.
    /// </summary>
    private static SimulatedHost BusyHost()
    {
        var host = SimulatedHost.InMemory();
        host.Mutate(m =>
        {
            m.NewSwitch("External LAN", SwitchKind.External, "Ethernet", allowManagementOs: true, "the office LAN");
            m.NewSwitch("cluster-heartbeat", SwitchKind.Private, null, allowManagementOs: false, null);
            m.NewSwitch("docker", SwitchKind.Internal, null, allowManagementOs: true, "");
            m.NewNetIPAddress(m.FindInterface("vEthernet (docker)")!, Ipv4Address.Parse("10.188.250.1"), 24);
            m.NewNat("DockerNAT", Ipv4Subnet.Parse("10.188.0.0/16"));
            m.AddStaticMapping("DockerNAT", PortProtocol.Tcp, new Ipv4Address(0), 2375, Ipv4Address.Parse("10.188.250.2"), 2375);
            m.AddStaticMapping("DockerNAT", PortProtocol.Udp, Ipv4Address.Parse("192.168.1.50"), 5300, Ipv4Address.Parse("10.188.250.2"), 53);

            var legacy = m.NewVm("legacy", 1, 1024L * 1024 * 1024, null, @"D:\VMs\legacy", "External LAN");
            m.SetVm(legacy, processorCount: 4, notes: "line one\nline two, \"quoted\", and a \\ backslash");
            m.StartVm(legacy);
            m.StopVm(legacy, turnOff: false, save: true);

            var docker = m.NewVm("DockerDesktopVM", 2, 2048L * 1024 * 1024, null, null, "docker");
            m.SetFirmware(docker, false, null, null);
            m.AddVmNetworkAdapter(docker, "spare", null, MacAddress.Parse("02-AB-CD-EF-00-01"));
            m.StartVm(docker);

            var paused = m.NewVm("paused", 2, 512L * 1024 * 1024, null, null, "cluster-heartbeat");
            m.AddDvdDrive(paused, null);
            m.StartVm(paused);
            paused.State = VmState.Paused;

            m.NewVm("never-started", 2, 256L * 1024 * 1024, null, null, null);
        });
        return host;
    }
}
