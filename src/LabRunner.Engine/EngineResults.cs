using System.Collections.Immutable;
using LabRunner.Core.Diagnostics;
using LabRunner.Core.Hosting;
using LabRunner.Core.Net;
using LabRunner.Core.Planning;
using LabRunner.Core.Reconciliation;

namespace LabRunner.Engine;

public enum EngineOutcome
{
    Done,
    NothingToDo,
    WhatIf,
    InvalidLabfile,
    Conflict,
    HostFailure,
    Interrupted,
}

/// <summary>A failed operation: which batch, which operation, what the host said.</summary>
public sealed record OperationFailure(string Batch, HostOperation Operation, HostError Error);

public sealed record EngineResult(
    EngineOutcome Outcome,
    ImmutableArray<Diagnostic> Diagnostics,
    LabPlan? Plan,
    Reconciliation? Reconciliation,
    ImmutableArray<OperationBatch> Batches,
    ImmutableArray<OperationFailure> Failures)
{
    /// <summary>What became of each VM the run concerned, in the reconciliation's order (empty when nothing was applied).</summary>
    public ImmutableArray<VmOutcome> VmOutcomes { get; init; } = [];

    /// <summary>The forwarded ports of the run's VMs that the host maps once it is over (after a failure or Ctrl+C, only those that exist).</summary>
    public ImmutableArray<EffectivePortMapping> ForwardedPorts { get; init; } = [];
}

public enum VmOutcomeKind
{
    /// <summary>Every operation of the VM succeeded.</summary>
    Done,
    /// <summary>An operation of the VM failed; the VM's later operations did not run.</summary>
    Failed,
    /// <summary>Some of the VM's operations did not run: host networking failed first, or the run was interrupted.</summary>
    Skipped,
    /// <summary>The VM was already as the Labfile says.</summary>
    NothingToDo,
}

/// <summary>One VM's outcome; <see cref="Failure"/> says which operation failed and what the host said.</summary>
public sealed record VmOutcome(string Vm, VmOutcomeKind Kind, OperationFailure? Failure = null);

/// <summary>
/// A VM as it is on the host, with the adapters the plan gives it and the forwarded ports the host
/// actually maps to it (a planned port not mapped yet is not listed).
/// </summary>
public sealed record VmStatus(string Name, LabVmState State, ImmutableArray<AdapterPlan> Adapters, ImmutableArray<EffectivePortMapping> Ports)
{
    /// <summary>The VM's CPUs and memory on the host; null when it does not exist.</summary>
    public int? Cpus { get; init; }

    public long? MemoryBytes { get; init; }

    /// <summary>What 'lab up' leaves for another command on this VM, if anything.</summary>
    public PendingChange? Pending { get; init; }

    /// <summary>The store box (name and version) the VM was created on; null for a 'path' box.</summary>
    public VmBox? Box { get; init; }

    /// <summary>Why <see cref="State"/> is <see cref="LabVmState.Unknown"/> (the host could not tell, e.g. the VM's monitor did not answer); null otherwise.</summary>
    public string? StateReason { get; init; }

    /// <summary>How many snapshots the host keeps of the VM; null when it does not exist or the provider keeps none.</summary>
    public int? Snapshots { get; init; }
}

/// <summary>What 'lab status' shows; <see cref="Strays"/> are this lab's VMs on the host no longer in the Labfile, by their Labfile names.</summary>
public sealed record StatusResult(ImmutableArray<Diagnostic> Diagnostics, LabPlan? Plan, ImmutableArray<VmStatus> Vms, ImmutableArray<string> Strays);
