using System.Management.Automation;
using LabRunner.Simulation;
using LabRunner.Simulation.Model;

namespace LabRunner.HyperV.Emulation.Cmdlets;

/// <summary>Get-VMDvdDrive [-VMName] | [-VM] [-ControllerNumber] [-ControllerLocation].</summary>
[Cmdlet(VerbsCommon.Get, "VMDvdDrive", DefaultParameterSetName = "VMName")]
[OutputType(typeof(DvdDrive))]
public sealed class GetVMDvdDriveCommand : HyperVCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "VMName", ValueFromPipeline = true)]
    public string[]? VMName { get; set; }

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "VMObject", ValueFromPipeline = true)]
    public VirtualMachine[]? VM { get; set; }

    [Parameter]
    public int? ControllerLocation { get; set; }

    [Parameter]
    public int? ControllerNumber { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var (id, name) in ResolveVms(VMName, VM))
        {
            if (!TryRead(m =>
                {
                    var vm = m.GetVm(id);
                    return Drives.At(vm.DvdDrives, ControllerNumber, ControllerLocation).Select(d => HyperVObjects.Dvd(m, vm, d)).ToList();
                }, name, out var drives))
                continue;
            foreach (var drive in drives) WriteObject(drive);
        }
    }
}

/// <summary>Add-VMDvdDrive [-VMName] | [-VM] [[-ControllerNumber]] [[-ControllerLocation]] [[-Path]] [-Passthru]: only while the VM is off.</summary>
[Cmdlet(VerbsCommon.Add, "VMDvdDrive", DefaultParameterSetName = "VMName", SupportsShouldProcess = true)]
[OutputType(typeof(DvdDrive))]
public sealed class AddVMDvdDriveCommand : HyperVCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "VMName", ValueFromPipeline = true)]
    public string[]? VMName { get; set; }

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "VMObject", ValueFromPipeline = true)]
    public VirtualMachine[]? VM { get; set; }

    [Parameter(Position = 1)]
    public int? ControllerNumber { get; set; }

    [Parameter(Position = 2)]
    public int? ControllerLocation { get; set; }

    [Parameter(Position = 3)]
    public string? Path { get; set; }

    [Parameter]
    public SwitchParameter Passthru { get; set; }

    protected override void ProcessRecord()
    {
        var path = string.IsNullOrEmpty(Path) ? null : Path;
        foreach (var (id, name) in ResolveVms(VMName, VM))
        {
            if (!ShouldProcess(name, "Add DVD drive")) continue;
            if (TryMutate(m =>
                {
                    var vm = m.GetVm(id);
                    return HyperVObjects.Dvd(m, vm, m.AddDvdDrive(vm, path, ControllerNumber, ControllerLocation));
                }, name, out var added) && Passthru)
                WriteObject(added);
        }
    }
}

/// <summary>Set-VMDvdDrive [-VMName] [[-ControllerNumber]] [[-ControllerLocation]] | [-VMDvdDrive] [[-Path]] [-Passthru]: an empty path ejects.</summary>
[Cmdlet(VerbsCommon.Set, "VMDvdDrive", DefaultParameterSetName = "VMName", SupportsShouldProcess = true)]
[OutputType(typeof(DvdDrive))]
public sealed class SetVMDvdDriveCommand : HyperVCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "VMName")]
    public string? VMName { get; set; }

    [Parameter(Position = 1, ParameterSetName = "VMName")]
    public int? ControllerNumber { get; set; }

    [Parameter(Position = 2, ParameterSetName = "VMName")]
    public int? ControllerLocation { get; set; }

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Object", ValueFromPipeline = true)]
    public DvdDrive[]? VMDvdDrive { get; set; }

    [Parameter(Position = 3, ParameterSetName = "VMName")]
    [Parameter(Position = 1, ParameterSetName = "Object")]
    [AllowNull]
    [AllowEmptyString]
    public string? Path { get; set; }

    [Parameter]
    public SwitchParameter Passthru { get; set; }

    protected override void ProcessRecord()
    {
        var path = string.IsNullOrEmpty(Path) ? null : Path;
        var targets = VMDvdDrive is not null
            ? VMDvdDrive.Select(d => (d.VMId, d.VMName, (int?)d.ControllerNumber, (int?)d.ControllerLocation)).ToList()
            : [.. ResolveVms([VMName!], null).Select(v => (v.Id, v.Name, ControllerNumber, ControllerLocation))];
        foreach (var (id, name, number, location) in targets)
        {
            if (!ShouldProcess(name, "Set DVD drive")) continue;
            if (TryMutate(m =>
                {
                    var vm = m.GetVm(id);
                    var drives = Drives.At(vm.DvdDrives, number, location).ToList();
                    if (drives.Count == 0)
                        throw new SimulatedHostException(LabRunner.Core.Hosting.HostErrorKind.NotFound, WindowsErrors.ObjectNotFound,
                            $"Virtual machine '{vm.Name}' has no DVD drive matching the given controller and location.");
                    foreach (var drive in drives) m.SetDvdDrivePath(vm, drive, path);
                    return drives.Select(d => HyperVObjects.Dvd(m, vm, d)).ToList();
                }, name, out var changed) && Passthru)
            {
                foreach (var drive in changed) WriteObject(drive);
            }
        }
    }
}

/// <summary>Get-VMHardDiskDrive [-VMName] | [-VM] [-ControllerType] [-ControllerNumber] [-ControllerLocation].</summary>
[Cmdlet(VerbsCommon.Get, "VMHardDiskDrive", DefaultParameterSetName = "VMName")]
[OutputType(typeof(HardDiskDrive))]
public sealed class GetVMHardDiskDriveCommand : HyperVCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "VMName", ValueFromPipeline = true)]
    public string[]? VMName { get; set; }

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "VMObject", ValueFromPipeline = true)]
    public VirtualMachine[]? VM { get; set; }

    [Parameter]
    public int? ControllerLocation { get; set; }

    [Parameter]
    public int? ControllerNumber { get; set; }

    [Parameter]
    public ControllerType? ControllerType { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var (id, name) in ResolveVms(VMName, VM))
        {
            if (!TryRead(m =>
                {
                    var vm = m.GetVm(id);
                    return Drives.At(vm.HardDisks, ControllerNumber, ControllerLocation)
                        .Select(d => HyperVObjects.HardDisk(m, vm, d))
                        .Where(d => ControllerType is null || d.ControllerType == ControllerType)
                        .ToList();
                }, name, out var disks))
                continue;
            foreach (var disk in disks) WriteObject(disk);
        }
    }
}

internal static class Drives
{
    public static IEnumerable<SimDrive> At(IEnumerable<SimDrive> drives, int? number, int? location) =>
        drives.Where(d => (number is null || d.ControllerNumber == number) && (location is null || d.ControllerLocation == location));
}

/// <summary>Get-VMFirmware [-VMName] | [-VM]: generation 2 only.</summary>
[Cmdlet(VerbsCommon.Get, "VMFirmware", DefaultParameterSetName = "VMName")]
[OutputType(typeof(VMFirmware))]
public sealed class GetVMFirmwareCommand : HyperVCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "VMName", ValueFromPipeline = true)]
    public string[]? VMName { get; set; }

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "VMObject", ValueFromPipeline = true)]
    public VirtualMachine[]? VM { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var (id, name) in ResolveVms(VMName, VM))
        {
            if (TryRead(m => HyperVObjects.Firmware(m, m.GetVm(id)), name, out var firmware)) WriteObject(firmware);
        }
    }
}

/// <summary>
/// Set-VMFirmware [-VMName] | [-VM] | [-VMFirmware] [-EnableSecureBoot] [-SecureBootTemplate]
/// [-FirstBootDevice] [-BootOrder] [-Passthru]: generation 2 only, while off. The model keeps the
/// first boot device, so -BootOrder sets its first entry.
/// </summary>
[Cmdlet(VerbsCommon.Set, "VMFirmware", DefaultParameterSetName = "VMName", SupportsShouldProcess = true)]
[OutputType(typeof(VMFirmware))]
public sealed class SetVMFirmwareCommand : HyperVCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "VMName", ValueFromPipeline = true)]
    public string[]? VMName { get; set; }

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "VMObject", ValueFromPipeline = true)]
    public VirtualMachine[]? VM { get; set; }

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "VMFirmware", ValueFromPipeline = true)]
    public VMFirmware[]? VMFirmware { get; set; }

    [Parameter]
    public OnOffState? EnableSecureBoot { get; set; }

    [Parameter]
    public string? SecureBootTemplate { get; set; }

    [Parameter]
    public VMComponentObject? FirstBootDevice { get; set; }

    [Parameter]
    public VMComponentObject[]? BootOrder { get; set; }

    [Parameter]
    public SwitchParameter Passthru { get; set; }

    protected override void ProcessRecord()
    {
        var first = FirstBootDevice ?? BootOrder?.FirstOrDefault();
        var vms = VMFirmware is not null ? [.. VMFirmware.Select(f => (f.VMId, f.VMName))] : ResolveVms(VMName, VM);
        foreach (var (id, name) in vms)
        {
            if (!ShouldProcess(name, "Set firmware")) continue;
            if (first is not null && first.VMId != id)
            {
                WriteInvalidArgument("InvalidParameter", $"The boot device '{first.Name}' belongs to virtual machine '{first.VMName}', not '{name}'.", first);
                continue;
            }
            if (TryMutate(m =>
                {
                    var vm = m.GetVm(id);
                    m.SetFirmware(vm, EnableSecureBoot is null ? null : EnableSecureBoot == OnOffState.On, SecureBootTemplate, first is null ? null : HyperVObjects.BootDevice(first));
                    return HyperVObjects.Firmware(m, vm);
                }, name, out var firmware) && Passthru)
                WriteObject(firmware);
        }
    }
}
