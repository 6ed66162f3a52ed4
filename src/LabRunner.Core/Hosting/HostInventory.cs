using System.Collections.Immutable;
using LabRunner.Core.Labfile;
using LabRunner.Core.Net;

namespace LabRunner.Core.Hosting;

/// <summary>
/// What is on a Hyper-V host right now, read in one round of queries. Everything on the host is
/// listed — other labs', Docker's, the user's — because planning must avoid it and never touch it.
/// </summary>
public sealed partial record HostInventory(
    ImmutableArray<HostNetAdapter> NetAdapters,
    ImmutableArray<HostSwitch> Switches,
    ImmutableArray<HostNat> Nats,
    ImmutableArray<HostPortMapping> PortMappings,
    ImmutableArray<HostVm> Vms,
    ImmutableArray<string> Files)
{
    public static HostInventory Empty { get; } = new([], [], [], [], [], []);

    public HostSwitch? Switch(string name) => Switches.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));

    public HostVm? Vm(string name) => Vms.FirstOrDefault(v => string.Equals(v.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The host's own interface on an internal switch (Hyper-V: <c>vEthernet (SWITCH)</c>; a Linux bridge: itself).</summary>
    public HostNetAdapter? HostInterfaceOf(HostRules rules, string switchName) =>
        NetAdapters.FirstOrDefault(a => string.Equals(a.Name, rules.HostInterfaceName(switchName), StringComparison.OrdinalIgnoreCase));

    public bool FileExists(string path) => Files.Contains(path, StringComparer.OrdinalIgnoreCase);
}

/// <summary>
/// A network interface of the host (Hyper-V: Get-NetAdapter / MSFT_NetAdapter with Get-NetIPAddress;
/// Linux: <c>ip -j addr</c>) with its IPv4 addresses. The host's interface on an internal switch is
/// named by <see cref="HostRules.HostInterfaceName"/>.
/// </summary>
public sealed record HostNetAdapter(string Name, string InterfaceDescription, bool IsPhysical, ImmutableArray<HostIp> Addresses);

public sealed record HostIp(Ipv4Address Address, int PrefixLength)
{
    public Ipv4Subnet Subnet => new(Address, PrefixLength);

    public override string ToString() => $"{Address}/{PrefixLength}";
}

public enum SwitchKind
{
    Internal,
    Private,
    External,
}

/// <summary>A Hyper-V virtual switch (Get-VMSwitch / Msvm_VirtualEthernetSwitch). Notes carry LabRunner's ownership mark.</summary>
public sealed record HostSwitch(string Name, SwitchKind Kind, string? NetAdapterName, string Notes);

/// <summary>
/// A NAT on the host. Hyper-V: a WinNAT instance (Get-NetNat / MSFT_NetNat), one internal prefix per host,
/// no mark. A <see cref="NatModel.PerNetwork"/> host: one translation per NAT network, named after its
/// switch, with the lab's <see cref="Mark"/>.
/// </summary>
public sealed record HostNat(string Name, Ipv4Subnet InternalPrefix, string? Mark = null);

/// <summary>A WinNAT static mapping (Get-NetNatStaticMapping / MSFT_NetNatStaticMapping).</summary>
public sealed record HostPortMapping(
    string NatName,
    PortProtocol Protocol,
    Ipv4Address ExternalIp,
    int ExternalPort,
    Ipv4Address InternalIp,
    int InternalPort);

public enum VmState
{
    Off,
    Running,
    Paused,
    Saved,
    Starting,
    Stopping,
    Other,
}

/// <summary>A VM (Get-VM / Msvm_ComputerSystem) with what LabRunner configures on it.</summary>
/// <param name="SecureBootTemplate">
/// The secure boot template by name (Get-VMFirmware's SecureBootTemplate; CIM has its id), or null when the
/// host does not say (generation 1, or a host that does not report it).
/// </param>
/// <param name="AutomaticCheckpoints">
/// Set-VM -AutomaticCheckpointsEnabled: on, Start-VM takes a checkpoint and the VM's disk becomes its
/// .avhdx. Windows 10/11 turn it on for every new VM.
/// </param>
/// <param name="SnapshotType">
/// The kind of snapshot the VM takes, where the host offers a choice and says (Hyper-V: CheckpointType); null when it
/// does not, or the VM takes none (checkpoints disabled by hand, which 'lab snapshot save' sets again).
/// </param>
/// <param name="SnapshotDisks">
/// The files the VM's snapshots keep beside <see cref="HardDisks"/> (Hyper-V: a VM with checkpoints runs on an
/// .avhdx whose chain of parents ends in its own disk; these are the rest of that chain and the checkpoints' disks).
/// Default when the host does not report them this way (QEMU keeps its snapshots inside the VM's own qcow2 images);
/// empty when it does and the VM has no snapshot (a Hyper-V checkpoint always adds an .avhdx per disk).
/// </param>
/// <param name="UnknownStateReason">
/// Why the host could not tell the VM's state (e.g. its monitor does not answer), or null when it could. The VM
/// still has <see cref="State"/> as the best guess for planning (a process that is there counts as running, so
/// halt and down still stop it); status shows the state as unknown, with this reason.
/// </param>
public sealed record HostVm(
    string Name,
    VmState State,
    string Notes,
    int Generation,
    long MemoryBytes,
    int Cpus,
    ImmutableArray<HostVmAdapter> Adapters,
    ImmutableArray<string> HardDisks,
    ImmutableArray<HostDvdDrive> DvdDrives,
    bool SecureBoot,
    string? SecureBootTemplate = null,
    bool AutomaticCheckpoints = false,
    string? UnknownStateReason = null,
    SnapshotType? SnapshotType = null,
    ImmutableArray<string> SnapshotDisks = default)
{
    /// <summary>The host folders shared with the VM by tag (<see cref="HostVmShare"/>); empty on a host that shares none this way.</summary>
    public ImmutableArray<HostVmShare> Shares { get; init; } = [];

    /// <summary>
    /// Every file the VM holds: its hard disks, the disks its snapshots keep (<see cref="SnapshotDisks"/>) and the discs in
    /// its DVD drives.
    /// </summary>
    public IEnumerable<string> Files => HardDisks.Concat(SnapshotDisks.IsDefault ? [] : SnapshotDisks).Concat(DvdDrives.Where(d => !d.IsEmpty).Select(d => d.Path));

    /// <summary>
    /// The hard disk the VM runs on that is, or grew from, <paramref name="diskPath"/> (its own disk): the disk itself,
    /// or, on a VM with snapshots, the differencing disk of the chain that ends in it (Hyper-V names those after the disk:
    /// <c>DISK_GUID.avhdx</c> beside it). Null when the VM holds neither.
    /// </summary>
    /// <summary>The host's inventory says the VM has no snapshot (it reports their disks, and there are none); no need to ask.</summary>
    public bool HasNoSnapshots => !SnapshotDisks.IsDefault && SnapshotDisks.IsEmpty;

    public string? HardDiskOn(string diskPath)
    {
        ArgumentNullException.ThrowIfNull(diskPath);
        if (HardDisks.FirstOrDefault(d => string.Equals(d, diskPath, StringComparison.OrdinalIgnoreCase)) is { } same) return same;
        if (SnapshotDisks.IsDefault || !SnapshotDisks.Contains(diskPath, StringComparer.OrdinalIgnoreCase)) return null;
        var slash = diskPath.LastIndexOfAny(['/', '\\']);
        var name = diskPath[(slash + 1)..];
        var dot = name.LastIndexOf('.');
        var prefix = diskPath[..(slash + 1)] + (dot > 0 ? name[..dot] : name) + "_";
        var named = HardDisks.Where(d => d.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)).ToList();
        return named.Count == 1 ? named[0] : HardDisks.Length == 1 ? HardDisks[0] : null;
    }

    /// <summary>Whether a DVD drive of the VM holds <paramref name="path"/>.</summary>
    public bool HoldsDisc(string path) => DvdDrives.Any(d => string.Equals(d.Path, path, StringComparison.OrdinalIgnoreCase));
}

/// <summary>
/// A DVD drive (Get-VMDvdDrive) at its place on its controller — IDE on generation 1, SCSI on
/// generation 2, so number and location name it — with the image it holds, or "" when empty.
/// </summary>
public sealed record HostDvdDrive(int ControllerNumber, int ControllerLocation, string Path)
{
    public bool IsEmpty => Path.Length == 0;

    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{ControllerNumber}:{ControllerLocation} '{Path}'");
}

/// <summary>A VM network adapter (Get-VMNetworkAdapter): its name, the switch it is connected to, its static MAC.</summary>
public sealed record HostVmAdapter(string Name, string? SwitchName, MacAddress? Mac);
