using LabRunner.Core.Tracing;
using LabRunner.HostCommon.Running;

namespace LabRunner.HostCommon.Tracing;

/// <summary>
/// Records every command <paramref name="inner"/> runs in <paramref name="trace"/>: its argument vector, input, exit code,
/// duration and stderr — and hands the stderr on redacted.
/// </summary>
public sealed class TracingHostCommandRunner(IHostCommandRunner inner, IHostTrace trace) : IHostCommandRunner
{
    public IHostCommandRunner Inner { get; } = inner ?? throw new ArgumentNullException(nameof(inner));

    public async Task<HostCommandResult> RunAsync(HostCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var record = trace.Begin(new HostCall(command.ToArgv()) { StandardInput = command.StandardInput });
        HostCommandResult result;
        try
        {
            result = await Inner.RunAsync(command, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            record.Failed(e is OperationCanceledException ? "stopped (cancelled)" : e.Message);
            throw;
        }
        record.Ended(result.ExitCode, result.StandardError);
        // The stderr a provider builds its error messages from holds no secret either.
        return result.StandardError.Length == 0 ? result : result with { StandardError = trace.Redact(result.StandardError) };
    }
}
