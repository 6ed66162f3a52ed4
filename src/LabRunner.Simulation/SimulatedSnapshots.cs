using System.Collections.Immutable;
using LabRunner.Core.Hosting;
using LabRunner.Core.Tracing;
using LabRunner.Simulation.Model;

namespace LabRunner.Simulation;

/// <summary>
/// <see cref="ISnapshots"/> of the simulated host: its checkpoints, as the Hyper-V provider's scripts drive them
/// (Set-VM -CheckpointType then Checkpoint-VM; Stop-VM -TurnOff, Restore-VMSnapshot and Start-VM of a restored saved
/// state; Remove-VMSnapshot). Each call is one change of the host (one fault-injection count), recorded in the trace;
/// the model's refusals become <see cref="SnapshotException"/>s here.
/// </summary>
public sealed class SimulatedSnapshots(SimulatedHost host, IHostTrace trace) : ISnapshots
{
    public Task<ImmutableArray<VmSnapshot>> ListAsync(string hostVmName, CancellationToken cancellationToken) =>
        Run(hostVmName, null, "Get-VMSnapshot", read: true, m =>
            // A VM the host does not have has no checkpoints.
            m.FindVm(hostVmName) is not { } vm ? [] : vm.Checkpoints.OrderBy(c => c.Created).Select(Describe).ToImmutableArray(), cancellationToken);

    public Task PauseAsync(string hostVmName, CancellationToken cancellationToken) =>
        Run(hostVmName, null, "Suspend-VM", read: false, m => m.SuspendVm(m.GetVm(hostVmName)), cancellationToken);

    public Task ResumeAsync(string hostVmName, CancellationToken cancellationToken) =>
        Run(hostVmName, null, "Resume-VM", read: false, m =>
        {
            var vm = m.GetVm(hostVmName);
            return vm.State == VmState.Paused ? m.ResumeVm(vm) : VmTransition.AlreadyInState;
        }, cancellationToken);

    public Task<VmSnapshot> SaveAsync(string hostVmName, string snapshotName, SnapshotType type, CancellationToken cancellationToken) =>
        Run(hostVmName, snapshotName, "Checkpoint-VM", read: false, m =>
        {
            var vm = m.GetVm(hostVmName);
            if (vm.Checkpoints.Any(c => HostModel.SameName(c.Name, snapshotName)))
                throw new SimulatedHostException(HostErrorKind.AlreadyExists, WindowsErrors.AlreadyExists, "the VM already has a checkpoint of that name");
            HostModel.SetCheckpointType(vm, CheckpointTypeOf(type));
            return Describe(m.Checkpoint(vm, snapshotName));
        }, cancellationToken);

    public Task RestoreAsync(string hostVmName, string snapshotName, CancellationToken cancellationToken) =>
        Run(hostVmName, snapshotName, "Restore-VMSnapshot", read: false, m =>
        {
            var vm = m.GetVm(hostVmName);
            var checkpoint = Single(m, vm, snapshotName);
            // Hyper-V applies a checkpoint only to a VM that is off or saved: a running one is turned off first (its
            // state is being replaced), and one that comes back saved (the checkpoint kept memory) is started again.
            if (vm.State is VmState.Running or VmState.Paused) m.StopVm(vm, turnOff: true);
            m.RestoreCheckpoint(vm, checkpoint);
            return vm.State == VmState.Saved ? m.StartVm(vm) : VmTransition.AlreadyInState;
        }, cancellationToken);

    public Task DeleteAsync(string hostVmName, string snapshotName, CancellationToken cancellationToken) =>
        Run(hostVmName, snapshotName, "Remove-VMSnapshot", read: false, m =>
        {
            var vm = m.GetVm(hostVmName);
            m.RemoveCheckpoint(vm, Single(m, vm, snapshotName));
            return true;
        }, cancellationToken);

    /// <summary>Hyper-V's checkpoint type for the Labfile's <c>snapshot_type</c>.</summary>
    public static SimCheckpointType CheckpointTypeOf(SnapshotType type) => type switch
    {
        SnapshotType.Production => SimCheckpointType.Production,
        SnapshotType.ProductionOnly => SimCheckpointType.ProductionOnly,
        _ => SimCheckpointType.Standard,
    };

    /// <summary>As the provider lists a checkpoint: with memory when it was taken of a VM that ran (or was paused or saved).</summary>
    public static VmSnapshot Describe(SimCheckpoint checkpoint) => new(
        checkpoint.Name,
        checkpoint.Created,
        checkpoint.WithMemory,
        checkpoint.SnapshotType == SimSnapshotType.Production ? "production checkpoint" : "standard checkpoint",
        null);

    /// <summary>The one checkpoint of that name: Hyper-V allows a name twice, and then neither is the one meant.</summary>
    private static SimCheckpoint Single(HostModel m, SimVm vm, string name)
    {
        var named = m.CheckpointsNamed(vm, name);
        return named.Count == 1 ? named[0]
            : throw new SimulatedHostException(HostErrorKind.Conflict, WindowsErrors.InvalidOperation,
                $"the VM has {named.Count} checkpoints of that name; rename or delete one in Hyper-V Manager");
    }

    private async Task<T> Run<T>(string vm, string? snapshot, string cmdlet, bool read, Func<HostModel, T> call, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var what = snapshot is null ? $"VM '{vm}'" : $"checkpoint '{snapshot}' of VM '{vm}'";
        var record = trace.Begin(new HostCall(["simulated-host", cmdlet]) { Summary = $"{cmdlet} {what}" });
        try
        {
            var result = await Task.Run(() => read ? host.Read(call) : host.Mutate(call), cancellationToken).ConfigureAwait(false);
            record.Ended(0, null);
            return result;
        }
        catch (SimulatedHostException e)
        {
            record.Ended(1, e.Error.Message);
            throw new SnapshotException(new HostError(e.Error.Kind, $"{cmdlet} of {what}: {e.Error.Message}"), e);
        }
        catch (HostUnavailableException e)
        {
            record.Ended(1, e.Error.Message);
            throw;
        }
    }
}
