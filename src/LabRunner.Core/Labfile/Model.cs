using System.Collections.Immutable;
using LabRunner.Core.Boxes;
using LabRunner.Core.Diagnostics;
using LabRunner.Core.Hosting;
using LabRunner.Core.Net;

namespace LabRunner.Core.Labfile;

public enum NetworkType
{
    /// <summary>Internal switch plus a host vNIC holding the gateway IP; no NAT.</summary>
    Private,
    /// <summary>Internal switch plus host vNIC plus the host-wide WinNAT.</summary>
    Nat,
    /// <summary>External switch on a physical adapter: guests sit on the LAN.</summary>
    Bridged,
    /// <summary>Private switch: VMs only, the host cannot reach them.</summary>
    Isolated,
}

public enum GuestOs
{
    Linux,
    Windows,
}

public enum PortProtocol
{
    Tcp,
    Udp,
}

/// <summary>A Labfile after binding: every value typed, every count expanded, positions kept.</summary>
public sealed record LabDefinition(
    string Name,
    SourceSpan NameSpan,
    Ipv4Subnet? NatPrefix,
    SourceSpan? NatPrefixSpan,
    ImmutableArray<BoxDefinition> Boxes,
    ImmutableArray<NetworkDefinition> Networks,
    ImmutableArray<VmDefinition> Vms);

/// <summary>
/// A base image: a path to a VHDX, relative to the Labfile's folder, or (<see cref="FromStore"/>) a box
/// from the user's box store, added from its <see cref="Url"/> by 'lab up' when missing (without a URL, it
/// must be in the store already: 'lab box add'); then <see cref="Path"/> is empty.
/// </summary>
public sealed record BoxDefinition(string Name, string Path, GuestOs? Os, SourceSpan Span)
{
    /// <summary>Where the path is written (the entry's value, or its 'path'); the entry's key when unknown.</summary>
    public SourceSpan PathSpan { get; init; } = Span;

    /// <summary>A box from the user's box store ('url', or only 'version'), not a file the project names.</summary>
    public bool FromStore { get; init; }

    /// <summary>The http(s) URL of a catalog, a Vagrant .box or a bare disk; null for a 'path' box or a store box without one.</summary>
    public string? Url { get; init; }

    /// <summary>A Vagrant-style version constraint (<c>~&gt; 1.2</c>), parsed when the Labfile was read; null for any.</summary>
    public VersionConstraint? Version { get; init; }

    /// <summary>The expected digest of a .box or bare disk URL (<c>ALGO:HEX</c> in the Labfile), parsed when it was read.</summary>
    public Checksum? Checksum { get; init; }
}

public sealed record NetworkDefinition(
    string Name,
    SourceSpan NameSpan,
    NetworkType Type,
    Ipv4Subnet? Subnet,
    SourceSpan? SubnetSpan,
    Ipv4Address? Gateway,
    SourceSpan? GatewaySpan,
    ImmutableArray<Ipv4Address> Dns,
    string? Adapter,
    SourceSpan? AdapterSpan,
    SourceSpan Span);

public sealed record VmDefinition(
    string Name,
    SourceSpan NameSpan,
    string? Box,
    SourceSpan? BoxSpan,
    int Cpus,
    long MemoryBytes,
    int Generation,
    GuestOs Os,
    string Hostname,
    SourceSpan HostnameSpan,
    string User,
    ImmutableArray<AdapterDefinition> Adapters,
    ImmutableArray<ForwardedPortDefinition> ForwardedPorts,
    YamlMapping? UserData,
    SourceSpan Span)
{
    public const int DefaultBootTimeoutSeconds = 300;

    /// <summary>The provisioners to run after the guest is ready: those of 'defaults' first, then the VM's own.</summary>
    public ImmutableArray<ProvisionerDefinition> Provisioners { get; init; } = [];

    /// <summary>How long 'lab up' waits for the guest to become ready before it fails this VM.</summary>
    public int BootTimeoutSeconds { get; init; } = DefaultBootTimeoutSeconds;

    /// <summary>The folders of the project given to the guest: those of 'defaults' first, then the VM's own.</summary>
    public ImmutableArray<SyncedFolderDefinition> SyncedFolders { get; init; } = [];

    /// <summary>The kind of snapshot 'lab snapshot save' takes of this VM ('snapshot_type'; Hyper-V's checkpoint type).</summary>
    public SnapshotType SnapshotType { get; init; } = SnapshotType.Standard;
}

/// <summary>How a synced folder reaches the guest.</summary>
public enum SyncedFolderType
{
    /// <summary>The provider's choice: <see cref="Push"/> unless a two-way kind is asked for.</summary>
    Auto,
    /// <summary>A one-way copy over SSH (or PowerShell Direct) at 'up', 'reload' and 'lab sync'.</summary>
    Push,
    /// <summary>QEMU: a virtiofsd share mounted in the guest, two-way.</summary>
    Virtiofs,
    /// <summary>Hyper-V: an SMB share reachable only from the lab's host vNIC, two-way.</summary>
    Smb,
}

/// <summary>
/// One item of <c>synced_folders</c>: <see cref="HostPath"/> as written (relative to the Labfile's folder),
/// <see cref="GuestPath"/> absolute in the guest, patterns <see cref="Exclude"/>d from a push, and the owner and
/// group its files get in the guest (null: the VM's user).
/// </summary>
public sealed record SyncedFolderDefinition(
    string HostPath,
    SourceSpan HostSpan,
    string GuestPath,
    SourceSpan GuestSpan,
    SyncedFolderType Type,
    ImmutableArray<string> Exclude,
    string? Owner,
    string? Group,
    SourceSpan Span)
{
    /// <summary>Where 'exclude', 'owner' and 'group' are written, when they are (what a problem with them points at).</summary>
    public SourceSpan? ExcludeSpan { get; init; }

    public SourceSpan? OwnerSpan { get; init; }

    public SourceSpan? GroupSpan { get; init; }
}

public sealed record AdapterDefinition(
    string Network,
    SourceSpan NetworkSpan,
    Ipv4Address? Ip,
    int? IpPrefixLength,
    SourceSpan? IpSpan,
    MacAddress? Mac,
    SourceSpan? MacSpan);

public sealed record ForwardedPortDefinition(
    int Guest,
    SourceSpan GuestSpan,
    int Host,
    SourceSpan HostSpan,
    PortProtocol Protocol,
    Ipv4Address? HostIp,
    bool AutoCorrect,
    SourceSpan Span);

/// <summary>When a provisioner runs: once per content (the default), at every provisioning, or only when named.</summary>
public enum ProvisionRun
{
    Once,
    Always,
    Never,
}

/// <summary>
/// One item of a VM's <c>provision</c> list (the <c>defaults</c> list first). <see cref="Span"/> is the
/// item, what a failure points at; <see cref="Origin"/> says whether it came from defaults or the VM.
/// </summary>
public abstract record ProvisionerDefinition(ProvisionRun Run, SourceSpan Span)
{
    /// <summary>"defaults" or "vm": with the item's index in its own list, it names the provisioner in state.json.</summary>
    public string Origin { get; init; } = "vm";

    public int Index { get; init; }

    /// <summary>A stable name for the item within its VM: <c>vm.provision[2]</c> or <c>defaults.provision[0]</c>.</summary>
    public string Key => $"{Origin}.provision[{Index}]";
}

/// <summary>
/// <c>shell:</c> a script given inline or as a file (relative to the Labfile), run with <see cref="Args"/>
/// and <see cref="Env"/> — as root through sudo when <see cref="Privileged"/> (the default).
/// </summary>
public sealed record ShellProvisionerDefinition(
    string? Inline,
    string? Path,
    SourceSpan? PathSpan,
    ImmutableArray<string> Args,
    ImmutableArray<KeyValuePair<string, string>> Env,
    bool Privileged,
    ProvisionRun Run,
    SourceSpan Span) : ProvisionerDefinition(Run, Span);

/// <summary><c>file:</c> a file from the project (relative to the Labfile) copied to <see cref="Destination"/> in the guest.</summary>
public sealed record FileProvisionerDefinition(
    string Source,
    SourceSpan SourceSpan,
    string Destination,
    ProvisionRun Run,
    SourceSpan Span) : ProvisionerDefinition(Run, Span);
