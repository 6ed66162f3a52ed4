using LabRunner.Core.Labfile;
using LabRunner.Core.Net;
using LabRunner.Core.Planning;

namespace LabRunner.Core.Hosting;

/// <summary>How a provider shares NAT between labs.</summary>
public enum NatModel
{
    /// <summary>One NAT for the whole host whose prefix every lab takes a slice of (WinNAT: one NetNat per host).</summary>
    SharedHostPrefix,

    /// <summary>Each NAT network gets its own translation, named after its switch (QEMU: an nftables masquerade per subnet).</summary>
    PerNetwork,
}

/// <summary>
/// What a provider is and the rules of its host, which planning and the reconciler ask instead of
/// assuming Hyper-V: how host-side objects are named, how NAT is shared, what may change while a VM
/// runs, the disk format of a VM's overlay, how paths compare. The host-operation vocabulary stays
/// the same for every provider: a "switch" is a network segment (a Hyper-V virtual switch, a Linux
/// bridge), "Notes" is the ownership mark (Hyper-V Notes, an interface alias, a VM registry entry).
/// </summary>
public abstract class HostRules
{
    /// <summary>The provider's name as the CLI spells it: <c>hyperv</c>, <c>qemu</c>, <c>simulated</c>.</summary>
    public abstract string Name { get; }

    /// <summary>The host-side name of a network's switch (unique per lab and network on the host).</summary>
    public abstract string SwitchName(string lab, NetworkDefinition network);

    /// <summary>The VM's name on the host, where VM names are host-wide: the lab's name comes first.</summary>
    public virtual string VmName(string lab, string vm) => PlanRules.VmName(lab, vm);

    /// <summary>
    /// The Labfile name of the host VM <paramref name="hostName"/> of <paramref name="lab"/> (the inverse of
    /// <see cref="VmName"/>), or null when the name is none of the lab's.
    /// </summary>
    public virtual string? LabfileVmName(string lab, string hostName) => PlanRules.LabfileVmName(lab, hostName);

    /// <summary>The host's own interface on an internal switch, which holds the gateway address.</summary>
    public abstract string HostInterfaceName(string switchName);

    public abstract NatModel Nat { get; }

    /// <summary>Whether VMs have secure-boot templates the reconciler sets (Set-VMFirmware on Hyper-V).</summary>
    public abstract bool SecureBootTemplates { get; }

    /// <summary>Whether adapters can be added or removed while the VM runs.</summary>
    public abstract bool AdaptersHotPlug(int generation);

    /// <summary>Whether a new seed can go into a running VM's drive (it applies at the next boot either way).</summary>
    public abstract bool SeedChangeWhileRunning { get; }

    /// <summary>The extension of a VM's disk on top of the box at <paramref name="boxPath"/>.</summary>
    public abstract string OverlayExtension(string boxPath);

    /// <summary>Why this host cannot use the box file, or null when it can.</summary>
    public virtual string? RefuseBox(string boxPath) => null;

    /// <summary>How the host compares file paths.</summary>
    public abstract StringComparer PathComparer { get; }

    /// <summary>One line for people on how to reach a forwarded port from the host itself and from elsewhere.</summary>
    public abstract string ForwardedPortNote { get; }

    /// <summary>What this host calls switches and NAT, in every description of an operation (Hyper-V's by default).</summary>
    public virtual HostWords Words => HostWords.HyperV;

    /// <summary>One line for people on how the lab's NAT networks are translated on this host (the plan's heading).</summary>
    public virtual string NatSummary(string natName, Ipv4Subnet prefix) => $"{natName} {prefix} (shared by every lab on the host)";

    /// <summary>
    /// Why this host's port forwarding can never be reached on <paramref name="hostIp"/> (a forwarded port's
    /// <c>host_ip</c>), with what to use instead; null when it can. Loopback is the case: neither WinNAT nor a DNAT
    /// in prerouting sees connections the host makes to itself on 127.0.0.0/8.
    /// </summary>
    public virtual string? UnreachableHostIp(Ipv4Address hostIp) => null;

    /// <summary>Whether <paramref name="address"/> is in 127.0.0.0/8.</summary>
    public static bool IsLoopback(Ipv4Address address) => address.Value >> 24 == 127;

    /// <summary>
    /// For a host that does not make a switch on a physical adapter itself (Linux: the user makes the bridge, so the
    /// host keeps its own connection on it), why bridged network <paramref name="network"/> cannot use
    /// <paramref name="adapter"/>, which is none of the host's existing <paramref name="bridges"/>, and how to make
    /// one; <paramref name="isAdapter"/> says whether the host has an adapter of that name at all. Null (the
    /// default, Hyper-V) when the host makes the switch on the adapter.
    /// </summary>
    public virtual string? ExistingBridgeRequired(string network, string adapter, bool isAdapter, IReadOnlyList<string> bridges) => null;

    /// <summary>
    /// The kinds of synced folder this host can give its guests: every host pushes (a copy over SSH or its direct
    /// channel); a provider adds its two-way kind (QEMU: virtiofs, Hyper-V: smb). Another kind is a Labfile error (LAB805).
    /// </summary>
    public virtual IReadOnlyList<SyncedFolderType> SyncedFolderTypes => [SyncedFolderType.Auto, SyncedFolderType.Push];

    public StringComparison PathComparison => PathComparer == StringComparer.Ordinal ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;

    /// <summary>The extension of a file path, lower-cased, with its dot ("" when none), on any OS's separators.</summary>
    public static string Extension(string path)
    {
        var name = FileName(path);
        var dot = name.LastIndexOf('.');
        return dot <= 0 ? "" : name[dot..].ToLowerInvariant();
    }

    /// <summary>The last part of a file path, on any OS's separators.</summary>
    public static string FileName(string path) => path[(path.LastIndexOfAny(['/', '\\']) + 1)..];
}
