using System.Globalization;
using LabRunner.Core.Hosting;
using LabRunner.Core.Net;
using LabRunner.Simulation;
using LabRunner.Simulation.Model;
using CoreVmState = LabRunner.Core.Hosting.VmState;

namespace LabRunner.HyperV.Emulation;

// The objects the emulated Hyper-V cmdlets write, shaped like Microsoft.HyperV.PowerShell's (same
// property names and enum values, a subset of the properties). They are snapshots: a cmdlet that takes
// one (-VM, -VMNetworkAdapter, -VMDvdDrive …) finds the live object again by its ids.

/// <summary>Microsoft.HyperV.PowerShell.VMState (values as in the real enum).</summary>
public enum VMState
{
    Other = 1,
    Running = 2,
    Off = 3,
    Stopping = 4,
    Saved = 6,
    Paused = 9,
    Starting = 10,
}

public enum VMSwitchType
{
    Private = 0,
    Internal = 1,
    External = 2,
}

public enum OnOffState
{
    On = 0,
    Off = 1,
}

public enum ControllerType
{
    IDE = 0,
    SCSI = 1,
}

public enum VhdFormat
{
    VHD = 2,
    VHDX = 3,
}

public enum VhdType
{
    Fixed = 2,
    Dynamic = 3,
    Differencing = 4,
}

public enum DvdMediaType
{
    None = 0,
    ISO = 1,
}

/// <summary>Base of every VM device (Microsoft.HyperV.PowerShell.VMComponentObject): what -FirstBootDevice takes.</summary>
public abstract class VMComponentObject
{
    public string Name { get; init; } = "";

    public string VMName { get; init; } = "";

    public Guid VMId { get; init; }

    public string ComputerName { get; init; } = "";

    public override string ToString() => Name;
}

public sealed class VirtualMachine
{
    public string Name { get; init; } = "";

    public string VMName => Name;

    public Guid Id { get; init; }

    public Guid VMId => Id;

    public VMState State { get; init; }

    public int Generation { get; init; }

    public string Notes { get; init; } = "";

    public bool AutomaticCheckpointsEnabled { get; init; }

    public CheckpointType CheckpointType { get; init; }

    /// <summary>The checkpoint the VM's current state grew from, if any.</summary>
    public Guid? ParentCheckpointId { get; init; }

    public long ProcessorCount { get; init; }

    public long MemoryStartup { get; init; }

    /// <summary>Memory the running VM has; 0 while off.</summary>
    public long MemoryAssigned { get; init; }

    public bool DynamicMemoryEnabled => false;

    public string Path { get; init; } = "";

    public string ComputerName { get; init; } = "";

    public string Status => "Operating normally";

    public VMNetworkAdapter[] NetworkAdapters { get; init; } = [];

    public HardDiskDrive[] HardDrives { get; init; } = [];

    public DvdDrive[] DVDDrives { get; init; } = [];

    public override string ToString() => Name;
}

public sealed class VMSwitch
{
    public string Name { get; init; } = "";

    public Guid Id { get; init; }

    public VMSwitchType SwitchType { get; init; }

    public string? NetAdapterInterfaceDescription { get; init; }

    public bool AllowManagementOS { get; init; }

    public string Notes { get; init; } = "";

    public string ComputerName { get; init; } = "";

    public override string ToString() => Name;
}

/// <summary>Microsoft.HyperV.PowerShell.VMNetworkAdapterBase: what Remove-VMNetworkAdapter -VMNetworkAdapter takes.</summary>
public abstract class VMNetworkAdapterBase : VMComponentObject
{
    /// <summary>Hyper-V's form: <c>Microsoft:VMID\ADAPTERID</c>.</summary>
    public string Id { get; init; } = "";

    public Guid AdapterId { get; init; }

    public string? SwitchName { get; init; }

    /// <summary>Twelve hex digits without separators; 000000000000 until a dynamic MAC is handed out.</summary>
    public string MacAddress { get; init; } = "000000000000";

    public bool DynamicMacAddressEnabled { get; init; }

    public abstract bool IsManagementOs { get; }

    public bool Connected => SwitchName is not null;
}

public sealed class VMNetworkAdapter : VMNetworkAdapterBase
{
    public override bool IsManagementOs => false;

    public bool IsLegacy => false;
}

/// <summary>A host vNIC seen from Hyper-V (Get-VMNetworkAdapter -ManagementOS).</summary>
public sealed class VMInternalNetworkAdapter : VMNetworkAdapterBase
{
    public override bool IsManagementOs => true;
}

public abstract class VMDrive : VMComponentObject
{
    public ControllerType ControllerType { get; init; }

    public int ControllerNumber { get; init; }

    public int ControllerLocation { get; init; }

    public string? Path { get; init; }
}

public sealed class HardDiskDrive : VMDrive;

public sealed class DvdDrive : VMDrive
{
    public DvdMediaType DvdMediaType => Path is null ? DvdMediaType.None : DvdMediaType.ISO;
}

public sealed class VMBootSource
{
    public string BootType { get; init; } = "";

    public VMComponentObject? Device { get; init; }

    public string Description { get; init; } = "";
}

public sealed class VMFirmware
{
    public string VMName { get; init; } = "";

    public Guid VMId { get; init; }

    public OnOffState SecureBoot { get; init; }

    public string SecureBootTemplate { get; init; } = "";

    /// <summary>The model keeps the first boot device; the other devices follow in Hyper-V's default order. Arrays, as in the real objects: PowerShell indexes arrays (not every IReadOnlyList).</summary>
    public VMBootSource[] BootOrder { get; init; } = [];

    public string ComputerName { get; init; } = "";
}

/// <summary>Microsoft.Vhd.PowerShell.VirtualHardDisk.</summary>
public sealed class VirtualHardDisk
{
    public string Path { get; init; } = "";

    public string? ParentPath { get; init; }

    public VhdFormat VhdFormat { get; init; }

    public VhdType VhdType { get; init; }

    public bool Attached { get; init; }

    public ulong Size { get; init; }

    public string ComputerName { get; init; } = "";

    public override string ToString() => Path;
}

/// <summary>Turns the model into the objects above.</summary>
internal static class HyperVObjects
{
    public static VMState State(CoreVmState state) => state switch
    {
        CoreVmState.Running => VMState.Running,
        CoreVmState.Off => VMState.Off,
        CoreVmState.Paused => VMState.Paused,
        CoreVmState.Saved => VMState.Saved,
        CoreVmState.Starting => VMState.Starting,
        CoreVmState.Stopping => VMState.Stopping,
        _ => VMState.Other,
    };

    public static VirtualMachine Vm(HostModel model, SimVm vm) => new()
    {
        Name = vm.Name,
        Id = vm.Id,
        State = State(vm.State),
        Generation = vm.Generation,
        Notes = vm.Notes,
        AutomaticCheckpointsEnabled = vm.AutomaticCheckpointsEnabled,
        CheckpointType = CheckpointObjects.Type(vm.CheckpointType),
        ParentCheckpointId = vm.ParentCheckpointId,
        ProcessorCount = vm.ProcessorCount,
        MemoryStartup = vm.MemoryStartupBytes,
        MemoryAssigned = vm.State == CoreVmState.Running ? vm.MemoryStartupBytes : 0,
        Path = vm.Path ?? "",
        ComputerName = model.State.ComputerName,
        NetworkAdapters = [.. vm.NetworkAdapters.Select(a => Adapter(model, vm, a))],
        HardDrives = [.. vm.HardDisks.Select(d => HardDisk(model, vm, d))],
        DVDDrives = [.. vm.DvdDrives.Select(d => Dvd(model, vm, d))],
    };

    public static VMSwitch Switch(HostModel model, SimSwitch sw) => new()
    {
        Name = sw.Name,
        Id = sw.Id,
        SwitchType = sw.SwitchType switch
        {
            SwitchKind.External => VMSwitchType.External,
            SwitchKind.Private => VMSwitchType.Private,
            _ => VMSwitchType.Internal,
        },
        NetAdapterInterfaceDescription = sw.NetAdapterName is null ? null : model.FindInterface(sw.NetAdapterName)?.InterfaceDescription,
        AllowManagementOS = sw.AllowManagementOS,
        Notes = sw.Notes,
        ComputerName = model.State.ComputerName,
    };

    public static VMNetworkAdapter Adapter(HostModel model, SimVm vm, SimVmAdapter adapter) => new()
    {
        Name = adapter.Name,
        VMName = vm.Name,
        VMId = vm.Id,
        ComputerName = model.State.ComputerName,
        Id = $"Microsoft:{vm.Id.ToString().ToUpperInvariant()}\\{adapter.Id.ToString().ToUpperInvariant()}",
        AdapterId = adapter.Id,
        SwitchName = adapter.SwitchName,
        MacAddress = (adapter.StaticMacAddress ?? adapter.DynamicMacAddress ?? new MacAddress(0)).ToBareString(),
        DynamicMacAddressEnabled = adapter.StaticMacAddress is null,
    };

    public static VMInternalNetworkAdapter HostAdapter(HostModel model, SimNetAdapter vnic) => new()
    {
        Name = vnic.SwitchName ?? vnic.Name,
        VMName = "",
        ComputerName = model.State.ComputerName,
        Id = $"Microsoft:{vnic.InterfaceIndex.ToString(CultureInfo.InvariantCulture)}",
        SwitchName = vnic.SwitchName,
        MacAddress = (vnic.MacAddress ?? new MacAddress(0)).ToBareString(),
        DynamicMacAddressEnabled = true,
    };

    public static HardDiskDrive HardDisk(HostModel model, SimVm vm, SimDrive drive) => new()
    {
        Name = DriveName("Hard Drive", drive),
        VMName = vm.Name,
        VMId = vm.Id,
        ComputerName = model.State.ComputerName,
        ControllerType = drive.ControllerType == SimControllerType.Ide ? ControllerType.IDE : ControllerType.SCSI,
        ControllerNumber = drive.ControllerNumber,
        ControllerLocation = drive.ControllerLocation,
        Path = drive.Path,
    };

    public static DvdDrive Dvd(HostModel model, SimVm vm, SimDrive drive) => new()
    {
        Name = DriveName("DVD Drive", drive),
        VMName = vm.Name,
        VMId = vm.Id,
        ComputerName = model.State.ComputerName,
        ControllerType = drive.ControllerType == SimControllerType.Ide ? ControllerType.IDE : ControllerType.SCSI,
        ControllerNumber = drive.ControllerNumber,
        ControllerLocation = drive.ControllerLocation,
        Path = drive.Path,
    };

    public static VMFirmware Firmware(HostModel model, SimVm vm)
    {
        var firmware = HostModel.RequireFirmware(vm);
        var devices = new List<VMComponentObject>();
        devices.AddRange(vm.DvdDrives.Select(d => (VMComponentObject)Dvd(model, vm, d)));
        devices.AddRange(vm.HardDisks.Select(d => HardDisk(model, vm, d)));
        devices.AddRange(vm.NetworkAdapters.Select(a => Adapter(model, vm, a)));
        var first = firmware.FirstBootDevice is { } boot ? devices.FirstOrDefault(d => Is(d, boot)) : null;
        if (first is not null)
        {
            devices.Remove(first);
            devices.Insert(0, first);
        }
        return new VMFirmware
        {
            VMName = vm.Name,
            VMId = vm.Id,
            SecureBoot = firmware.SecureBoot ? OnOffState.On : OnOffState.Off,
            SecureBootTemplate = firmware.SecureBootTemplate,
            BootOrder = [.. devices.Select(d => new VMBootSource { BootType = d is VMNetworkAdapter ? "Network" : "Drive", Device = d, Description = d.Name })],
            ComputerName = model.State.ComputerName,
        };
    }

    public static VirtualHardDisk Vhd(HostModel model, SimVhd vhd, ulong size) => new()
    {
        Path = vhd.Path,
        ParentPath = vhd.ParentPath,
        VhdFormat = vhd.Path.EndsWith(".vhd", StringComparison.OrdinalIgnoreCase) ? VhdFormat.VHD : VhdFormat.VHDX,
        VhdType = vhd.ParentPath is null ? VhdType.Dynamic : VhdType.Differencing,
        Attached = model.HardDiskOwner(vhd.Path) is not null,
        Size = size,
        ComputerName = model.State.ComputerName,
    };

    /// <summary>The model's boot device for a device object a script passed in.</summary>
    public static SimBootDevice BootDevice(VMComponentObject device) => device switch
    {
        HardDiskDrive d => new SimBootDevice { DeviceType = SimBootDeviceType.HardDiskDrive, ControllerNumber = d.ControllerNumber, ControllerLocation = d.ControllerLocation },
        DvdDrive d => new SimBootDevice { DeviceType = SimBootDeviceType.DvdDrive, ControllerNumber = d.ControllerNumber, ControllerLocation = d.ControllerLocation },
        VMNetworkAdapterBase a => new SimBootDevice { DeviceType = SimBootDeviceType.NetworkAdapter, AdapterId = a.AdapterId },
        _ => throw new ArgumentException($"'{device.Name}' cannot be a boot device.", nameof(device)),
    };

    private static bool Is(VMComponentObject device, SimBootDevice boot) => (device, boot.DeviceType) switch
    {
        (HardDiskDrive d, SimBootDeviceType.HardDiskDrive) => d.ControllerNumber == boot.ControllerNumber && d.ControllerLocation == boot.ControllerLocation,
        (DvdDrive d, SimBootDeviceType.DvdDrive) => d.ControllerNumber == boot.ControllerNumber && d.ControllerLocation == boot.ControllerLocation,
        (VMNetworkAdapter a, SimBootDeviceType.NetworkAdapter) => a.AdapterId == boot.AdapterId,
        _ => false,
    };

    private static string DriveName(string kind, SimDrive drive) => string.Create(CultureInfo.InvariantCulture,
        $"{kind} on {(drive.ControllerType == SimControllerType.Ide ? "IDE" : "SCSI")} controller number {drive.ControllerNumber} at location {drive.ControllerLocation}");
}
