using System.Collections.Immutable;
using System.Net;

namespace LabRunner.Providers.Qemu.Network;

/// <summary>What kind of interface <c>ip -d</c> says it is (<c>linkinfo.info_kind</c>, and the tun driver's type).</summary>
public enum HostInterfaceKind
{
    /// <summary>No link kind: a physical adapter or loopback.</summary>
    Device,
    Bridge,
    Tap,
    Tun,
    Macvtap,
    Macvlan,
    Veth,
    Other,
}

/// <summary>An IPv4 address on an interface.</summary>
public sealed record HostAddress(IPAddress Address, int PrefixLength)
{
    public override string ToString() => $"{Address}/{PrefixLength}";
}

/// <summary>One host interface from <c>ip -d -j addr show</c> (or <c>ip -d -j link show</c>, without addresses).</summary>
/// <param name="Master">The bridge this interface is enslaved to, if any.</param>
/// <param name="Alias">The interface alias, where LabRunner keeps its <see cref="OwnershipMark"/>.</param>
/// <param name="InfoKind">The raw <c>info_kind</c> (<c>bridge</c>, <c>tun</c>, <c>macvtap</c>, <c>veth</c>, …), null for a device.</param>
public sealed record HostInterface(
    int Index,
    string Name,
    HostInterfaceKind Kind,
    string? InfoKind,
    string? Master,
    string? Alias,
    string? MacAddress,
    bool IsUp,
    string OperState,
    ImmutableArray<HostAddress> Addresses)
{
    /// <summary>LabRunner's mark in the alias, or null for an interface LabRunner did not create.</summary>
    public OwnershipMark? Mark => OwnershipMark.TryParse(Alias);
}
