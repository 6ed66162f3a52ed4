using LabRunner.Core.Errors;
using LabRunner.Core.Hosting;
using LabRunner.Simulation.Model;

namespace LabRunner.Simulation.Tests;

/// <summary>The simulated provider's <see cref="ISnapshots"/>: what the engine's lab snapshots stand on.</summary>
public class SimulatedSnapshotsTests
{
    private static (SimulatedHost Host, ISnapshots Snapshots) Lab(VmState state = VmState.Running)
    {
        var host = TestHost.WithBaseImage();
        host.Mutate(m =>
        {
            m.NewDifferencingVhd(@"C:\lab\.lab\web\disk.vhdx", @"C:\boxes\ubuntu.vhdx", writePlaceholder: false);
            var vm = m.NewVm("demo-web", 2, 1024L * 1024 * 1024, @"C:\lab\.lab\web\disk.vhdx", null, null);
            m.SetVm(vm, automaticCheckpoints: false);
            if (state != VmState.Off) m.StartVm(vm);
        });
        return (host, new SimulatedProvider(host).Capability<ISnapshots>()!);
    }

    [Fact]
    public async Task A_running_vm_is_paused_saved_resumed_and_comes_back_running_from_its_memory_after_a_restore()
    {
        var (host, snapshots) = Lab();

        await snapshots.PauseAsync("demo-web", default);
        var saved = await snapshots.SaveAsync("demo-web", "s1", SnapshotType.Standard, default);
        await snapshots.ResumeAsync("demo-web", default);
        host.Mutate(m => m.StopVm(m.GetVm("demo-web"), turnOff: true));
        await snapshots.RestoreAsync("demo-web", "s1", default);
        var listed = await snapshots.ListAsync("demo-web", default);

        Assert.Equal(("s1", true, "standard checkpoint"), (saved.Name, saved.WithMemory, saved.Type));
        Assert.Equal(["s1"], listed.Select(s => s.Name));
        Assert.Equal(VmState.Running, host.GetInventory([]).Vm("demo-web")!.State);
    }

    [Fact]
    public async Task A_restore_of_a_running_vm_to_a_production_snapshot_leaves_it_off()
    {
        var (host, snapshots) = Lab();

        var saved = await snapshots.SaveAsync("demo-web", "p1", SnapshotType.Production, default);
        await snapshots.RestoreAsync("demo-web", "p1", default);

        Assert.False(saved.WithMemory);
        Assert.Equal("production checkpoint", saved.Type);
        Assert.Equal(VmState.Off, host.GetInventory([]).Vm("demo-web")!.State);
        Assert.Equal(SimCheckpointType.Production, host.Snapshot().Vms.Single().CheckpointType);
    }

    [Fact]
    public async Task Delete_merges_the_vm_back_onto_its_own_disk()
    {
        var (host, snapshots) = Lab(VmState.Off);
        await snapshots.SaveAsync("demo-web", "s1", SnapshotType.Standard, default);
        await snapshots.SaveAsync("demo-web", "s2", SnapshotType.Standard, default);

        await snapshots.DeleteAsync("demo-web", "s2", default);
        await snapshots.DeleteAsync("demo-web", "s1", default);

        Assert.Empty(await snapshots.ListAsync("demo-web", default));
        Assert.Equal([@"C:\lab\.lab\web\disk.vhdx"], host.GetInventory([]).Vm("demo-web")!.HardDisks.ToArray());
    }

    [Fact]
    public async Task Refusals_are_snapshot_exceptions_naming_the_vm_and_the_snapshot()
    {
        var (_, snapshots) = Lab();
        await snapshots.SaveAsync("demo-web", "s1", SnapshotType.Standard, default);

        var twice = await Assert.ThrowsAsync<SnapshotException>(() => snapshots.SaveAsync("demo-web", "S1", SnapshotType.Standard, default));
        var missing = await Assert.ThrowsAsync<SnapshotException>(() => snapshots.RestoreAsync("demo-web", "nope", default));
        var notRunning = await Assert.ThrowsAsync<SnapshotException>(() => Lab(VmState.Off).Snapshots.PauseAsync("demo-web", default));

        Assert.Equal((HostErrorKind.AlreadyExists, ErrorCategory.Conflict), (twice.Error.Kind, twice.Category));
        Assert.Contains("checkpoint 'S1' of VM 'demo-web'", twice.Message, StringComparison.Ordinal);
        Assert.Equal(HostErrorKind.NotFound, missing.Error.Kind);
        Assert.Contains("'nope'", missing.Message, StringComparison.Ordinal);
        Assert.Equal(HostErrorKind.InvalidState, notRunning.Error.Kind);
    }

    [Fact]
    public async Task A_vm_the_host_does_not_have_has_no_snapshots_and_resuming_a_running_vm_changes_nothing()
    {
        var (host, snapshots) = Lab();
        var before = host.MutationCount;

        var none = await snapshots.ListAsync("demo-gone", default);
        await snapshots.ResumeAsync("demo-web", default);

        Assert.Empty(none);
        Assert.Equal(VmState.Running, host.GetInventory([]).Vm("demo-web")!.State);
        Assert.Equal(before + 1, host.MutationCount);
    }
}
