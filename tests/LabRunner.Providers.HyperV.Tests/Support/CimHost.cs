using LabRunner.Providers.HyperV.Cim;

namespace LabRunner.Providers.HyperV.Tests.Support;

/// <summary>
/// CIM records of one host, shaped as the real classes return them (property names and CIM types
/// from the class pages: uint16 → ushort, uint64 → ulong, string[] for Notes and HostResource,
/// references as WMI object paths with escaped backslashes):
/// an external switch on "Ethernet", an internal (NAT) and a private switch, a NetNat with two
/// mappings, a running VM with two adapters, a disk and a DVD, and a foreign VM with a snapshot,
/// a disconnected adapter and an empty DVD drive.
/// </summary>
internal static class CimHost
{
    public const string Host = "HOST1";
    private const string Ns = @"\\HOST1\root\virtualization\v2:";

    public const string ExternalGuid = "0D5A4E1C-6F3B-4C52-9A0E-2B1C3D4E5F60";
    public const string NatSwitchGuid = "1E6B5F2D-7A4C-4D63-8B1F-3C2D4E5F6071";
    public const string PrivateGuid = "2F7C6A3E-8B5D-4E74-9C2A-4D3E5F607182";
    public const string WebGuid = "5B2E8F1A-3C4D-4E5F-8A9B-0C1D2E3F4A5B";
    public const string OldGuid = "6C3F9A2B-4D5E-4F60-9B0C-1D2E3F4A5B6C";
    public const string SnapshotGuid = "7D4A0B3C-5E6F-4071-8C1D-2E3F4A5B6C7D";
    public const string NicGuid = "{A1B2C3D4-E5F6-4718-9A0B-C1D2E3F4A5B6}";

    private static CimRecord R(string className, params (string Name, object? Value)[] properties) =>
        new(className, properties.ToDictionary(p => p.Name, p => p.Value));

    /// <summary>A WMI object path as it appears inside a reference string: backslashes in key values doubled.</summary>
    private static string Path(string className, params (string Key, string Value)[] keys) =>
        Ns + className + "." + string.Join(",", keys.Select(k => $"{k.Key}=\"{k.Value.Replace("\\", "\\\\", StringComparison.Ordinal)}\""));

    private static string SwitchPath(string guid) => Path("Msvm_VirtualEthernetSwitch", ("CreationClassName", "Msvm_VirtualEthernetSwitch"), ("Name", guid));

    private static string HostPath() => Path("Msvm_ComputerSystem", ("CreationClassName", "Msvm_ComputerSystem"), ("Name", Host));

    public static Dictionary<string, IReadOnlyList<CimRecord>> Records() => new()
    {
        [CimClasses.ComputerSystem] =
        [
            R("Msvm_ComputerSystem", ("Name", Host), ("ElementName", Host), ("Caption", "Hosting Computer System"), ("EnabledState", (ushort)2)),
            R("Msvm_ComputerSystem", ("Name", WebGuid), ("ElementName", "web"), ("Caption", "Virtual Machine"), ("EnabledState", (ushort)2)),
            R("Msvm_ComputerSystem", ("Name", OldGuid), ("ElementName", "old"), ("Caption", "Virtual Machine"), ("EnabledState", (ushort)32769)),
        ],
        [CimClasses.VirtualSystemSettingData] =
        [
            R("Msvm_VirtualSystemSettingData", ("InstanceID", $"Microsoft:{WebGuid}"), ("ElementName", "web"), ("VirtualSystemIdentifier", WebGuid),
                ("VirtualSystemType", "Microsoft:Hyper-V:System:Realized"), ("VirtualSystemSubType", "Microsoft:Hyper-V:SubType:2"),
                ("Notes", new[] { Samples.Mark }), ("SecureBootEnabled", true), ("SecureBootTemplateId", "272e7447-90a4-4563-a4b9-8e4ab00526ce"),
                ("AutomaticSnapshotsEnabled", false)),
            R("Msvm_VirtualSystemSettingData", ("InstanceID", $"Microsoft:{OldGuid}"), ("ElementName", "old"), ("VirtualSystemIdentifier", OldGuid),
                ("VirtualSystemType", "Microsoft:Hyper-V:System:Realized"), ("VirtualSystemSubType", "Microsoft:Hyper-V:SubType:1"),
                ("Notes", new[] { "Docker Desktop VM", "second line" }), ("SecureBootEnabled", false), ("SecureBootTemplateId", "00000000-0000-0000-0000-000000000000"),
                ("AutomaticSnapshotsEnabled", true)),
            // A checkpoint of "old": its own GUID, so none of its settings may leak into the VM.
            R("Msvm_VirtualSystemSettingData", ("InstanceID", $"Microsoft:{SnapshotGuid}"), ("ElementName", "old - (1/1/2025)"), ("VirtualSystemIdentifier", OldGuid),
                ("VirtualSystemType", "Microsoft:Hyper-V:Snapshot:Realized"), ("Notes", Array.Empty<string>())),
        ],
        [CimClasses.MemorySettingData] =
        [
            R("Msvm_MemorySettingData", ("InstanceID", $@"Microsoft:{WebGuid}\4764334d-e001-4176-82ee-5594ec9b530e"), ("VirtualQuantity", (ulong)2048), ("AllocationUnits", "byte * 2^20")),
            R("Msvm_MemorySettingData", ("InstanceID", $@"Microsoft:{OldGuid}\4764334d-e001-4176-82ee-5594ec9b530e"), ("VirtualQuantity", (ulong)1024), ("DynamicMemoryEnabled", true)),
            R("Msvm_MemorySettingData", ("InstanceID", $@"Microsoft:{SnapshotGuid}\4764334d-e001-4176-82ee-5594ec9b530e"), ("VirtualQuantity", (ulong)512)),
        ],
        [CimClasses.ProcessorSettingData] =
        [
            R("Msvm_ProcessorSettingData", ("InstanceID", $@"Microsoft:{WebGuid}\b637f346-6a0e-4dec-af52-bd70cb80a21d\0"), ("VirtualQuantity", (ulong)2)),
            R("Msvm_ProcessorSettingData", ("InstanceID", $@"Microsoft:{OldGuid}\b637f346-6a0e-4dec-af52-bd70cb80a21d\0"), ("VirtualQuantity", (ulong)1)),
            R("Msvm_ProcessorSettingData", ("InstanceID", $@"Microsoft:{SnapshotGuid}\b637f346-6a0e-4dec-af52-bd70cb80a21d\0"), ("VirtualQuantity", (ulong)8)),
        ],
        [CimClasses.SyntheticEthernetPortSettingData] =
        [
            R("Msvm_SyntheticEthernetPortSettingData", ("InstanceID", $@"Microsoft:{WebGuid}\A1"), ("ElementName", "nat"), ("Address", "021A2B3C4D01"), ("StaticMacAddress", true)),
            R("Msvm_SyntheticEthernetPortSettingData", ("InstanceID", $@"Microsoft:{WebGuid}\A2"), ("ElementName", "backend"), ("Address", "021A2B3C4D02"), ("StaticMacAddress", true)),
            R("Msvm_SyntheticEthernetPortSettingData", ("InstanceID", $@"Microsoft:{OldGuid}\A3"), ("ElementName", "Network Adapter"), ("Address", "00155D010203"), ("StaticMacAddress", false)),
            R("Msvm_SyntheticEthernetPortSettingData", ("InstanceID", $@"Microsoft:{SnapshotGuid}\A3"), ("ElementName", "Network Adapter"), ("Address", "00155D010203"), ("StaticMacAddress", false)),
        ],
        [CimClasses.EthernetPortAllocationSettingData] =
        [
            // VM connections: Parent is the adapter's settings, HostResource[0] the switch.
            R("Msvm_EthernetPortAllocationSettingData", ("InstanceID", $@"Microsoft:{WebGuid}\A1\C"), ("EnabledState", (ushort)2),
                ("Parent", Path("Msvm_SyntheticEthernetPortSettingData", ("InstanceID", $@"Microsoft:{WebGuid}\A1"))), ("HostResource", new[] { SwitchPath(NatSwitchGuid) })),
            R("Msvm_EthernetPortAllocationSettingData", ("InstanceID", $@"Microsoft:{WebGuid}\A2\C"), ("EnabledState", (ushort)2),
                ("Parent", Path("Msvm_SyntheticEthernetPortSettingData", ("InstanceID", $@"Microsoft:{WebGuid}\A2"))), ("HostResource", new[] { SwitchPath(PrivateGuid) })),
            // "old"'s adapter was disconnected: the request is kept but disabled.
            R("Msvm_EthernetPortAllocationSettingData", ("InstanceID", $@"Microsoft:{OldGuid}\A3\C"), ("EnabledState", (ushort)3),
                ("Parent", Path("Msvm_SyntheticEthernetPortSettingData", ("InstanceID", $@"Microsoft:{OldGuid}\A3"))), ("HostResource", new[] { SwitchPath(ExternalGuid) })),
            // The switches' own ports: the external one to the NIC and to the host, the NAT one to the host.
            R("Msvm_EthernetPortAllocationSettingData", ("InstanceID", $@"Microsoft:{ExternalGuid}\E1"), ("EnabledState", (ushort)2),
                ("HostResource", new[] { Path("Msvm_ExternalEthernetPort", ("CreationClassName", "Msvm_ExternalEthernetPort"), ("DeviceID", "Microsoft:" + NicGuid),
                    ("SystemCreationClassName", "Msvm_ComputerSystem"), ("SystemName", Host)) })),
            R("Msvm_EthernetPortAllocationSettingData", ("InstanceID", $@"Microsoft:{ExternalGuid}\I1"), ("EnabledState", (ushort)2), ("HostResource", new[] { HostPath() })),
            R("Msvm_EthernetPortAllocationSettingData", ("InstanceID", $@"Microsoft:{NatSwitchGuid}\I2"), ("EnabledState", (ushort)2), ("HostResource", new[] { HostPath() })),
        ],
        [CimClasses.ResourceAllocationSettingData] =
        [
            R("Msvm_ResourceAllocationSettingData", ("InstanceID", $@"Microsoft:{WebGuid}\83F8638B-8DCA-4152-9EDA-2CA8B33039B4\0"), ("ResourceSubType", "Microsoft:Hyper-V:Synthetic SCSI Controller")),
            R("Msvm_ResourceAllocationSettingData", ("InstanceID", $@"Microsoft:{WebGuid}\83F8638B-8DCA-4152-9EDA-2CA8B33039B4\0\0\D"), ("ResourceSubType", "Microsoft:Hyper-V:Synthetic Disk Drive")),
            // A drive names its controller by Parent and its place on it by AddressOnParent; the SCSI
            // controller has no Address, so its number comes from its InstanceID.
            R("Msvm_ResourceAllocationSettingData", ("InstanceID", $@"Microsoft:{WebGuid}\83F8638B-8DCA-4152-9EDA-2CA8B33039B4\0\1\D"), ("ResourceSubType", "Microsoft:Hyper-V:Synthetic DVD Drive"), ("ResourceType", (ushort)16),
                ("Parent", Path("Msvm_ResourceAllocationSettingData", ("InstanceID", $@"Microsoft:{WebGuid}\83F8638B-8DCA-4152-9EDA-2CA8B33039B4\0"))), ("AddressOnParent", "1")),
            // Generation 1: two IDE controllers, Address 0 and 1; the empty drive New-VM made sits at 1:0.
            R("Msvm_ResourceAllocationSettingData", ("InstanceID", $@"Microsoft:{OldGuid}\83F8638B-8DCA-4152-9EDA-2CA8B33039B4\0"), ("ResourceSubType", "Microsoft:Hyper-V:Emulated IDE Controller"), ("ResourceType", (ushort)5), ("Address", "0")),
            R("Msvm_ResourceAllocationSettingData", ("InstanceID", $@"Microsoft:{OldGuid}\83F8638B-8DCA-4152-9EDA-2CA8B33039B4\1"), ("ResourceSubType", "Microsoft:Hyper-V:Emulated IDE Controller"), ("ResourceType", (ushort)5), ("Address", "1")),
            R("Msvm_ResourceAllocationSettingData", ("InstanceID", $@"Microsoft:{OldGuid}\83F8638B-8DCA-4152-9EDA-2CA8B33039B4\1\0\D"), ("ResourceSubType", "Microsoft:Hyper-V:Synthetic DVD Drive"), ("ResourceType", (ushort)16),
                ("Parent", Path("Msvm_ResourceAllocationSettingData", ("InstanceID", $@"Microsoft:{OldGuid}\83F8638B-8DCA-4152-9EDA-2CA8B33039B4\1"))), ("AddressOnParent", "0")),
        ],
        [CimClasses.StorageAllocationSettingData] =
        [
            R("Msvm_StorageAllocationSettingData", ("InstanceID", $@"Microsoft:{WebGuid}\83F8638B-8DCA-4152-9EDA-2CA8B33039B4\0\0\L"), ("ResourceType", (ushort)31),
                ("ResourceSubType", "Microsoft:Hyper-V:Virtual Hard Disk"), ("HostResource", new[] { @"C:\src\demo\.lab\web\disk.vhdx" }),
                ("Parent", Path("Msvm_ResourceAllocationSettingData", ("InstanceID", $@"Microsoft:{WebGuid}\83F8638B-8DCA-4152-9EDA-2CA8B33039B4\0\0\D")))),
            R("Msvm_StorageAllocationSettingData", ("InstanceID", $@"Microsoft:{WebGuid}\83F8638B-8DCA-4152-9EDA-2CA8B33039B4\0\1\L"), ("ResourceType", (ushort)31),
                ("ResourceSubType", "Microsoft:Hyper-V:Virtual CD/DVD Disk"), ("HostResource", new[] { @"C:\src\demo\.lab\web\seed.iso" }),
                ("Parent", Path("Msvm_ResourceAllocationSettingData", ("InstanceID", $@"Microsoft:{WebGuid}\83F8638B-8DCA-4152-9EDA-2CA8B33039B4\0\1\D")))),
            R("Msvm_StorageAllocationSettingData", ("InstanceID", $@"Microsoft:{OldGuid}\91F8638B-8DCA-4152-9EDA-2CA8B33039B4\0\0\L"), ("ResourceType", (ushort)31),
                ("ResourceSubType", "Microsoft:Hyper-V:Virtual Hard Disk"), ("HostResource", new[] { @"D:\VMs\old\old.vhdx" })),
            R("Msvm_StorageAllocationSettingData", ("InstanceID", $@"Microsoft:{SnapshotGuid}\91F8638B-8DCA-4152-9EDA-2CA8B33039B4\0\0\L"), ("ResourceType", (ushort)31),
                ("ResourceSubType", "Microsoft:Hyper-V:Virtual Hard Disk"), ("HostResource", new[] { @"D:\VMs\old\old_1234.avhdx" })),
        ],
        [CimClasses.VirtualEthernetSwitch] =
        [
            R("Msvm_VirtualEthernetSwitch", ("Name", ExternalGuid), ("ElementName", "LabRunner Bridge"), ("CreationClassName", "Msvm_VirtualEthernetSwitch")),
            R("Msvm_VirtualEthernetSwitch", ("Name", NatSwitchGuid), ("ElementName", "demo-nat"), ("CreationClassName", "Msvm_VirtualEthernetSwitch")),
            R("Msvm_VirtualEthernetSwitch", ("Name", PrivateGuid), ("ElementName", "demo-backend"), ("CreationClassName", "Msvm_VirtualEthernetSwitch")),
        ],
        [CimClasses.VirtualEthernetSwitchSettingData] =
        [
            R("Msvm_VirtualEthernetSwitchSettingData", ("InstanceID", $"Microsoft:{ExternalGuid}"), ("VirtualSystemIdentifier", ExternalGuid), ("ElementName", "LabRunner Bridge"),
                ("Notes", new[] { "labrunner:v1 shared" })),
            R("Msvm_VirtualEthernetSwitchSettingData", ("InstanceID", $"Microsoft:{NatSwitchGuid}"), ("VirtualSystemIdentifier", NatSwitchGuid), ("ElementName", "demo-nat"),
                ("Notes", new[] { Samples.Mark })),
            R("Msvm_VirtualEthernetSwitchSettingData", ("InstanceID", $"Microsoft:{PrivateGuid}"), ("VirtualSystemIdentifier", PrivateGuid), ("ElementName", "demo-backend"),
                ("Notes", Array.Empty<string>())),
        ],
        [CimClasses.ExternalEthernetPort] =
        [
            R("Msvm_ExternalEthernetPort", ("DeviceID", "Microsoft:" + NicGuid), ("ElementName", "Intel(R) Ethernet Connection (7) I219-LM"), ("IsBound", true)),
            R("Msvm_ExternalEthernetPort", ("DeviceID", "Microsoft:{00000000-1111-2222-3333-444444444444}"), ("ElementName", "Realtek USB GbE Family Controller"), ("IsBound", false)),
        ],
        [CimClasses.NetAdapter] =
        [
            R("MSFT_NetAdapter", ("Name", "Ethernet"), ("InterfaceDescription", "Intel(R) Ethernet Connection (7) I219-LM"), ("InterfaceIndex", 12u),
                ("DeviceID", NicGuid), ("InterfaceGuid", NicGuid), ("ConnectorPresent", true), ("Virtual", false)),
            R("MSFT_NetAdapter", ("Name", "vEthernet (LabRunner Bridge)"), ("InterfaceDescription", "Hyper-V Virtual Ethernet Adapter"), ("InterfaceIndex", 15u),
                ("DeviceID", "{B1B2C3D4-E5F6-4718-9A0B-C1D2E3F4A5B6}"), ("ConnectorPresent", false), ("Virtual", true)),
            R("MSFT_NetAdapter", ("Name", "vEthernet (demo-nat)"), ("InterfaceDescription", "Hyper-V Virtual Ethernet Adapter #2"), ("InterfaceIndex", 20u),
                ("DeviceID", "{C1B2C3D4-E5F6-4718-9A0B-C1D2E3F4A5B6}"), ("ConnectorPresent", false), ("Virtual", true)),
        ],
        [CimClasses.NetIPAddress] =
        [
            R("MSFT_NetIPAddress", ("IPAddress", "192.168.1.21"), ("PrefixLength", (byte)24), ("AddressFamily", (ushort)2), ("InterfaceIndex", 15u), ("InterfaceAlias", "vEthernet (LabRunner Bridge)")),
            R("MSFT_NetIPAddress", ("IPAddress", "fe80::1c2d:3e4f:5a6b:7c8d%15"), ("PrefixLength", (byte)64), ("AddressFamily", (ushort)23), ("InterfaceIndex", 15u), ("InterfaceAlias", "vEthernet (LabRunner Bridge)")),
            R("MSFT_NetIPAddress", ("IPAddress", "172.30.1.1"), ("PrefixLength", (byte)24), ("AddressFamily", (ushort)2), ("InterfaceIndex", 20u), ("InterfaceAlias", "vEthernet (demo-nat)")),
            R("MSFT_NetIPAddress", ("IPAddress", "127.0.0.1"), ("PrefixLength", (byte)8), ("AddressFamily", (ushort)2), ("InterfaceIndex", 1u), ("InterfaceAlias", "Loopback Pseudo-Interface 1")),
        ],
        [CimClasses.NetNat] =
        [
            R("MSFT_NetNat", ("Name", "LabRunnerNat"), ("InternalIPInterfaceAddressPrefix", "172.30.0.0/16"), ("Active", true)),
        ],
        [CimClasses.NetNatStaticMapping] =
        [
            R("MSFT_NetNatStaticMapping", ("NatName", "LabRunnerNat"), ("Protocol", (byte)6), ("ExternalIPAddress", "0.0.0.0/24"), ("ExternalPort", (ushort)2222),
                ("InternalIPAddress", "172.30.1.10"), ("InternalPort", (ushort)22), ("StaticMappingID", 0u)),
            R("MSFT_NetNatStaticMapping", ("NatName", "LabRunnerNat"), ("Protocol", "UDP"), ("ExternalIPAddress", "0.0.0.0"), ("ExternalPort", (ushort)5353),
                ("InternalIPAddress", "172.30.1.10"), ("InternalPort", (ushort)53), ("StaticMappingID", 1u)),
        ],
    };
}
