using LabRunner.Core.Hosting;
using LabRunner.Engine;

namespace LabRunner.Cli.Commands;

/// <summary>Which host a command works on: Hyper-V on this Windows machine, or the simulated host.</summary>
public sealed record HostSelection(IHostProvider Provider, string LockPath, Func<OperationBatch, string?> Preview)
{
    public const string ProviderVariable = "LABRUNNER_PROVIDER";
    public const string HyperV = "hyperv";
    public const string Simulated = "simulated";

    public static string Resolve(string? option, CliEnvironment env)
    {
        var name = option ?? env.GetVariable(ProviderVariable);
        if (string.IsNullOrEmpty(name))
        {
            if (OperatingSystem.IsWindows()) return HyperV;
            throw new UsageException($"Hyper-V runs only on Windows. To see what 'lab' would do here, use the simulated host: --provider {Simulated} (or {ProviderVariable}={Simulated})");
        }
        return name.ToLowerInvariant() switch
        {
            HyperV or Simulated => name.ToLowerInvariant(),
            _ => throw new UsageException($"unknown provider '{name}'; use {HyperV} or {Simulated}"),
        };
    }
}
