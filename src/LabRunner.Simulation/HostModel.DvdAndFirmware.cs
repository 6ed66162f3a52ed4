using System.Globalization;
using LabRunner.Core.Hosting;
using LabRunner.Core.Net;
using LabRunner.Simulation.Model;

namespace LabRunner.Simulation;

/// <summary>DVD drives and firmware (secure boot, boot order).</summary>
public sealed partial class HostModel
{
    /// <summary>Add-VMDvdDrive: only while off, in the first free slot (IDE on generation 1, SCSI on generation 2); the media must exist.</summary>
    public SimDrive AddDvdDrive(SimVm vm, string? path, int? controllerNumber = null, int? controllerLocation = null)
    {
        if (vm.State != VmState.Off) throw WindowsErrors.VmState(vm.Name, vm.State, "DVD drives are added only while it is off");
        if (path is not null && !FileExists(path)) throw WindowsErrors.FileNotFound($"Failed to add device 'DVD Drive' to '{vm.Name}'.", path);
        var type = vm.Generation == 1 ? SimControllerType.Ide : SimControllerType.Scsi;
        var (controllers, locations) = vm.Generation == 1 ? (2, 2) : (4, 64);
        if (controllerNumber is < 0 || controllerNumber >= controllers || controllerLocation is < 0 || controllerLocation >= locations)
            throw WindowsErrors.InvalidArgument(string.Create(CultureInfo.InvariantCulture,
                $"A generation {vm.Generation} virtual machine has {type.ToString().ToUpperInvariant()} controllers 0-{controllers - 1} with locations 0-{locations - 1}."));
        var used = vm.HardDisks.Concat(vm.DvdDrives).Select(d => (d.ControllerNumber, d.ControllerLocation)).ToHashSet();
        var numbers = controllerNumber is { } number ? [number] : Enumerable.Range(0, controllers);
        var slots = controllerLocation is { } location ? [location] : Enumerable.Range(0, locations);
        foreach (var c in numbers)
        {
            foreach (var l in slots.Where(l => !used.Contains((c, l))))
            {
                var drive = new SimDrive { ControllerType = type, ControllerNumber = c, ControllerLocation = l, Path = path };
                vm.DvdDrives.Add(drive);
                return drive;
            }
        }
        throw new SimulatedHostException(HostErrorKind.Conflict, WindowsErrors.InvalidOperation,
            $"Failed to add device 'DVD Drive' to '{vm.Name}': no free location on its {type.ToString().ToUpperInvariant()} controllers.");
    }

    /// <summary>Set-VMDvdDrive -Path: media can change while off or running; null ejects.</summary>
    public void SetDvdDrivePath(SimVm vm, SimDrive drive, string? path)
    {
        RequireNotSuspended(vm, "DVD media");
        if (path is not null && !FileExists(path)) throw WindowsErrors.FileNotFound($"Failed to modify device 'DVD Drive' of '{vm.Name}'.", path);
        drive.Path = path;
    }

    /// <summary>
    /// Set-VMFirmware: generation 2 only, while off; the template must be one the host knows; the first
    /// boot device must belong to the VM.
    /// </summary>
    public void SetFirmware(SimVm vm, bool? secureBoot, string? template, SimBootDevice? firstBootDevice)
    {
        var firmware = RequireFirmware(vm);
        if (vm.State != VmState.Off) throw WindowsErrors.VmState(vm.Name, vm.State, "firmware settings change only while it is off");
        string? knownTemplate = null;
        if (template is not null)
        {
            knownTemplate = SecureBootTemplates.FirstOrDefault(t => string.Equals(t, template, StringComparison.OrdinalIgnoreCase))
                ?? throw WindowsErrors.InvalidArgument($"Cannot find a secure boot template named '{template}'. The host has {string.Join(", ", SecureBootTemplates)}.");
        }
        if (firstBootDevice is not null && !HasDevice(vm, firstBootDevice))
            throw WindowsErrors.InvalidArgument($"The boot device does not belong to virtual machine '{vm.Name}'.");
        if (secureBoot is { } on) firmware.SecureBoot = on;
        if (knownTemplate is not null) firmware.SecureBootTemplate = knownTemplate;
        if (firstBootDevice is not null) firmware.FirstBootDevice = firstBootDevice;
    }

    public static SimFirmware RequireFirmware(SimVm vm) => vm.Firmware
        ?? throw new SimulatedHostException(HostErrorKind.Failed, WindowsErrors.InvalidOperation,
            $"'{vm.Name}' is a generation {vm.Generation} virtual machine; firmware settings exist only for generation 2 virtual machines.");

    public static SimBootDevice BootDeviceOf(SimDrive drive, bool dvd) => new()
    {
        DeviceType = dvd ? SimBootDeviceType.DvdDrive : SimBootDeviceType.HardDiskDrive,
        ControllerNumber = drive.ControllerNumber,
        ControllerLocation = drive.ControllerLocation,
    };

    public static SimBootDevice BootDeviceOf(SimVmAdapter adapter) => new() { DeviceType = SimBootDeviceType.NetworkAdapter, AdapterId = adapter.Id };

    private static bool HasDevice(SimVm vm, SimBootDevice device) => device.DeviceType switch
    {
        SimBootDeviceType.HardDiskDrive => vm.HardDisks.Any(d => d.ControllerNumber == device.ControllerNumber && d.ControllerLocation == device.ControllerLocation),
        SimBootDeviceType.DvdDrive => vm.DvdDrives.Any(d => d.ControllerNumber == device.ControllerNumber && d.ControllerLocation == device.ControllerLocation),
        _ => vm.NetworkAdapters.Any(a => a.Id == device.AdapterId),
    };
}
