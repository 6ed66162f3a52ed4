using LabRunner.Core.Providers;
using LabRunner.Engine;
using LabRunner.Guest;
using LabRunner.Providers.HyperV;
using LabRunner.Providers.Qemu;
using LabRunner.Simulation;

namespace LabRunner.Cli.Commands;

/// <summary>The real composition: the providers LabRunner ships, and seeds from the project's templates.</summary>
public static class DefaultServices
{
    /// <summary>
    /// Every provider, in the order help lists them and their default is probed: the one place that names them. A new
    /// provider is its project plus one entry here.
    /// </summary>
    public static ProviderCatalog Providers { get; } = new(
    [
        HyperVProviderDescriptor.Instance,
        QemuProviderDescriptor.Instance,
        SimulatedProviderDescriptor.Instance,
    ]);

    /// <summary>The real services over <paramref name="providers"/> (tests add a provider of their own), by default <see cref="Providers"/>.</summary>
    public static Services Create(ProviderCatalog? providers = null) => new()
    {
        Providers = providers ?? Providers,
        Seeds = (project, env) => Seeds(project, env, save: true, preview: Seeds(project, env, save: false, preview: null)),
        Start = ProcessExec.Start,
    };

    /// <summary>Seeds from the project's templates; without <paramref name="save"/> (--what-if) no key is written.</summary>
    private static SeedBuilder Seeds(LabProject project, CliEnvironment env, bool save, SeedBuilder? preview) => new(
        new GuestConfigRenderer(new ProjectTemplateSource(project.ProjectDirectory)),
        Redacted(ProjectSecrets.ForSeeds(project.StateDirectory, env.GetVariable,
            env.ReadSecret is { } ask ? () => ask($"Administrator password for the lab's Windows VMs ({ProjectSecrets.AdminPasswordVariable} is not set):") : null, save), env),
        () => ProjectSecrets.SeedNameKey(project.StateDirectory, save)) { Preview = preview };

    /// <summary>The share account's password, once a seed has it, is one of the run's secrets: no transcript line or message shows it.</summary>
    private static Func<string, Core.Planning.VmPlan, Guest.GuestSecrets> Redacted(Func<string, Core.Planning.VmPlan, Guest.GuestSecrets> secrets, CliEnvironment env) => (lab, vm) =>
    {
        var result = secrets(lab, vm);
        if (result.Smb is { } smb) env.Trace.Secrets.Add(smb.Password);
        return result;
    };
}
