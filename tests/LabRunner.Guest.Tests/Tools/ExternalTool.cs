using System.Diagnostics;
using System.Text;

namespace LabRunner.Guest.Tests.Tools;

/// <summary>What a tool run gave back. <see cref="StandardOutputBytes"/> is the raw output, for tools that print file contents.</summary>
public sealed record ToolResult(int ExitCode, string StandardOutput, string StandardError, byte[] StandardOutputBytes)
{
    /// <summary>Fails the test with the tool's stderr unless it exited 0; returns the result for chaining.</summary>
    public ToolResult EnsureSuccess(string what)
    {
        if (ExitCode != 0)
            throw new Xunit.Sdk.XunitException($"{what} exited {ExitCode}.\nstderr:\n{StandardError}\nstdout:\n{StandardOutput}");
        return this;
    }
}

/// <summary>
/// Runs external Linux tools from tests that check LabRunner's output against the real consumers.
/// <list type="bullet">
/// <item><see cref="Run"/> starts <c>tool</c> (looked up on PATH, plus /usr/sbin and /sbin where blkid lives)
/// with the given arguments, no shell, <c>LC_ALL=C.UTF-8</c>, and waits up to a minute. It returns exit
/// code, stdout and stderr; a non-zero exit is not an error (see <see cref="ToolResult.EnsureSuccess"/>).</item>
/// <item>A missing tool fails the test with the apt package to install (<see cref="AptPackageFor"/>).
/// Put the test under <see cref="ToolFactAttribute"/> to have it skipped instead when the tool is missing
/// and <c>CI</c> is unset (a developer machine); on CI a missing tool is a failure, never a silent skip.
/// On Windows, where these Linux tools do not exist, <see cref="ToolFactAttribute"/> always skips.</item>
/// </list>
/// </summary>
public static class ExternalTool
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(1);

    // Tools whose Debian package is not named after them; others are assumed to be their own package.
    private static readonly Dictionary<string, string> AptPackages = new(StringComparer.Ordinal)
    {
        ["isoinfo"] = "genisoimage",
        ["blkid"] = "util-linux",
        ["mount"] = "mount",
        ["ssh-keygen"] = "openssh-client",
        ["/usr/bin/python3"] = "cloud-init (which brings python3 and python3-yaml)",
    };

    /// <summary>The apt package that provides <paramref name="tool"/>, for messages.</summary>
    public static string AptPackageFor(string tool) => AptPackages.GetValueOrDefault(tool, tool);

    /// <summary>True when the test run is on CI (environment variable <c>CI</c> set and non-empty).</summary>
    public static bool IsCi => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"));

    /// <summary>The full path of <paramref name="tool"/>, or null when it is not installed.</summary>
    public static string? Find(string tool)
    {
        if (OperatingSystem.IsWindows()) return null;
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        var directories = path.Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(["/usr/sbin", "/sbin"]);
        foreach (var directory in directories)
        {
            var candidate = Path.Combine(directory, tool);
            if (File.Exists(candidate) && (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0)
                return candidate;
        }
        return null;
    }

    /// <summary>The message for a missing tool, naming the package to install.</summary>
    public static string MissingMessage(string tool) =>
        $"'{tool}' is not installed; install it with: apt-get install -y {AptPackageFor(tool)}";

    public static ToolResult Run(string tool, params string[] args)
    {
        var executable = Find(tool) ?? throw new Xunit.Sdk.XunitException(MissingMessage(tool));
        var startInfo = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args) startInfo.ArgumentList.Add(arg);
        startInfo.Environment["LC_ALL"] = "C.UTF-8";

        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start {tool}.");
        process.StandardInput.Close();
        // Read both pipes concurrently: a tool that fills one while we wait on the other would hang.
        using var stdout = new MemoryStream();
        var stdoutTask = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        var stderrTask = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new Xunit.Sdk.XunitException($"{tool} {string.Join(' ', args)} did not finish within {Timeout}.");
        }
        Task.WaitAll(stdoutTask, stderrTask);
        var bytes = stdout.ToArray();
        return new ToolResult(process.ExitCode, Encoding.UTF8.GetString(bytes), stderrTask.Result, bytes);
    }
}
