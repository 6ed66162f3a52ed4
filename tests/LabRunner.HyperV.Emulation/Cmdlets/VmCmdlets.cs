using System.Management.Automation;
using System.Text.RegularExpressions;
using LabRunner.Simulation;
using LabRunner.Simulation.Model;

namespace LabRunner.HyperV.Emulation.Cmdlets;

/// <summary>
/// New-VHD [-Path] [-ParentPath] -Differencing | [-SizeBytes] -Dynamic | -Fixed. A local path also
/// gets a small placeholder file, so scripts can Test-Path and Remove-Item it with PowerShell's own
/// FileSystem provider; a Windows path on another OS (<c>C:\…</c>) lives in the model only.
/// </summary>
[Cmdlet(VerbsCommon.New, "VHD", DefaultParameterSetName = "DynamicWithoutSource", SupportsShouldProcess = true)]
[OutputType(typeof(VirtualHardDisk))]
public sealed partial class NewVHDCommand : HyperVCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    public string[] Path { get; set; } = [];

    [Parameter(Mandatory = true, Position = 1, ParameterSetName = "Differencing")]
    public string ParentPath { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1, ParameterSetName = "DynamicWithoutSource")]
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = "FixedWithoutSource")]
    [Parameter(Position = 2, ParameterSetName = "Differencing")]
    public ulong SizeBytes { get; set; }

    [Parameter(ParameterSetName = "Differencing")]
    public SwitchParameter Differencing { get; set; }

    [Parameter(ParameterSetName = "DynamicWithoutSource")]
    public SwitchParameter Dynamic { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = "FixedWithoutSource")]
    public SwitchParameter Fixed { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var given in Path)
        {
            var path = Resolve(given);
            var parent = ParameterSetName == "Differencing" ? Resolve(ParentPath) : null;
            if (!ShouldProcess(path, "Create virtual hard disk")) continue;
            var placeholder = System.IO.Path.IsPathFullyQualified(path);
            if (TryMutate(m =>
                {
                    var vhd = parent is null ? m.NewVhd(path, placeholder) : m.NewDifferencingVhd(path, parent, placeholder);
                    return HyperVObjects.Vhd(m, vhd, SizeBytes);
                }, path, out var created))
                WriteObject(created);
        }
    }

    /// <summary>Relative paths are relative to the current location, as the docs say; a Windows drive path is kept as written.</summary>
    private string Resolve(string path) =>
        WindowsDrivePath().IsMatch(path) || System.IO.Path.IsPathFullyQualified(path)
            ? path
            : SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);

    [GeneratedRegex(@"^[A-Za-z]:\\")]
    private static partial Regex WindowsDrivePath();
}

/// <summary>Get-VM [[-Name] &lt;String[]&gt;] | [[-Id] &lt;Guid&gt;].</summary>
[Cmdlet(VerbsCommon.Get, "VM", DefaultParameterSetName = "Name")]
[OutputType(typeof(VirtualMachine))]
public sealed class GetVMCommand : HyperVCmdlet
{
    [Parameter(Position = 0, ParameterSetName = "Name", ValueFromPipeline = true)]
    [Alias("VMName")]
    public string[]? Name { get; set; }

    [Parameter(Position = 0, ParameterSetName = "Id", ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    public Guid? Id { get; set; }

    protected override void ProcessRecord()
    {
        if (Id is { } id)
        {
            if (TryRead(m => HyperVObjects.Vm(m, m.GetVm(id)), id, out var vm)) WriteObject(vm);
            return;
        }
        foreach (var (vmId, name) in ResolveVms(Name ?? ["*"], null, asGetVm: true))
        {
            if (TryRead(m => HyperVObjects.Vm(m, m.GetVm(vmId)), name, out var vm)) WriteObject(vm);
        }
    }
}

/// <summary>
/// New-VM [[-Name]] [[-MemoryStartupBytes]] [[-Generation]] [-SwitchName] [-Path] -NoVHD | -VHDPath |
/// -NewVHDPath -NewVHDSizeBytes. Like Hyper-V it adds the adapter "Network Adapter".
/// </summary>
[Cmdlet(VerbsCommon.New, "VM", DefaultParameterSetName = "No VHD", SupportsShouldProcess = true)]
[OutputType(typeof(VirtualMachine))]
public sealed class NewVMCommand : HyperVCmdlet
{
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("VMName")]
    public string Name { get; set; } = "New Virtual Machine";

    [Parameter(Position = 1)]
    public long MemoryStartupBytes { get; set; } = 512L * 1024 * 1024;

    [Parameter(Position = 2)]
    public short Generation { get; set; } = 1;

    [Parameter(ParameterSetName = "No VHD")]
    public SwitchParameter NoVHD { get; set; }

    [Parameter]
    public string? SwitchName { get; set; }

    [Parameter]
    public string? Path { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = "Existing VHD")]
    public string? VHDPath { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = "New VHD")]
    public string? NewVHDPath { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = "New VHD")]
    public ulong NewVHDSizeBytes { get; set; }

    protected override void ProcessRecord()
    {
        if (!ShouldProcess(Name, "New virtual machine")) return;
        if (TryMutate(m =>
            {
                var disk = VHDPath;
                if (NewVHDPath is not null) disk = m.NewVhd(NewVHDPath, System.IO.Path.IsPathFullyQualified(NewVHDPath)).Path;
                return HyperVObjects.Vm(m, m.NewVm(Name, Generation, MemoryStartupBytes, disk, Path, SwitchName));
            }, Name, out var vm))
            WriteObject(vm);
    }
}

/// <summary>Set-VM [-Name] | [-VM] [-ProcessorCount] [-MemoryStartupBytes] [-StaticMemory] [-Notes] [-AutomaticCheckpointsEnabled] [-CheckpointType] [-Passthru].</summary>
[Cmdlet(VerbsCommon.Set, "VM", DefaultParameterSetName = "Name", SupportsShouldProcess = true)]
[OutputType(typeof(VirtualMachine))]
public sealed class SetVMCommand : HyperVCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Name", ValueFromPipeline = true)]
    [Alias("VMName")]
    public string[]? Name { get; set; }

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "VMObject", ValueFromPipeline = true)]
    public VirtualMachine[]? VM { get; set; }

    [Parameter]
    public long? ProcessorCount { get; set; }

    [Parameter]
    public long? MemoryStartupBytes { get; set; }

    /// <summary>The simulated VMs always have static memory; -StaticMemory is accepted as the no-op it is here.</summary>
    [Parameter]
    public SwitchParameter StaticMemory { get; set; }

    [Parameter]
    public SwitchParameter DynamicMemory { get; set; }

    [Parameter]
    public string? Notes { get; set; }

    [Parameter]
    public bool? AutomaticCheckpointsEnabled { get; set; }

    [Parameter]
    public CheckpointType? CheckpointType { get; set; }

    [Parameter]
    public SwitchParameter Passthru { get; set; }

    protected override void ProcessRecord()
    {
        if (DynamicMemory) ThrowInvalidArgument("NotEmulated", "The simulated host does not model dynamic memory.", null);
        foreach (var (id, name) in ResolveVms(Name, VM))
        {
            if (!ShouldProcess(name, "Set virtual machine")) continue;
            var cpus = ProcessorCount is { } c ? (int)Math.Clamp(c, int.MinValue, int.MaxValue) : (int?)null;
            if (TryMutate(m =>
                {
                    var vm = m.GetVm(id);
                    m.SetVm(vm, cpus, MemoryStartupBytes, Notes, AutomaticCheckpointsEnabled);
                    if (CheckpointType is { } type) HostModel.SetCheckpointType(vm, CheckpointObjects.Type(type));
                    return HyperVObjects.Vm(m, vm);
                }, name, out var changed) && Passthru)
                WriteObject(changed);
        }
    }
}

/// <summary>Remove-VM [-Name] | [-VM] [-Force] [-Passthru]: asks for confirmation unless -Force; the VM's disks stay.</summary>
[Cmdlet(VerbsCommon.Remove, "VM", DefaultParameterSetName = "Name", SupportsShouldProcess = true)]
[OutputType(typeof(VirtualMachine))]
public sealed class RemoveVMCommand : HyperVCmdlet
{
    private bool _yesToAll;
    private bool _noToAll;

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Name", ValueFromPipeline = true)]
    [Alias("VMName")]
    public string[]? Name { get; set; }

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "VMObject", ValueFromPipeline = true)]
    public VirtualMachine[]? VM { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    public SwitchParameter Passthru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var (id, name) in ResolveVms(Name, VM))
        {
            if (!ShouldProcess(name, "Remove virtual machine")) continue;
            if (!Force && !ShouldContinue($"Are you sure you want to remove virtual machine \"{name}\"?", "Confirm", ref _yesToAll, ref _noToAll)) continue;
            if (TryMutate(m =>
                {
                    var vm = m.GetVm(id);
                    var snapshot = HyperVObjects.Vm(m, vm);
                    m.RemoveVm(vm);
                    return snapshot;
                }, name, out var removed) && Passthru)
                WriteObject(removed);
        }
    }
}

/// <summary>Start-VM [-Name] | [-VM] [-Passthru]: a VM already running gets a warning, as on Hyper-V.</summary>
[Cmdlet(VerbsLifecycle.Start, "VM", DefaultParameterSetName = "Name", SupportsShouldProcess = true)]
[OutputType(typeof(VirtualMachine))]
public sealed class StartVMCommand : HyperVCmdlet
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
            if (!ShouldProcess(name, "Start virtual machine")) continue;
            if (!TryMutate(m =>
                {
                    var vm = m.GetVm(id);
                    return (m.StartVm(vm), HyperVObjects.Vm(m, vm));
                }, name, out var result))
                continue;
            if (result.Item1 == VmTransition.AlreadyInState) WriteWarning($"The virtual machine '{name}' is already in the specified state.");
            if (Passthru) WriteObject(result.Item2);
        }
    }
}

/// <summary>Stop-VM [-Name] | [-VM] [-Save] [-TurnOff] [-Force] [-Passthru]: a guest shutdown unless -TurnOff or -Save.</summary>
[Cmdlet(VerbsLifecycle.Stop, "VM", DefaultParameterSetName = "Name", SupportsShouldProcess = true)]
[OutputType(typeof(VirtualMachine))]
public sealed class StopVMCommand : HyperVCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Name", ValueFromPipeline = true)]
    [Alias("VMName")]
    public string[]? Name { get; set; }

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "VMObject", ValueFromPipeline = true)]
    public VirtualMachine[]? VM { get; set; }

    [Parameter]
    public SwitchParameter Save { get; set; }

    [Parameter]
    public SwitchParameter TurnOff { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    public SwitchParameter Passthru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var (id, name) in ResolveVms(Name, VM))
        {
            if (!ShouldProcess(name, TurnOff ? "Turn off virtual machine" : Save ? "Save virtual machine" : "Shut down virtual machine")) continue;
            if (!TryMutate(m =>
                {
                    var vm = m.GetVm(id);
                    return (m.StopVm(vm, TurnOff, Save), HyperVObjects.Vm(m, vm));
                }, name, out var result))
                continue;
            if (result.Item1 == VmTransition.AlreadyInState) WriteWarning($"The virtual machine '{name}' is already in the specified state.");
            if (Passthru) WriteObject(result.Item2);
        }
    }
}

/// <summary>Resume-VM [-Name] | [-VM] [-Passthru]: a paused VM runs again; anything else but a running VM is refused.</summary>
[Cmdlet(VerbsLifecycle.Resume, "VM", DefaultParameterSetName = "Name", SupportsShouldProcess = true)]
[OutputType(typeof(VirtualMachine))]
public sealed class ResumeVMCommand : HyperVCmdlet
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
            if (!ShouldProcess(name, "Resume virtual machine")) continue;
            if (!TryMutate(m =>
                {
                    var vm = m.GetVm(id);
                    return (m.ResumeVm(vm), HyperVObjects.Vm(m, vm));
                }, name, out var result))
                continue;
            if (result.Item1 == VmTransition.AlreadyInState) WriteWarning($"The virtual machine '{name}' is already in the specified state.");
            if (Passthru) WriteObject(result.Item2);
        }
    }
}

/// <summary>Remove-VMSavedState [-VMName] | [-VM]: a saved VM goes to Off, losing its saved memory; only a saved VM has one.</summary>
[Cmdlet(VerbsCommon.Remove, "VMSavedState", DefaultParameterSetName = "VMName", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
public sealed class RemoveVMSavedStateCommand : HyperVCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "VMName", ValueFromPipeline = true)]
    public string[]? VMName { get; set; }

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "VMObject", ValueFromPipeline = true)]
    public VirtualMachine[]? VM { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var (id, name) in ResolveVms(VMName, VM))
        {
            if (!ShouldProcess(name, "Delete the saved state of virtual machine")) continue;
            TryMutate(m => m.RemoveSavedState(m.GetVm(id)), name);
        }
    }
}
