using System.Collections.Immutable;
using LabRunner.Core.Hosting;
using LabRunner.Core.Planning;
using LabRunner.Engine.Guests;

namespace LabRunner.Engine.Lifecycle;

/// <summary>How LabRunner reaches guests: its SSH connector, the clock waits run on, and (asked only when a Windows guest is reached without a network) the administrator password.</summary>
public sealed record GuestAccess(IGuestConnector Connector, TimeProvider Time, Func<string> AdminPassword)
{
    /// <summary>
    /// Starts the system's ssh as the shared connection to a guest (<see cref="SharedConnectionWarmup"/>), without waiting
    /// for it; null: none is opened while waiting, and the first <c>lab ssh</c> makes it.
    /// </summary>
    public Action<Guest.Access.SshTarget>? OpenSharedConnection { get; init; }
}

/// <summary>
/// The guests' part of 'up', 'reload' and 'provision': waits for the requested VMs in parallel, runs their
/// provisioners, and keeps the project's record of which VMs were seen ready. <paramref name="provider"/>'s capabilities
/// are used where it has them: a way into Windows guests without a network (PowerShell Direct), the VMs' consoles for a
/// guest that did not become ready.
/// </summary>
public sealed class GuestStage(LabProject project, IHostProvider? provider, GuestAccess access)
{
    /// <summary>
    /// After the host stage of 'up' / 'reload': every VM this run (re)started is no longer known ready and a VM made
    /// anew has run no provisioner; then (unless <see cref="GuestPolicy.NoWait"/>) the VMs to reach are waited for.
    /// </summary>
    public async Task<GuestStageResult> AfterStartAsync(EngineResult result, IReadOnlySet<string> targets, GuestPolicy policy, ILifecycleView view,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(policy);
        if (result.Plan is null || result.Outcome is not (EngineOutcome.Done or EngineOutcome.NothingToDo))
            return GuestStageResult.None;
        var started = result.Reconciliation?.All.OfType<StartVm>().Select(s => s.VmName).ToHashSet(StringComparer.OrdinalIgnoreCase) ?? [];
        var created = result.Reconciliation?.All.OfType<CreateVm>().Select(s => s.VmName).ToHashSet(StringComparer.OrdinalIgnoreCase) ?? [];
        var startedVms = result.Plan.Vms.Where(v => started.Contains(v.HostVmName) || created.Contains(v.HostVmName)).Select(v => v.Name).ToList();
        var createdVms = result.Plan.Vms.Where(v => created.Contains(v.HostVmName)).Select(v => v.Name).ToList();
        // Whatever comes next, a VM this run (re)started has not been seen ready since; and a VM made anew has run
        // nothing yet, whatever state.json remembers of an earlier VM of that name.
        // A VM this run started (it was stopped, maybe outside LabRunner) has no live shared SSH connection; a leftover one goes.
        if (startedVms.Count > 0) await SshMasters.CloseAsync(project.StateDirectory, startedVms, cancellationToken).ConfigureAwait(false);
        var state = ProjectState.Update(project.StateDirectory, s => s.SetReady(startedVms, ready: false) | s.ForgetProvisioned(createdVms));
        if (policy.NoWait) return GuestStageResult.None;
        var requests = Requests(result, targets, startedVms, state.ReadyVms, policy.ProvisionAll, policy.ProvisionNone);
        return await RunAsync(result.Plan, requests, view, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The VMs to wait for after 'up'/'reload' (in the Labfile's order): of the VMs the command concerned and did not fail,
    /// those it started, those never seen ready since they last started (after --no-wait, an interrupted 'up', a start
    /// outside LabRunner), and with --provision every one. Provisioners run on the started ones, or all with --provision.
    /// </summary>
    public static IReadOnlyList<GuestRequest> Requests(EngineResult result, IReadOnlySet<string> targets, IReadOnlyCollection<string> started,
        IReadOnlyCollection<string> ready, bool provisionAll, bool provisionNone)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(targets);
        var failed = result.VmOutcomes.Where(o => o.Kind is not (VmOutcomeKind.Done or VmOutcomeKind.NothingToDo)).Select(o => o.Vm).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return
        [
            .. (result.Plan?.Vms ?? [])
                .Where(v => (targets.Count == 0 || targets.Contains(v.Name, StringComparer.OrdinalIgnoreCase)) && !failed.Contains(v.Name))
                .Where(v => provisionAll || started.Contains(v.Name, StringComparer.OrdinalIgnoreCase) || !ready.Contains(v.Name, StringComparer.OrdinalIgnoreCase))
                .Select(v => new GuestRequest(v.Name, !provisionNone && (provisionAll || started.Contains(v.Name, StringComparer.OrdinalIgnoreCase)))),
        ];
    }

    /// <summary>
    /// Waits for (and provisions) <paramref name="requests"/>, then records which VMs were seen ready: one seen ready
    /// once (even if a provisioner failed later) need not be waited for by the next idle 'lab up'.
    /// </summary>
    public async Task<GuestStageResult> RunAsync(LabPlan plan, IReadOnlyList<GuestRequest> requests, ILifecycleView view, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requests);
        ArgumentNullException.ThrowIfNull(view);
        if (requests.Count == 0) return GuestStageResult.None;
        var loaded = project.Load();
        if (loaded.Lab is null) return new GuestStageResult([], LabfileInvalid: true);
        var direct = provider?.Capability<IDirectGuestAccess>() is { } channel ? new DirectGuests(channel, access.AdminPassword) : null;
        var outcomes = await view.WatchGuestsAsync(requests, shown =>
            new GuestWork(project, access.Connector, access.Time, access.OpenSharedConnection is { } open ? new SharedConnectionWarmup(shown, project.StateDirectory, plan, open) : shown) { Direct = direct, ConsoleLog = provider?.Capability<IConsoleLog>(), Reset = provider?.Capability<IVmReset>() }.RunAsync(loaded.Lab, plan, requests, cancellationToken)).ConfigureAwait(false);
        ProjectState.Update(project.StateDirectory, s =>
            s.SetReady(outcomes.Where(o => o.ReadyAfter is not null).Select(o => o.Vm), ready: true)
            | s.SetReady(outcomes.Where(o => o.ReadyAfter is null).Select(o => o.Vm), ready: false));
        return new GuestStageResult(outcomes, LabfileInvalid: false);
    }
}
