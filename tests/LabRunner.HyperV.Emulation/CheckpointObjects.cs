using LabRunner.Simulation;
using LabRunner.Simulation.Model;

namespace LabRunner.HyperV.Emulation;

/// <summary>Microsoft.HyperV.PowerShell.CheckpointType: what Set-VM -CheckpointType takes.</summary>
public enum CheckpointType
{
    Disabled = 2,
    Production = 3,
    ProductionOnly = 4,
    Standard = 5,
}

/// <summary>
/// Microsoft.HyperV.PowerShell.SnapshotType: the documented values of Get-VMSnapshot -SnapshotType, and Production,
/// which hosts since Windows 10 / Server 2016 report for production checkpoints.
/// </summary>
public enum SnapshotType
{
    Standard = 0,
    Recovery = 1,
    Planned = 2,
    Missing = 3,
    Replica = 4,
    AppConsistentReplica = 5,
    SyncedReplica = 6,
    Production = 7,
}

/// <summary>Microsoft.HyperV.PowerShell.VMSnapshot (a subset of its properties): what Get-VMSnapshot writes.</summary>
public sealed class VMSnapshot
{
    public string Name { get; init; } = "";

    public Guid Id { get; init; }

    public string VMName { get; init; } = "";

    public Guid VMId { get; init; }

    public SnapshotType SnapshotType { get; init; }

    public bool IsAutomaticCheckpoint { get; init; }

    public DateTime CreationTime { get; init; }

    public Guid? ParentSnapshotId { get; init; }

    public string? ParentSnapshotName { get; init; }

    public Guid? ParentCheckpointId => ParentSnapshotId;

    public string? ParentCheckpointName => ParentSnapshotName;

    /// <summary>The state the VM was in when it was taken: Off for disks only, otherwise its memory was saved too.</summary>
    public VMState State { get; init; }

    /// <summary>Bytes of the checkpoint's own files (configuration, and the saved memory when it has one).</summary>
    public ulong SizeOfSystemFiles { get; init; }

    public long ProcessorCount { get; init; }

    public long MemoryStartup { get; init; }

    public string Notes { get; init; } = "";

    public HardDiskDrive[] HardDrives { get; init; } = [];

    public string ComputerName { get; init; } = "";

    public override string ToString() => Name;
}

/// <summary>Turns the model's checkpoints into <see cref="VMSnapshot"/>s.</summary>
internal static class CheckpointObjects
{
    /// <summary>What a checkpoint's configuration file takes on disk, besides any saved memory.</summary>
    private const ulong ConfigurationBytes = 64 * 1024;

    public static VMSnapshot Snapshot(HostModel model, SimVm vm, SimCheckpoint checkpoint)
    {
        var parent = checkpoint.ParentId is { } id ? vm.Checkpoints.FirstOrDefault(c => c.Id == id) : null;
        return new VMSnapshot
        {
            Name = checkpoint.Name,
            Id = checkpoint.Id,
            VMName = vm.Name,
            VMId = vm.Id,
            SnapshotType = checkpoint.SnapshotType == SimSnapshotType.Production ? SnapshotType.Production : SnapshotType.Standard,
            IsAutomaticCheckpoint = checkpoint.IsAutomatic,
            CreationTime = checkpoint.Created.UtcDateTime,
            ParentSnapshotId = parent?.Id,
            ParentSnapshotName = parent?.Name,
            State = HyperVObjects.State(checkpoint.State),
            SizeOfSystemFiles = ConfigurationBytes + (checkpoint.WithMemory ? (ulong)checkpoint.MemoryStartupBytes : 0),
            ProcessorCount = checkpoint.ProcessorCount,
            MemoryStartup = checkpoint.MemoryStartupBytes,
            Notes = checkpoint.Notes,
            HardDrives = [.. checkpoint.HardDisks.Select(d => HyperVObjects.HardDisk(model, vm, d))],
            ComputerName = model.State.ComputerName,
        };
    }

    public static SimCheckpointType Type(CheckpointType type) => type switch
    {
        CheckpointType.Disabled => SimCheckpointType.Disabled,
        CheckpointType.Production => SimCheckpointType.Production,
        CheckpointType.ProductionOnly => SimCheckpointType.ProductionOnly,
        _ => SimCheckpointType.Standard,
    };

    public static CheckpointType Type(SimCheckpointType type) => type switch
    {
        SimCheckpointType.Disabled => CheckpointType.Disabled,
        SimCheckpointType.Production => CheckpointType.Production,
        SimCheckpointType.ProductionOnly => CheckpointType.ProductionOnly,
        _ => CheckpointType.Standard,
    };
}
