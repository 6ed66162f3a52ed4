using LabRunner.Core.Providers;
using LabRunner.Engine;

namespace LabRunner.Cli.Commands;

/// <summary>
/// The composition root's choices, replaceable in tests: the providers, how a host is reached and how seeds are built.
/// </summary>
public sealed class Services
{
    /// <summary>The providers <c>--provider</c> chooses from, which help lists and the box store serves.</summary>
    public ProviderCatalog Providers { get; init; } = DefaultServices.Providers;

    /// <summary>
    /// How a host command reaches its host (given <c>--provider</c>, the project and the environment); by default the
    /// provider <see cref="Providers"/> resolves opens it. Tests put a fake host here.
    /// </summary>
    public Func<string?, LabProject, CliEnvironment, ProviderHost>? Host { get; init; }

    public required Func<LabProject, CliEnvironment, SeedBuilder> Seeds { get; init; }

    /// <summary>How LabRunner itself logs in to guests (readiness, provisioners).</summary>
    public Engine.Guests.IGuestConnector GuestConnector { get; init; } = new Engine.Guests.SshNetConnector();

    /// <summary>The clock guest waits run on.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Runs a program (the system's ssh) with this process's terminal and standard streams; returns its exit code.</summary>
    public Func<string, IReadOnlyList<string>, CliEnvironment, CancellationToken, Task<int>> Exec { get; init; } = ProcessExec.RunAsync;

    /// <summary>
    /// Starts a program without waiting for it (the system's ssh as the shared connection to a guest, opened while 'up'
    /// waits); false when it could not start. Null (the default outside <see cref="DefaultServices.Create"/>): no shared
    /// connection is opened while waiting, so a test's fake guests never meet a real ssh.
    /// </summary>
    public Func<string, IReadOnlyList<string>, CliEnvironment, bool>? Start { get; init; }

    /// <summary>What every host command starts with: the project, the host it targets, and an engine over both.</summary>
    public (LabProject Project, ProviderHost Host, LabEngine Engine) Open(System.CommandLine.ParseResult parse, GlobalOptions global, CliEnvironment env, bool quiet)
    {
        ArgumentNullException.ThrowIfNull(global);
        ArgumentNullException.ThrowIfNull(env);
        var project = LabBoxes.Open(parse, global, env);
        // '--what-if' writes nothing at all, not even a transcript of what it reads ('--verbose' still shows it).
        if (!parse.Tokens.Any(t => t.Type == System.CommandLine.Parsing.TokenType.Option && t.Value is "--what-if" or "--dry-run"))
            env.Trace.KeepTranscript(Path.Combine(project.StateDirectory, "logs"), OptionValues.CommandName(parse.CommandResult), () => StateFolder.Create(project.StateDirectory));
        var host = OpenHost(parse.GetValue(global.Provider), project, env);
        var engine = new LabEngine(project, host.Provider, host.LockPath, Seeds(project, env), new Rendering.ConsoleReporter(env, quiet));
        return (project, host, engine);
    }

    /// <summary>The host a provider name (or, with none, the default here) stands for: the composition's own, or the catalog's.</summary>
    public ProviderHost OpenHost(string? provider, LabProject project, CliEnvironment env)
    {
        ArgumentNullException.ThrowIfNull(env);
        return Host is { } open ? open(provider, project, env) : Providers.Resolve(provider, env.ForProviders).Open(env.ForProviders);
    }
}
