namespace LabRunner.Core.Hosting;

/// <summary>
/// A capability: the host can hard-reset a running VM, as its reset button would (QEMU: QMP <c>system_reset</c>). The
/// engine uses it once on a guest that hung in its firmware after a restart (see <c>RestartHangWatch</c>).
/// </summary>
public interface IVmReset
{
    /// <summary>
    /// Resets the running VM named <paramref name="hostVmName"/> on the host: its processors restart from the firmware,
    /// its disks and memory size stay. Throws a <see cref="Errors.LabRunnerException"/> when the host refuses or fails.
    /// </summary>
    Task ResetAsync(string hostVmName, CancellationToken cancellationToken);

    /// <summary>How the reset is done, in the host's words, for progress output: "QMP system_reset".</summary>
    string How { get; }
}
