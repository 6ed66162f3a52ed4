using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Core.Net;
using LabRunner.Core.Planning;

namespace LabRunner.Providers.HyperV;

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

    /// <summary>Push, and two-way: an SMB share reachable only from the lab's host vNIC.</summary>
    public override IReadOnlyList<SyncedFolderType> SyncedFolderTypes => [SyncedFolderType.Auto, SyncedFolderType.Push, SyncedFolderType.Smb];

    public override string ForwardedPortNote =>
        "WinNAT does not loop back: from this host, connect to the guest's own address; other machines use the host's address and port.";

    /// <summary>A NetNat static mapping on 127.0.0.1 is accepted by Windows, but WinNAT never sees loopback connections.</summary>
    public override string? UnreachableHostIp(Ipv4Address hostIp) => IsLoopback(hostIp)
        ? $"WinNAT never sees connections the host makes to itself, so a mapping on {hostIp} can be reached by nothing. " +
          "Leave host_ip out (all the host's addresses, for other machines) and, from this host, connect to the guest's own address and port"
        : null;

}
