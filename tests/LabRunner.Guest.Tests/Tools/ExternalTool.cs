using System.Diagnostics;

namespace LabRunner.Guest.Tests.Tools;

/// <summary>What a finished tool run printed and returned.</summary>
public sealed record ToolResult(int ExitCode, string StdOut, string StdErr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{StdOut}\n--- stderr\n{StdErr}";
}

/// <summary>
/// Runs the real consumers of what LabRunner writes (cloud-init, ssh-keygen, xorriso, …), so tests
/// check output with the tools that will read it rather than with our own idea of the format.
/// </summary>
public static class ExternalTool
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>The Debian package that provides each tool, for the message when it is missing.</summary>
    private static readonly Dictionary<string, string> Packages = new(StringComparer.Ordinal)
    {
        ["cloud-init"] = "cloud-init",
        ["ssh-keygen"] = "openssh-client",
        ["xorriso"] = "xorriso",
        ["blkid"] = "util-linux",
        ["isoinfo"] = "genisoimage",
        ["python3"] = "python3",
    };

    public static string PackageOf(string tool) => Packages.GetValueOrDefault(tool, tool);

    public static bool IsInstalled(string tool) => FindOnPath(tool) is not null;

    /// <summary>
    /// Runs <paramref name="tool"/> with <paramref name="args"/> (passed as separate arguments, never
    /// through a shell) and waits up to 60 seconds. Throws when the tool is not installed, naming the
    /// apt package, and when it does not finish in time.
    /// </summary>
    public static ToolResult Run(string tool, params string[] args)
    {
        var path = FindOnPath(tool) ?? throw new InvalidOperationException(
            $"'{tool}' is not installed (not found on PATH). Install it with: apt-get install -y {PackageOf(tool)}");
        var start = new ProcessStartInfo(path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start '{tool}'");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"'{tool} {string.Join(' ', args)}' did not finish within {Timeout.TotalSeconds} s");
        }
        process.WaitForExit();
        return new ToolResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    private static string? FindOnPath(string tool)
    {
        if (tool.Contains('/')) return File.Exists(tool) ? tool : null;
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, tool);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}
