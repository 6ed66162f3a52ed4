using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using LabRunner.Core.Labfile;
using LabRunner.Core.Net;

namespace LabRunner.Core.Planning;

/// <summary>The naming and addressing conventions every layer shares.</summary>
public static class PlanRules
{
    /// <summary>
    /// The host-wide WinNAT prefix every lab's NAT network is a slice of. 10.188.0.0/16 keeps clear
    /// of Docker's pools (172.17.0.0/16 and the 172.16/12 and 192.168/16 pools), the Default Switch
    /// and WSL (random /20s in 172.16/12), VirtualBox and Vagrant habits (192.168.56/24, 192.168.33/24)
    /// and the low 10.0/16-10.10/16 ranges home routers and VPNs favour.
    /// </summary>
    public static readonly Ipv4Subnet DefaultNatPrefix = Ipv4Subnet.Parse("10.188.0.0/16");

    /// <summary>The environment variable that sets the host-wide NAT prefix for every lab on a host.</summary>
    public const string NatPrefixVariable = "LABRUNNER_NAT_PREFIX";
    private static readonly Ipv4Subnet[] PrivateRanges =
        [Ipv4Subnet.Parse("10.0.0.0/8"), Ipv4Subnet.Parse("172.16.0.0/12"), Ipv4Subnet.Parse("192.168.0.0/16")];

    /// <summary>
    /// A NAT prefix, whether from 'nat.prefix' or LABRUNNER_NAT_PREFIX, must be a private range (WinNAT
    /// translates it to the host's address; a public one would shadow real hosts) of /8 to /28.
    /// </summary>
    public static bool IsUsableNatPrefix(Ipv4Subnet prefix) =>
        prefix.PrefixLength is >= 8 and <= 28 && PrivateRanges.Any(r => r.Contains(prefix));

    /// <summary>Each lab's NAT network, when no subnet is given, gets a /24 of the shared prefix.</summary>
    public const int NatSliceLength = 24;

    /// <summary>The one NetNat LabRunner creates on a host and every lab shares.</summary>
    public const string NatName = "LabRunnerNAT";

    /// <summary>The VM's name on the host: Hyper-V VM names are host-wide, so the lab's name comes first.</summary>
    public static string VmName(string lab, string vm) => $"{lab}-{vm}";

    /// <summary>The Labfile name of a host VM of <paramref name="lab"/> (its name without the lab's prefix), or null.</summary>
    public static string? LabfileVmName(string lab, string hostName) =>
        hostName.Length > lab.Length + 1 && hostName.StartsWith(lab + "-", StringComparison.OrdinalIgnoreCase) ? hostName[(lab.Length + 1)..] : null;

    public static string SwitchName(string lab, NetworkDefinition network) => network.Type == NetworkType.Bridged
        ? $"LabRunner-Bridge-{network.Adapter}"
        : $"LabRunner-{lab}-{network.Name}";

    public static string SwitchKind(NetworkType type) => type switch
    {
        NetworkType.Private or NetworkType.Nat => "Internal",
        NetworkType.Isolated => "Private",
        _ => "External",
    };

    /// <summary>
    /// The host-side address of a network: the host vNIC of private and NAT networks (first host
    /// address unless given), the LAN router for a bridged network when given, none for isolated.
    /// </summary>
    public static Ipv4Address? GatewayOf(NetworkDefinition network) => network.Type switch
    {
        NetworkType.Private or NetworkType.Nat when network.Gateway is { } g => g,
        NetworkType.Private or NetworkType.Nat when network.Subnet is { } s => s.FirstHost,
        NetworkType.Bridged => network.Gateway,
        _ => null,
    };

    /// <summary>
    /// A MAC derived from the lab, VM and adapter position: the same on every run and machine,
    /// different across labs. Locally administered unicast (first octet 0x02) rather than Hyper-V's
    /// 00-15-5D range, because Hyper-V hosts hand out dynamic MACs from 00-15-5D-xx-yy-00..FF and a
    /// static address there could collide with another host's VM on a bridged LAN; no vendor ever
    /// assigns a locally administered address, so it cannot clash with physical NICs either. The other
    /// 40 bits come from SHA-256, so collisions between labs are negligible (50% at about a million
    /// adapters on one LAN); collisions inside a lab are resolved by <paramref name="attempt"/>.
    /// </summary>
    public static MacAddress DeriveMac(string lab, string vm, int adapterIndex, int attempt = 0)
    {
        var text = $"labrunner-mac-v1\n{lab.ToLowerInvariant()}\n{vm.ToLowerInvariant()}\n{adapterIndex}\n{attempt}";
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text));
        ulong value = 0x02;
        for (var i = 0; i < 5; i++)
            value = (value << 8) | hash[i];
        return new MacAddress(value);
    }

    /// <summary>Where a NAT slice search starts for a lab: spread by hash so labs rarely meet.</summary>
    public static int SliceSeed(string lab, string network, int sliceCount)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"labrunner-slice-v1\n{lab.ToLowerInvariant()}\n{network.ToLowerInvariant()}"));
        return (int)(BinaryPrimitives.ReadUInt32BigEndian(hash) % (uint)sliceCount);
    }
}
