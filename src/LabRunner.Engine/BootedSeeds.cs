using System.Collections.Immutable;
using LabRunner.Core.Hosting;
using LabRunner.Core.Planning;
using LabRunner.Core.Reconciliation;

namespace LabRunner.Engine;

/// <summary>
/// Which seed each running VM booted with (<see cref="ProjectState.BootedSeeds"/>): a seed changed while the VM
/// ran is applied only at its next boot, so until then the change stays pending (issue 14.2).
/// </summary>
internal static class BootedSeeds
{
    /// <summary>The records of the plan's VMs that run on the host now, for the reconciler.</summary>
    public static ImmutableDictionary<string, string> Of(ProjectState state, LabPlan plan, HostInventory inventory) =>
        state.BootedSeeds.Where(b => plan.Vm(b.Key) is { } vm
                && inventory.Vm(vm.HostVmName) is { State: not VmState.Off })
            .ToImmutableDictionary(b => b.Key, b => b.Value, StringComparer.OrdinalIgnoreCase);

    /// <summary>The seed a VM holds: the disc in a drive that is under the project's state folder.</summary>
    private static string? Held(HostVm vm, string stateDirectory) =>
        vm.DvdDrives.FirstOrDefault(d => !d.IsEmpty && d.Path.StartsWith(stateDirectory, StringComparison.OrdinalIgnoreCase))?.Path;

    /// <summary>
    /// Before a run changes anything: a running VM with no record (made by an earlier LabRunner) booted, as far as
    /// anyone can tell, with the seed it holds now. True when that changed anything.
    /// </summary>
    public static bool Assume(ProjectState state, LabPlan plan, HostInventory inventory, LabIdentity identity, string stateDirectory)
    {
        var changed = false;
        foreach (var vm in plan.Vms)
        {
            if (state.BootedSeeds.ContainsKey(vm.Name)) continue;
            if (inventory.Vm(vm.HostVmName) is not { State: not VmState.Off } host || !identity.Owns(host.Notes) || Held(host, stateDirectory) is not { } seed) continue;
            state.BootedSeeds[vm.Name] = seed;
            changed = true;
        }
        return changed;
    }

    /// <summary>
    /// After a run: a VM that booted in it (started from off, or stopped and started again) booted with the seed it
    /// holds now; a VM that is off or gone has no record. True when that changed anything.
    /// </summary>
    public static bool Record(ProjectState state, LabPlan plan, HostInventory before, HostInventory after, Func<HostOperation, bool> done, Reconciliation reconciliation, string stateDirectory)
    {
        var changed = false;
        foreach (var vm in plan.Vms)
        {
            var host = after.Vm(vm.HostVmName);
            if (host is null || host.State == VmState.Off)
            {
                changed |= state.BootedSeeds.Remove(vm.Name);
                continue;
            }
            var ops = reconciliation.All.Where(o => string.Equals(o.Vm, vm.HostVmName, StringComparison.OrdinalIgnoreCase)).ToList();
            var wasOff = before.Vm(vm.HostVmName) is null or { State: VmState.Off };
            // Start-VM of a saved VM restores it: only a start from off is a boot.
            var booted = ops.OfType<StartVm>().Any(done) && (wasOff || ops.OfType<StopVm>().Any(done));
            if (!booted || Held(host, stateDirectory) is not { } seed) continue;
            if (state.BootedSeeds.TryGetValue(vm.Name, out var recorded) && string.Equals(recorded, seed, StringComparison.Ordinal)) continue;
            state.BootedSeeds[vm.Name] = seed;
            changed = true;
        }
        return changed;
    }
}
