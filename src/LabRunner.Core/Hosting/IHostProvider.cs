using System.Collections.Immutable;
using LabRunner.Core.Errors;

namespace LabRunner.Core.Hosting;

/// <summary>
/// The narrow interface between the engine and a host: Hyper-V (real or simulated) or QEMU on Linux. Reads in one round,
/// writes in batches; every call is cancellable. Implementations map their own failures (PowerShell
/// errors, CIM codes, simulated rule violations) to <see cref="HostError"/> in one place.
/// </summary>
public interface IHostProvider
{
    /// <summary>For messages: "Hyper-V on HOST", "simulated host at PATH".</summary>
    string Description { get; }

    /// <summary>The host's rules: naming, NAT sharing, what may change while a VM runs, disk formats.</summary>
    HostRules Rules { get; }

    /// <summary>What <c>--what-if</c> shows for a batch: the script or commands this provider would run, or null.</summary>
    string? Preview(OperationBatch batch) => null;

    /// <summary>Whether a started VM really boots a guest that can be waited for and logged in to (not on a simulated host).</summary>
    bool BootsGuests => true;

    /// <summary>
    /// The host's files: the engine writes, checks and removes seeds, disks and the VMs' folders through them,
    /// never on this machine's file system directly, so the host may be another machine.
    /// </summary>
    IHostFiles Files { get; }

    /// <summary>A way into running guests that needs no network (Hyper-V: PowerShell Direct into Windows guests), or null.</summary>
    IDirectGuestAccess? DirectGuestAccess => null;

    /// <summary>
    /// Everything on the host (switches, adapters and their addresses, NetNats, mappings, VMs), plus
    /// which of <paramref name="filesOfInterest"/> exist.
    /// </summary>
    Task<HostInventory> GetInventoryAsync(ImmutableArray<string> filesOfInterest, CancellationToken cancellationToken);

    /// <summary>Runs the batch's operations in order and stops at the first failure.</summary>
    Task<ApplyResult> ApplyAsync(OperationBatch batch, IProgress<OperationProgress>? progress, CancellationToken cancellationToken);
}

/// <summary>Thrown when the host cannot be read at all (no Hyper-V, not elevated, unreadable simulated host file).</summary>
public sealed class HostUnavailableException(HostError error) : LabRunnerException(ErrorCategory.HostFailure, error.Message)
{
    public HostError Error { get; } = error;
}
