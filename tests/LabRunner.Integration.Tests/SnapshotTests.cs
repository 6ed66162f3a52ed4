using LabRunner.Core.Errors;
using LabRunner.Core.Hosting;
using LabRunner.HyperV.Emulation;
using SnapshotType = LabRunner.Core.Hosting.SnapshotType;
using LabRunner.Providers.HyperV;
using LabRunner.Simulation;
using LabRunner.Simulation.Model;

namespace LabRunner.Integration.Tests;

/// <summary>
/// Checkpoints through the Hyper-V provider: its exact checkpoint scripts run by the real PowerShell engine against
/// the emulated Checkpoint-VM, Get-VMSnapshot, Restore-VMSnapshot, Remove-VMSnapshot, Suspend-VM, Resume-VM and
/// Set-VM -CheckpointType (documented parameter sets) over one simulated host.
/// </summary>
public class SnapshotTests
{
    private const string Vm = "shop-web";
    private const string Disk = @"C:\src\shop\.lab\web\disk.vhdx";
    private readonly SimulatedHost _host;
    private readonly InProcessPowerShellRunner _runner;
    private readonly ISnapshots _snapshots;

    public SnapshotTests()
    {
        var state = DefaultHost.Create();
        state.Vhds.Add(new SimVhd { Path = @"C:\boxes\debian.vhdx" });
        _host = SimulatedHost.InMemory(state);
        _host.Mutate(m =>
        {
            m.NewDifferencingVhd(Disk, @"C:\boxes\debian.vhdx", writePlaceholder: false);
            var vm = m.NewVm(Vm, 2, 1024L * 1024 * 1024, Disk, null, null);
            m.SetVm(vm, automaticCheckpoints: false);
            m.StartVm(vm);
        });
        _runner = new InProcessPowerShellRunner(_host);
        _snapshots = new HyperVProvider(_runner, new NoCim(), "SIMHOST").Capability<ISnapshots>()!;
    }

    private SimVm HostVm => _host.Snapshot().Vms.Single(v => v.Name == Vm);

    [Fact]
    public async Task A_running_vm_is_paused_checkpointed_resumed_and_restored_running_from_its_memory_then_merged_back()
    {
        await _snapshots.PauseAsync(Vm, default);
        var paused = HostVm.State;
        var saved = await _snapshots.SaveAsync(Vm, "s1", SnapshotType.Standard, default);
        await _snapshots.ResumeAsync(Vm, default);
        var onCheckpoint = HostVm.HardDisks.Single().Path!;
        _host.Mutate(m => m.StopVm(m.GetVm(Vm), turnOff: true));

        await _snapshots.RestoreAsync(Vm, "s1", default);
        var restored = HostVm;
        var listed = await _snapshots.ListAsync(Vm, default);
        await _snapshots.DeleteAsync(Vm, "s1", default);

        Assert.Equal(VmState.Paused, paused);
        Assert.Equal(("s1", true, "standard checkpoint"), (saved.Name, saved.WithMemory, saved.Type));
        Assert.True(saved.SizeBytes > 1024L * 1024 * 1024);
        Assert.EndsWith(".avhdx", onCheckpoint, StringComparison.Ordinal);
        Assert.Equal(VmState.Running, restored.State);
        Assert.NotEqual(onCheckpoint, restored.HardDisks.Single().Path);
        Assert.Equal(["s1"], listed.Select(s => s.Name));
        Assert.Empty(await _snapshots.ListAsync(Vm, default));
        Assert.Equal(Disk, HostVm.HardDisks.Single().Path);
        Assert.Equal(VmState.Running, HostVm.State);
    }

    [Theory]
    [InlineData("it's $(Stop-Computer) \u2019 `x`")]
    [InlineData("Experiment*")]
    [InlineData("a[1]?")]
    public async Task A_checkpoint_of_any_name_is_made_found_and_removed_exactly_and_no_other_with_it(string name)
    {
        await _snapshots.SaveAsync(Vm, "Experiment1", SnapshotType.Standard, default);
        await _snapshots.SaveAsync(Vm, "a11", SnapshotType.Standard, default);

        var saved = await _snapshots.SaveAsync(Vm, name, SnapshotType.Standard, default);
        await _snapshots.RestoreAsync(Vm, name, default);
        var restoredTo = HostVm.ParentCheckpointId;
        await _snapshots.DeleteAsync(Vm, name, default);

        Assert.Equal(name, saved.Name);
        Assert.NotNull(restoredTo);
        Assert.Equal(["Experiment1", "a11"], (await _snapshots.ListAsync(Vm, default)).Select(s => s.Name));
    }

    [Fact]
    public async Task A_production_checkpoint_keeps_no_memory_and_its_restore_leaves_the_vm_off()
    {
        var saved = await _snapshots.SaveAsync(Vm, "p1", SnapshotType.Production, default);

        await _snapshots.RestoreAsync(Vm, "p1", default);

        Assert.Equal((false, "production checkpoint"), (saved.WithMemory, saved.Type));
        Assert.Equal(VmState.Off, HostVm.State);
        Assert.Equal(SimCheckpointType.Production, HostVm.CheckpointType);
    }

    [Theory]
    [InlineData(SnapshotType.Production)]
    [InlineData(SnapshotType.ProductionOnly)]
    public async Task A_paused_vm_runs_for_a_production_checkpoint_and_is_paused_again(SnapshotType type)
    {
        await _snapshots.PauseAsync(Vm, default);

        var saved = await _snapshots.SaveAsync(Vm, "p1", type, default);

        Assert.Equal((false, "production checkpoint"), (saved.WithMemory, saved.Type));
        Assert.Equal(VmState.Paused, HostVm.State);
    }

    [Fact]
    public async Task Production_only_fails_when_the_guest_cannot_freeze_its_file_systems_and_takes_nothing()
    {
        _host.Mutate(m => m.GetVm(Vm).GuestFreezesFileSystems = false);

        var refused = await Assert.ThrowsAsync<SnapshotException>(() => _snapshots.SaveAsync(Vm, "p1", SnapshotType.ProductionOnly, default));

        Assert.Contains("checkpoint 'p1' of VM 'shop-web'", refused.Message, StringComparison.Ordinal);
        Assert.Contains("ProductionOnly", refused.Message, StringComparison.Ordinal);
        Assert.Empty(HostVm.Checkpoints);
        Assert.Equal(Disk, HostVm.HardDisks.Single().Path);
    }

    [Fact]
    public async Task Refusals_come_back_as_snapshot_exceptions_of_the_right_kind()
    {
        await _snapshots.SaveAsync(Vm, "s1", SnapshotType.Standard, default);
        _host.Mutate(m => m.Checkpoint(m.GetVm(Vm), "twice"));
        _host.Mutate(m => m.Checkpoint(m.GetVm(Vm), "twice"));

        var again = await Assert.ThrowsAsync<SnapshotException>(() => _snapshots.SaveAsync(Vm, "S1", SnapshotType.Standard, default));
        var missing = await Assert.ThrowsAsync<SnapshotException>(() => _snapshots.DeleteAsync(Vm, "s2", default));
        var ambiguous = await Assert.ThrowsAsync<SnapshotException>(() => _snapshots.RestoreAsync(Vm, "twice", default));
        _host.Mutate(m => m.StopVm(m.GetVm(Vm), turnOff: true));
        var notRunning = await Assert.ThrowsAsync<SnapshotException>(() => _snapshots.PauseAsync(Vm, default));

        Assert.Equal((HostErrorKind.AlreadyExists, ErrorCategory.Conflict), (again.Error.Kind, again.Category));
        Assert.Equal(HostErrorKind.NotFound, missing.Error.Kind);
        Assert.Contains("more than one checkpoint named 'twice'", ambiguous.Message, StringComparison.Ordinal);
        Assert.Equal(HostErrorKind.InvalidState, notRunning.Error.Kind);
        Assert.Equal(3, HostVm.Checkpoints.Count);
    }

    [Fact]
    public async Task A_vm_the_host_does_not_have_lists_no_checkpoints()
    {
        Assert.Empty(await _snapshots.ListAsync("shop-gone", default));
    }

    [Fact]
    public async Task Listing_several_vms_is_one_powershell_process_and_gives_each_vm_exactly_its_own_checkpoints()
    {
        _host.Mutate(m =>
        {
            m.NewDifferencingVhd(@"C:\src\shop\.lab\db\disk.vhdx", @"C:\boxes\debian.vhdx", writePlaceholder: false);
            m.SetVm(m.NewVm("shop-db", 2, 1024L * 1024 * 1024, @"C:\src\shop\.lab\db\disk.vhdx", null, null), automaticCheckpoints: false);
        });
        await _snapshots.SaveAsync(Vm, "s1", SnapshotType.Standard, default);
        await _snapshots.SaveAsync(Vm, "it's 2", SnapshotType.Standard, default);
        await _snapshots.SaveAsync("shop-db", "only-db", SnapshotType.Standard, default);
        var before = _runner.ProcessesStarted;

        var listed = await _snapshots.ListManyAsync([Vm, "shop-db", "shop-gone"], default);

        Assert.Equal(1, _runner.ProcessesStarted - before);
        Assert.Equal(["s1", "it's 2"], listed[Vm].Select(s => s.Name));
        Assert.Equal(["only-db"], listed["shop-db"].Select(s => s.Name));
        Assert.Empty(listed["shop-gone"]);
        Assert.Equal((await _snapshots.ListAsync(Vm, default)).Select(s => s.Name), listed[Vm].Select(s => s.Name));
    }

    private sealed class NoCim : LabRunner.Providers.HyperV.Cim.ICimClient
    {
        public Task<IReadOnlyList<LabRunner.Providers.HyperV.Cim.CimRecord>> QueryAsync(string @namespace, string className, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("not read in these tests");
    }
}
