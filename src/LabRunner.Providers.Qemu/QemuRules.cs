using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Core.Net;
using LabRunner.Providers.Qemu.Network;

namespace LabRunner.Providers.Qemu;

/// <summary>
/// The rules of a Linux host with QEMU: bridges named <c>lr</c> + 8 hex digits (Linux interface names hold
/// 15 bytes; the lab and network live in the alias), the bridge itself holds the gateway address, a masquerade
/// per NAT network, no secure boot templates (OVMF without secure boot), adapters and seed changes wait
/// for the next start (QEMU's command line is fixed when it starts), qcow2 overlays on boxes of any format,
/// case-sensitive paths.
/// </summary>
public sealed class QemuRules : HostRules
{
    public static QemuRules Instance { get; } = new();

    private QemuRules()
    {
    }

    public override string Name => "qemu";

    /// <summary>
    /// <c>lr</c> + a hash of lab and network; a bridged network uses the Linux bridge its <c>adapter</c> names
    /// (the inventory reports every bridge LabRunner did not make as an external switch on itself).
    /// </summary>
    public override string SwitchName(string lab, NetworkDefinition network)
    {
        ArgumentNullException.ThrowIfNull(network);
        return network.Type == NetworkType.Bridged && network.Adapter is { } adapter
            ? adapter
            : InterfaceNames.Bridge(lab, network.Name);
    }

    /// <summary>The bridge is the host's interface on its network.</summary>
    public override string HostInterfaceName(string switchName) => switchName;

    public override NatModel Nat => NatModel.PerNetwork;

    public override bool SecureBootTemplates => false;

    public override bool AdaptersHotPlug(int generation) => false;

    public override bool SeedChangeWhileRunning => false;

    public override string OverlayExtension(string boxPath) => ".qcow2";

    public override StringComparer PathComparer => StringComparer.Ordinal;

    /// <summary>
    /// A DNAT on 127.0.0.1 never fires: connections from the host to itself skip prerouting, the output rule leaves
    /// 127.0.0.0/8 alone, and Linux would not route a loopback-sourced packet to a guest anyway (route_localnet).
    /// </summary>
    public override string? UnreachableHostIp(Ipv4Address hostIp) => IsLoopback(hostIp)
        ? $"LabRunner's nftables DNAT cannot forward {hostIp}: connections the host makes to itself on loopback never pass the prerouting hook, " +
          "and Linux does not route loopback-sourced packets to a guest. Leave host_ip out (all the host's addresses) " +
          "and, from this host, connect to the guest's own address, or to one of the host's own non-loopback addresses and the host port"
        : null;

    /// <summary>
    /// LabRunner does not put a bridge on a physical adapter (moving the host's address onto it is the network
    /// manager's job, and done wrong it cuts the host off): a bridged network names an existing Linux bridge.
    /// </summary>
    public override string? ExistingBridgeRequired(string network, string adapter, bool isAdapter, IReadOnlyList<string> bridges)
    {
        ArgumentNullException.ThrowIfNull(bridges);
        var what = isAdapter
            ? $"'{adapter}' is a network adapter, not a Linux bridge, and the QEMU provider does not make a bridge on a physical adapter (the host's own connection on it would have to move)."
            : $"the host has no Linux bridge named '{adapter}'.";
        var existing = bridges.Count == 0 ? "The host has no Linux bridge yet." : $"Its Linux bridges: {string.Join(", ", bridges.Select(b => $"'{b}'"))}.";
        var nic = isAdapter ? adapter : "eth0";
        return $"bridged network '{network}': {what} {existing} Name an existing bridge as the network's 'adapter' in Labfile.local.yml (yours alone), " +
            $"or make one that holds the adapter, with the host's address on the bridge: with NetworkManager 'nmcli con add type bridge ifname br0 con-name br0; " +
            $"nmcli con add type bridge-slave ifname {nic} master br0; nmcli con up br0'; with systemd-networkd a br0.netdev (Kind=bridge) and Bridge=br0 in {nic}'s .network file; " +
            $"or by hand 'ip link add br0 type bridge; ip link set {nic} master br0; ip link set br0 up' (then move the host's address from {nic} to br0). Nothing was changed.";
    }

    /// <summary>A Linux host's words: bridges (with a host address, isolated, or the existing one a bridged network names) and nftables masquerades.</summary>
    public override HostWords Words { get; } = new("bridge", "isolated bridge", "existing bridge", "bridge", "nftables masquerade");

    /// <summary>No shared NAT object: each NAT network's subnet is masqueraded in LabRunner's own nftables table.</summary>
    public override string NatSummary(string natName, Ipv4Subnet prefix) =>
        $"an nftables masquerade per NAT network (table inet labrunner), subnets from {prefix}";

    /// <summary>The DNAT rules also match the host's own non-loopback addresses (the output chain), unlike WinNAT.</summary>
    /// <summary>Push, and two-way: a virtiofsd share per folder.</summary>
    public override IReadOnlyList<SyncedFolderType> SyncedFolderTypes => [SyncedFolderType.Auto, SyncedFolderType.Push, SyncedFolderType.Virtiofs];

    public override string ForwardedPortNote =>
        "From this host, connect to the guest's own address or to one of the host's own addresses (not 127.0.0.1) and the host port; other machines use the host's address and port.";

}
