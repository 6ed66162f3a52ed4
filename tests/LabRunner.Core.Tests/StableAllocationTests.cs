using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using LabRunner.Core.Labfile;
using LabRunner.Core.Net;
using LabRunner.Core.Planning;
using LabRunner.Providers.HyperV;

namespace LabRunner.Core.Tests;

/// <summary>
/// Issue 14.1: a VM keeps its address, MAC and host ports while its own entry is unchanged, whatever other
/// VMs are added, removed or reordered, or however a count changes; no address an existing VM holds is
/// ever handed to another. The planner gets what the lab's existing VMs hold as the engine would pass it.
/// </summary>
public sealed class StableAllocationTests
{
    private const string Lab = "grow";

    private static string Text(string vms) => $"""
        name: {Lab}
        boxes: {"{"} ubuntu: u.vhdx {"}"}
        defaults: {"{"} box: ubuntu {"}"}
        networks:
          - {"{"} name: lan, type: nat {"}"}
          - {"{"} name: back, type: private, subnet: 10.50.0.0/24 {"}"}
          - {"{"} name: store, type: isolated, subnet: 172.31.9.0/24 {"}"}
        vms:
        {vms}
        """;

    private static LabPlan PlanWith(string vms, ImmutableDictionary<string, VmAllocation>? records = null) =>
        Labfiles.ValidPlan(Text(vms), context: records is null ? null : LabContext.For(HyperVRules.Instance) with { Allocations = records });

    private static (LabDefinition Lab, LabPlan Plan) LoadAndPlan(string vms, ImmutableDictionary<string, VmAllocation> records)
    {
        var context = LabContext.For(HyperVRules.Instance) with { Allocations = records };
        var result = Labfiles.Plan(Text(vms), context: context);
        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics) + "\n" + Text(vms));
        return (result.Lab!, result.Plan!);
    }

    private static string Ip(LabPlan plan, string vm, string network = "lan") =>
        plan.Vms.Single(v => v.Name == vm).Adapters.Single(a => a.Network == network).Ip!.Value.ToString();

    [Fact]
    public void Raising_a_count_keeps_the_VM_declared_after_it_where_it_was()
    {
        const string before = """
              - { name: "web-{n}", count: 1, networks: [lan] }
              - { name: db, networks: [lan], forwarded_ports: [{ guest: 5432, host: 15432 }] }
            """;
        var first = LoadAndPlan(before, VmAllocationRecords.Empty);
        var records = Allocations.Of(first.Lab, first.Plan);

        var second = PlanWith(before.Replace("count: 1", "count: 2", StringComparison.Ordinal), records);

        Assert.Equal(Ip(first.Plan, "db"), Ip(second, "db"));
        Assert.Equal(Ip(first.Plan, "web-1"), Ip(second, "web-1"));
        Assert.NotEqual(Ip(second, "db"), Ip(second, "web-2"));
        Assert.Equal(Ip(second, "db"), second.Vms.Single(v => v.Name == "db").ForwardedPorts.Single().GuestIp.ToString());
        // Without records (a fresh lab) the plan is the Labfile's alone, and then web-2 would have taken db's.
        Assert.Equal(Ip(first.Plan, "db"), Ip(PlanWith(before.Replace("count: 1", "count: 2", StringComparison.Ordinal)), "web-2"));
    }

    [Fact]
    public void A_VM_removed_from_the_Labfile_that_still_exists_keeps_its_address_reserved()
    {
        const string before = """
              - { name: a, networks: [lan] }
              - { name: b, networks: [lan] }
            """;
        var first = LoadAndPlan(before, VmAllocationRecords.Empty);
        var records = Allocations.Of(first.Lab, first.Plan);

        var second = PlanWith("""
              - { name: b, networks: [lan] }
              - { name: c, networks: [lan] }
            """, records);

        Assert.Equal(Ip(first.Plan, "b"), Ip(second, "b"));
        Assert.NotEqual(Ip(first.Plan, "a"), Ip(second, "c"));
    }

    [Fact]
    public void A_VM_whose_own_entry_changed_is_planned_afresh()
    {
        var first = LoadAndPlan("  - { name: a, networks: [back] }", VmAllocationRecords.Empty);
        var records = Allocations.Of(first.Lab, first.Plan);

        var moved = PlanWith("  - { name: a, networks: [{ network: back, ip: 10.50.0.77 }] }", records);

        Assert.Equal("10.50.0.77", Ip(moved, "a", "back"));
    }

    // ---- the property: random edit sequences ----

    private sealed record Entry(string Name, int? Count, ImmutableArray<string> Networks, int? StaticBack, int? Port, bool AutoCorrect)
    {
        public IEnumerable<string> VmNames => Count is null ? [Name] : Enumerable.Range(1, Count.Value).Select(n => $"{Name}-{n}");

        public string Yaml()
        {
            var sb = new StringBuilder("  - { name: \"").Append(Name).Append(Count is null ? "" : "-{n}").Append('"');
            if (Count is { } c) sb.Append(CultureInfo.InvariantCulture, $", count: {c}");
            sb.Append(", networks: [").Append(string.Join(", ", Networks.Select(n =>
                n == "back" && StaticBack is { } s ? $"{{ network: back, ip: 10.50.0.{s} }}" : n))).Append(']');
            if (Port is { } p && Networks.Contains("lan"))
                sb.Append(CultureInfo.InvariantCulture, $", forwarded_ports: [{{ guest: 80, host: {p}, auto_correct: {(AutoCorrect ? "true" : "false")} }}]");
            return sb.Append(" }").ToString();
        }
    }

    /// <summary>What one VM has: per adapter key its IP (or none) and MAC, and its planned host ports.</summary>
    private static Dictionary<string, string> Held(LabDefinition lab, LabPlan plan)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var vm in plan.Vms)
        {
            var definition = lab.Vms.Single(v => v.Name == vm.Name);
            var parts = vm.Adapters.Select(a => $"{Allocations.AdapterKey(definition.Adapters, a.Index)}={a.Ip}/{a.Mac}")
                .Concat(vm.ForwardedPorts.Select(p => $"port {p.HostPort}->{p.GuestIp}:{p.GuestPort}"));
            result[vm.Name] = string.Join(" ", parts);
        }
        return result;
    }

    [Fact]
    public void No_VM_moves_unless_its_own_entry_changed_over_hundreds_of_random_edit_sequences()
    {
        var master = Environment.GetEnvironmentVariable("LABRUNNER_PROPERTY_SEED") is { Length: > 0 } fixedSeed
            ? int.Parse(fixedSeed, CultureInfo.InvariantCulture)
            : 14_1;
        for (var sequence = 0; sequence < 400; sequence++)
        {
            var seed = master * 1000 + sequence;
            try
            {
                RunSequence(new Random(seed), steps: 12);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new InvalidOperationException($"property failed for seed {seed} (LABRUNNER_PROPERTY_SEED={master}, sequence {sequence}): {e.Message}", e);
            }
        }
    }

    private static void RunSequence(Random random, int steps)
    {
        string[] networks = ["lan", "back", "store"];
        var entries = new List<Entry>();
        var nextName = 0;
        var staticsInUse = new HashSet<int>();
        Entry NewEntry()
        {
            var nets = networks.Where(_ => random.Next(2) == 0).ToList();
            if (nets.Count == 0) nets.Add(networks[random.Next(networks.Length)]);
            nets = [.. nets.OrderBy(_ => random.Next())];
            int? staticBack = null;
            // Static addresses from the top of the subnet, which allocation never reaches here: a static address
            // a VM declares wins over what another VM holds, so that is the one edit that may move another VM.
            if (nets.Contains("back") && random.Next(4) == 0)
            {
                do staticBack = 200 + random.Next(50); while (staticsInUse.Contains(staticBack.Value));
            }
            var count = random.Next(3) == 0 ? random.Next(1, 4) : (int?)null;
            if (count is not null) staticBack = null;
            if (staticBack is { } s) staticsInUse.Add(s);
            return new Entry($"vm{nextName++}", count, [.. nets], staticBack, random.Next(2) == 0 ? 20000 + 10 * nextName : null, random.Next(2) == 0);
        }
        for (var i = random.Next(1, 5); i > 0; i--) entries.Add(NewEntry());

        var records = VmAllocationRecords.Empty;
        // VMs removed from the Labfile that still exist on the host (not 'lab down NAME' yet), with what they hold.
        var lingering = new Dictionary<string, VmAllocation>(StringComparer.OrdinalIgnoreCase);
        Dictionary<string, string>? before = null;
        var changedOwn = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

        for (var step = 0; step <= steps; step++)
        {
            var vms = string.Join("\n", entries.Select(e => e.Yaml()));
            var (lab, plan) = LoadAndPlan(vms, records.SetItems(lingering));
            var held = Held(lab, plan);
            // A copy that comes back under a lingering VM's name is that VM again: in the Labfile, not lingering.
            foreach (var back in lingering.Keys.Where(held.ContainsKey).ToList()) lingering.Remove(back);

            // Nothing two VMs hold (or a VM that still exists outside the Labfile) is the same address or MAC.
            var ips = plan.Vms.SelectMany(v => v.Adapters.Where(a => a.Ip is not null).Select(a => (v.Name, a.Network, Ip: a.Ip!.Value)))
                .Concat(lingering.SelectMany(l => l.Value.Ips.Select(ip => (Name: l.Key, Network: ip.Key.Split('@')[0], Ip: ip.Value)))).ToList();
            var clash = ips.GroupBy(x => (x.Network.ToLowerInvariant(), x.Ip)).FirstOrDefault(g => g.Count() > 1);
            Assert.True(clash is null, $"step {step}: {clash?.Key.Ip} on '{clash?.Key.Item1}' is held by {string.Join(", ", clash?.Select(c => c.Name) ?? [])}\n{vms}");
            var macs = plan.Vms.SelectMany(v => v.Adapters.Select(a => (v.Name, a.Mac))).Concat(lingering.SelectMany(l => l.Value.Macs.Values.Select(m => (l.Key, Mac: m)))).ToList();
            Assert.Equal(macs.Count, macs.Select(m => m.Mac).Distinct().Count());

            // Every VM that existed before and whose own entry did not change holds exactly what it held.
            if (before is not null)
            {
                foreach (var (name, was) in before)
                {
                    if (changedOwn.Contains(name) || !held.TryGetValue(name, out var now)) continue;
                    Assert.True(was == now, $"step {step}: VM '{name}' moved though its entry did not change:\n  was {was}\n  now {now}\n{vms}");
                }
            }

            // What the engine records after 'lab up': every VM of the Labfile exists now.
            records = Allocations.Of(lab, plan);
            before = held;
            changedOwn.Clear();
            foreach (var gone in lingering.Keys.Where(_ => random.Next(3) == 0).ToList())
                lingering.Remove(gone);

            switch (random.Next(6))
            {
                case 0 when entries.Count < 6:
                    entries.Insert(random.Next(entries.Count + 1), NewEntry());
                    break;
                case 1 when entries.Count > 1:
                    var removed = entries[random.Next(entries.Count)];
                    // Its static address stays out of new entries: the VM may linger on the host with it.
                    entries.Remove(removed);
                    foreach (var vm in removed.VmNames)
                    {
                        // Either still on the host (its addresses stay reserved) or removed with 'lab down VM'.
                        if (random.Next(2) == 0 && records.TryGetValue(vm, out var record)) lingering[vm] = record;
                    }
                    break;
                case 2:
                    entries = [.. entries.OrderBy(_ => random.Next())];
                    break;
                case 3 when entries.Any(e => e.Count is not null):
                    var counted = entries.Where(e => e.Count is not null).ToList()[random.Next(entries.Count(e => e.Count is not null))];
                    var newCount = random.Next(1, 5);
                    // Copies beyond the new count are removed; they may linger on the host like any removed VM.
                    foreach (var vm in counted.VmNames.Skip(newCount))
                        if (random.Next(2) == 0 && records.TryGetValue(vm, out var record)) lingering[vm] = record;
                    entries[entries.IndexOf(counted)] = counted with { Count = newCount };
                    break;
                case 4:
                    // The one edit that may move a VM: its own networks change.
                    var own = entries[random.Next(entries.Count)];
                    var nets = own.Networks.ToList();
                    var toggled = networks[random.Next(networks.Length)];
                    if (nets.Contains(toggled, StringComparer.Ordinal) && nets.Count > 1) nets.Remove(toggled);
                    else if (!nets.Contains(toggled, StringComparer.Ordinal)) nets.Insert(random.Next(nets.Count + 1), toggled);
                    entries[entries.IndexOf(own)] = own with { Networks = [.. nets] };
                    changedOwn.UnionWith(own.VmNames);
                    break;
                default:
                    // An edit elsewhere in the Labfile (a VM's memory, say) changes no address.
                    break;
            }
        }
    }
}

internal static class VmAllocationRecords
{
    public static ImmutableDictionary<string, VmAllocation> Empty { get; } = ImmutableDictionary.Create<string, VmAllocation>(StringComparer.OrdinalIgnoreCase);
}
