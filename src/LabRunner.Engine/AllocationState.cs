using System.Collections.Immutable;
using LabRunner.Core.Labfile;
using LabRunner.Core.Net;
using LabRunner.Core.Planning;

namespace LabRunner.Engine;

/// <summary>
/// The allocations of the lab's existing VMs between state.json (<see cref="ProjectState.Allocations"/>) and
/// the planner (<see cref="LabContext.Allocations"/>): read before every plan, written after every run.
/// </summary>
public static class AllocationState
{
    /// <summary>The records of VMs that <paramref name="exists"/> says are on the host (by Labfile name); unreadable entries are skipped.</summary>
    public static ImmutableDictionary<string, VmAllocation> Held(ProjectState state, Func<string, bool> exists)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(exists);
        var result = ImmutableDictionary.CreateBuilder<string, VmAllocation>(StringComparer.OrdinalIgnoreCase);
        foreach (var (vm, record) in state.Allocations)
        {
            if (record is null || !exists(vm)) continue;
            var ips = ImmutableDictionary.CreateBuilder<string, Ipv4Address>(StringComparer.OrdinalIgnoreCase);
            foreach (var (key, text) in record.Ips ?? [])
                if (Ipv4Address.TryParse(text, out var ip)) ips[key] = ip;
            var macs = ImmutableDictionary.CreateBuilder<string, MacAddress>(StringComparer.OrdinalIgnoreCase);
            foreach (var (key, text) in record.Macs ?? [])
                if (MacAddress.TryParse(text, out var mac)) macs[key] = mac;
            result[vm] = new VmAllocation(ips.ToImmutable(), macs.ToImmutable());
        }
        return result.ToImmutable();
    }

    /// <summary>
    /// Records what <paramref name="plan"/> gives each VM that now exists, keeps the entries of VMs no longer in the
    /// Labfile while they exist, and drops the rest; true when that changed anything.
    /// </summary>
    public static bool Record(ProjectState state, LabDefinition lab, LabPlan plan, Func<string, bool> exists)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(exists);
        var next = new Dictionary<string, AllocationRecord>(StringComparer.OrdinalIgnoreCase);
        foreach (var (vm, allocation) in Allocations.Of(lab, plan).Where(a => exists(a.Key)))
            next[vm] = new AllocationRecord(
                allocation.Ips.ToDictionary(i => i.Key, i => i.Value.ToString(), StringComparer.OrdinalIgnoreCase),
                allocation.Macs.ToDictionary(m => m.Key, m => m.Value.ToString(), StringComparer.OrdinalIgnoreCase));
        foreach (var (vm, record) in state.Allocations)
            if (record is not null && !plan.Vms.Any(v => string.Equals(v.Name, vm, StringComparison.OrdinalIgnoreCase)) && exists(vm))
                next[vm] = record;
        if (Same(state.Allocations, next)) return false;
        state.Allocations = next;
        return true;
    }

    private static bool Same(Dictionary<string, AllocationRecord> a, Dictionary<string, AllocationRecord> b) =>
        a.Count == b.Count && a.All(e => b.TryGetValue(e.Key, out var other) && e.Value is not null && Same(e.Value.Ips, other.Ips) && Same(e.Value.Macs, other.Macs));

    private static bool Same(Dictionary<string, string>? a, Dictionary<string, string>? b) =>
        (a?.Count ?? 0) == (b?.Count ?? 0) && (a ?? []).All(e => b is not null && b.TryGetValue(e.Key, out var v) && string.Equals(v, e.Value, StringComparison.OrdinalIgnoreCase));
}
