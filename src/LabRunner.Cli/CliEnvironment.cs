using Spectre.Console;

namespace LabRunner.Cli;

/// <summary>
/// Everything a command touches outside the process: output, the working directory and environment
/// variables. Commands never use <see cref="Console"/> or <see cref="Environment"/> directly, so tests
/// run them in-process and read exactly what a user would see.
/// </summary>
public sealed record CliEnvironment(
    IAnsiConsole Out,
    TextWriter Error,
    string WorkingDirectory,
    Func<string, string?> GetVariable)
{
    /// <summary>Asks for a secret without echoing it; null when nobody is at a terminal to answer.</summary>
    public Func<string, string?>? ReadSecret { get; init; }

    /// <summary>The one --json document of a run (each <c>LabApp.RunAsync</c> starts a new one).</summary>
    public Rendering.JsonDocumentGate JsonDocument { get; init; } = new();

    /// <summary>The trace of this run's host calls: <c>--verbose</c> and the transcript in <c>.lab/logs/</c> (each <c>LabApp.RunAsync</c> starts a new one).</summary>
    public HostCommon.Tracing.HostTrace Trace { get; init; } = new(TimeProvider.System, _ => { });

    /// <summary>What a provider's factory and default probe read: this command line's variables and working folder, and the run's trace.</summary>
    public Core.Providers.ProviderEnvironment ForProviders => new(GetVariable, WorkingDirectory) { Trace = Trace };

    /// <summary>Plain standard output for JSON and one-line messages: no wrapping, no markup.</summary>
    public TextWriter Stdout => Out.Profile.Out.Writer;

    public static CliEnvironment FromProcess()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Console.Out),
            // Redirected output (a file, a pipe, CI logs) gets plain text with no colour codes.
            Ansi = Console.IsOutputRedirected ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = Console.IsOutputRedirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            Interactive = Console.IsOutputRedirected ? InteractionSupport.No : InteractionSupport.Detect,
        });
        // Logs and pipes have no width; a wide one keeps MACs and IPs on one line in tables.
        if (Console.IsOutputRedirected) console.Profile.Width = 200;
        return new CliEnvironment(console, Console.Error, Directory.GetCurrentDirectory(), Environment.GetEnvironmentVariable)
        {
            ReadSecret = Console.IsInputRedirected || Console.IsErrorRedirected ? null : AskSecret,
        };
    }

    private static string? AskSecret(string question)
    {
        // On stderr, so that stdout stays clean for --json; the answer is masked and never echoed.
        var prompt = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        return prompt.Prompt(new TextPrompt<string>(question).Secret().AllowEmpty());
    }
}
