using LabRunner.Core.Hosting;
using LabRunner.Core.Reconciliation;
using LabRunner.Engine.Guests;

namespace LabRunner.Engine.Lifecycle;

/// <summary>
/// The whole of 'up', 'halt', 'reload' and 'down' in one call: the lab's boxes added to the store first, the host
/// reconciled, the boxes' uses recorded, the ready record kept, then the guests waited for and provisioned.
/// It changes the project's state; the caller only watches (<see cref="ILifecycleView"/>) and renders the result.
/// </summary>
public sealed class LabLifecycle(LabProject project, LabEngine engine, IHostProvider provider, ILabBoxes boxes, GuestAccess access)
{
    public async Task<LifecycleResult> RunAsync(LifecycleRequest request, ILifecycleView view, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(view);
        var (mode, targets, options) = (request.Mode, request.Targets, request.Options);
        // Asked to provision where no guest boots: say so before changing anything, as 'lab provision' does.
        if (request.Guests is { ProvisionAll: true }) NoGuestsException.ThrowUnlessBooted(provider, NoGuestsException.NothingToProvision);
        // Boxes from a 'url' are added to the box store before anything is created.
        if (mode is ReconcileMode.Up or ReconcileMode.Reload && !options.WhatIf
            && await boxes.EnsureAsync(project, cancellationToken).ConfigureAwait(false) is { } failed)
            return new LifecycleResult { BoxFailure = failed };
        // Shared SSH connections to VMs about to stop or restart end first (cleanly, while the guest still answers); the next
        // 'lab ssh' makes a new one. Left alone, one would outlive its guest and fail the next 'lab ssh' through it.
        if (mode is ReconcileMode.Halt or ReconcileMode.Down or ReconcileMode.Reload && !options.WhatIf)
            await SshMasters.CloseAsync(project.StateDirectory, targets, cancellationToken).ConfigureAwait(false);
        var result = await view.WatchHostAsync(reporter =>
            (reporter is null ? engine : engine.WithReporter(reporter)).RunAsync(mode, targets, options, cancellationToken)).ConfigureAwait(false);
        if (!options.WhatIf && result.Outcome is EngineOutcome.Done or EngineOutcome.NothingToDo
            && (mode is ReconcileMode.Up || mode is ReconcileMode.Down && targets.IsEmpty))
            await boxes.RecordUsesAsync(project, released: mode is ReconcileMode.Down, cancellationToken).ConfigureAwait(false);
        // A halted or removed VM is no longer known ready: when it runs again (through LabRunner or not), 'up' waits for it.
        if (mode is ReconcileMode.Halt or ReconcileMode.Down && !options.WhatIf && result.Plan is { } planned)
            ProjectState.SetReady(project.StateDirectory, planned.Vms.Where(v => targets.IsEmpty || targets.Contains(v.Name, StringComparer.OrdinalIgnoreCase)).Select(v => v.Name), ready: false);
        if (request.Guests is not { } policy || options.WhatIf) return new LifecycleResult { Host = result };
        view.HostDone(result);
        var guests = provider.Capability<IGuestBoot>() is not null
            ? await new GuestStage(project, provider, access).AfterStartAsync(result, targets, policy, view, cancellationToken).ConfigureAwait(false)
            : GuestStageResult.None;
        return new LifecycleResult { Host = result, GuestStage = true, Guests = guests };
    }
}
