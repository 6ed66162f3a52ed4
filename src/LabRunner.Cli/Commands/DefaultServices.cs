using LabRunner.Core.Hosting;
using LabRunner.Engine;
using LabRunner.Guest;
using LabRunner.Providers.HyperV;
using LabRunner.Providers.HyperV.Scripting;
using LabRunner.Providers.Qemu;
using LabRunner.Simulation;

namespace LabRunner.Cli.Commands;

/// <summary>The real composition: Hyper-V on Windows, QEMU on Linux, or the simulated host; seeds from the project's templates.</summary>
public static class DefaultServices
{
    public static Services Create() => new()
    {
        Host = (option, project, env) => HostFor(HostSelection.Resolve(option, env), env),
        Seeds = (project, env) => Seeds(project, env, save: true, preview: Seeds(project, env, save: false, preview: null)),
    };

    /// <summary>Seeds from the project's templates; without <paramref name="save"/> (--what-if) no key is written.</summary>
    private static SeedBuilder Seeds(LabProject project, CliEnvironment env, bool save, SeedBuilder? preview) => new(
        new GuestConfigRenderer(new ProjectTemplateSource(project.ProjectDirectory)),
        ProjectSecrets.ForSeeds(project.StateDirectory, env.GetVariable,
            env.ReadSecret is { } ask ? () => ask($"Administrator password for the lab's Windows VMs ({ProjectSecrets.AdminPasswordVariable} is not set):") : null, save),
        () => ProjectSecrets.SeedNameKey(project.StateDirectory, save)) { Preview = preview };

    private static HostSelection HostFor(string provider, CliEnvironment env)
    {
        if (provider == HostSelection.Simulated)
        {
            var path = env.GetVariable(SimulatedHost.PathVariable) is { Length: > 0 } p
                ? Path.GetFullPath(p, env.WorkingDirectory)
                : SimulatedHost.DefaultFilePath();
            var host = new SimulatedHost(path);
            if (env.GetVariable(SimulatedHost.FailAtVariable) is { Length: > 0 } failAt)
                host.FailAtOperation = int.TryParse(failAt, System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0
                    ? n
                    : throw new UsageException($"{SimulatedHost.FailAtVariable}='{failAt}' is not a positive whole number");
            // The engine's lock is separate from the simulated host's own per-operation lock file.
            return new HostSelection(new SimulatedProvider(host) { Trace = env.Trace }, path + ".engine.lock", Preview);
        }
        if (provider == HostSelection.Qemu)
        {
            if (!OperatingSystem.IsLinux())
                throw new UsageException("the qemu provider needs Linux with QEMU; use --provider hyperv on Windows or --provider simulated");
            // A value that names no accelerator is a usage error before anything is read, not a warning in the host's description.
            if (Providers.Qemu.Acceleration.AcceleratorPolicy.OverrideError(env.GetVariable(Providers.Qemu.Acceleration.AcceleratorPolicy.OverrideVariable)) is { } accelError)
                throw new UsageException(accelError);
            // The engine's lock is per network namespace in a fixed folder (/run/labrunner), whatever registry LABRUNNER_QEMU_STATE names.
            var qemu = QemuProvider.ForLocalHost(env.GetVariable, env.Trace);
            return new HostSelection(qemu, qemu.LockPath, qemu.Preview) { PreviewHeading = label => $"commands for '{label}' (argument vectors; nothing is run through a shell)" };
        }
        if (!OperatingSystem.IsWindows())
            throw new UsageException("the hyperv provider needs Windows with Hyper-V; use --provider qemu or --provider simulated on this machine");
        var programData = Environment.GetFolderPath(Environment.SpecialFolder.CommonApplicationData);
        return new HostSelection(HyperVProvider.ForLocalHost(trace: env.Trace), Path.Combine(programData, "LabRunner", "host.lock"), Preview);
    }

    /// <summary>The PowerShell the Hyper-V provider would run for a batch — also shown for the simulated host.</summary>
    /// <exception cref="InvalidOperationException">
    /// The Hyper-V provider would refuse the batch. Validation refuses every Labfile value that could cause
    /// this (LAB101 for adapter names), so reaching it is a bug: --what-if must not print it and exit 0.
    /// </exception>
    internal static string? Preview(OperationBatch batch)
    {
        try
        {
            return HyperVScript.Render(batch);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidOperationException($"The batch '{batch.Label}' cannot be rendered for Hyper-V: {ex.Message}", ex);
        }
    }
}
