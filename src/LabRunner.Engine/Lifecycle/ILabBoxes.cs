using LabRunner.Core.Errors;

namespace LabRunner.Engine.Lifecycle;

/// <summary>
/// What a lab's lifecycle asks of the user's box store. The Engine knows no store: the caller that owns one
/// (the CLI, over LabRunner.Boxes) implements it.
/// </summary>
public interface ILabBoxes
{
    /// <summary>
    /// Adds every 'url' box the lab's VMs use that the store does not have, before anything is created.
    /// A Labfile with errors is left to the engine to report.
    /// </summary>
    /// <returns>Why a box could not be added (then nothing else is done); null when all are there.</returns>
    Task<LabRunnerException?> EnsureAsync(LabProject project, CancellationToken cancellationToken);

    /// <summary>
    /// Records that the lab uses its store boxes (after 'up'), or none any more (after 'down'). A failure to
    /// record is the implementation's to report: it never fails the run, whose VMs are already made or removed.
    /// </summary>
    Task RecordUsesAsync(LabProject project, bool released, CancellationToken cancellationToken);
}
