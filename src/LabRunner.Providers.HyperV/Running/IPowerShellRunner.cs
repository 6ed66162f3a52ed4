using LabRunner.Core.Errors;

namespace LabRunner.Providers.HyperV.Running;

/// <summary>Runs one complete script in one PowerShell process, streaming its stdout line by line.</summary>
public interface IPowerShellRunner
{
    /// <summary>The executable, for messages (<c>powershell.exe</c>, <c>pwsh</c>).</summary>
    string Executable { get; }

    /// <summary>
    /// Runs <paramref name="script"/> and calls <paramref name="onStdoutLine"/> for every stdout line as
    /// it arrives. Cancelling stops the process (gracefully first) and throws
    /// <see cref="OperationCanceledException"/>; a process that cannot start throws
    /// <see cref="PowerShellStartException"/>.
    /// </summary>
    Task<PowerShellRun> RunAsync(string script, Action<string> onStdoutLine, CancellationToken cancellationToken);

    /// <summary>
    /// As <see cref="RunAsync(string, Action{string}, CancellationToken)"/>, with <paramref name="standardInput"/>
    /// written to the process's standard input (and the input then closed): how a secret reaches a script
    /// without being in its text, its file or its command line.
    /// </summary>
    Task<PowerShellRun> RunAsync(string script, string standardInput, Action<string> onStdoutLine, CancellationToken cancellationToken) =>
        throw new NotSupportedException($"{Executable} runs scripts without standard input.");
}

/// <summary>How a PowerShell process ended: its exit code and (the start of) what it wrote to stderr.</summary>
public sealed record PowerShellRun(int ExitCode, string StandardError);

/// <summary>PowerShell could not be started (not installed, not on PATH, not executable).</summary>
public sealed class PowerShellStartException(string executable, Exception inner)
    : LabRunnerException(ErrorCategory.HostFailure, $"Could not start {executable}: {inner.Message}", inner)
{
    public string Executable { get; } = executable;
}
