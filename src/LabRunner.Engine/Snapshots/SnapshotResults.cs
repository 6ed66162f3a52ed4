using System.Collections.Immutable;
using LabRunner.Core.Diagnostics;
using LabRunner.Engine.Lifecycle;

namespace LabRunner.Engine.Snapshots;

/// <summary>A snapshot command's result, or (with <see cref="Result"/> null) the Labfile's errors that stopped it.</summary>
public sealed record SnapshotOutcome<T>(ImmutableArray<Diagnostic> Diagnostics, T? Result) where T : class;

/// <summary>
/// 'save' / 'push': the snapshot as recorded, how long the whole took, and how long the running VMs were paused
/// (null when none was: every VM was off, or frozen inside its guest instead).
/// </summary>
public sealed record SnapshotSaveResult(LabSnapshotRecord Snapshot, TimeSpan Elapsed, TimeSpan? PauseWindow)
{
    /// <summary>VMs of the Labfile left out because they do not exist on the host.</summary>
    public ImmutableArray<string> NotCreated { get; init; } = [];
}

/// <summary>One VM after a restore: whether its memory came back, and whether LabRunner started or resumed it afterwards.</summary>
public sealed record RestoredVm(string Vm, bool WithMemory, bool Running, bool Started);

/// <summary>
/// 'restore' / 'pop': each VM restored, whether the project state went back with it (a snapshot taken without
/// LabRunner's record has none), and the guests waited for afterwards.
/// </summary>
public sealed record SnapshotRestoreResult(string Name, ImmutableArray<RestoredVm> Vms, bool StateRestored)
{
    public GuestStageResult Guests { get; init; } = GuestStageResult.None;

    /// <summary>For 'pop': the snapshot was deleted afterwards.</summary>
    public bool Deleted { get; init; }
}

/// <summary>One VM of a snapshot as 'list' shows it: whether the host still has it, with memory or not, and its size.</summary>
public sealed record SnapshotVmInfo(string Vm, bool OnHost, bool WithMemory, string Type, long? SizeBytes);

/// <summary>
/// One snapshot as 'list' shows it. <see cref="Recorded"/> is false for a name the host has on the lab's VMs but the
/// project has no record of (its .lab/ was removed, or someone took it by hand): it can be restored or deleted all the same.
/// </summary>
public sealed record SnapshotInfo(string Name, DateTimeOffset? Created, bool Recorded, bool Pushed, ImmutableArray<SnapshotVmInfo> Vms)
{
    /// <summary>What the snapshot holds on disk over its VMs, when the host told for every one.</summary>
    public long? SizeBytes => Vms.All(v => v.SizeBytes is not null) && !Vms.IsEmpty ? Vms.Sum(v => v.SizeBytes!.Value) : null;
}

/// <summary>'list': every snapshot, oldest first, and the push stack (bottom first).</summary>
public sealed record SnapshotListResult(ImmutableArray<SnapshotInfo> Snapshots, ImmutableArray<string> Stack);

/// <summary>'delete': the VMs whose snapshot was deleted on the host.</summary>
public sealed record SnapshotDeleteResult(string Name, ImmutableArray<string> Vms);
