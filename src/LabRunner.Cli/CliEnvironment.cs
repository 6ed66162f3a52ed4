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
        return new CliEnvironment(console, Console.Error, Directory.GetCurrentDirectory(), Environment.GetEnvironmentVariable);
    }
}
