using LabRunner.Core.Tracing;

namespace LabRunner.Providers.HyperV.Running;

/// <summary>
/// Records every script <paramref name="inner"/> runs in <paramref name="trace"/>: the script, exit code, duration
/// and stderr, which it hands on redacted. Standard input carries credentials (PowerShell Direct), so only its length is recorded.
/// </summary>
public sealed class TracingPowerShellRunner(IPowerShellRunner inner, IHostTrace trace) : IPowerShellRunner
{
    private static readonly string[] Arguments = ["-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-File", "SCRIPT.ps1"];

    public IPowerShellRunner Inner { get; } = inner ?? throw new ArgumentNullException(nameof(inner));

    public string Executable => Inner.Executable;

    public Task<PowerShellRun> RunAsync(string script, Action<string> onStdoutLine, CancellationToken cancellationToken) =>
        TraceAsync(script, null, () => Inner.RunAsync(script, onStdoutLine, cancellationToken));

    public Task<PowerShellRun> RunAsync(string script, string standardInput, Action<string> onStdoutLine, CancellationToken cancellationToken) =>
        TraceAsync(script, standardInput, () => Inner.RunAsync(script, standardInput, onStdoutLine, cancellationToken));

    private async Task<PowerShellRun> TraceAsync(string script, string? standardInput, Func<Task<PowerShellRun>> run)
    {
        var record = trace.Begin(new HostCall([Executable, .. Arguments]) { Script = script, StandardInput = standardInput, StandardInputIsSecret = true });
        PowerShellRun result;
        try
        {
            result = await run().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            record.Failed(e is OperationCanceledException ? "stopped (cancelled)" : e.Message);
            throw;
        }
        record.Ended(result.ExitCode, result.StandardError);
        // The stderr the provider builds its error messages from holds no secret either.
        return result.StandardError.Length == 0 ? result : result with { StandardError = trace.Redact(result.StandardError) };
    }
}
