using System.Globalization;
using LabRunner.Core.Hosting;
using LabRunner.Core.Net;
using LabRunner.Simulation.Model;

namespace LabRunner.Simulation;

/// <summary>VMs: creation, settings, and the start, stop, save, resume and remove transitions.</summary>
public sealed partial class HostModel
{
    /// <summary>
    /// New-VM: generation 1 or 2, at least 32 MB of memory in steps of 2 MB, an existing VHD no other
    /// VM uses. Like the real cmdlet it adds one unconnected adapter "Network Adapter" (connected when
    /// a switch is given); generation 1 also gets an empty DVD drive at IDE 1:0. Automatic checkpoints
    /// are on when the host turns them on for new VMs (Windows 10 and 11 do).
    /// </summary>
    public SimVm NewVm(string name, int generation, long memoryStartupBytes, string? vhdPath, string? path, string? switchName)
    {
        RequireName(name, "virtual machine");
        if (FindVm(name) is not null) throw WindowsErrors.VmExists(name);
        if (generation is not (1 or 2))
            throw WindowsErrors.InvalidArgument(string.Create(CultureInfo.InvariantCulture, $"The virtual machine generation {generation} is not supported. Valid values are 1 and 2."));
        CheckMemory(name, memoryStartupBytes);
        if (vhdPath is not null)
        {
            if (!FileExists(vhdPath)) throw WindowsErrors.FileNotFound($"Failed to add device 'Virtual Hard Disk' to '{name}'.", vhdPath);
            var owner = HardDiskOwner(vhdPath);
            if (owner is not null) throw WindowsErrors.FileInUse(vhdPath, owner.Name);
        }
        if (switchName is not null) GetSwitch(switchName);

        var vm = new SimVm
        {
            Name = name,
            Id = Guid.NewGuid(),
            Generation = generation,
            State = VmState.Off,
            MemoryStartupBytes = memoryStartupBytes,
            ProcessorCount = 1,
            Path = path,
            AutomaticCheckpointsEnabled = State.NewVmsTakeAutomaticCheckpoints,
        };
        var controller = generation == 1 ? SimControllerType.Ide : SimControllerType.Scsi;
        if (vhdPath is not null)
            vm.HardDisks.Add(new SimDrive { ControllerType = controller, ControllerNumber = 0, ControllerLocation = 0, Path = vhdPath });
        if (generation == 1)
            vm.DvdDrives.Add(new SimDrive { ControllerType = SimControllerType.Ide, ControllerNumber = 1, ControllerLocation = 0 });
        var adapter = new SimVmAdapter { Name = DefaultAdapterName, Id = Guid.NewGuid(), SwitchName = switchName is null ? null : GetSwitch(switchName).Name };
        vm.NetworkAdapters.Add(adapter);
        if (generation == 2)
        {
            vm.Firmware = new SimFirmware
            {
                SecureBoot = true,
                SecureBootTemplate = "MicrosoftWindows",
                FirstBootDevice = vhdPath is not null
                    ? new SimBootDevice { DeviceType = SimBootDeviceType.HardDiskDrive, ControllerNumber = 0, ControllerLocation = 0 }
                    : new SimBootDevice { DeviceType = SimBootDeviceType.NetworkAdapter, AdapterId = adapter.Id },
            };
        }
        State.Vms.Add(vm);
        return vm;
    }

    /// <summary>Set-VM: processors and memory only while the VM is off; notes and automatic checkpoints at any time.</summary>
    public void SetVm(SimVm vm, int? processorCount = null, long? memoryStartupBytes = null, string? notes = null, bool? automaticCheckpoints = null)
    {
        if ((processorCount is not null || memoryStartupBytes is not null) && vm.State != VmState.Off)
            throw WindowsErrors.VmState(vm.Name, vm.State, "processors and startup memory change only while it is off");
        if (processorCount is { } cpus && (cpus < 1 || cpus > State.LogicalProcessors))
            throw WindowsErrors.InvalidArgument(string.Create(CultureInfo.InvariantCulture,
                $"Failed to modify device 'Processor'. '{vm.Name}' cannot have {cpus} virtual processors: the host has {State.LogicalProcessors} logical processors."));
        if (memoryStartupBytes is { } memory) CheckMemory(vm.Name, memory);
        if (processorCount is { } count) vm.ProcessorCount = count;
        if (memoryStartupBytes is { } bytes) vm.MemoryStartupBytes = bytes;
        if (notes is not null) vm.Notes = notes;
        if (automaticCheckpoints is { } checkpoints) vm.AutomaticCheckpointsEnabled = checkpoints;
    }

    /// <summary>
    /// Start-VM from Off or Saved. Every disk must still exist; dynamic MACs are handed out at the first
    /// start. With automatic checkpoints on, starting from Off takes a checkpoint (<see cref="Checkpoint"/>): every hard
    /// disk gets a differencing child <c>NAME_GUID.avhdx</c> beside it, which becomes the VM's disk.
    /// </summary>
    public VmTransition StartVm(SimVm vm)
    {
        if (vm.State == VmState.Running) return VmTransition.AlreadyInState;
        if (vm.State is not (VmState.Off or VmState.Saved))
            throw WindowsErrors.VmState(vm.Name, vm.State, "it starts only from Off or Saved");
        foreach (var disk in vm.HardDisks.Where(d => d.Path is not null && !FileExists(d.Path)))
            throw WindowsErrors.FileNotFound($"'{vm.Name}' failed to start. Microsoft Emulated IDE/SCSI Controller: failed to open attachment.", disk.Path!);
        foreach (var dvd in vm.DvdDrives.Where(d => d.Path is not null && !FileExists(d.Path)))
            throw WindowsErrors.FileNotFound($"'{vm.Name}' failed to start. The DVD media is missing.", dvd.Path!);
        foreach (var adapter in vm.NetworkAdapters.Where(a => a.StaticMacAddress is null && a.DynamicMacAddress is null))
            adapter.DynamicMacAddress = NextDynamicMac();
        if (vm.AutomaticCheckpointsEnabled && vm.State == VmState.Off && vm.CheckpointType != SimCheckpointType.Disabled)
            Checkpoint(vm, null, automatic: true);
        vm.State = VmState.Running;
        return VmTransition.Changed;
    }

    /// <summary>
    /// Stop-VM: a guest shutdown from Running, -TurnOff from Running or Paused, -Save from Running. A saved VM
    /// is not running, so there is nothing to shut down or turn off: it starts again (Start-VM) or its saved
    /// state is deleted (Remove-VMSavedState).
    /// </summary>
    public VmTransition StopVm(SimVm vm, bool turnOff, bool save = false)
    {
        if (vm.State == VmState.Off) return VmTransition.AlreadyInState;
        if (vm.State is VmState.Starting or VmState.Stopping)
            throw WindowsErrors.VmState(vm.Name, vm.State, "it is changing state; try again when it is running or off");
        if (save)
        {
            if (vm.State == VmState.Saved) return VmTransition.AlreadyInState;
            if (vm.State != VmState.Running) throw WindowsErrors.VmState(vm.Name, vm.State, "only a running VM can be saved");
            vm.State = VmState.Saved;
            return VmTransition.Changed;
        }
        if (vm.State == VmState.Saved && !save)
            throw WindowsErrors.VmState(vm.Name, vm.State, "a saved VM is not running: start it (Start-VM) or delete its saved state (Remove-VMSavedState)");
        if (!turnOff && vm.State != VmState.Running)
            throw WindowsErrors.VmState(vm.Name, vm.State, "a guest shutdown needs a running VM; use -TurnOff");
        vm.State = VmState.Off;
        return VmTransition.Changed;
    }

    /// <summary>Resume-VM: a paused VM runs again; nothing else can be resumed.</summary>
    public VmTransition ResumeVm(SimVm vm)
    {
        if (vm.State == VmState.Running) return VmTransition.AlreadyInState;
        if (vm.State != VmState.Paused) throw WindowsErrors.VmState(vm.Name, vm.State, "only a paused VM can be resumed");
        vm.State = VmState.Running;
        return VmTransition.Changed;
    }

    /// <summary>Suspend-VM: a running VM pauses.</summary>
    public VmTransition SuspendVm(SimVm vm)
    {
        if (vm.State == VmState.Paused) return VmTransition.AlreadyInState;
        if (vm.State != VmState.Running) throw WindowsErrors.VmState(vm.Name, vm.State, "only a running VM can be paused");
        vm.State = VmState.Paused;
        return VmTransition.Changed;
    }

    /// <summary>Remove-VMSavedState: a saved VM goes to Off, losing the memory it saved; only a saved VM has one.</summary>
    public void RemoveSavedState(SimVm vm)
    {
        if (vm.State != VmState.Saved) throw WindowsErrors.VmState(vm.Name, vm.State, "only a saved VM has a saved state to delete");
        vm.State = VmState.Off;
    }

    /// <summary>Hyper-V changes a VM's devices only while it is off or running: a paused or saved VM keeps the configuration it was suspended with.</summary>
    private static void RequireNotSuspended(SimVm vm, string what)
    {
        if (vm.State is VmState.Paused or VmState.Saved or VmState.Starting or VmState.Stopping)
            throw WindowsErrors.VmState(vm.Name, vm.State, what + " change only while it is off or running");
    }

    /// <summary>Remove-VM: only while off. Its VHD files stay, as on Hyper-V.</summary>
    public void RemoveVm(SimVm vm)
    {
        if (vm.State != VmState.Off) throw WindowsErrors.VmState(vm.Name, vm.State, "it must be off to be removed");
        State.Vms.Remove(vm);
    }

    private static void CheckMemory(string vm, long bytes)
    {
        if (bytes < MinimumMemoryBytes)
            throw WindowsErrors.InvalidArgument(string.Create(CultureInfo.InvariantCulture,
                $"Failed to modify device 'Memory'. Invalid startup memory amount assigned for '{vm}'. The minimum amount of memory you can assign to a virtual machine is 32 MB (got {bytes} bytes)."));
        if (bytes % MemoryGranularityBytes != 0)
            throw WindowsErrors.InvalidArgument(string.Create(CultureInfo.InvariantCulture,
                $"Failed to modify device 'Memory'. Invalid startup memory amount assigned for '{vm}'. The amount of memory must be a multiple of 2 MB (got {bytes} bytes)."));
    }
}
