using System.Collections.Immutable;
using LabRunner.Core.Errors;

namespace LabRunner.Core.Hosting;

/// <summary>
/// A capability: the host keeps point-in-time snapshots of a VM (Hyper-V: checkpoints; QEMU: internal qcow2
/// snapshots of the overlay and the firmware's variables). VMs are named as on the host; the engine makes a
/// lab-wide snapshot out of these per-VM calls (pause every running VM, save each, resume them all).
/// Every method throws <see cref="SnapshotException"/> for what the host refuses or fails, naming the VM and
/// the snapshot; a cancelled call stays a cancellation.
/// </summary>
public interface ISnapshots
{
    /// <summary>The VM's snapshots, oldest first; empty for a VM with none (or none the host still has).</summary>
    Task<ImmutableArray<VmSnapshot>> ListAsync(string hostVmName, CancellationToken cancellationToken);

    /// <summary>
    /// The snapshots of each of <paramref name="hostVmNames"/> (host VM name → its snapshots, oldest first), in as few
    /// host calls as the host allows: 'status' and 'down' ask for every VM of a lab, and on a host where each call is a
    /// process of its own (Hyper-V) that is one process, not one per VM. By default one <see cref="ListAsync"/> per VM, all at once.
    /// </summary>
    async Task<ImmutableDictionary<string, ImmutableArray<VmSnapshot>>> ListManyAsync(IReadOnlyCollection<string> hostVmNames, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hostVmNames);
        var vms = hostVmNames.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var listed = await Task.WhenAll(vms.Select(vm => ListAsync(vm, cancellationToken))).ConfigureAwait(false);
        return vms.Zip(listed).ToImmutableDictionary(p => p.First, p => p.Second, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Stops a running VM's processors with its memory kept (Hyper-V: Suspend-VM; QEMU: QMP stop).</summary>
    Task PauseAsync(string hostVmName, CancellationToken cancellationToken);

    /// <summary>Lets a paused VM run again (Hyper-V: Resume-VM; QEMU: QMP cont). A VM that is not paused is left as it is.</summary>
    Task ResumeAsync(string hostVmName, CancellationToken cancellationToken);

    /// <summary>
    /// Takes snapshot <paramref name="snapshotName"/> of the VM as it is now: with its memory when it runs or is paused
    /// (and <paramref name="type"/> keeps memory), its disks only when it is off. A name the VM already has is refused.
    /// </summary>
    Task<VmSnapshot> SaveAsync(string hostVmName, string snapshotName, SnapshotType type, CancellationToken cancellationToken);

    /// <summary>
    /// Returns the VM to snapshot <paramref name="snapshotName"/>, which stays: a snapshot with memory leaves it
    /// running where it was (its processes continue); one without leaves it off. The engine starts it afterwards
    /// when the lab wants it running.
    /// </summary>
    Task RestoreAsync(string hostVmName, string snapshotName, CancellationToken cancellationToken);

    /// <summary>Deletes the snapshot (Hyper-V merges its differencing disk); the VM's current state is unchanged.</summary>
    Task DeleteAsync(string hostVmName, string snapshotName, CancellationToken cancellationToken);
}

/// <summary>
/// One snapshot of one VM. <see cref="WithMemory"/>: taken while the VM ran, so a restore resumes it;
/// <see cref="Type"/> in the host's words ("standard checkpoint", "qcow2 internal");
/// <see cref="SizeBytes"/>: what it holds on disk, when the host can tell.
/// </summary>
public sealed record VmSnapshot(string Name, DateTimeOffset Created, bool WithMemory, string Type, long? SizeBytes);

/// <summary>
/// The Labfile's <c>snapshot_type</c>. <see cref="Standard"/> keeps memory (the default);
/// <see cref="Production"/>: the guest's file systems are frozen (VSS/fsfreeze), no memory, the VM is off after a
/// restore, and the host may fall back to standard; <see cref="ProductionOnly"/> refuses that fallback. Hosts
/// without production snapshots (QEMU) take standard ones and say so.
/// </summary>
public enum SnapshotType
{
    Standard,
    Production,
    ProductionOnly,
}

/// <summary>The host refused or failed a snapshot operation: the message names the VM and the snapshot.</summary>
public sealed class SnapshotException(HostError error, Exception? inner = null)
    : LabRunnerException(error.Kind is HostErrorKind.NotFound or HostErrorKind.InvalidState or HostErrorKind.AlreadyExists ? ErrorCategory.Conflict : ErrorCategory.HostFailure, error.Message, inner)
{
    public HostError Error { get; } = error;
}
