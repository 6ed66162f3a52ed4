using LabRunner.Core.Hosting;
using LabRunner.Engine;
using LabRunner.Integration.Tests.Support;
using LabRunner.Simulation.Model;

namespace LabRunner.Integration.Tests;

/// <summary>
/// A lab whose VMs have checkpoints: their disks are .avhdx files whose chains end in the VMs' own disks. The real
/// engine, through the Hyper-V provider's scripts and its CIM inventory, takes that for the lab it made.
/// </summary>
public class CheckpointChainTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_lab_with_checkpoints_has_nothing_to_do_reads_the_same_through_cim_and_down_leaves_nothing_of_it(bool throughPowerShell)
    {
        var host = Labfiles.HostWithForeignObjects(foreignNat: false);
        var foreign = Labfiles.ForeignPart(host.Snapshot());
        using var lab = new Lab(Labfiles.Pair, host, throughPowerShell);
        Assert.True((await lab.UpAsync()).Outcome == EngineOutcome.Done);
        var snapshots = lab.Provider.Capability<ISnapshots>()!;

        foreach (var vm in new[] { "pair-a", "pair-b" })
            await snapshots.SaveAsync(vm, "s1", SnapshotType.Standard, default);
        await snapshots.SaveAsync("pair-a", "s2", SnapshotType.Standard, default);
        await snapshots.RestoreAsync("pair-b", "s1", default);
        var again = await lab.UpAsync();

        Assert.True(again.Outcome == EngineOutcome.NothingToDo, Lab.Describe(again));
        Assert.All(HostAssert.LabVms(host.Snapshot()), vm =>
        {
            Assert.Equal(VmState.Running, vm.State);
            Assert.EndsWith(".avhdx", vm.HardDisks.Single().Path!, StringComparison.Ordinal);
        });
        var a = host.GetInventory([]).Vm("pair-a")!;
        Assert.Equal([lab.DiskPath("a")], a.SnapshotDisks.Where(d => d.EndsWith(".vhdx", StringComparison.Ordinal)).ToArray());
        Assert.Equal(a.HardDisks[0], a.HardDiskOn(lab.DiskPath("a")));
        await Inventory.AssertCimViewMatchesHostAsync(lab);

        var down = await lab.DownAsync();

        Assert.True(down.Outcome == EngineOutcome.Done, Lab.Describe(down));
        HostAssert.NothingOfTheLabRemains(lab, foreign);
    }

    [Fact]
    public async Task A_changed_snapshot_type_is_set_on_the_running_vms_by_the_next_up()
    {
        using var lab = new Lab(Labfiles.Pair, Labfiles.HostWithForeignObjects(foreignNat: false));
        Assert.True((await lab.UpAsync()).Outcome == EngineOutcome.Done);
        var made = lab.Host.Snapshot().Vms.Where(v => v.Name.StartsWith("pair-", StringComparison.Ordinal)).Select(v => v.CheckpointType).ToList();

        lab.WriteLabfile(Labfiles.Pair.Replace("name: pair\n", "name: pair\ndefaults:\n  snapshot_type: production_only\n", StringComparison.Ordinal));
        var changed = await lab.UpAsync();

        Assert.Equal([SimCheckpointType.Standard, SimCheckpointType.Standard], made);
        Assert.True(changed.Outcome == EngineOutcome.Done, Lab.Describe(changed));
        Assert.All(changed.Batches.SelectMany(b => b.Operations), o => Assert.IsType<SetSnapshotType>(o));
        Assert.All(lab.Host.Snapshot().Vms.Where(v => v.Name.StartsWith("pair-", StringComparison.Ordinal)), v =>
            Assert.Equal((SimCheckpointType.ProductionOnly, VmState.Running), (v.CheckpointType, v.State)));
        Assert.Equal(EngineOutcome.NothingToDo, (await lab.UpAsync()).Outcome);
    }
}
