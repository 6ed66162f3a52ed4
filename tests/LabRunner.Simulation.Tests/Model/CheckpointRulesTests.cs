using LabRunner.Core.Hosting;
using LabRunner.Simulation.Model;
using Microsoft.Extensions.Time.Testing;
using static LabRunner.Simulation.Tests.TestHost;

namespace LabRunner.Simulation.Tests.Model;

/// <summary>Checkpoints as Hyper-V keeps them: .avhdx chains, merges on delete, restore of state and memory, and the refusals.</summary>
public sealed class CheckpointRulesTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 5, 6, 0, 0, TimeSpan.Zero));

    public void Dispose() => _folder.Dispose();

    /// <summary>A host with one VM 'web' on a real differencing disk (placeholder files), on a box.</summary>
    private (SimulatedHost Host, string Disk) HostWithVm(VmState state = VmState.Running, SimCheckpointType type = SimCheckpointType.Standard)
    {
        var box = _folder.File("box.vhdx");
        File.WriteAllText(box, "box");
        var host = new SimulatedHost(_folder.File("host.json")) { Clock = _clock };
        var disk = _folder.File("disk.vhdx");
        host.Mutate(m =>
        {
            m.NewDifferencingVhd(disk, box, writePlaceholder: true);
            var vm = m.NewVm("web", disk: disk);
            m.SetVm(vm, automaticCheckpoints: false);
            HostModel.SetCheckpointType(vm, type);
            if (state != VmState.Off) m.StartVm(vm);
            if (state == VmState.Paused) m.SuspendVm(vm);
        });
        return (host, disk);
    }

    private static SimVm Web(SimulatedHostState state) => state.Vms.Single(v => v.Name == "web");

    [Fact]
    public void A_standard_checkpoint_of_a_running_vm_keeps_its_memory_and_moves_it_onto_an_avhdx_child_of_its_disk()
    {
        var (host, disk) = HostWithVm();

        var checkpoint = host.Mutate(m => m.Checkpoint(m.GetVm("web"), "s1"));

        var state = host.Snapshot();
        var current = Assert.Single(Web(state).HardDisks).Path!;
        Assert.True(checkpoint.WithMemory);
        Assert.Equal(SimSnapshotType.Standard, checkpoint.SnapshotType);
        Assert.Equal(_clock.GetUtcNow(), checkpoint.Created);
        Assert.Equal(VmState.Running, Web(state).State);
        Assert.Matches(@"disk_[0-9A-F-]{36}\.avhdx$", current);
        Assert.Equal(disk, state.Vhds.Single(v => v.Path == current).ParentPath);
        Assert.True(File.Exists(current));
        Assert.Equal([disk], host.Read(m => m.CheckpointDisks(m.GetVm("web"))));
    }

    [Fact]
    public void Restoring_a_checkpoint_with_memory_leaves_the_vm_saved_on_a_new_avhdx_with_the_configuration_it_had()
    {
        var (host, disk) = HostWithVm();
        host.Mutate(m => m.Checkpoint(m.GetVm("web"), "s1"));
        var before = Web(host.Snapshot()).HardDisks.Single().Path!;
        host.Mutate(m =>
        {
            var vm = m.GetVm("web");
            m.StopVm(vm, turnOff: true);
            m.SetVm(vm, processorCount: 4);
        });

        host.Mutate(m => m.RestoreCheckpoint(m.GetVm("web"), m.CheckpointsNamed(m.GetVm("web"), "s1")[0]));

        var web = Web(host.Snapshot());
        var after = web.HardDisks.Single().Path!;
        Assert.Equal(VmState.Saved, web.State);
        Assert.Equal(1, web.ProcessorCount);
        Assert.NotEqual(before, after);
        Assert.False(File.Exists(before));
        Assert.Equal(disk, host.Snapshot().Vhds.Single(v => v.Path == after).ParentPath);
    }

    [Theory]
    [InlineData(VmState.Running)]
    [InlineData(VmState.Paused)]
    public void A_checkpoint_is_applied_only_to_a_vm_that_is_off_or_saved(VmState state)
    {
        var (host, _) = HostWithVm(state);
        host.Mutate(m => m.Checkpoint(m.GetVm("web"), "s1"));

        var refusal = Refusal(host, m => m.RestoreCheckpoint(m.GetVm("web"), m.GetVm("web").Checkpoints[0]));

        Assert.Equal(HostErrorKind.InvalidState, refusal.Kind);
        Assert.Contains("off or saved", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deleting_every_checkpoint_in_any_order_merges_the_chain_back_into_the_vms_own_disk()
    {
        var (host, disk) = HostWithVm();
        host.Mutate(m => m.Checkpoint(m.GetVm("web"), "s1"));
        host.Mutate(m => m.Checkpoint(m.GetVm("web"), "s2"));
        var chain = host.Snapshot().Vhds.Where(v => HostModel.IsCheckpointDisk(v.Path)).Select(v => v.Path).ToList();
        Assert.Equal(2, chain.Count);

        host.Mutate(m => m.RemoveCheckpoint(m.GetVm("web"), m.CheckpointsNamed(m.GetVm("web"), "s1")[0]));
        var middle = host.Snapshot();
        host.Mutate(m => m.RemoveCheckpoint(m.GetVm("web"), m.CheckpointsNamed(m.GetVm("web"), "s2")[0]));

        var s2 = Assert.Single(Web(middle).Checkpoints);
        Assert.Null(s2.ParentId);
        Assert.Equal(disk, s2.HardDisks.Single().Path);
        var state = host.Snapshot();
        Assert.Equal(disk, Web(state).HardDisks.Single().Path);
        Assert.Empty(Web(state).Checkpoints);
        Assert.DoesNotContain(state.Vhds, v => HostModel.IsCheckpointDisk(v.Path));
        Assert.All(chain, path => Assert.False(File.Exists(path)));
        Assert.True(File.Exists(disk));
    }

    [Fact]
    public void A_checkpoint_on_a_branch_left_by_a_restore_goes_with_its_disk_and_the_vm_keeps_its_own_chain()
    {
        var (host, disk) = HostWithVm(VmState.Off);
        host.Mutate(m => m.Checkpoint(m.GetVm("web"), "s1"));
        host.Mutate(m => m.Checkpoint(m.GetVm("web"), "s2"));
        host.Mutate(m => m.RestoreCheckpoint(m.GetVm("web"), m.CheckpointsNamed(m.GetVm("web"), "s1")[0]));

        host.Mutate(m => m.RemoveCheckpoint(m.GetVm("web"), m.CheckpointsNamed(m.GetVm("web"), "s2")[0]));
        var middle = host.Snapshot();
        var current = Web(middle).HardDisks.Single().Path!;
        host.Mutate(m => m.RemoveCheckpoint(m.GetVm("web"), m.CheckpointsNamed(m.GetVm("web"), "s1")[0]));

        Assert.Equal(disk, middle.Vhds.Single(v => v.Path == current).ParentPath);
        Assert.Equal(2, middle.Vhds.Count(v => HostModel.IsCheckpointDisk(v.Path)) + middle.Vhds.Count(v => v.Path == disk));
        Assert.Equal(disk, Web(host.Snapshot()).HardDisks.Single().Path);
        Assert.DoesNotContain(host.Snapshot().Vhds, v => HostModel.IsCheckpointDisk(v.Path));
        Assert.Single(Directory.GetFiles(_folder.Path, "*.avhdx").Concat(Directory.GetFiles(_folder.Path, "disk.vhdx")));
    }

    [Fact]
    public void A_production_checkpoint_of_a_running_vm_keeps_no_memory_and_restores_to_off()
    {
        var (host, _) = HostWithVm(type: SimCheckpointType.Production);

        var checkpoint = host.Mutate(m => m.Checkpoint(m.GetVm("web"), "p1"));
        host.Mutate(m =>
        {
            var vm = m.GetVm("web");
            m.StopVm(vm, turnOff: true);
            m.RestoreCheckpoint(vm, vm.Checkpoints[0]);
        });

        Assert.Equal(SimSnapshotType.Production, checkpoint.SnapshotType);
        Assert.False(checkpoint.WithMemory);
        Assert.Equal(VmState.Off, Web(host.Snapshot()).State);
    }

    [Fact]
    public void Production_falls_back_to_standard_when_the_guest_cannot_freeze_and_production_only_refuses()
    {
        var (host, _) = HostWithVm(VmState.Paused, SimCheckpointType.Production);

        var fallback = host.Mutate(m => m.Checkpoint(m.GetVm("web"), "p1"));
        host.Mutate(m =>
        {
            var vm = m.GetVm("web");
            HostModel.SetCheckpointType(vm, SimCheckpointType.ProductionOnly);
            m.ResumeVm(vm);
            vm.GuestFreezesFileSystems = false;
        });
        var refusal = Refusal(host, m => m.Checkpoint(m.GetVm("web"), "p2"));

        Assert.Equal((SimSnapshotType.Standard, VmState.Paused), (fallback.SnapshotType, fallback.State));
        Assert.Contains("ProductionOnly", refusal.Message, StringComparison.Ordinal);
        Assert.Single(Web(host.Snapshot()).Checkpoints);
    }

    [Fact]
    public void A_vm_with_checkpoints_disabled_takes_none()
    {
        var (host, disk) = HostWithVm(type: SimCheckpointType.Disabled);

        var refusal = Refusal(host, m => m.Checkpoint(m.GetVm("web"), "s1"));

        Assert.Equal(HostErrorKind.InvalidState, refusal.Kind);
        Assert.Equal(disk, Web(host.Snapshot()).HardDisks.Single().Path);
    }

    [Fact]
    public void Checkpoints_survive_the_host_file_and_an_automatic_one_is_a_real_checkpoint()
    {
        var (host, disk) = HostWithVm(VmState.Off);
        host.Mutate(m => m.SetVm(m.GetVm("web"), automaticCheckpoints: true));

        host.Mutate(m => m.StartVm(m.GetVm("web")));

        var reread = new SimulatedHost(_folder.File("host.json")).Snapshot();
        var automatic = Assert.Single(Web(reread).Checkpoints);
        Assert.True(automatic.IsAutomatic);
        Assert.StartsWith("Automatic Checkpoint - web - (12/5/2026", automatic.Name, StringComparison.Ordinal);
        Assert.Equal(disk, automatic.HardDisks.Single().Path);
        Assert.Equal(automatic.Id, Web(reread).ParentCheckpointId);
    }
}
