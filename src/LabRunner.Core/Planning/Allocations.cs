using System.Collections.Immutable;
using LabRunner.Core.Labfile;
using LabRunner.Core.Net;

namespace LabRunner.Core.Planning;

/// <summary>
/// What earlier runs gave one VM: per adapter key (<see cref="Allocations.AdapterKey"/>) the IP allocated to it,
/// and per adapter position (<see cref="Allocations.MacKey"/>) its MAC, as the host knows adapters by position.
/// The planner honours these before it allocates anything else, so an existing VM keeps its address and MAC
/// whatever other VMs are added, removed or reordered.
/// </summary>
public sealed record VmAllocation(ImmutableDictionary<string, Ipv4Address> Ips, ImmutableDictionary<string, MacAddress> Macs)
{
    public static VmAllocation Empty { get; } = new(
        ImmutableDictionary.Create<string, Ipv4Address>(StringComparer.OrdinalIgnoreCase),
        ImmutableDictionary.Create<string, MacAddress>(StringComparer.OrdinalIgnoreCase));
}

/// <summary>
/// Stable allocation (design): the planner stays pure and takes, beside the Labfile, the allocations of the
/// lab's VMs that exist (<see cref="LabContext.Allocations"/>, which the engine records in .lab/state.json
/// when VMs are created and passes back at every plan). Allocations held by existing VMs are honoured
/// first; new VMs take the lowest free addresses in declaration order. A VM whose own entry changed (a
/// static IP given, a network removed or renamed, a subnet changed) is planned afresh for that adapter.
/// Records of VMs no longer in the Labfile still reserve their addresses and MACs while the VM exists.
/// With no records (a fresh lab) the plan depends on the Labfile alone, the same on every machine.
/// </summary>
public static class Allocations
{
    /// <summary>
    /// The key of a VM's adapter in a record: its network's name, and for a second adapter on the same
    /// network <c>name@2</c>, and so on. Not the adapter's position, so reordering adapters keeps their addresses.
    /// </summary>
    public static string AdapterKey(ImmutableArray<AdapterDefinition> adapters, int index)
    {
        var network = adapters[index].Network;
        var occurrence = 1 + adapters.Take(index).Count(a => string.Equals(a.Network, network, StringComparison.OrdinalIgnoreCase));
        return occurrence == 1 ? network : $"{network}@{occurrence}";
    }

    /// <summary>
    /// The key of a VM's adapter's MAC in a record: its position (<c>eth0</c>), as the host matches adapters. A VM
    /// whose adapters are reordered keeps the MAC in each position and moves the adapter to the other switch.
    /// </summary>
    public static string MacKey(int index) => FormattableString.Invariant($"eth{index}");

    /// <summary>What a plan gives each VM, as records for the next plan.</summary>
    public static ImmutableDictionary<string, VmAllocation> Of(LabDefinition lab, LabPlan plan)
    {
        ArgumentNullException.ThrowIfNull(lab);
        ArgumentNullException.ThrowIfNull(plan);
        var result = ImmutableDictionary.CreateBuilder<string, VmAllocation>(StringComparer.OrdinalIgnoreCase);
        foreach (var vm in plan.Vms)
        {
            if (lab.Vms.FirstOrDefault(v => string.Equals(v.Name, vm.Name, StringComparison.OrdinalIgnoreCase)) is not { } definition) continue;
            var ips = ImmutableDictionary.CreateBuilder<string, Ipv4Address>(StringComparer.OrdinalIgnoreCase);
            var macs = ImmutableDictionary.CreateBuilder<string, MacAddress>(StringComparer.OrdinalIgnoreCase);
            foreach (var adapter in vm.Adapters)
            {
                var key = AdapterKey(definition.Adapters, adapter.Index);
                macs[MacKey(adapter.Index)] = adapter.Mac;
                if (adapter.Ip is { } ip) ips[key] = ip;
            }
            result[vm.Name] = new VmAllocation(ips.ToImmutable(), macs.ToImmutable());
        }
        return result.ToImmutable();
    }
}
