using System.Globalization;
using LabRunner.Core.Hosting;
using LabRunner.Simulation.Model;

namespace LabRunner.Simulation;

/// <summary>
/// Checkpoints (Checkpoint-VM, Get-VMSnapshot, Restore-VMSnapshot, Remove-VMSnapshot, Set-VM -CheckpointType).
/// A checkpoint freezes each hard disk the VM has: the disk becomes read-only and the VM goes on writing to a new
/// differencing disk beside it, <c>DISK_GUID.avhdx</c>, so a VM with checkpoints runs on an .avhdx whose chain of
/// parents ends in its own disk. Deleting a checkpoint merges: a frozen disk no checkpoint holds any more takes in its
/// only .avhdx child (so with every checkpoint gone the VM is back on its own disk), or goes when nothing grew on it.
/// </summary>
public sealed partial class HostModel
{
    /// <summary>The VM's checkpoints named <paramref name="name"/> (Hyper-V allows one name twice); none is an error.</summary>
    public IReadOnlyList<SimCheckpoint> CheckpointsNamed(SimVm vm, string name)
    {
        var found = vm.Checkpoints.Where(c => SameName(c.Name, name)).ToList();
        return found.Count > 0 ? found : throw WindowsErrors.CheckpointNotFound(vm.Name, name);
    }

    /// <summary>Set-VM -CheckpointType: at any time.</summary>
    public static void SetCheckpointType(SimVm vm, SimCheckpointType type) => vm.CheckpointType = type;

    /// <summary>
    /// Checkpoint-VM. Refused when the VM's checkpoint type is Disabled, or while it starts or stops. A standard
    /// checkpoint of a running, paused or saved VM keeps its memory; a production one asks the guest to freeze its file
    /// systems and keeps none, which only a running guest whose backup service answers can do: otherwise Production
    /// falls back to a standard checkpoint and ProductionOnly fails. Of a VM that is off, every checkpoint is its disks.
    /// Every hard disk must exist. The VM's state does not change.
    /// </summary>
    public SimCheckpoint Checkpoint(SimVm vm, string? name, bool automatic = false)
    {
        if (vm.CheckpointType == SimCheckpointType.Disabled) throw WindowsErrors.CheckpointsDisabled(vm.Name);
        if (vm.State is not (VmState.Off or VmState.Running or VmState.Paused or VmState.Saved))
            throw WindowsErrors.VmState(vm.Name, vm.State, "a checkpoint is taken only while it is off, running, paused or saved");
        var type = SimSnapshotType.Standard;
        var captured = vm.State;
        if (vm.CheckpointType is SimCheckpointType.Production or SimCheckpointType.ProductionOnly)
        {
            var why = vm.State == VmState.Off ? null
                : vm.State != VmState.Running ? $"the guest cannot freeze its file systems while the virtual machine is {vm.State.ToString().ToLowerInvariant()}"
                : vm.GuestFreezesFileSystems ? null
                : "the guest's backup integration service (VSS, or hv_vss_daemon on Linux) did not answer";
            if (why is null)
            {
                type = SimSnapshotType.Production;
                captured = VmState.Off;
            }
            else if (vm.CheckpointType == SimCheckpointType.ProductionOnly)
            {
                throw WindowsErrors.ProductionCheckpointFailed(vm.Name, why);
            }
        }
        foreach (var disk in vm.HardDisks.Where(d => d.Path is not null && !FileExists(d.Path)))
            throw WindowsErrors.FileNotFound($"Checkpoint operation for '{vm.Name}' failed.", disk.Path!);

        var created = Clock.GetUtcNow();
        var checkpoint = new SimCheckpoint
        {
            Id = Guid.NewGuid(),
            Name = string.IsNullOrEmpty(name) ? DefaultCheckpointName(vm, created, automatic) : name,
            ParentId = vm.ParentCheckpointId,
            Created = created,
            SnapshotType = type,
            IsAutomatic = automatic,
            State = captured,
            ProcessorCount = vm.ProcessorCount,
            MemoryStartupBytes = vm.MemoryStartupBytes,
            Notes = vm.Notes,
            NetworkAdapters = [.. vm.NetworkAdapters.Select(Copy)],
            HardDisks = [.. vm.HardDisks.Select(Copy)],
            DvdDrives = [.. vm.DvdDrives.Select(Copy)],
            Firmware = vm.Firmware is null ? null : Copy(vm.Firmware),
        };
        foreach (var disk in vm.HardDisks.Where(d => d.Path is not null))
            disk.Path = NewCheckpointDisk(disk.Path!);
        vm.Checkpoints.Add(checkpoint);
        vm.ParentCheckpointId = checkpoint.Id;
        return checkpoint;
    }

    /// <summary>
    /// Restore-VMSnapshot: the VM gets the checkpoint's configuration and disks (a new .avhdx on each frozen disk; the
    /// disks it ran on go) and, when the checkpoint kept memory, that memory: it is then Saved, and Start-VM resumes it
    /// where it was; otherwise it is Off. The checkpoint stays. Only while the VM is off or saved (a saved state is
    /// discarded): "the starting point for the virtual computer system when it is next activated".
    /// </summary>
    public void RestoreCheckpoint(SimVm vm, SimCheckpoint checkpoint)
    {
        if (vm.State is not (VmState.Off or VmState.Saved))
            throw WindowsErrors.VmState(vm.Name, vm.State, "a checkpoint is applied only while it is off or saved; turn it off (Stop-VM -TurnOff) first");
        foreach (var disk in checkpoint.HardDisks.Where(d => d.Path is not null && !FileExists(d.Path)))
            throw WindowsErrors.FileNotFound($"'{vm.Name}' failed to apply checkpoint '{checkpoint.Name}'.", disk.Path!);

        var discarded = vm.HardDisks.Select(d => d.Path).OfType<string>().ToList();
        vm.ProcessorCount = checkpoint.ProcessorCount;
        vm.MemoryStartupBytes = checkpoint.MemoryStartupBytes;
        vm.Notes = checkpoint.Notes;
        vm.NetworkAdapters = [.. checkpoint.NetworkAdapters.Select(Copy)];
        vm.DvdDrives = [.. checkpoint.DvdDrives.Select(Copy)];
        vm.Firmware = checkpoint.Firmware is null ? null : Copy(checkpoint.Firmware);
        vm.HardDisks = [.. checkpoint.HardDisks.Select(Copy)];
        foreach (var disk in vm.HardDisks.Where(d => d.Path is not null))
            disk.Path = NewCheckpointDisk(disk.Path!);
        foreach (var path in discarded) Collapse(path);
        vm.State = checkpoint.WithMemory ? VmState.Saved : VmState.Off;
        vm.ParentCheckpointId = checkpoint.Id;
    }

    /// <summary>
    /// Remove-VMSnapshot, in any state (Hyper-V merges while the VM runs): the checkpoint goes, its children hang on its
    /// parent, and its frozen disks merge (see the class remarks). With <paramref name="includeChildren"/> its
    /// descendants go first.
    /// </summary>
    public void RemoveCheckpoint(SimVm vm, SimCheckpoint checkpoint, bool includeChildren = false)
    {
        if (includeChildren)
        {
            foreach (var child in vm.Checkpoints.Where(c => c.ParentId == checkpoint.Id).ToList())
                RemoveCheckpoint(vm, child, includeChildren: true);
        }
        foreach (var child in vm.Checkpoints.Where(c => c.ParentId == checkpoint.Id))
            child.ParentId = checkpoint.ParentId;
        if (vm.ParentCheckpointId == checkpoint.Id) vm.ParentCheckpointId = checkpoint.ParentId;
        vm.Checkpoints.Remove(checkpoint);
        foreach (var disk in checkpoint.HardDisks.Select(d => d.Path).OfType<string>())
            Collapse(disk);
    }

    /// <summary>
    /// The disks a VM's checkpoints keep, beyond the ones it runs on: for each hard disk and each checkpoint's frozen
    /// disk, its parents while they are .avhdx files, and the disk the first .avhdx grew on (the VM's own disk). The
    /// box a VM's own disk grew on is not among them.
    /// </summary>
    public IReadOnlyList<string> CheckpointDisks(SimVm vm)
    {
        var result = new List<string>();
        var starts = vm.HardDisks.Select(d => d.Path)
            .Concat(vm.Checkpoints.SelectMany(c => c.HardDisks.Select(d => d.Path)))
            .OfType<string>();
        foreach (var start in starts)
        {
            if (!vm.HardDisks.Any(d => SamePath(d.Path, start)) && !result.Contains(start, StringComparer.OrdinalIgnoreCase))
                result.Add(start);
            var path = start;
            while (IsCheckpointDisk(path) && FindVhd(path)?.ParentPath is { } parent && !result.Contains(parent, StringComparer.OrdinalIgnoreCase))
            {
                result.Add(parent);
                path = parent;
            }
        }
        return [.. result.Where(p => !vm.HardDisks.Any(d => SamePath(d.Path, p)))];
    }

    /// <summary>A checkpoint's differencing disk: Hyper-V names them .avhdx (.avhd for a VHD).</summary>
    public static bool IsCheckpointDisk(string path) =>
        path.EndsWith(".avhdx", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".avhd", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// A disk none of the VM's checkpoints holds any more: an .avhdx nothing grew on and no VM runs on goes (its
    /// parent may then merge in turn); a disk with exactly one .avhdx child takes that child in, and whatever pointed
    /// to the child (a VM's drive, a checkpoint, a further .avhdx) points to it.
    /// </summary>
    private void Collapse(string path)
    {
        if (HardDiskOwner(path) is not null || State.Vms.Any(v => v.Checkpoints.Any(c => c.HardDisks.Any(d => SamePath(d.Path, path))))) return;
        var children = State.Vhds.Where(v => SamePath(v.ParentPath, path)).ToList();
        if (children.Count == 0)
        {
            if (!IsCheckpointDisk(path)) return;
            var parent = FindVhd(path)?.ParentPath;
            DeleteDisk(path);
            if (parent is not null) Collapse(parent);
            return;
        }
        if (children.Count != 1 || !IsCheckpointDisk(children[0].Path)) return;
        var child = children[0].Path;
        foreach (var drive in State.Vms.SelectMany(v => v.HardDisks.Concat(v.Checkpoints.SelectMany(c => c.HardDisks))).Where(d => SamePath(d.Path, child)))
            drive.Path = path;
        foreach (var grandchild in State.Vhds.Where(v => SamePath(v.ParentPath, child)))
            grandchild.ParentPath = path;
        DeleteDisk(child);
    }

    private void DeleteDisk(string path)
    {
        State.Vhds.RemoveAll(v => SamePath(v.Path, path));
        if (File.Exists(path)) File.Delete(path);
    }

    /// <summary>
    /// The .avhdx a checkpoint puts on top of <paramref name="parent"/>, beside it and named as Hyper-V names them
    /// (the VM's own disk's name, an underscore, a GUID); a real file when the parent is one.
    /// </summary>
    private string NewCheckpointDisk(string parent)
    {
        var slash = parent.LastIndexOfAny(['/', '\\']);
        var stem = System.IO.Path.GetFileNameWithoutExtension(parent[(slash + 1)..]);
        // The .avhdx of an .avhdx is named after the VM's own disk too: DISK_GUID2.avhdx, not DISK_GUID1_GUID2.avhdx.
        if (IsCheckpointDisk(parent) && stem.Length > 37 && stem[^37] == '_' && Guid.TryParse(stem[^36..], out _)) stem = stem[..^37];
        var extension = parent.EndsWith(".vhd", StringComparison.OrdinalIgnoreCase) || parent.EndsWith(".avhd", StringComparison.OrdinalIgnoreCase) ? ".avhd" : ".avhdx";
        var child = parent[..(slash + 1)] + stem + "_" + Guid.NewGuid().ToString("D").ToUpperInvariant() + extension;
        var placeholder = File.Exists(parent);
        if (placeholder) File.WriteAllText(child, $"LabRunner simulated checkpoint disk; parent: {parent}\n");
        State.Vhds.Add(new SimVhd { Path = child, ParentPath = parent, Placeholder = placeholder });
        return child;
    }

    /// <summary>As Hyper-V names a checkpoint it is given no name for: "VM - (date - time)", "Automatic Checkpoint - VM - (…)".</summary>
    private static string DefaultCheckpointName(SimVm vm, DateTimeOffset created, bool automatic) =>
        (automatic ? "Automatic Checkpoint - " : "") + vm.Name + " - (" + created.ToString("M/d/yyyy - h:mm:ss tt", CultureInfo.InvariantCulture) + ")";

    private static SimVmAdapter Copy(SimVmAdapter a) => new()
    {
        Name = a.Name,
        Id = a.Id,
        SwitchName = a.SwitchName,
        StaticMacAddress = a.StaticMacAddress,
        DynamicMacAddress = a.DynamicMacAddress,
    };

    private static SimDrive Copy(SimDrive d) => new()
    {
        ControllerType = d.ControllerType,
        ControllerNumber = d.ControllerNumber,
        ControllerLocation = d.ControllerLocation,
        Path = d.Path,
    };

    private static SimFirmware Copy(SimFirmware f) => new()
    {
        SecureBoot = f.SecureBoot,
        SecureBootTemplate = f.SecureBootTemplate,
        FirstBootDevice = f.FirstBootDevice is not { } b ? null : new SimBootDevice
        {
            DeviceType = b.DeviceType,
            ControllerNumber = b.ControllerNumber,
            ControllerLocation = b.ControllerLocation,
            AdapterId = b.AdapterId,
        },
    };
}
