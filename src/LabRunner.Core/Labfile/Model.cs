using System.Collections.Immutable;
using LabRunner.Core.Diagnostics;
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
/// A base image: a path to a VHDX, relative to the Labfile's folder, or (with <see cref="Url"/>) a box
/// from the user's box store, added from that URL by 'lab up' when missing; then <see cref="Path"/> is empty.
/// </summary>
public sealed record BoxDefinition(string Name, string Path, GuestOs? Os, SourceSpan Span)
{
    /// <summary>Where the path is written (the entry's value, or its 'path'); the entry's key when unknown.</summary>
    public SourceSpan PathSpan { get; init; } = Span;

    /// <summary>The http(s) URL of a catalog, a Vagrant .box or a bare disk; null for a 'path' box.</summary>
    public string? Url { get; init; }

    /// <summary>A Vagrant-style version constraint (<c>~&gt; 1.2</c>); null for any.</summary>
    public string? Version { get; init; }

    /// <summary>The expected digest of a .box or bare disk URL, <c>ALGO:HEX</c>.</summary>
    public string? Checksum { get; init; }
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
    SourceSpan Span);

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
