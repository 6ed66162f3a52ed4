using System.Collections.Immutable;
using LabRunner.Core.Hosting;
using LabRunner.Core.Net;
using LabRunner.Core.Planning;
using LabRunner.Core.Reconciliation;

namespace LabRunner.Engine;

/// <summary>Batching: host networking first, the VMs in parallel batches, teardown last; each batch one provider call.</summary>
public sealed partial class LabEngine
{
    public const string NetworkBatch = "host networking";
    public const string VmBatchPrefix = "VMs ";
    public const string TeardownBatch = "teardown";

    /// <summary>
    /// Host networking in one batch; VMs dealt round-robin into at most <paramref name="parallelism"/>
    /// batches so that few processes do the work of many VMs; teardown last.
    /// </summary>
    public static ImmutableArray<OperationBatch> Batches(Reconciliation r, int parallelism)
    {
        var batches = ImmutableArray.CreateBuilder<OperationBatch>();
        if (!r.Network.IsEmpty) batches.Add(new OperationBatch(NetworkBatch, r.Network));
        var lanes = Math.Max(1, Math.Min(parallelism, r.Vms.Length));
        for (var lane = 0; lane < lanes; lane++)
        {
            var ops = r.Vms.Where((_, i) => i % lanes == lane).SelectMany(v => v.Operations).ToImmutableArray();
            if (!ops.IsEmpty) batches.Add(new OperationBatch($"{VmBatchPrefix}{lane + 1}/{lanes}", ops));
        }
        if (!r.Teardown.IsEmpty) batches.Add(new OperationBatch(TeardownBatch, r.Teardown));
        return batches.ToImmutable();
    }

    private async Task ApplyAllAsync(ReconcileMode mode, ImmutableArray<OperationBatch> batches, EngineOptions options, RunLog log, CancellationToken ct)
    {
        var network = batches.Where(b => b.Label == NetworkBatch).ToList();
        var vms = batches.Where(b => b.Label.StartsWith(VmBatchPrefix, StringComparison.Ordinal)).ToList();
        var teardown = batches.Where(b => b.Label == TeardownBatch).ToList();

        foreach (var batch in network)
            if (!await ApplyAsync(batch, log, ct).ConfigureAwait(false)) return;

        if (mode == ReconcileMode.Halt)
        {
            // A guest shutdown first; whatever is still running after the timeout is turned off.
            using var graceful = CancellationTokenSource.CreateLinkedTokenSource(ct);
            graceful.CancelAfter(options.HaltTimeout);
            try
            {
                await Task.WhenAll(vms.Select(b => ApplyAsync(b, log, graceful.Token, report: false))).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                reporter.Info($"Some VMs did not shut down within {options.HaltTimeout.TotalSeconds:0} s; turning them off.");
            }
            // Whatever failed or timed out shows in the host's state: every VM asked to stop that is not off.
            var inventory = await provider.GetInventoryAsync([], ct).ConfigureAwait(false);
            var asked = vms.SelectMany(b => b.Operations).OfType<StopVm>().ToList();
            var turnOff = asked.Where(s => inventory.Vm(s.VmName) is { State: not VmState.Off })
                .Select(s => (HostOperation)new StopVm(s.VmName, TurnOff: true)).ToImmutableArray();
            // A VM that is off now was halted, whichever way: the turn-off's outcome stands for its shutdown.
            foreach (var stop in asked.Where(s => inventory.Vm(s.VmName) is { State: VmState.Off }))
                log.Done(stop);
            if (!turnOff.IsEmpty)
            {
                var batch = new OperationBatch($"{VmBatchPrefix}turn off", turnOff);
                await ApplyAsync(batch, log, ct).ConfigureAwait(false);
                var after = await provider.GetInventoryAsync([], ct).ConfigureAwait(false);
                foreach (var stop in asked.Where(s => after.Vm(s.VmName) is { State: VmState.Off }))
                    log.Done(stop);
                foreach (var failure in log.Failures.Where(f => f.Batch == batch.Label).ToList())
                    log.Failed(failure with { Operation = asked.First(s => s.VmName == failure.Operation.Vm) }, report: false);
            }
        }
        else
        {
            await Task.WhenAll(vms.Select(b => ApplyAsync(b, log, ct))).ConfigureAwait(false);
        }
        ct.ThrowIfCancellationRequested();

        // Teardown only after every VM batch succeeded: a switch in use by a half-removed VM stays.
        if (log.Failures.Count == 0)
            foreach (var batch in teardown)
                if (!await ApplyAsync(batch, log, ct).ConfigureAwait(false)) return;
    }

    /// <summary>One provider call; every failure of the batch is logged (and reported unless <paramref name="report"/> is false).</summary>
    private async Task<bool> ApplyAsync(OperationBatch batch, RunLog log, CancellationToken ct, bool report = true)
    {
        reporter.BatchStarted(batch);
        var progress = new RunLogProgress(reporter, log);
        var result = await provider.ApplyAsync(batch, progress, ct).ConfigureAwait(false);
        foreach (var error in result.Errors)
            log.Failed(new OperationFailure(batch.Label, batch.Operations[error.Index], error.Error), report);
        return result.Succeeded;
    }
}
