using System.Collections.Concurrent;
using System.Diagnostics;

namespace LabRunner.RealGuests.Tests.Support;

public sealed record ProcResult(int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed)
{
    public bool Succeeded => ExitCode == 0;

    public override string ToString() => $"exit {ExitCode} after {Elapsed.TotalSeconds:0.0} s\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
}

/// <summary>
/// Runs a program with an argument vector (never a shell string), captures its output, and kills it (and its
/// children) when it outlives its timeout.
/// </summary>
public static class Proc
{
    public static ProcessStartInfo StartInfo(string executable, IEnumerable<string> arguments, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (workingDirectory is not null) start.WorkingDirectory = workingDirectory;
        foreach (var a in arguments) start.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) start.Environment[k] = v;
        return start;
    }

    public static async Task<ProcResult> RunAsync(string executable, IEnumerable<string> arguments, TimeSpan timeout,
        string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null, string? stdin = null)
    {
        var watch = Stopwatch.StartNew();
        using var process = new Process { StartInfo = StartInfo(executable, arguments, workingDirectory, environment) };
        process.Start();
        // Whole streams, not lines: what a program prints is compared byte for byte (no newline added or lost).
        var stdoutRead = process.StandardOutput.ReadToEndAsync();
        var stderrRead = process.StandardError.ReadToEndAsync();
        if (stdin is not null) await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"{Describe(executable, arguments)} did not finish within {timeout.TotalSeconds:0} s.\n--- stdout ---\n{await DrainAsync(stdoutRead)}\n--- stderr ---\n{await DrainAsync(stderrRead)}");
        }
        return new ProcResult(process.ExitCode, await stdoutRead, await stderrRead, watch.Elapsed);
    }

    /// <summary>What a killed program printed; a grandchild may still hold the pipe, so not waiting for ever.</summary>
    private static async Task<string> DrainAsync(Task<string> read)
    {
        try
        {
            return await read.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
            return "(the output is still held open by another process)";
        }
    }

    /// <summary>Runs and fails the test unless the program exits 0.</summary>
    public static async Task<ProcResult> CheckedAsync(string executable, IEnumerable<string> arguments, TimeSpan? timeout = null, string? stdin = null)
    {
        var args = arguments.ToArray();
        var result = await RunAsync(executable, args, timeout ?? TimeSpan.FromMinutes(2), stdin: stdin);
        if (!result.Succeeded)
            throw new Xunit.Sdk.XunitException($"{Describe(executable, args)}: {result}");
        return result;
    }

    /// <summary>Starts a long-running program whose output lines are collected as they come.</summary>
    public static RunningProc Start(string executable, IEnumerable<string> arguments, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var process = new Process { StartInfo = StartInfo(executable, arguments, workingDirectory, environment) };
        var running = new RunningProc(process);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) running.Stdout.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) running.Stderr.Enqueue(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
        return running;
    }

    public static string Describe(string executable, IEnumerable<string> arguments) =>
        string.Join(' ', new[] { executable }.Concat(arguments).Select(a => a.Length > 0 && a.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=@,+".Contains(c)) ? a : $"'{a.Replace("'", "'\\''")}'"));
}

/// <summary>A started process and the lines it has printed so far.</summary>
public sealed class RunningProc(Process process) : IDisposable
{
    public Process Process { get; } = process;
    public ConcurrentQueue<string> Stdout { get; } = new();
    public ConcurrentQueue<string> Stderr { get; } = new();

    public int Pid => Process.Id;

    public bool HasExited => Process.HasExited;

    /// <summary>SIGKILL to this process alone: the fault a crash or an OOM kill makes.</summary>
    public void KillHard()
    {
        if (!Process.HasExited) Process.Kill(entireProcessTree: false);
    }

    public void Dispose()
    {
        try
        {
            if (!Process.HasExited) Process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        Process.Dispose();
    }
}
