namespace LabRunner.Simulation;

/// <summary>How a start or stop request ended: Hyper-V only warns when the VM is already where it was asked to go.</summary>
public enum VmTransition
{
    Changed,
    AlreadyInState,
}
