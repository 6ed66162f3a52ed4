using LabRunner.HostCommon.Running;

namespace LabRunner.Tests.Shared;

/// <summary>
/// The Linux tools the live tests use, and whether this run may use them. Same rule as the Guest tests'
/// ExternalTool: a missing tool skips a test on a developer machine (with the apt package to install) and
/// fails it on CI (<c>CI</c> set), never a silent skip there.
/// </summary>
public static class HostTools
{
    private static readonly Dictionary<string, string> AptPackages = new(StringComparer.Ordinal)
    {
        ["qemu-img"] = "qemu-utils",
        ["qemu-system-x86_64"] = "qemu-system-x86",
        ["nft"] = "nftables",
        ["ip"] = "iproute2",
        ["sysctl"] = "procps",
    };

    public static bool IsCi => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"));

    public static bool IsRoot => !OperatingSystem.IsWindows() && Environment.UserName == "root";

    public static string? Find(string tool)
    {
        if (OperatingSystem.IsWindows()) return null;
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var directory in path.Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(["/usr/sbin", "/sbin"]))
        {
            var candidate = Path.Combine(directory, tool);
            if (File.Exists(candidate) && (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0)
                return candidate;
        }
        return null;
    }

    public static string MissingMessage(string tool) =>
        $"'{tool}' is not installed; install it with: apt-get install -y {AptPackages.GetValueOrDefault(tool, tool)}";

    /// <summary>The reason a test needing <paramref name="tools"/> (and root, when <paramref name="needsRoot"/>) cannot run here; null when it can.</summary>
    public static string? WhyNot(bool needsRoot, IEnumerable<string> tools)
    {
        if (OperatingSystem.IsWindows()) return "Needs a Linux host.";
        var reasons = tools.Where(t => Find(t) is null).Select(MissingMessage).ToList();
        if (needsRoot && !IsRoot) reasons.Insert(0, "needs root (CAP_NET_ADMIN to create a network namespace, bridge, tap and nft table)");
        return reasons.Count == 0 ? null : string.Join("; ", reasons);
    }

    /// <summary>Fails the test (the CI case) when it cannot run here; call first in every live test.</summary>
    public static void Require(bool needsRoot, params string[] tools)
    {
        var why = WhyNot(needsRoot, tools);
        if (why is not null) throw new Xunit.Sdk.XunitException(why);
    }

    public static readonly CliWrapHostCommandRunner Runner = new();

    /// <summary>Runs a tool and fails the test with its stderr unless it exits 0.</summary>
    public static async Task<HostCommandResult> RunAsync(string executable, params string[] arguments)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var command = new HostCommand(executable, arguments);
        var result = await Runner.RunAsync(command, timeout.Token);
        if (!result.Succeeded)
            throw new Xunit.Sdk.XunitException($"{command} exited {result.ExitCode}.\nstderr:\n{result.StandardError}\nstdout:\n{result.StandardOutput}");
        return result;
    }
}

/// <summary>
/// A fact that needs Linux tools: skipped with the package to install when one is missing and <c>CI</c>
/// is unset; on CI it runs and fails in <see cref="HostTools.Require"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class ToolFactAttribute : FactAttribute
{
    public ToolFactAttribute(params string[] tools)
    {
        if (OperatingSystem.IsWindows()) { Skip = "Needs Linux tools."; return; }
        if (HostTools.IsCi) return;
        Skip = HostTools.WhyNot(needsRoot: false, tools);
    }
}

/// <summary>
/// A fact that changes network state, always inside a namespace it creates: needs root, ip and nft (and
/// any named tool). Skipped off CI when it cannot run; on CI it runs and fails.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class LiveNetworkFactAttribute : FactAttribute
{
    public LiveNetworkFactAttribute(params string[] tools)
    {
        if (OperatingSystem.IsWindows()) { Skip = "Needs a Linux host."; return; }
        if (HostTools.IsCi) return;
        Skip = HostTools.WhyNot(needsRoot: true, ["ip", "nft", .. tools]);
    }
}

/// <summary>The <see cref="TheoryAttribute"/> twin of <see cref="ToolFactAttribute"/>.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class ToolTheoryAttribute : TheoryAttribute
{
    public ToolTheoryAttribute(params string[] tools)
    {
        if (OperatingSystem.IsWindows()) { Skip = "Needs Linux tools."; return; }
        if (HostTools.IsCi) return;
        Skip = HostTools.WhyNot(needsRoot: false, tools);
    }
}
