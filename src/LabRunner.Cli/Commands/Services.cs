using LabRunner.Engine;

namespace LabRunner.Cli.Commands;

/// <summary>
/// The composition root's choices, replaceable in tests: how a host is reached and how seeds are built.
/// </summary>
public sealed class Services
{
    public required Func<string?, LabProject, CliEnvironment, HostSelection> Host { get; init; }

    public required Func<LabProject, CliEnvironment, SeedBuilder> Seeds { get; init; }
}
