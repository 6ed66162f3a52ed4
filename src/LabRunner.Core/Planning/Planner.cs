using System.Collections.Immutable;
using LabRunner.Core.Diagnostics;
using LabRunner.Core.Labfile;
using LabRunner.Core.Net;

namespace LabRunner.Core.Planning;

/// <summary>
/// Decides the network plan for a valid lab: switch names, host vNIC addresses, NAT slices, one
/// deterministic MAC and (where the network has a subnet) one IP per adapter, and the port mappings.
/// Pure: the same lab and inputs always give the same plan.
/// </summary>
public static class Planner
{
    public static LabPlan? Plan(LabDefinition lab, LabContext inputs, ICollection<Diagnostic> diagnostics)
    {
        var natPrefix = lab.NatPrefix ?? inputs.DefaultNatPrefix;
        var errorsBefore = diagnostics.Count(d => d.IsError);

        var networks = PlanNetworks(lab, natPrefix, inputs, diagnostics);
        var byName = networks.ToDictionary(n => n.Name, StringComparer.OrdinalIgnoreCase);

        // Static addresses are taken first, whichever VM declares them, so allocation never hands them out.
        var taken = new HashSet<Ipv4Address>(lab.Vms.SelectMany(v => v.Adapters).Where(a => a.Ip is not null).Select(a => a.Ip!.Value));
        taken.UnionWith(networks.Where(n => n.Gateway is not null).Select(n => n.Gateway!.Value));
        var macs = new HashSet<MacAddress>(lab.Vms.SelectMany(v => v.Adapters).Where(a => a.Mac is not null).Select(a => a.Mac!.Value));
        var cursors = new Dictionary<string, Ipv4Address>(StringComparer.OrdinalIgnoreCase);
        var (keptIps, keptMacs) = Honour(lab, inputs.Allocations, byName, taken, macs);

        var vms = ImmutableArray.CreateBuilder<VmPlan>(lab.Vms.Length);
        foreach (var vm in lab.Vms)
        {
            var adapters = ImmutableArray.CreateBuilder<AdapterPlan>();
            var routeOwner = DefaultRouteOwner(vm, byName);
            for (var i = 0; i < vm.Adapters.Length; i++)
            {
                var declared = vm.Adapters[i];
                if (!byName.TryGetValue(declared.Network, out var network)) continue;
                var mac = declared.Mac ?? (keptMacs.TryGetValue((vm.Name, i), out var kept) ? kept : UniqueMac(lab.Name, vm.Name, i, macs));
                var ip = declared.Ip ?? (keptIps.TryGetValue((vm.Name, i), out var keptIp) ? keptIp : null);
                int? prefix = network.Subnet?.PrefixLength ?? declared.IpPrefixLength;
                // A bridged network's subnet is the LAN's, there to give static IPs their prefix: an adapter
                // without one uses the LAN's DHCP, and an address taken from the LAN would collide with its leases.
                if (ip is null && network.Subnet is { } subnet && network.Type != NetworkType.Bridged)
                {
                    ip = Allocate(network, subnet, taken, cursors);
                    if (ip is null)
                        diagnostics.Add(DiagnosticBuilder.PoolExhausted(declared.NetworkSpan, network.Name, subnet.ToString()));
                }
                adapters.Add(new AdapterPlan(i, network.Name, network.Type, network.Switch, mac, ip, ip is null ? null : prefix,
                    network.Type is NetworkType.Nat or NetworkType.Bridged ? network.Gateway : null,
                    i == routeOwner, network.Dns));
            }

            var natAdapter = adapters.FirstOrDefault(a => a.NetworkType == NetworkType.Nat && a.Ip is not null);
            var ports = natAdapter is null
                ? ImmutableArray<PortMappingPlan>.Empty
                : vm.ForwardedPorts.Select(p => new PortMappingPlan(p.Protocol, p.Host, p.Guest, natAdapter.Ip!.Value, p.HostIp, p.AutoCorrect)).ToImmutableArray();

            vms.Add(new VmPlan(vm.Name, inputs.Rules.VmName(lab.Name, vm.Name), vm.Hostname, vm.Os, vm.Box ?? "", vm.Cpus, vm.MemoryBytes, vm.Generation, vm.User,
                adapters.ToImmutable(), ports, vm.UserData) { SyncedFolders = PlanSyncedFolders(vm) });
        }

        if (diagnostics.Count(d => d.IsError) > errorsBefore) return null;
        var nat = networks.Any(n => n.Type == NetworkType.Nat) ? new NatPlan(PlanRules.NatName, natPrefix) : null;
        return new LabPlan(lab.Name, nat, networks, vms.MoveToImmutable());
    }

    /// <summary>The VM's synced folders as planned: 'auto' is a push (two-way kinds are asked for by name); owner and group default to the VM's user; the guest path as its OS spells it.</summary>
    private static ImmutableArray<SyncedFolderPlan> PlanSyncedFolders(VmDefinition vm) =>
        [.. vm.SyncedFolders.Select((f, i) => new SyncedFolderPlan(
            i, f.HostPath, GuestPaths.Normalize(f.GuestPath, vm.Os) ?? f.GuestPath, f.Type == SyncedFolderType.Auto ? SyncedFolderType.Push : f.Type, f.Exclude, f.Owner ?? vm.User, f.Group ?? f.Owner ?? vm.User))];

    /// <summary>
    /// Claims, before anything is allocated, what existing VMs hold (see <see cref="Allocations"/>): a recorded IP
    /// the adapter's network still contains (not the gateway, not another VM's static IP) and a recorded MAC no
    /// adapter declares. Records of VMs no longer in the Labfile only reserve theirs. Labfile VMs first, in order.
    /// </summary>
    private static (Dictionary<(string, int), Ipv4Address> Ips, Dictionary<(string, int), MacAddress> Macs) Honour(
        LabDefinition lab, ImmutableDictionary<string, VmAllocation> records, Dictionary<string, NetworkPlan> networks,
        HashSet<Ipv4Address> taken, HashSet<MacAddress> macs)
    {
        var ips = new Dictionary<(string, int), Ipv4Address>();
        var keptMacs = new Dictionary<(string, int), MacAddress>();
        if (records.IsEmpty) return (ips, keptMacs);
        var declaredMacs = macs.ToHashSet();
        foreach (var vm in lab.Vms)
        {
            if (!records.TryGetValue(vm.Name, out var record)) continue;
            for (var i = 0; i < vm.Adapters.Length; i++)
            {
                var adapter = vm.Adapters[i];
                if (!networks.TryGetValue(adapter.Network, out var network)) continue;
                var key = Allocations.AdapterKey(vm.Adapters, i);
                if (adapter.Mac is null && record.Macs.TryGetValue(Allocations.MacKey(i), out var mac) && !declaredMacs.Contains(mac) && macs.Add(mac))
                    keptMacs[(vm.Name, i)] = mac;
                if (adapter.Ip is null && network.Type != NetworkType.Bridged && network.Subnet is { } subnet
                    && record.Ips.TryGetValue(key, out var ip) && IsHost(subnet, ip) && taken.Add(ip))
                    ips[(vm.Name, i)] = ip;
            }
        }
        // A VM removed from the Labfile that still exists keeps its addresses out of others' hands.
        foreach (var (name, record) in records)
        {
            if (lab.Vms.Any(v => string.Equals(v.Name, name, StringComparison.OrdinalIgnoreCase))) continue;
            taken.UnionWith(record.Ips.Values);
            macs.UnionWith(record.Macs.Values);
        }
        return (ips, keptMacs);
    }

    private static bool IsHost(Ipv4Subnet subnet, Ipv4Address ip) => subnet.Contains(ip) && ip >= subnet.FirstHost && ip <= subnet.LastHost;

    private static ImmutableArray<NetworkPlan> PlanNetworks(LabDefinition lab, Ipv4Subnet natPrefix, LabContext inputs, ICollection<Diagnostic> diagnostics)
    {
        var used = lab.Networks.Where(n => n.Subnet is not null).Select(n => n.Subnet!.Value).Concat(inputs.TakenSubnets).ToList();
        var result = ImmutableArray.CreateBuilder<NetworkPlan>(lab.Networks.Length);
        foreach (var network in lab.Networks)
        {
            var definition = network;
            if (network.Type == NetworkType.Nat && network.Subnet is null)
            {
                var slice = inputs.CurrentSlices.TryGetValue(network.Name, out var current) && natPrefix.Contains(current) && !used.Any(u => u.Overlaps(current))
                    ? current
                    : FindSlice(lab.Name, network.Name, natPrefix, used);
                if (slice is null)
                {
                    diagnostics.Add(DiagnosticBuilder.NoNatSlice(network.NameSpan, natPrefix.ToString(), PlanRules.NatSliceLength));
                    continue;
                }
                used.Add(slice.Value);
                definition = network with { Subnet = slice };
            }
            var dns = !network.Dns.IsEmpty ? network.Dns
                : network.Type == NetworkType.Nat ? inputs.DefaultNatDns
                : [];
            result.Add(new NetworkPlan(network.Name, network.Type, inputs.Rules.SwitchName(lab.Name, network), PlanRules.SwitchKind(network.Type),
                definition.Subnet, PlanRules.GatewayOf(definition), dns, network.Adapter));
        }
        return result.ToImmutable();
    }

    private static Ipv4Subnet? FindSlice(string lab, string network, Ipv4Subnet prefix, List<Ipv4Subnet> used)
    {
        var length = Math.Max(PlanRules.NatSliceLength, prefix.PrefixLength);
        var count = 1 << (length - prefix.PrefixLength);
        var seed = PlanRules.SliceSeed(lab, network, count);
        for (var step = 0; step < count; step++)
        {
            var index = (seed + step) % count;
            var candidate = new Ipv4Subnet(prefix.Network.Add((long)index << (32 - length)), length);
            if (!used.Any(u => u.Overlaps(candidate))) return candidate;
        }
        return null;
    }

    /// <summary>The lowest free host address, in the order VMs and adapters are declared.</summary>
    private static Ipv4Address? Allocate(NetworkPlan network, Ipv4Subnet subnet, HashSet<Ipv4Address> taken, Dictionary<string, Ipv4Address> cursors)
    {
        var next = cursors.TryGetValue(network.Name, out var c) ? c : subnet.FirstHost;
        for (var ip = next; ip <= subnet.LastHost && subnet.Contains(ip); ip = ip.Add(1))
        {
            if (taken.Add(ip))
            {
                cursors[network.Name] = ip.Add(1);
                return ip;
            }
            if (ip == subnet.LastHost) break;
        }
        cursors[network.Name] = subnet.LastHost;
        return null;
    }

    private static MacAddress UniqueMac(string lab, string vm, int index, HashSet<MacAddress> macs)
    {
        for (var attempt = 0; ; attempt++)
        {
            var mac = PlanRules.DeriveMac(lab, vm, index, attempt);
            if (macs.Add(mac)) return mac;
        }
    }

    /// <summary>
    /// The adapter that carries the default route: the first NAT adapter (the way out through
    /// WinNAT); failing that, the first bridged adapter (its router or DHCP). Private and isolated
    /// networks never get it: the host vNIC does not route.
    /// </summary>
    private static int DefaultRouteOwner(VmDefinition vm, Dictionary<string, NetworkPlan> networks)
    {
        var nat = vm.Adapters.ToList().FindIndex(a => networks.GetValueOrDefault(a.Network)?.Type == NetworkType.Nat);
        if (nat >= 0) return nat;
        return vm.Adapters.ToList().FindIndex(a => networks.GetValueOrDefault(a.Network) is { Type: NetworkType.Bridged } n && (n.Gateway is not null || a.Ip is null));
    }
}
