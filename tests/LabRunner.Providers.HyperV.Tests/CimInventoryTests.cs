using System.Collections.Immutable;
using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Core.Net;
using LabRunner.Providers.HyperV;
using LabRunner.Providers.HyperV.Cim;
using LabRunner.Providers.HyperV.Tests.Support;

namespace LabRunner.Providers.HyperV.Tests;

public class CimInventoryTests
{
    private static HostInventory Map() => CimInventoryMapper.Map(
        CimHost.Records().ToDictionary(kv => kv.Key, kv => kv.Value),
        [@"C:\src\demo\.lab\web\seed.iso"]);

    [Fact]
    public void Switches_get_their_kind_from_their_own_ports_and_their_notes_from_their_settings()
    {
        var inventory = Map();

        Assert.Equal<HostSwitch>(
            [
                new HostSwitch("demo-backend", SwitchKind.Private, null, ""),
                new HostSwitch("demo-nat", SwitchKind.Internal, null, Samples.Mark),
                new HostSwitch("LabRunner Bridge", SwitchKind.External, "Ethernet", LabIdentity.SharedMark),
            ],
            inventory.Switches);
    }

    [Fact]
    public void Host_adapters_carry_their_IPv4_addresses_and_addresses_of_unlisted_interfaces_are_kept()
    {
        var inventory = Map();

        Assert.Equal<string>(["Ethernet", "Loopback Pseudo-Interface 1", "vEthernet (demo-nat)", "vEthernet (LabRunner Bridge)"], inventory.NetAdapters.Select(a => a.Name));
        var nic = inventory.NetAdapters.Single(a => a.Name == "Ethernet");
        Assert.True(nic.IsPhysical);
        Assert.Empty(nic.Addresses);
        var vnic = inventory.HostInterfaceOf(HyperVRules.Instance, "demo-nat")!;
        Assert.False(vnic.IsPhysical);
        Assert.Equal("Hyper-V Virtual Ethernet Adapter #2", vnic.InterfaceDescription);
        Assert.Equal<HostIp>([new HostIp(Ipv4Address.Parse("172.30.1.1"), 24)], vnic.Addresses);
        Assert.Equal<HostIp>([new HostIp(Ipv4Address.Parse("192.168.1.21"), 24)], inventory.HostInterfaceOf(HyperVRules.Instance, "LabRunner Bridge")!.Addresses);
        Assert.Equal<HostIp>([new HostIp(Ipv4Address.Parse("127.0.0.1"), 8)], inventory.NetAdapters.Single(a => a.Name.StartsWith("Loopback", StringComparison.Ordinal)).Addresses);
    }

    [Fact]
    public void The_NetNat_and_both_of_its_mappings_are_read()
    {
        var inventory = Map();

        Assert.Equal<HostNat>([new HostNat("LabRunnerNat", Ipv4Subnet.Parse("172.30.0.0/16"))], inventory.Nats);
        Assert.Equal<HostPortMapping>(
            [
                new HostPortMapping("LabRunnerNat", PortProtocol.Tcp, Ipv4Address.Parse("0.0.0.0"), 2222, Ipv4Address.Parse("172.30.1.10"), 22),
                new HostPortMapping("LabRunnerNat", PortProtocol.Udp, Ipv4Address.Parse("0.0.0.0"), 5353, Ipv4Address.Parse("172.30.1.10"), 53),
            ],
            inventory.PortMappings);
    }

    [Fact]
    public void A_VM_is_joined_from_its_settings_memory_processors_adapters_connections_and_storage()
    {
        var web = Map().Vm("web")!;

        Assert.Equal(VmState.Running, web.State);
        Assert.Equal(Samples.Mark, web.Notes);
        Assert.Equal(2, web.Generation);
        Assert.Equal(2L * ByteSize.GiB, web.MemoryBytes);
        Assert.Equal(2, web.Cpus);
        Assert.True(web.SecureBoot);
        Assert.Equal<HostVmAdapter>(
            [
                new HostVmAdapter("backend", "demo-backend", MacAddress.Parse("02-1A-2B-3C-4D-02")),
                new HostVmAdapter("nat", "demo-nat", MacAddress.Parse("02-1A-2B-3C-4D-01")),
            ],
            web.Adapters);
        Assert.Equal<string>([@"C:\src\demo\.lab\web\disk.vhdx"], web.HardDisks);
        Assert.Equal([new HostDvdDrive(0, 1, @"C:\src\demo\.lab\web\seed.iso")], web.DvdDrives.ToArray());
        Assert.Equal("MicrosoftUEFICertificateAuthority", web.SecureBootTemplate);
        Assert.False(web.AutomaticCheckpoints);
    }

    [Fact]
    public void Snapshots_the_host_itself_and_disconnected_adapters_do_not_leak_into_the_VMs()
    {
        var inventory = Map();

        Assert.Equal<string>(["old", "web"], inventory.Vms.Select(v => v.Name));
        var old = inventory.Vm("old")!;
        Assert.Equal(VmState.Saved, old.State);
        Assert.Equal("Docker Desktop VM\nsecond line", old.Notes);
        Assert.Equal(1, old.Generation);
        Assert.Equal(ByteSize.GiB, old.MemoryBytes);
        Assert.Equal(1, old.Cpus);
        Assert.False(old.SecureBoot);
        Assert.Equal<HostVmAdapter>([new HostVmAdapter("Network Adapter", null, null)], old.Adapters);
        Assert.Equal<string>([@"D:\VMs\old\old.vhdx"], old.HardDisks);
        Assert.Equal([new HostDvdDrive(1, 0, "")], old.DvdDrives.ToArray());
        Assert.Null(old.SecureBootTemplate);
        Assert.True(old.AutomaticCheckpoints);
    }

    [Fact]
    public void Only_the_files_that_exist_are_listed()
    {
        Assert.Equal<string>([@"C:\src\demo\.lab\web\seed.iso"], Map().Files);
    }

    [Fact]
    public void An_empty_host_maps_to_an_empty_inventory()
    {
        var inventory = CimInventoryMapper.Map(new Dictionary<string, IReadOnlyList<CimRecord>>(), []);

        Assert.Empty(inventory.Switches);
        Assert.Empty(inventory.Nats);
        Assert.Empty(inventory.PortMappings);
        Assert.Empty(inventory.Vms);
        Assert.Empty(inventory.NetAdapters);
    }

    [Fact]
    public void A_NetNat_without_an_IPv4_prefix_is_kept_as_covering_everything()
    {
        var records = new Dictionary<string, IReadOnlyList<CimRecord>>
        {
            [CimClasses.NetNat] = [new CimRecord("MSFT_NetNat", new Dictionary<string, object?> { ["Name"] = "v6nat", ["InternalIPInterfaceAddressPrefix"] = "fd00::/64" })],
        };

        var nat = Assert.Single(CimInventoryMapper.Map(records, []).Nats);

        Assert.Equal(new HostNat("v6nat", new Ipv4Subnet(new Ipv4Address(0), 0)), nat);
    }

    [Theory]
    [InlineData(2, VmState.Running)]
    [InlineData(3, VmState.Off)]
    [InlineData(6, VmState.Saved)]
    [InlineData(32769, VmState.Saved)]
    [InlineData(9, VmState.Paused)]
    [InlineData(32768, VmState.Paused)]
    [InlineData(10, VmState.Starting)]
    [InlineData(32770, VmState.Starting)]
    [InlineData(4, VmState.Stopping)]
    [InlineData(32774, VmState.Stopping)]
    [InlineData(32771, VmState.Other)]
    public void EnabledState_values_map_to_VM_states(int enabledState, VmState expected)
    {
        var records = CimHost.Records();
        records[CimClasses.ComputerSystem] =
        [
            new CimRecord("Msvm_ComputerSystem", new Dictionary<string, object?> { ["Name"] = CimHost.WebGuid, ["EnabledState"] = (ushort)enabledState }),
        ];

        Assert.Equal(expected, CimInventoryMapper.Map(records, []).Vm("web")!.State);
    }

    [Fact]
    public void Object_paths_are_parsed_with_their_escapes()
    {
        var path = CimObjectPath.Parse(@"\\host.example.com\root\virtualization\v2:Msvm_SyntheticEthernetPortSettingData.InstanceID=""Microsoft:5B2E\\A1 \""x\""""");

        Assert.NotNull(path);
        Assert.Equal("Msvm_SyntheticEthernetPortSettingData", path.ClassName);
        Assert.Equal(@"Microsoft:5B2E\A1 ""x""", path.Key("InstanceID"));
        Assert.Null(CimObjectPath.Parse("not a path"));
        Assert.Null(CimObjectPath.Parse(@"X.Key=""unterminated"));
    }

    [Theory]
    [InlineData(@"Microsoft:5B2E8F1A\4764334d\0", "5B2E8F1A")]
    [InlineData("Microsoft:5B2E8F1A", "5B2E8F1A")]
    [InlineData("Other:5B2E8F1A", null)]
    [InlineData(null, null)]
    public void The_owner_of_a_setting_is_the_GUID_of_its_instance_id(string? instanceId, string? owner)
    {
        Assert.Equal(owner, CimInventoryMapper.Owner(instanceId));
    }
}

public class ProviderInventoryTests
{
    [Fact]
    public async Task Every_class_is_queried_exactly_once_per_inventory()
    {
        var cim = new FakeCimClient(CimHost.Records().ToDictionary(kv => kv.Key, kv => kv.Value));
        var files = new FakeHostFiles(@"C:\a\seed.iso");
        var provider = new HyperVProvider(new ScriptedRunner([]), cim, CimHost.Host, files);

        var inventory = await provider.GetInventoryAsync([@"C:\a\seed.iso", @"C:\a\missing.vhdx"], CancellationToken.None);

        Assert.Same(files, provider.Files);

        Assert.Equal(CimClasses.InventoryQueries.Concat(CimClasses.ShareQueries.Select(q => (q.Namespace, q.ClassName))).OrderBy(q => q.ClassName), cim.Queries.OrderBy(q => q.ClassName));
        Assert.Equal(3, inventory.Switches.Length);
        Assert.Equal<string>([@"C:\a\seed.iso"], inventory.Files);
        Assert.True(inventory.FileExists(@"c:\A\SEED.iso"));
    }

    [Theory]
    [InlineData(CimFailure.AccessDenied, CimClasses.ComputerSystem, HostErrorKind.AccessDenied)]
    [InlineData(CimFailure.InvalidNamespace, CimClasses.ComputerSystem, HostErrorKind.Unavailable)]
    [InlineData(CimFailure.InvalidClass, CimClasses.NetNat, HostErrorKind.Unavailable)]
    [InlineData(CimFailure.Failed, CimClasses.VirtualEthernetSwitch, HostErrorKind.Failed)]
    public async Task A_host_that_cannot_be_read_is_unavailable(CimFailure failure, string className, HostErrorKind kind)
    {
        var @namespace = CimClasses.InventoryQueries.Single(q => q.ClassName == className).Namespace;
        var cim = new FakeCimClient(new Dictionary<string, IReadOnlyList<CimRecord>>()) { Throw = new CimQueryException(failure, @namespace, className, "boom") };
        var provider = new HyperVProvider(new ScriptedRunner([]), cim, CimHost.Host);

        var e = await Assert.ThrowsAsync<HostUnavailableException>(() => provider.GetInventoryAsync(ImmutableArray<string>.Empty, CancellationToken.None));

        Assert.Equal(kind, e.Error.Kind);
    }
}
