using LabRunner.Core.Hosting;

namespace LabRunner.Simulation.Model;

/// <summary>Set-VM -CheckpointType: what Checkpoint-VM takes (values as Hyper-V's CheckpointType).</summary>
public enum SimCheckpointType
{
    Disabled,
    Production,
    ProductionOnly,
    Standard,
}

/// <summary>What a checkpoint is (Get-VMSnapshot's SnapshotType for the two kinds Checkpoint-VM takes).</summary>
public enum SimSnapshotType
{
    Standard,
    Production,
}

/// <summary>
/// One checkpoint of a VM: its configuration at that moment, the disks it froze (each the parent of the
/// differencing disk, <c>.avhdx</c>, the VM went on writing to) and, when <see cref="State"/> is not Off, the
/// memory it saved.
/// </summary>
public sealed class SimCheckpoint
{
    public Guid Id { get; set; }

    public string Name { get; set; } = "";

    /// <summary>The checkpoint this one was taken after (the VM's parent checkpoint then), or null for a first one.</summary>
    public Guid? ParentId { get; set; }

    public DateTimeOffset Created { get; set; }

    public SimSnapshotType SnapshotType { get; set; }

    /// <summary>Taken by Start-VM because automatic checkpoints were on.</summary>
    public bool IsAutomatic { get; set; }

    /// <summary>The VM's state when it was taken: Running, Paused or Saved mean its memory was saved with it.</summary>
    public VmState State { get; set; } = VmState.Off;

    public int ProcessorCount { get; set; } = 1;

    public long MemoryStartupBytes { get; set; }

    public string Notes { get; set; } = "";

    public List<SimVmAdapter> NetworkAdapters { get; set; } = [];

    /// <summary>The frozen disks: the paths the VM's hard disks had when it was taken.</summary>
    public List<SimDrive> HardDisks { get; set; } = [];

    public List<SimDrive> DvdDrives { get; set; } = [];

    public SimFirmware? Firmware { get; set; }

    public bool WithMemory => State is not VmState.Off;
}
