using System.Collections.Immutable;
using LabRunner.Core.Errors;
using LabRunner.Core.Reconciliation;
using LabRunner.Engine.Guests;

namespace LabRunner.Engine.Lifecycle;

/// <summary>One run of up, halt, reload or down: on which VMs (none: all), with which options, and what happens in the guests after.</summary>
public sealed record LifecycleRequest(ReconcileMode Mode, ImmutableHashSet<string> Targets, EngineOptions Options)
{
    /// <summary>What happens in the guests after 'up' or 'reload'; null for none (halt, down).</summary>
    public GuestPolicy? Guests { get; init; }
}

/// <summary>
/// After the VMs start: <see cref="NoWait"/> returns at once; otherwise each is waited for until ready, and its
/// provisioners run on those this run started (<see cref="ProvisionAll"/>: on every one; <see cref="ProvisionNone"/>: on none).
/// </summary>
public sealed record GuestPolicy(bool NoWait, bool ProvisionAll, bool ProvisionNone);

/// <summary>What a lifecycle run did, for the caller to render.</summary>
public sealed record LifecycleResult
{
    /// <summary>The host stage; null when it did not run because a box could not be added (<see cref="BoxFailure"/>).</summary>
    public EngineResult? Host { get; init; }

    /// <summary>Why a box the lab needs could not be added to the store; nothing was created.</summary>
    public LabRunnerException? BoxFailure { get; init; }

    /// <summary>Whether the guest stage was reached (the request had a guest policy and was no preview).</summary>
    public bool GuestStage { get; init; }

    /// <summary>Each VM waited for, how far it got; empty when none was.</summary>
    public GuestStageResult Guests { get; init; } = GuestStageResult.None;
}

/// <summary>The guests' stage: each VM's outcome, or that the Labfile could not be read again to reach them.</summary>
public sealed record GuestStageResult(ImmutableArray<GuestOutcome> Outcomes, bool LabfileInvalid)
{
    public static GuestStageResult None { get; } = new([], false);

    /// <summary>Whether a VM failed (not merely "not reachable from the host").</summary>
    public bool AnyFailed => Outcomes.Any(o => o.Phase == GuestPhase.Failed);
}
