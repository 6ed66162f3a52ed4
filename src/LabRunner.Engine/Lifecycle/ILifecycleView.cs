using System.Collections.Immutable;
using LabRunner.Engine.Guests;

namespace LabRunner.Engine.Lifecycle;

/// <summary>
/// How a caller watches a lifecycle run as it goes: progress and the moment each stage ends. Results come back
/// from the run itself (<see cref="LifecycleResult"/>); a view only shows.
/// </summary>
public interface ILifecycleView
{
    /// <summary>Runs the host stage, giving it a reporter of the view's (null: the engine's own).</summary>
    Task<EngineResult> WatchHostAsync(Func<IEngineReporter?, Task<EngineResult>> run);

    /// <summary>The host stage ended and the guests come next: what was done on the host can be shown before the wait.</summary>
    void HostDone(EngineResult result);

    /// <summary>Runs the guest stage for <paramref name="requests"/>, giving it the view's reporter.</summary>
    Task<ImmutableArray<GuestOutcome>> WatchGuestsAsync(IReadOnlyList<GuestRequest> requests, Func<IGuestReporter, Task<ImmutableArray<GuestOutcome>>> work);
}
