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

/// <summary>Hyper-V's rules, which the simulated host follows too.</summary>
public sealed class HyperVRules : HostRules
{
    public static HyperVRules Instance { get; } = new();

    private HyperVRules()
    {
    }

    public override string Name => "hyperv";

    public override string SwitchName(string lab, NetworkDefinition network) => PlanRules.SwitchName(lab, network);

    /// <summary>Windows names the host vNIC of an internal switch <c>vEthernet (SWITCH)</c>.</summary>
    public override string HostInterfaceName(string switchName) => VnicName(switchName);

    public static string VnicName(string switchName) => $"vEthernet ({switchName})";

    public override NatModel Nat => NatModel.SharedHostPrefix;

    public override bool SecureBootTemplates => true;

    /// <summary>Generation 2 VMs take network adapters hot; generation 1 VMs only when off.</summary>
    public override bool AdaptersHotPlug(int generation) => generation == 2;

    /// <summary>Set-VMDvdDrive changes the disc of an existing drive while the VM runs.</summary>
    public override bool SeedChangeWhileRunning => true;

    /// <summary>A differencing disk must have its parent's format: a .vhd box gets a .vhd disk, anything else a .vhdx.</summary>
    public override string OverlayExtension(string boxPath) =>
        Extension(boxPath) == ".vhd" ? ".vhd" : ".vhdx";

    /// <summary>Hyper-V attaches only VHDX and VHD files (New-VHD -ParentPath refuses others).</summary>
    public override string? RefuseBox(string boxPath) =>
        Extension(boxPath) is ".vhdx" or ".vhd"
            ? null
            : $"Hyper-V needs a .vhdx or .vhd box, and '{boxPath}' is neither; convert it once, e.g. 'qemu-img convert -O vhdx -o subformat=dynamic {FileName(boxPath)} BOX.vhdx', and point 'boxes' at the result";

    public override StringComparer PathComparer => StringComparer.OrdinalIgnoreCase;

    public override string ForwardedPortNote =>
        "WinNAT does not loop back: from this host, connect to the guest's own address; other machines use the host's address and port.";

    /// <summary>A NetNat static mapping on 127.0.0.1 is accepted by Windows, but WinNAT never sees loopback connections.</summary>
    public override string? UnreachableHostIp(Ipv4Address hostIp) => IsLoopback(hostIp)
        ? $"WinNAT never sees connections the host makes to itself, so a mapping on {hostIp} can be reached by nothing. " +
          "Leave host_ip out (all the host's addresses, for other machines) and, from this host, connect to the guest's own address and port"
        : null;

}
