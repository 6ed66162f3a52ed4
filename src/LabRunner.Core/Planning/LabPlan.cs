using System.Collections.Immutable;
using LabRunner.Core.Labfile;
using LabRunner.Core.Net;

namespace LabRunner.Core.Planning;

/// <summary>
/// The desired state of a lab: every switch, address, MAC and port mapping decided. Pure data,
/// the same for the same Labfile and inputs on any machine.
/// </summary>
public sealed record LabPlan(
    string Lab,
    NatPlan? Nat,
    ImmutableArray<NetworkPlan> Networks,
    ImmutableArray<VmPlan> Vms)
{
    /// <summary>The planned VM of that Labfile name (names compare case-insensitively), or null.</summary>
    public VmPlan? Vm(string name) => Vms.FirstOrDefault(v => string.Equals(v.Name, name, StringComparison.OrdinalIgnoreCase));
}

/// <summary>The host-wide NetNat this lab's NAT networks live in.</summary>
public sealed record NatPlan(string Name, Ipv4Subnet Prefix);

public sealed record NetworkPlan(
    string Name,
    NetworkType Type,
    string Switch,
    string SwitchKind,
    Ipv4Subnet? Subnet,
    // Host vNIC address for private and NAT networks; the LAN router for bridged ones.
    Ipv4Address? Gateway,
    ImmutableArray<Ipv4Address> Dns,
    string? Adapter)
{
    /// <summary>Private and NAT networks give the host a vNIC holding <see cref="Gateway"/>.</summary>
    public bool HasHostVnic => Type is NetworkType.Private or NetworkType.Nat;
}

/// <summary>
/// A VM as planned. <see cref="Name"/> is the Labfile's; <see cref="HostVmName"/> is the name on the
/// host, <c>LAB-VM</c>, because Hyper-V VM names are host-wide and two labs may both have a 'web'.
/// </summary>
public sealed record VmPlan(
    string Name,
    string HostVmName,
    string Hostname,
    GuestOs Os,
    string Box,
    int Cpus,
    long MemoryBytes,
    int Generation,
    string User,
    ImmutableArray<AdapterPlan> Adapters,
    ImmutableArray<PortMappingPlan> ForwardedPorts,
    YamlMapping? UserData)
{
    /// <summary>The project's folders this VM gets, in Labfile order ('defaults' first); empty when the Labfile asks for none.</summary>
    public ImmutableArray<SyncedFolderPlan> SyncedFolders { get; init; } = [];

    /// <summary>The kind of snapshot the VM takes ('snapshot_type'), on hosts that offer a choice (<see cref="Hosting.HostRules.SnapshotTypes"/>).</summary>
    public Hosting.SnapshotType SnapshotType { get; init; } = Hosting.SnapshotType.Standard;
}

/// <summary>
/// A synced folder as planned: <see cref="HostPath"/> as written (relative to the Labfile's folder), its
/// <see cref="Type"/> resolved (never <see cref="SyncedFolderType.Auto"/>), the owner and group its files get in the
/// guest, and <see cref="Tag"/>, the share's stable name on the host and in the guest's mount (virtiofs tag, SMB share suffix).
/// </summary>
public sealed record SyncedFolderPlan(
    int Index,
    string HostPath,
    string GuestPath,
    SyncedFolderType Type,
    ImmutableArray<string> Exclude,
    string Owner,
    string Group)
{
    public string Tag => $"lab{Index}";
}

/// <summary>
/// One VM network adapter. <see cref="Ip"/> is null for DHCP (bridged without a static IP) and for
/// isolated networks without a subnet (link-local only).
/// </summary>
public sealed record AdapterPlan(
    int Index,
    string Network,
    NetworkType NetworkType,
    string Switch,
    MacAddress Mac,
    Ipv4Address? Ip,
    int? PrefixLength,
    Ipv4Address? Gateway,
    bool DefaultRoute,
    ImmutableArray<Ipv4Address> Dns)
{
    public bool Dhcp => Ip is null && NetworkType == NetworkType.Bridged;

    /// <summary>The name the guest gives the interface (cloud-init <c>set-name</c>).</summary>
    public string GuestInterfaceName => $"eth{Index}";

    public string? Cidr => Ip is { } ip ? $"{ip}/{PrefixLength}" : null;
}

/// <summary>A WinNAT static mapping: host port to the guest's address on the NAT network.</summary>
public sealed record PortMappingPlan(
    PortProtocol Protocol,
    int HostPort,
    int GuestPort,
    Ipv4Address GuestIp,
    Ipv4Address? HostIp,
    bool AutoCorrect);
