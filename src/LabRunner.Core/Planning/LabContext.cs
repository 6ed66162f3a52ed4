using System.Collections.Immutable;
using LabRunner.Core.Hosting;
using LabRunner.Core.Net;

namespace LabRunner.Core.Planning;

/// <summary>
/// What validation and planning need beyond the Labfile, gathered by the caller (which may do IO):
/// boxes found under <c>boxes/</c>, the host-wide NAT prefix, and subnets already taken on the host
/// (filled by the engine from the host's inventory so slices never collide with other labs).
/// </summary>
public sealed record LabContext(
    ImmutableArray<string> BoxesOnDisk,
    Ipv4Subnet DefaultNatPrefix,
    ImmutableArray<Ipv4Subnet> TakenSubnets,
    ImmutableArray<Ipv4Address> DefaultNatDns)
{
    /// <summary>Public resolvers reachable through WinNAT from any network; a network's 'dns' overrides them.</summary>
    public static readonly ImmutableArray<Ipv4Address> PublicDns = [Ipv4Address.Parse("1.1.1.1"), Ipv4Address.Parse("8.8.8.8")];

    /// <summary>
    /// NAT slices this lab already has on the host (network name → subnet, read from its switches'
    /// vNICs). A lab keeps its slice even when the one its name hashes to has come free, so running
    /// VMs never change address under it.
    /// </summary>
    public ImmutableDictionary<string, Ipv4Subnet> CurrentSlices { get; init; } = ImmutableDictionary<string, Ipv4Subnet>.Empty;

    /// <summary>
    /// Paths of 'boxes' entries, as written in the Labfile, whose file the caller found missing (the CLI
    /// on this machine for 'lab validate', the engine from the host for 'lab up'). A VM whose box is
    /// one of them is a Labfile error (LAB308). Empty when nobody looked.
    /// </summary>
    public ImmutableHashSet<string> MissingBoxFiles { get; init; } = [];

    /// <summary>The rules of the host the lab is planned for: how its switches and VMs are named.</summary>
    public HostRules Rules { get; init; } = HyperVRules.Instance;

    public static LabContext Default { get; } = new([], PlanRules.DefaultNatPrefix, [], PublicDns);
}
