using LabRunner.Core.Hosting;

namespace LabRunner.Simulation;

/// <summary>Refusals of checkpoint cmdlets (Checkpoint-VM, Restore-VMSnapshot, Remove-VMSnapshot, Get-VMSnapshot).</summary>
public static partial class WindowsErrors
{
    /// <summary>Modelled on Hyper-V's wording for a VM whose checkpoint type is Disabled.</summary>
    public static SimulatedHostException CheckpointsDisabled(string vm) =>
        new(HostErrorKind.InvalidState, InvalidOperation,
            $"Checkpoint operation failed. '{vm}' could not initiate a checkpoint operation: checkpoints are disabled for this virtual machine (Set-VM -CheckpointType Disabled).");

    /// <summary>Modelled: a ProductionOnly checkpoint when the guest cannot freeze its file systems.</summary>
    public static SimulatedHostException ProductionCheckpointFailed(string vm, string why) =>
        new(HostErrorKind.Failed, InvalidOperation,
            $"Checkpoint operation failed. '{vm}' could not create a production checkpoint: {why}. Its checkpoint type is ProductionOnly, so no standard checkpoint was taken instead.");

    /// <summary>Modelled on Get-VMSnapshot's "unable to find" wording.</summary>
    public static SimulatedHostException CheckpointNotFound(string vm, string name) =>
        new(HostErrorKind.NotFound, ObjectNotFound, $"Hyper-V was unable to find a checkpoint with name \"{name}\" of virtual machine \"{vm}\".");
}
