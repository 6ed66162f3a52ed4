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
    /// What the lab's existing VMs hold (Labfile VM name → its IPs and MACs), honoured before anything is
    /// allocated (see <see cref="Planning.Allocations"/>). Empty for a fresh lab, which then plans from the
    /// Labfile alone.
    /// </summary>
    public ImmutableDictionary<string, VmAllocation> Allocations { get; init; } = ImmutableDictionary.Create<string, VmAllocation>(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Paths of 'boxes' entries, as written in the Labfile, whose file the caller found missing (the CLI
    /// on this machine for 'lab validate', the engine from the host for 'lab up'). A VM whose box is
    /// one of them is a Labfile error (LAB308). Empty when nobody looked.
    /// </summary>
    public ImmutableHashSet<string> MissingBoxFiles { get; init; } = [];

    /// <summary>
    /// Boxes (by the name VMs use) whose disk the caller read and refused, with why: one that names another file
    /// of the host (a qcow2 backing or external data file, a VHDX/VHD parent) or whose header is damaged. A VM
    /// using one is a Labfile error (LAB314) before anything is created. Empty when nobody looked.
    /// </summary>
    public ImmutableDictionary<string, string> RefusedBoxFiles { get; init; } = ImmutableDictionary<string, string>.Empty.WithComparers(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The provider (<c>hyperv</c>, <c>qemu</c>) whose boxes the user's box store offers, when the caller has a
    /// store: a VM's box that is neither declared under 'boxes' nor a file in <c>boxes/</c> is then the store's
    /// box of that name. Null without a store: such a box is undeclared (LAB301).
    /// </summary>
    public string? BoxStoreProvider { get; init; }

    /// <summary>
    /// Store boxes a VM uses (by name: undeclared ones, and 'boxes' entries with only a 'version') of which the
    /// caller found no fitting version in the store ('validate', 'plan', 'up'): a Labfile error at the VM's box
    /// (LAB301, LAB313). Empty when nobody looked. Boxes with a 'url' are never in it: 'lab up' adds them.
    /// </summary>
    public ImmutableHashSet<string> MissingStoreBoxes { get; init; } = [];

    /// <summary>The names the box store has boxes under (for the provider), for a missing one's "did you mean"; empty when nobody looked.</summary>
    public ImmutableArray<string> StoreBoxNames { get; init; } = [];

    /// <summary>
    /// Provisioner files ('shell: path' and 'file: source', as written) the caller found missing next to
    /// the Labfile. Each is a Labfile error (LAB703) at its position. Empty when nobody looked.
    /// </summary>
    public ImmutableHashSet<string> MissingProvisionFiles { get; init; } = [];

    /// <summary>
    /// Synced folders' host paths (as written) the caller found missing or not a folder next to the Labfile. Each is a
    /// Labfile error (LAB802) at its position. Empty when nobody looked.
    /// </summary>
    public ImmutableHashSet<string> MissingSyncedFolders { get; init; } = [];

    /// <summary>The rules of the host the lab is planned for (its provider's): how its switches and VMs are named.</summary>
    public required HostRules Rules { get; init; }

    /// <summary>A context with nothing gathered yet, for a lab planned by <paramref name="rules"/>.</summary>
    public static LabContext For(HostRules rules) => new([], PlanRules.DefaultNatPrefix, [], PublicDns) { Rules = rules };
}
