using LabRunner.Core.Errors;

namespace LabRunner.HostCommon.Running;

/// <summary>Runs host commands (ip, nft, qemu-img, qemu-system-x86_64) and collects their output.</summary>
public interface IHostCommandRunner
{
    /// <summary>
    /// Runs <paramref name="command"/> to its end. A non-zero exit is returned, not thrown (see
    /// <see cref="HostCommandRunnerExtensions.RunCheckedAsync"/>); a command that cannot be started throws
    /// <see cref="HostCommandStartException"/>; cancelling kills the process and throws <see cref="OperationCanceledException"/>.
    /// </summary>
    Task<HostCommandResult> RunAsync(HostCommand command, CancellationToken cancellationToken);
}

/// <summary>A host command could not be started (not installed, not executable).</summary>
public sealed class HostCommandStartException(HostCommand command, Exception inner)
    : LabRunnerException(ErrorCategory.HostFailure, $"Could not start {command.ToArgv()[0]}: {inner.Message}", inner)
{
    public HostCommand Command { get; } = command;
}

/// <summary>A host command exited non-zero where success was required.</summary>
public sealed class HostCommandFailedException(HostCommand command, HostCommandResult result)
    : LabRunnerException(ErrorCategory.HostFailure, $"{command} exited {result.ExitCode}: {result.StandardError.Trim()}")
{
    public HostCommand Command { get; } = command;

    public HostCommandResult Result { get; } = result;
}

public static class HostCommandRunnerExtensions
{
    /// <summary>Runs <paramref name="command"/> and throws <see cref="HostCommandFailedException"/> unless it exits 0.</summary>
    public static async Task<HostCommandResult> RunCheckedAsync(this IHostCommandRunner runner, HostCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(runner);
        var result = await runner.RunAsync(command, cancellationToken).ConfigureAwait(false);
        return result.Succeeded ? result : throw new HostCommandFailedException(command, result);
    }
}
