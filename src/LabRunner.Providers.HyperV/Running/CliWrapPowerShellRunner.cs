using System.ComponentModel;
using System.Text;
using CliWrap;

namespace LabRunner.Providers.HyperV.Running;

/// <summary>Which PowerShell to start and how to stop it.</summary>
/// <param name="Executable">A file name looked up on PATH, or a full path.</param>
/// <param name="GracefulStopTimeout">After cancellation, how long the process may take to stop on its interrupt before it is killed.</param>
/// <param name="TempDirectory">Where script files go; null for the user's temp folder.</param>
public sealed record PowerShellRunnerOptions(string Executable, TimeSpan GracefulStopTimeout, string? TempDirectory = null)
{
    /// <summary>Windows PowerShell 5.1: on every Windows host, with the Hyper-V module native to it.</summary>
    public static PowerShellRunnerOptions WindowsPowerShell { get; } = new("powershell.exe", TimeSpan.FromSeconds(15));

    /// <summary>PowerShell 7, when configured.</summary>
    public static PowerShellRunnerOptions Pwsh { get; } = new("pwsh", TimeSpan.FromSeconds(15));
}

/// <summary>
/// Runs a script in one PowerShell process through CliWrap:
/// <c>EXE -NoProfile -NonInteractive -ExecutionPolicy Bypass -File TEMP.ps1</c>.
/// </summary>
/// <remarks>
/// <para>A file rather than <c>-EncodedCommand</c>: a batch that creates several VMs runs to many
/// kilobytes, and a Windows command line holds at most 32,767 characters (base64 of UTF-16 more than
/// doubles the script). The file is deleted when the process has ended, whatever happened.</para>
/// <para>The file is UTF-8 <b>with a BOM</b>. Without one, Windows PowerShell 5.1 reads a script in
/// the machine's ANSI code page ("Understanding file encoding in VS Code and PowerShell",
/// learn.microsoft.com: "PowerShell 5.1 and below ... defaults to Windows-1252 encoding when there's
/// no BOM"; PowerShell 7 assumes UTF-8). That would not only garble non-ASCII names: UTF-8 sequences
/// contain the bytes 0x91–0x94, which Windows-1252 decodes as ‘ ’ “ ”, and the tokenizer takes ‘ and ’
/// as single quotes, so a name such as "ё" (D1 91) would end its literal early. With the BOM both
/// 5.1 and 7 read exactly the text <see cref="Scripting.PowerShellLiteral"/> quoted.</para>
/// <para>Cancellation first interrupts the process (Ctrl+C on Windows, SIGINT elsewhere), which stops
/// the running cmdlet, and kills it if it is still running after <see cref="PowerShellRunnerOptions.GracefulStopTimeout"/>.</para>
/// </remarks>
public sealed class CliWrapPowerShellRunner(PowerShellRunnerOptions options) : IPowerShellRunner
{
    private const int MaxStandardErrorChars = 64 * 1024;
    private int _processesStarted;

    public string Executable => options.Executable;

    /// <summary>How many processes this runner has started (one per batch; benchmarks count them).</summary>
    public int ProcessesStarted => Volatile.Read(ref _processesStarted);

    public Task<PowerShellRun> RunAsync(string script, Action<string> onStdoutLine, CancellationToken cancellationToken) =>
        RunCoreAsync(script, null, onStdoutLine, cancellationToken);

    public Task<PowerShellRun> RunAsync(string script, string standardInput, Action<string> onStdoutLine, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(standardInput);
        return RunCoreAsync(script, standardInput, onStdoutLine, cancellationToken);
    }

    private async Task<PowerShellRun> RunCoreAsync(string script, string? standardInput, Action<string> onStdoutLine, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(script);
        ArgumentNullException.ThrowIfNull(onStdoutLine);
        cancellationToken.ThrowIfCancellationRequested();

        var directory = options.TempDirectory ?? Path.GetTempPath();
        var scriptPath = Path.Combine(directory, $"labrunner-{Guid.NewGuid():N}.ps1");
        await File.WriteAllTextAsync(scriptPath, script, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true), cancellationToken).ConfigureAwait(false);
        try
        {
            var stderr = new StringBuilder();
            var command = Cli.Wrap(options.Executable)
                .WithArguments(args => args
                    .Add("-NoProfile")
                    .Add("-NonInteractive")
                    .Add("-ExecutionPolicy").Add("Bypass")
                    .Add("-File").Add(scriptPath))
                .WithValidation(CommandResultValidation.None)
                // ASCII only is ever written (base64 lines), so the console's input code page cannot change it.
                .WithStandardInputPipe(standardInput is null ? PipeSource.Null : PipeSource.FromString(standardInput, Encoding.ASCII))
                .WithStandardOutputPipe(PipeTarget.ToDelegate(onStdoutLine))
                .WithStandardErrorPipe(PipeTarget.ToDelegate(line =>
                {
                    lock (stderr)
                        if (stderr.Length < MaxStandardErrorChars) stderr.AppendLine(line);
                }));

            using var forceful = new CancellationTokenSource();
            using var escalation = cancellationToken.Register(() => forceful.CancelAfter(options.GracefulStopTimeout));

            CommandTask<CommandResult> running;
            try
            {
                running = command.ExecuteAsync(forceful.Token, cancellationToken);
            }
            catch (Exception e) when (e is Win32Exception or InvalidOperationException)
            {
                throw new PowerShellStartException(options.Executable, e);
            }
            Interlocked.Increment(ref _processesStarted);

            var result = await running.ConfigureAwait(false);
            string text;
            lock (stderr) text = stderr.ToString();
            return new PowerShellRun(result.ExitCode, text);
        }
        finally
        {
            TryDelete(scriptPath);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Nothing to do: the file may still be open by a process being killed; temp is cleaned by the OS.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
