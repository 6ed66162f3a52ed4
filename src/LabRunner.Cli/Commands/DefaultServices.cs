using LabRunner.Engine;
using LabRunner.Guest;

namespace LabRunner.Cli.Commands;

/// <summary>The real composition: Hyper-V on Windows or the simulated host; seeds from the project's templates.</summary>
public static class DefaultServices
{
    public static Services Create() => new()
    {
        Host = (option, project, env) =>
        {
            var name = HostSelection.Resolve(option, env);
            throw new UsageException($"the {name} provider is not part of this build yet");
        },
        Seeds = (project, env) => new SeedBuilder(
            new GuestConfigRenderer(new ProjectTemplateSource(project.ProjectDirectory)),
            ProjectSecrets.ForSeeds(project.StateDirectory, LabName(project), env.GetVariable, prompt: null)),
    };

    /// <summary>The lab name for the SSH key's comment; the key is made only once a valid Labfile is being brought up.</summary>
    private static string LabName(LabProject project) => project.Load().Lab?.Name ?? "lab";
}
