using System.Collections.Immutable;
using LabRunner.Core.Hosting;
using LabRunner.Core.Net;
using LabRunner.Core.Planning;
using LabRunner.Core.Reconciliation;

namespace LabRunner.Engine;

/// <summary>What became of every operation applied so far, by reference: done (null) or its failure.</summary>
internal sealed class RunLog
{
    private readonly Dictionary<HostOperation, OperationFailure?> _operations = new(ReferenceEqualityComparer.Instance);

    public List<OperationFailure> Failures { get; } = [];

    public void Done(HostOperation operation)
    {
        lock (_operations) _operations[operation] = null;
    }

    public bool Succeeded(HostOperation operation)
    {
        lock (_operations) return _operations.TryGetValue(operation, out var failure) && failure is null;
    }

    public void Failed(OperationFailure failure, bool report)
    {
        lock (_operations)
        {
            _operations[failure.Operation] = failure;
            if (report) Failures.Add(failure);
        }
    }

    /// <summary>A VM failed when one of its operations failed, is done when all of them are, and was skipped otherwise.</summary>
    public ImmutableArray<VmOutcome> Outcomes(Reconciliation reconciliation, IEnumerable<string> nothingToDo)
    {
        lock (_operations)
        {
            var outcomes = reconciliation.Vms.Select(v =>
            {
                var failure = v.Operations.Select(o => _operations.GetValueOrDefault(o)).FirstOrDefault(f => f is not null);
                if (failure is not null) return new VmOutcome(v.Vm, VmOutcomeKind.Failed, failure);
                return new VmOutcome(v.Vm, v.Operations.All(_operations.ContainsKey) ? VmOutcomeKind.Done : VmOutcomeKind.Skipped);
            });
            return [.. outcomes, .. nothingToDo.Select(n => new VmOutcome(n, VmOutcomeKind.NothingToDo))];
        }
    }
}

/// <summary>Progress reported synchronously (IProgress&lt;T&gt; would post to the thread pool and reorder lines).</summary>
internal sealed class RunLogProgress(IEngineReporter reporter, RunLog log) : IProgress<OperationProgress>
{
    public void Report(OperationProgress value)
    {
        // Recorded as the batch's own operation: a provider may report a copy (in its host's words), and the
        // log tells operations apart by instance (two VMs may hold equal ones).
        if (value.Done) log.Done(value.Batch.Operations[value.Index]);
        reporter.Progress(value);
    }
}
