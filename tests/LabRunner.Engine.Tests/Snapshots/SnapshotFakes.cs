using System.Collections.Immutable;
using LabRunner.Core.Hosting;
using LabRunner.Core.Tracing;
using LabRunner.Engine.Guests;
using LabRunner.Engine.Lifecycle;
using LabRunner.Simulation;

namespace LabRunner.Engine.Tests.Snapshots;

/// <summary>
/// The snapshots of a simulated host, with every call written to <see cref="Log"/> ("pause demo-web", "save demo-db s1"),
/// shared with the provider's batches, and faults to inject: <see cref="Fail"/> names a call that throws the host's refusal,
/// <see cref="Hold"/> one that waits until it is cancelled (Ctrl+C in the middle of it).
/// </summary>
internal sealed class RecordingSnapshots(SimulatedHost host, List<string> log) : ISnapshots
{
    private readonly SimulatedSnapshots _inner = new(host, NoHostTrace.Instance);

    public List<string> Log => log;

    public string? Fail { get; set; }

    public string? Hold { get; set; }

    /// <summary>When true, a restore leaves the VM off, as a snapshot that kept no memory does (Hyper-V's production checkpoints).</summary>
    public bool RestoreLeavesOff { get; set; }

    /// <summary>Set once the held call waits, so a test knows when to press Ctrl+C.</summary>
    public TaskCompletionSource Holding { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<ImmutableArray<VmSnapshot>> ListAsync(string hostVmName, CancellationToken cancellationToken) => _inner.ListAsync(hostVmName, cancellationToken);

    public async Task PauseAsync(string hostVmName, CancellationToken cancellationToken)
    {
        await Call($"pause {hostVmName}", cancellationToken);
        await _inner.PauseAsync(hostVmName, cancellationToken);
    }

    public async Task ResumeAsync(string hostVmName, CancellationToken cancellationToken)
    {
        await Call($"resume {hostVmName}", cancellationToken);
        await _inner.ResumeAsync(hostVmName, cancellationToken);
    }

    public async Task<VmSnapshot> SaveAsync(string hostVmName, string snapshotName, SnapshotType type, CancellationToken cancellationToken)
    {
        await Call($"save {hostVmName} {snapshotName}", cancellationToken);
        return await _inner.SaveAsync(hostVmName, snapshotName, type, cancellationToken);
    }

    public async Task RestoreAsync(string hostVmName, string snapshotName, CancellationToken cancellationToken)
    {
        await Call($"restore {hostVmName} {snapshotName}", cancellationToken);
        await _inner.RestoreAsync(hostVmName, snapshotName, cancellationToken);
        if (RestoreLeavesOff) host.Mutate(m => m.StopVm(m.GetVm(hostVmName), turnOff: true));
    }

    public async Task DeleteAsync(string hostVmName, string snapshotName, CancellationToken cancellationToken)
    {
        await Call($"delete {hostVmName} {snapshotName}", cancellationToken);
        await _inner.DeleteAsync(hostVmName, snapshotName, cancellationToken);
    }

    private async Task Call(string call, CancellationToken cancellationToken)
    {
        lock (log) log.Add(call);
        if (call == Fail) throw new SnapshotException(new HostError(HostErrorKind.Failed, $"{call}: the host failed it (injected)"));
        if (call == Hold)
        {
            Holding.TrySetResult();
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
    }
}

/// <summary>A simulated host with <see cref="RecordingSnapshots"/>, whose batches go to the same log ("apply remove VM 'demo-web'").</summary>
internal sealed class SnapshotProvider(SimulatedProvider inner, RecordingSnapshots snapshots, bool bootsGuests = false) : IHostProvider, IGuestBoot
{
    public string Description => inner.Description;
    public HostRules Rules => inner.Rules;
    public IHostFiles Files => inner.Files;

    public TCapability? Capability<TCapability>() where TCapability : class =>
        typeof(TCapability) == typeof(ISnapshots) ? (TCapability)(object)snapshots
        : typeof(TCapability) == typeof(IGuestBoot) ? bootsGuests ? this as TCapability : null
        : inner.Capability<TCapability>();

    public Task<HostInventory> GetInventoryAsync(ImmutableArray<string> filesOfInterest, CancellationToken cancellationToken) =>
        inner.GetInventoryAsync(filesOfInterest, cancellationToken);

    public Task<ApplyResult> ApplyAsync(OperationBatch batch, IProgress<OperationProgress>? progress, CancellationToken cancellationToken)
    {
        lock (snapshots.Log) snapshots.Log.AddRange(batch.Operations.Select(o => "apply " + o.Describe()));
        return inner.ApplyAsync(batch, progress, cancellationToken);
    }
}

/// <summary>A view that records which VMs a restore waits for and says each became ready, without reaching a guest.</summary>
internal sealed class WaitingView : ILifecycleView
{
    public List<string> WaitedFor { get; } = [];

    public Task<EngineResult> WatchHostAsync(Func<IEngineReporter?, Task<EngineResult>> run) => run(null);

    public void HostDone(EngineResult result) { }

    public Task<ImmutableArray<GuestOutcome>> WatchGuestsAsync(IReadOnlyList<GuestRequest> requests, Func<IGuestReporter, Task<ImmutableArray<GuestOutcome>>> work)
    {
        WaitedFor.AddRange(requests.Select(r => r.Vm + (r.Provision ? " +provision" : "")));
        return Task.FromResult<ImmutableArray<GuestOutcome>>([.. requests.Select(r => new GuestOutcome(r.Vm, GuestPhase.Ready, null, [], TimeSpan.FromSeconds(1)) { ReadyAfter = TimeSpan.FromSeconds(1) })]);
    }
}

/// <summary>Lines the engine reports, kept.</summary>
internal sealed class ListReporter : IEngineReporter
{
    public List<string> Lines { get; } = [];

    public void Info(string message)
    {
        lock (Lines) Lines.Add(message);
    }

    public void BatchStarted(OperationBatch batch) { }

    public void Progress(OperationProgress progress) { }
}
