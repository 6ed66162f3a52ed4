using System.Diagnostics;

namespace LabRunner.Cli.Commands;

/// <summary>Starts a program found on PATH with an argument vector (never a command line) and the caller's own terminal.</summary>
public static class ProcessExec
{
    public static async Task<int> RunAsync(string program, IReadOnlyList<string> arguments, CliEnvironment env, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(env);
        var path = Find(program, env.GetVariable("PATH"))
            ?? throw new UsageException($"'{program}' was not found on PATH; install the OpenSSH client (apt-get install openssh-client, or Windows' optional feature OpenSSH Client)");
        // Not redirected: the child writes to this process's stdout and stderr, byte for byte, and reads its terminal.
        var start = StartInfo(path, arguments, env);
        Process? started;
        try
        {
            started = Process.Start(start);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            // Found but not startable: not executable, not a program, no permission.
            throw new UsageException($"'{path}' could not be started: {e.Message}");
        }
        using var process = started ?? throw new UsageException($"'{path}' could not be started");
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C reached ssh too (same terminal); it ends its session itself. Wait for it a little.
            if (!process.WaitForExit(TimeSpan.FromSeconds(5))) process.Kill();
            throw;
        }
        return process.ExitCode;
    }

    /// <summary>
    /// Starts a program found on PATH and does not wait for it (the shared SSH connection 'up' opens): its input is closed
    /// at once and its output is not read. Returns false when the program is not there or cannot start.
    /// </summary>
    public static bool Start(string program, IReadOnlyList<string> arguments, CliEnvironment env)
    {
        ArgumentNullException.ThrowIfNull(env);
        if (Find(program, env.GetVariable("PATH")) is not { } path) return false;
        var start = StartInfo(path, arguments, env);
        start.RedirectStandardInput = start.RedirectStandardOutput = start.RedirectStandardError = true;
        try
        {
            using var process = Process.Start(start);
            process?.StandardInput.Close();
            return process is not null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    /// <summary>The program at <paramref name="path"/> with an argument vector, started in the CLI's working folder.</summary>
    private static ProcessStartInfo StartInfo(string path, IReadOnlyList<string> arguments, CliEnvironment env)
    {
        var start = new ProcessStartInfo(path) { UseShellExecute = false, WorkingDirectory = env.WorkingDirectory };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        return start;
    }

    private static string? Find(string program, string? pathVariable)
    {
        if (Path.IsPathRooted(program)) return File.Exists(program) ? program : null;
        var names = OperatingSystem.IsWindows() ? [program + ".exe", program] : new[] { program };
        foreach (var directory in (pathVariable ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            foreach (var name in names)
            {
                var candidate = Path.Combine(directory, name);
                if (File.Exists(candidate)) return candidate;
            }
        return null;
    }
}
