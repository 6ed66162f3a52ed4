using System.Management.Automation;
using LabRunner.Simulation;
using LabRunner.Simulation.Model;

namespace LabRunner.HyperV.Emulation.Cmdlets;

// Checkpoints, with the parameter sets of the Windows Server 2022 reference (docset/winserver2022-ps/Hyper-V:
// Checkpoint-VM.md, Get-VMSnapshot.md, Restore-VMSnapshot.md, Remove-VMSnapshot.md, Suspend-VM.md). A snapshot
// object passed in is found again by its VM's and its own id.

/// <summary>Checkpoint-VM [-Name] &lt;String[]&gt; | [-VM] &lt;VirtualMachine[]&gt; [[-SnapshotName] &lt;String&gt;] [-Passthru] (the VM).</summary>
[Cmdlet("Checkpoint", "VM", DefaultParameterSetName = "Name", SupportsShouldProcess = true)]
[OutputType(typeof(VirtualMachine))]
public sealed class CheckpointVMCommand : HyperVCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Name", ValueFromPipeline = true)]
    [Alias("VMName")]
    public string[]? Name { get; set; }

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "VMObject", ValueFromPipeline = true)]
    public VirtualMachine[]? VM { get; set; }

    [Parameter(Position = 1)]
    [Alias("CheckpointName")]
    public string? SnapshotName { get; set; }

    [Parameter]
    public SwitchParameter Passthru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var (id, name) in ResolveVms(Name, VM))
        {
            if (!ShouldProcess(name, "Checkpoint virtual machine")) continue;
            if (TryMutate(m =>
                {
                    var vm = m.GetVm(id);
                    m.Checkpoint(vm, SnapshotName);
                    return HyperVObjects.Vm(m, vm);
                }, name, out var vmObject) && Passthru)
                WriteObject(vmObject);
        }
    }
}

/// <summary>
/// Get-VMSnapshot [-VMName] &lt;String[]&gt; | [-VM] &lt;VirtualMachine[]&gt; [[-Name] &lt;String&gt;] [-SnapshotType] |
/// [-Id] &lt;Guid&gt; | -ParentOf | -ChildOf: oldest first. A VM with none writes nothing.
/// </summary>
[Cmdlet(VerbsCommon.Get, "VMSnapshot", DefaultParameterSetName = "VMName")]
[OutputType(typeof(VMSnapshot))]
public sealed class GetVMSnapshotCommand : HyperVCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "VMName", ValueFromPipeline = true)]
    public string[]? VMName { get; set; }

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "VMObject", ValueFromPipeline = true)]
    public VirtualMachine[]? VM { get; set; }

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Id", ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    public Guid Id { get; set; }

    /// <summary>A VM (its current parent checkpoint) or a checkpoint (its parent): VirtualMachineBase in the real module.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "Parent")]
    public PSObject? ParentOf { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = "Child")]
    public VMSnapshot? ChildOf { get; set; }

    [Parameter(Position = 1, ParameterSetName = "VMName")]
    [Parameter(Position = 1, ParameterSetName = "VMObject")]
    [Parameter(Position = 0, ParameterSetName = "Parent")]
    [Parameter(Position = 0, ParameterSetName = "Child")]
    public string? Name { get; set; }

    [Parameter(ParameterSetName = "VMName")]
    [Parameter(ParameterSetName = "VMObject")]
    [Parameter(ParameterSetName = "Parent")]
    [Parameter(ParameterSetName = "Child")]
    [Alias("VMRecoveryCheckpoint")]
    public SnapshotType? SnapshotType { get; set; }

    protected override void ProcessRecord()
    {
        switch (ParameterSetName)
        {
            case "Id":
                if (TryRead(m => m.State.Vms.SelectMany(v => v.Checkpoints.Where(c => c.Id == Id).Select(c => CheckpointObjects.Snapshot(m, v, c))).ToList(), Id, out var byId))
                    WriteObject(byId, enumerateCollection: true);
                return;
            case "Parent":
                var (vmId, parentId) = ParentOf?.BaseObject switch
                {
                    VirtualMachine vm => (vm.Id, (Guid?)null),
                    VMSnapshot snapshot => (snapshot.VMId, snapshot.Id),
                    _ => throw new PSArgumentException("-ParentOf takes a virtual machine or a checkpoint."),
                };
                Write(vmId, vmId.ToString(), (vm, c) => c.Id == (parentId is { } child ? vm.Checkpoints.FirstOrDefault(x => x.Id == child)?.ParentId : vm.ParentCheckpointId));
                return;
            case "Child":
                Write(ChildOf!.VMId, ChildOf.VMName, (_, c) => c.ParentId == ChildOf.Id);
                return;
        }
        foreach (var (id, name) in ResolveVms(VMName, VM))
            Write(id, name, (_, _) => true);
    }

    private void Write(Guid vmId, string target, Func<SimVm, SimCheckpoint, bool> filter)
    {
        if (!TryRead(m =>
            {
                var vm = m.GetVm(vmId);
                return vm.Checkpoints
                    .Where(c => filter(vm, c) && (Name is null || HostModel.SameName(c.Name, Name)))
                    .Select(c => CheckpointObjects.Snapshot(m, vm, c))
                    .Where(s => SnapshotType is not { } type || s.SnapshotType == type)
                    .ToList();
            }, target, out var found))
            return;
        WriteObject(found, enumerateCollection: true);
    }
}

/// <summary>
/// Restore-VMSnapshot [-Name] &lt;String&gt; [-VMName] &lt;String&gt; | [-VMSnapshot] &lt;VMSnapshot&gt; | [-VM] [-Name]
/// [-Passthru]: asks for confirmation (the VM's current state is lost) unless -Confirm:$false.
/// </summary>
[Cmdlet(VerbsData.Restore, "VMSnapshot", DefaultParameterSetName = "SnapshotName", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(VMSnapshot))]
public sealed class RestoreVMSnapshotCommand : HyperVCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "SnapshotName")]
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = "VM")]
    public string? Name { get; set; }

    [Parameter(Mandatory = true, Position = 1, ParameterSetName = "SnapshotName")]
    public string? VMName { get; set; }

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "SnapshotObject", ValueFromPipeline = true)]
    [Alias("VMCheckpoint")]
    public VMSnapshot? VMSnapshot { get; set; }

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "VM", ValueFromPipeline = true)]
    public VirtualMachine? VM { get; set; }

    [Parameter]
    public SwitchParameter Passthru { get; set; }

    protected override void ProcessRecord()
    {
        var (vms, name) = VMSnapshot is { } snapshot ? ([(snapshot.VMId, snapshot.VMName)], snapshot.Name) : (ResolveVms(VMName is null ? null : [VMName], VM is null ? null : [VM]), Name!);
        foreach (var (vmId, vmName) in vms)
        {
            if (!ShouldProcess(name, $"Restore-VMSnapshot will restore checkpoint \"{name}\".")) continue;
            if (TryMutate(m =>
                {
                    var vm = m.GetVm(vmId);
                    var checkpoint = VMSnapshot is { } given
                        ? vm.Checkpoints.FirstOrDefault(c => c.Id == given.Id) ?? throw WindowsErrors.CheckpointNotFound(vm.Name, given.Name)
                        : m.CheckpointsNamed(vm, name)[^1];
                    m.RestoreCheckpoint(vm, checkpoint);
                    return CheckpointObjects.Snapshot(m, vm, checkpoint);
                }, vmName, out var restored) && Passthru)
                WriteObject(restored);
        }
    }
}

/// <summary>
/// Remove-VMSnapshot [-VMName] &lt;String[]&gt; | [-VM] &lt;VirtualMachine[]&gt; [[-Name] &lt;String[]&gt;] (wildcards) |
/// [-VMSnapshot] &lt;VMSnapshot[]&gt; [-IncludeAllChildSnapshots] [-Passthru]. Without -Name every checkpoint goes.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "VMSnapshot", DefaultParameterSetName = "SnapshotName", SupportsShouldProcess = true)]
[OutputType(typeof(VMSnapshot))]
public sealed class RemoveVMSnapshotCommand : HyperVCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "SnapshotName", ValueFromPipeline = true)]
    public string[]? VMName { get; set; }

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "VMObject", ValueFromPipeline = true)]
    public VirtualMachine[]? VM { get; set; }

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "SnapshotObject", ValueFromPipeline = true)]
    [Alias("VMCheckpoint")]
    public VMSnapshot[]? VMSnapshot { get; set; }

    [Parameter(Position = 1, ParameterSetName = "SnapshotName", ValueFromPipeline = true)]
    [Parameter(Position = 1, ParameterSetName = "VMObject", ValueFromPipeline = true)]
    public string[]? Name { get; set; }

    [Parameter]
    [Alias("IncludeAllChildCheckpoints")]
    public SwitchParameter IncludeAllChildSnapshots { get; set; }

    [Parameter]
    public SwitchParameter Passthru { get; set; }

    protected override void ProcessRecord()
    {
        var targets = VMSnapshot is { } given
            ? given.Where(s => s is not null).Select(s => (s.VMId, s.VMName, (Func<SimCheckpoint, bool>)(c => c.Id == s.Id))).ToList()
            : [.. ResolveVms(VMName, VM).Select(v => (v.Id, v.Name, (Func<SimCheckpoint, bool>)(c => Name is null || Name.Any(n => MatchName([c], x => x.Name, n).Any()))))];
        foreach (var (vmId, vmName, match) in targets)
        {
            if (!ShouldProcess(vmName, "Remove checkpoints of virtual machine")) continue;
            if (TryMutate(m =>
                {
                    var vm = m.GetVm(vmId);
                    var chosen = vm.Checkpoints.Where(match).ToList();
                    if (chosen.Count == 0 && (VMSnapshot is not null || Name is { Length: > 0 } && !Name.Any(IsPattern)))
                        throw WindowsErrors.CheckpointNotFound(vm.Name, VMSnapshot?.FirstOrDefault(s => s.VMId == vmId)?.Name ?? string.Join(", ", Name!));
                    var removed = chosen.Select(c => CheckpointObjects.Snapshot(m, vm, c)).ToList();
                    // One at a time, each found again: removing one with its children may have removed the next already.
                    foreach (var checkpoint in chosen)
                    {
                        if (vm.Checkpoints.Contains(checkpoint)) m.RemoveCheckpoint(vm, checkpoint, IncludeAllChildSnapshots);
                    }
                    return removed;
                }, vmName, out var done) && Passthru)
                WriteObject(done, enumerateCollection: true);
        }
    }
}

/// <summary>Suspend-VM [-Name] &lt;String[]&gt; | [-VM] [-Passthru]: a running VM pauses; a paused one only warns.</summary>
[Cmdlet(VerbsLifecycle.Suspend, "VM", DefaultParameterSetName = "Name", SupportsShouldProcess = true)]
[OutputType(typeof(VirtualMachine))]
public sealed class SuspendVMCommand : HyperVCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Name", ValueFromPipeline = true)]
    [Alias("VMName")]
    public string[]? Name { get; set; }

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "VMObject", ValueFromPipeline = true)]
    public VirtualMachine[]? VM { get; set; }

    [Parameter]
    public SwitchParameter Passthru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var (id, name) in ResolveVms(Name, VM))
        {
            if (!ShouldProcess(name, "Suspend virtual machine")) continue;
            if (!TryMutate(m =>
                {
                    var vm = m.GetVm(id);
                    return (m.SuspendVm(vm), HyperVObjects.Vm(m, vm));
                }, name, out var result))
                continue;
            if (result.Item1 == VmTransition.AlreadyInState) WriteWarning($"The virtual machine '{name}' is already in the specified state.");
            if (Passthru) WriteObject(result.Item2);
        }
    }
}
