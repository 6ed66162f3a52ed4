using LabRunner.Core.Hosting;
using LabRunner.Engine;

namespace LabRunner.Cli.Commands;

/// <summary>Which host a command works on: Hyper-V on this Windows machine, QEMU on this Linux machine, or the simulated host.</summary>
public sealed record HostSelection(IHostProvider Provider, string LockPath, Func<OperationBatch, string?> Preview)
{
    public const string ProviderVariable = "LABRUNNER_PROVIDER";
    public const string HyperV = "hyperv";
    public const string Qemu = "qemu";
    public const string Simulated = "simulated";

    /// <summary>The heading of a batch's preview in <c>--what-if</c>.</summary>
    public Func<string, string> PreviewHeading { get; init; } = label => $"PowerShell for '{label}' (one process)";

    /// <summary>
    /// The provider named by <c>--provider</c> or <c>LABRUNNER_PROVIDER</c>; by default Hyper-V on Windows,
    /// and QEMU on Linux when <c>qemu-system-x86_64</c> is on the PATH.
    /// </summary>
    public static string Resolve(string? option, CliEnvironment env)
    {
        ArgumentNullException.ThrowIfNull(env);
        var name = option ?? env.GetVariable(ProviderVariable);
        if (string.IsNullOrEmpty(name))
        {
            if (OperatingSystem.IsWindows()) return HyperV;
            if (OperatingSystem.IsLinux() && OnPath("qemu-system-x86_64", env.GetVariable("PATH"))) return Qemu;
            throw new UsageException($"Hyper-V runs only on Windows, and QEMU is not installed here (apt-get install -y qemu-system-x86 qemu-utils ovmf for --provider {Qemu}). " +
                $"To see what 'lab' would do here, use the simulated host: --provider {Simulated} (or {ProviderVariable}={Simulated})");
        }
        return name.ToLowerInvariant() switch
        {
            HyperV or Qemu or Simulated => name.ToLowerInvariant(),
            _ => throw new UsageException($"unknown provider '{name}'; use {HyperV}, {Qemu} or {Simulated}"),
        };
    }

    private static bool OnPath(string tool, string? path) =>
        (path ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Any(d => File.Exists(Path.Combine(d, tool)));
}
