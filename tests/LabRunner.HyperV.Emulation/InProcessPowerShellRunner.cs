using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Text;
using LabRunner.Core.Hosting;
using LabRunner.Providers.HyperV.Running;
using LabRunner.Simulation;

namespace LabRunner.HyperV.Emulation;

/// <summary>
/// An <see cref="IPowerShellRunner"/> that runs each script in the real PowerShell engine, in-process,
/// in a fresh runspace whose Hyper-V, NetNat, NetTCPIP and NetAdapter commands are the emulated ones
/// acting on a <see cref="SimulatedHost"/> (<see cref="EmulatedHost.CreateSessionState"/>). It stands in for
/// <see cref="CliWrapPowerShellRunner"/> and behaves as <c>powershell.exe -NoProfile -NonInteractive
/// -ExecutionPolicy Bypass -File SCRIPT.ps1</c> does:
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>One run is one "process": a new runspace (no state survives from one script to the next), counted
/// in <see cref="ProcessesStarted"/>.</item>
/// <item>The script is written to a file (UTF-8 with BOM, as the real runner writes it) and invoked with
/// <c>&amp; $path</c>, so it runs in its own script scope as under <c>-File</c> — which matters: the CDXML
/// modules' functions do not see a script-scope <c>$ErrorActionPreference</c>.</item>
/// <item>Pipeline output goes to <paramref name="onStdoutLine"/> line by line as it is written (strings as
/// they are; other objects as their string conversion, where the console host would format a table);
/// warnings go to stdout as <c>WARNING: …</c>, as the console host writes them.</item>
/// <item>Exit code: the script's <c>exit N</c>; 0 when it ends without one; 1 when a terminating error
/// ends it, or when it does not parse (then nothing of it runs). Errors, terminating or not, are written to stderr in PowerShell's error
/// view (<c>COMMAND : message</c>, position, CategoryInfo, FullyQualifiedErrorId).</item>
/// <item>Cancelling stops the pipeline (PowerShell's Ctrl+C) and throws <see cref="OperationCanceledException"/>;
/// a runspace that cannot be opened (an emulated module that does not load) throws
/// <see cref="PowerShellStartException"/>.</item>
/// </list>
/// </remarks>
public sealed class InProcessPowerShellRunner : IPowerShellRunner
{
    private const int MaxStandardErrorChars = 64 * 1024;
    private readonly SimulatedHost _host;
    private readonly EmulatedGuests? _guests;
    private readonly string _tempDirectory;
    private int _processesStarted;

    /// <param name="host">The simulated host the emulated cmdlets act on.</param>
    /// <param name="tempDirectory">Where script files go; null for the temp folder.</param>
    /// <param name="guests">The guests PowerShell Direct reaches; none when null.</param>
    public InProcessPowerShellRunner(SimulatedHost host, string? tempDirectory = null, EmulatedGuests? guests = null)
    {
        _host = host ?? throw new ArgumentNullException(nameof(host));
        _guests = guests;
        _tempDirectory = tempDirectory ?? Path.GetTempPath();
    }

    public string Executable => "PowerShell (in-process, emulated Hyper-V)";

    /// <summary>How many scripts ran, each in its own runspace: the processes the real runner would have started.</summary>
    public int ProcessesStarted => Volatile.Read(ref _processesStarted);

    public Task<PowerShellRun> RunAsync(string script, Action<string> onStdoutLine, CancellationToken cancellationToken) =>
        Start(script, null, onStdoutLine, cancellationToken);

    /// <summary>
    /// As a process with <paramref name="standardInput"/> piped in: the script reads it through
    /// <c>[Console]::In</c>, which in this process is routed per thread (<see cref="StandardInput"/>), and
    /// the script runs on the thread that routes it.
    /// </summary>
    public Task<PowerShellRun> RunAsync(string script, string standardInput, Action<string> onStdoutLine, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(standardInput);
        return Start(script, standardInput, onStdoutLine, cancellationToken);
    }

    private Task<PowerShellRun> Start(string script, string? standardInput, Action<string> onStdoutLine, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(script);
        ArgumentNullException.ThrowIfNull(onStdoutLine);
        cancellationToken.ThrowIfCancellationRequested();
        // The engine invokes synchronously; batches the engine starts in parallel run on their own threads.
        return Task.Factory.StartNew(() => Run(script, standardInput, onStdoutLine, cancellationToken), cancellationToken,
            TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    private PowerShellRun Run(string script, string? standardInput, Action<string> onStdoutLine, CancellationToken cancellationToken)
    {
        var scriptPath = Path.Combine(_tempDirectory, $"labrunner-{Guid.NewGuid():N}.ps1");
        File.WriteAllText(scriptPath, script, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
        // One script's changes are written to the host file once, as the simulated provider writes one batch;
        // a host that cannot be locked is left for the cmdlets to report, change by change.
        IDisposable? batch = null;
        try
        {
            batch = _host.OpenBatch();
        }
        catch (HostUnavailableException)
        {
        }
        using var hostBatch = batch;
        try
        {
            Runspace runspace;
            try
            {
                runspace = RunspaceFactory.CreateRunspace(EmulatedHost.CreateSessionState(_host, _guests));
                // With standard input the script must run on this thread, the one its input is routed to.
                if (standardInput is not null) runspace.ThreadOptions = PSThreadOptions.UseCurrentThread;
                runspace.Open();
            }
            catch (Exception e) when (e is RuntimeException or InvalidOperationException or IOException)
            {
                throw new PowerShellStartException(Executable, e);
            }
            Interlocked.Increment(ref _processesStarted);

            using (runspace)
            using (var shell = PowerShell.Create(runspace))
            {
                var stderr = new StringBuilder();
                void Stderr(string text)
                {
                    if (stderr.Length < MaxStandardErrorChars) stderr.Append(text).Append('\n');
                }

                var output = new PSDataCollection<PSObject?>();
                output.DataAdded += (_, e) => WriteLines(output[e.Index], onStdoutLine);
                shell.Streams.Warning.DataAdded += (_, e) => onStdoutLine("WARNING: " + shell.Streams.Warning[e.Index].Message);
                shell.Streams.Error.DataAdded += (_, e) => Stderr(ErrorView(shell.Streams.Error[e.Index]));

                // -File parses the whole file before running any of it: a parse error runs nothing and exits 1.
                System.Management.Automation.Language.Parser.ParseInput(script, scriptPath, out _, out var parseErrors);
                if (parseErrors.Length > 0)
                {
                    foreach (var parseError in parseErrors)
                        Stderr($"{parseError.Extent.File}:{parseError.Extent.StartLineNumber} char:{parseError.Extent.StartColumnNumber}\n{parseError.Message}\n    + FullyQualifiedErrorId : {parseError.ErrorId}");
                    return new PowerShellRun(1, stderr.ToString());
                }

                runspace.SessionStateProxy.SetVariable("LASTEXITCODE", 0);
                shell.AddScript("param($labrunnerScriptPath) & $labrunnerScriptPath").AddParameter("labrunnerScriptPath", scriptPath);

                int exitCode;
                using (cancellationToken.Register(() => shell.BeginStop(null, null)))
                using (StandardInput.Route(standardInput ?? ""))
                {
                    try
                    {
                        shell.Invoke(null, output);
                        exitCode = runspace.SessionStateProxy.GetVariable("LASTEXITCODE") is int code ? code : 0;
                    }
                    catch (RuntimeException e) when (!cancellationToken.IsCancellationRequested)
                    {
                        // An error that nothing trapped ends the script: exit code 1, the error on stderr.
                        Stderr(ErrorView(e.ErrorRecord));
                        exitCode = 1;
                    }
                    catch (RuntimeException) when (cancellationToken.IsCancellationRequested)
                    {
                        // Stopped (PipelineStoppedException): reported below as the cancellation it is.
                        exitCode = -1;
                    }
                }
                cancellationToken.ThrowIfCancellationRequested();
                return new PowerShellRun(exitCode, stderr.ToString());
            }
        }
        finally
        {
            try
            {
                File.Delete(scriptPath);
            }
            catch (IOException)
            {
                // The temp folder is cleaned by the OS.
            }
        }
    }

    private static void WriteLines(PSObject? item, Action<string> onStdoutLine)
    {
        if (item is null) return;
        var text = item.BaseObject as string ?? LanguagePrimitives.ConvertTo<string>(item) ?? "";
        foreach (var line in text.Split('\n'))
            onStdoutLine(line.TrimEnd('\r'));
    }

    /// <summary>An error as PowerShell's NormalView prints it to stderr.</summary>
    private static string ErrorView(ErrorRecord error)
    {
        var sb = new StringBuilder();
        var command = error.InvocationInfo?.MyCommand?.Name;
        if (!string.IsNullOrEmpty(command)) sb.Append(command).Append(" : ");
        sb.Append(error.ErrorDetails?.Message ?? error.Exception?.Message ?? error.ToString());
        var position = error.InvocationInfo?.PositionMessage;
        if (!string.IsNullOrEmpty(position)) sb.Append('\n').Append(position);
        sb.Append('\n').Append(string.Create(CultureInfo.InvariantCulture, $"    + CategoryInfo          : {error.CategoryInfo}"));
        sb.Append('\n').Append(string.Create(CultureInfo.InvariantCulture, $"    + FullyQualifiedErrorId : {error.FullyQualifiedErrorId}"));
        return sb.ToString();
    }
}

/// <summary>
/// <c>[Console]::In</c> per thread: a script run by <see cref="InProcessPowerShellRunner"/> reads the standard input
/// its run was given, as a process would, while runs on other threads read theirs. Installed once with
/// <see cref="Console.SetIn"/>; a thread with no route reads nothing (end of input), as a process whose input is closed.
/// </summary>
internal sealed class StandardInput : TextReader
{
    private static readonly Lazy<bool> Installed = new(() =>
    {
        Console.SetIn(new StandardInput());
        return true;
    });

    [ThreadStatic]
    private static TextReader? _current;

    public static IDisposable Route(string input)
    {
        _ = Installed.Value;
        var previous = _current;
        _current = new StringReader(input);
        return new Restore(previous);
    }

    private static TextReader Current => _current ?? TextReader.Null;

    public override int Peek() => Current.Peek();

    public override int Read() => Current.Read();

    public override int Read(char[] buffer, int index, int count) => Current.Read(buffer, index, count);

    public override string? ReadLine() => Current.ReadLine();

    public override string ReadToEnd() => Current.ReadToEnd();

    private sealed class Restore(TextReader? previous) : IDisposable
    {
        public void Dispose() => _current = previous;
    }
}
