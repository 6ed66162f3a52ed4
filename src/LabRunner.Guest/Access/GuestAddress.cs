using LabRunner.Core.Labfile;
using LabRunner.Core.Net;
using LabRunner.Core.Planning;

namespace LabRunner.Guest.Access;

/// <summary>Where the host reaches a guest: an address, or why there is none.</summary>
public sealed record GuestEndpoint(string Vm, Ipv4Address? Address, string? Unreachable)
{
    public const int SshPort = 22;

    /// <summary>
    /// The VM's first static IP on a network the host can reach: private, NAT, or bridged with a static
    /// IP. Isolated networks have no host side, and a DHCP address is not known before the guest boots.
    /// </summary>
    public static GuestEndpoint Of(VmPlan vm)
    {
        ArgumentNullException.ThrowIfNull(vm);
        var adapter = vm.Adapters.FirstOrDefault(a => a.Ip is not null && a.NetworkType is NetworkType.Private or NetworkType.Nat or NetworkType.Bridged);
        if (adapter is not null) return new GuestEndpoint(vm.Name, adapter.Ip, null);
        var why = vm.Adapters.IsEmpty ? "it has no network adapter"
            : vm.Adapters.All(a => a.NetworkType == NetworkType.Isolated) ? "it is only on isolated networks, which the host has no address on"
            : "its only host-reachable network is bridged without a static IP, so its address is not known in advance (give it 'ip:')";
        return new GuestEndpoint(vm.Name, null, why);
    }

    /// <summary>Every static IP of the VM on a network the host can reach: the names known_hosts lists for it.</summary>
    public static IReadOnlyList<Ipv4Address> AllAddresses(VmPlan vm) =>
        [.. vm.Adapters.Where(a => a.Ip is not null && a.NetworkType is NetworkType.Private or NetworkType.Nat or NetworkType.Bridged).Select(a => a.Ip!.Value)];
}
