using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
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
}
