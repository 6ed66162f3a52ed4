using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Core.Net;

namespace LabRunner.Simulation.Model;

/// <summary>
/// Everything on one simulated Hyper-V host, as stored in its JSON file. The file is also the
/// configuration: tests and users write their own adapters, foreign switches, a foreign NetNat
/// (Docker's) or foreign VMs into it. Mutable on purpose: a change works on a fresh copy read from
/// the file (or cloned), and the copy replaces the old state only when every rule passed.
/// </summary>
public sealed partial class SimulatedHostState
{
    public const int CurrentVersion = 1;

    public int Version { get; set; } = CurrentVersion;

    public string ComputerName { get; set; } = "SIMHOST";

    /// <summary>Set-VM -ProcessorCount may not exceed what the host has.</summary>
    public int LogicalProcessors { get; set; } = 8;

    /// <summary>
    /// Whether New-VM turns automatic checkpoints on, as Windows 10 and 11 (client Hyper-V, since version
    /// 1709) do; Windows Server leaves them off. On by default: the simulated host is a developer's laptop.
    /// </summary>
    public bool NewVmsTakeAutomaticCheckpoints { get; set; } = true;

    /// <summary>Physical adapters and host vNICs (<c>vEthernet (SWITCH)</c>) with their IPv4 addresses.</summary>
    public List<SimNetAdapter> NetAdapters { get; set; } = [];

    public List<SimSwitch> Switches { get; set; } = [];

    /// <summary>WinNAT instances. A real host supports one; the model refuses a second.</summary>
    public List<SimNat> Nats { get; set; } = [];

    public List<SimStaticMapping> StaticMappings { get; set; } = [];

    /// <summary>Virtual hard disks created through the model (New-VHD). Base images may instead be real files on disk.</summary>
    public List<SimVhd> Vhds { get; set; } = [];

    public List<SimVm> Vms { get; set; } = [];

    public SimCounters Counters { get; set; } = new();

    /// <summary>The host file's text: indented JSON with addresses as people write them.</summary>
    public string ToJson() => SimulatedHostJson.Serialize(this);

    /// <summary>Reads a host file's text.</summary>
    /// <exception cref="System.Text.Json.JsonException">The text is not a host file.</exception>
    public static SimulatedHostState FromJson(string json) => SimulatedHostJson.Deserialize(json);
}

public enum SimAdapterKind
{
    Physical,
    HostVnic,
}

/// <summary>A network interface of the host (MSFT_NetAdapter + its MSFT_NetIPAddress rows).</summary>
public sealed class SimNetAdapter
{
    public string Name { get; set; } = "";

    public string InterfaceDescription { get; set; } = "";

    /// <summary>ifIndex; 0 in a hand-written file means "assign one when loading".</summary>
    public int InterfaceIndex { get; set; }

    public SimAdapterKind Kind { get; set; } = SimAdapterKind.Physical;

    /// <summary>For a host vNIC: the switch it belongs to.</summary>
    public string? SwitchName { get; set; }

    public MacAddress? MacAddress { get; set; }

    public List<HostIp> Addresses { get; set; } = [];
}

public sealed class SimSwitch
{
    public string Name { get; set; } = "";

    public Guid Id { get; set; }

    public SwitchKind SwitchType { get; set; } = SwitchKind.Internal;

    /// <summary>For an external switch: the physical adapter it is bound to.</summary>
    public string? NetAdapterName { get; set; }

    /// <summary>For an external switch: whether the host shares the adapter through a vNIC.</summary>
    public bool AllowManagementOS { get; set; }

    public string Notes { get; set; } = "";
}

public sealed class SimNat
{
    public string Name { get; set; } = "";

    public Ipv4Subnet InternalIPInterfaceAddressPrefix { get; set; }
}

public sealed class SimStaticMapping
{
    public uint StaticMappingId { get; set; }

    public string NatName { get; set; } = "";

    public PortProtocol Protocol { get; set; }

    public Ipv4Address ExternalIPAddress { get; set; }

    /// <summary>
    /// WinNAT may keep the external address with a prefix and read it back that way (<c>0.0.0.0/24</c>, the
    /// form Microsoft's own examples pass to Add-NetNatStaticMapping); null reads back the bare address.
    /// </summary>
    public int? ExternalPrefixLength { get; set; }

    public int ExternalPort { get; set; }

    public Ipv4Address InternalIPAddress { get; set; }

    public int InternalPort { get; set; }

    /// <summary>ExternalIPAddress as Get-NetNatStaticMapping shows it: with the prefix, when the mapping has one.</summary>
    public string ExternalAddressText() => ExternalPrefixLength is { } length
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{ExternalIPAddress}/{length}")
        : ExternalIPAddress.ToString();
}

public sealed class SimVhd
{
    public string Path { get; set; } = "";

    public string? ParentPath { get; set; }

    /// <summary>
    /// A placeholder file was written at <see cref="Path"/> (the emulated New-VHD does, so scripts can
    /// Test-Path and Remove-Item it). Such an entry lives exactly as long as that file.
    /// </summary>
    public bool Placeholder { get; set; }
}

public sealed class SimVm
{
    public string Name { get; set; } = "";

    public Guid Id { get; set; }

    public int Generation { get; set; } = 2;

    public VmState State { get; set; } = VmState.Off;

    public long MemoryStartupBytes { get; set; } = 512L * 1024 * 1024;

    public int ProcessorCount { get; set; } = 1;

    public string Notes { get; set; } = "";

    /// <summary>New-VM -Path: where the configuration lives.</summary>
    public string? Path { get; set; }

    public List<SimVmAdapter> NetworkAdapters { get; set; } = [];

    public List<SimDrive> HardDisks { get; set; } = [];

    public List<SimDrive> DvdDrives { get; set; } = [];

    /// <summary>Generation 2 only (UEFI).</summary>
    public SimFirmware? Firmware { get; set; }

    /// <summary>
    /// Set-VM -AutomaticCheckpointsEnabled: on, Start-VM takes a checkpoint and the VM's hard disks become
    /// its .avhdx files. New-VM takes it from <see cref="SimulatedHostState.NewVmsTakeAutomaticCheckpoints"/>;
    /// a host file without the field reads it as off.
    /// </summary>
    public bool AutomaticCheckpointsEnabled { get; set; }

    /// <summary>Set-VM -CheckpointType; Hyper-V gives new VMs Production (Windows 10 and Server 2016 on).</summary>
    public SimCheckpointType CheckpointType { get; set; } = SimCheckpointType.Production;

    /// <summary>
    /// Whether the guest's backup integration service answers (Windows: VSS; Linux: hv_vss_daemon freezing the file
    /// systems), which a production checkpoint of a running VM needs. On unless a test or a host file turns it off.
    /// </summary>
    public bool GuestFreezesFileSystems { get; set; } = true;

    /// <summary>The VM's checkpoints, oldest first (Get-VMSnapshot): a tree by <see cref="SimCheckpoint.ParentId"/>.</summary>
    public List<SimCheckpoint> Checkpoints { get; set; } = [];

    /// <summary>The checkpoint the VM's current state grew from (the last taken or restored), or null.</summary>
    public Guid? ParentCheckpointId { get; set; }
}

public sealed class SimVmAdapter
{
    public string Name { get; set; } = "Network Adapter";

    public Guid Id { get; set; }

    public string? SwitchName { get; set; }

    /// <summary>-StaticMacAddress; null for a dynamic MAC.</summary>
    public MacAddress? StaticMacAddress { get; set; }

    /// <summary>What Hyper-V handed out from its pool at the first start (dynamic MAC only).</summary>
    public MacAddress? DynamicMacAddress { get; set; }
}

public enum SimControllerType
{
    Ide,
    Scsi,
}

public sealed class SimDrive
{
    public SimControllerType ControllerType { get; set; }

    public int ControllerNumber { get; set; }

    public int ControllerLocation { get; set; }

    /// <summary>The VHD (hard disk) or ISO (DVD); null for an empty DVD drive.</summary>
    public string? Path { get; set; }
}

public enum SimBootDeviceType
{
    HardDiskDrive,
    DvdDrive,
    NetworkAdapter,
}

/// <summary>The first entry of a generation 2 VM's boot order: a drive by its controller slot, or an adapter by its id.</summary>
public sealed class SimBootDevice
{
    public SimBootDeviceType DeviceType { get; set; }

    public int ControllerNumber { get; set; }

    public int ControllerLocation { get; set; }

    public Guid? AdapterId { get; set; }
}

public sealed class SimFirmware
{
    public bool SecureBoot { get; set; } = true;

    public string SecureBootTemplate { get; set; } = "MicrosoftWindows";

    public SimBootDevice? FirstBootDevice { get; set; }
}

/// <summary>Counters the host hands out from; kept in the file so every process continues the same sequence.</summary>
public sealed class SimCounters
{
    public int NextInterfaceIndex { get; set; } = 40;

    public uint NextStaticMappingId { get; set; } = 1;

    /// <summary>The next dynamic MAC of Hyper-V's default pool 00-15-5D-xx-xx-xx.</summary>
    public uint NextDynamicMac { get; set; } = 0x100;
}
