using LabRunner.Cli;
using LabRunner.Cli.Commands;
using Spectre.Console.Testing;

namespace LabRunner.Cli.Tests;

public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
}

/// <summary>Runs <c>lab</c> in-process with a captured console, a working folder and chosen environment variables.</summary>
internal static class Lab
{
    public static Task<CliResult> RunAsync(string workingDirectory, IReadOnlyDictionary<string, string>? variables, params string[] args) =>
        RunAsync(workingDirectory, variables, null, args);

    /// <summary>With <paramref name="services"/> replacing the real composition (a fake Hyper-V host).</summary>
    public static async Task<CliResult> RunAsync(string workingDirectory, IReadOnlyDictionary<string, string>? variables, Services? services, params string[] args)
    {
        var console = new TestConsole().Width(200);
        var error = new StringWriter();
        var env = new CliEnvironment(console, error, workingDirectory, name => variables?.GetValueOrDefault(name) ?? Default(name));
        var exit = await LabApp.RunAsync(args, env, services);
        return new CliResult(exit, console.Output, error.ToString());
    }

    public static Task<CliResult> RunAsync(string workingDirectory, params string[] args) => RunAsync(workingDirectory, null, args);

    /// <summary>
    /// The lab registry ('lab global-status') of this test run, unless a test names its own: 'lab up' in a test never
    /// records a lab in the user's registry.
    /// </summary>
    public static readonly string StateHome = RemovedAtExit(Path.Combine(Path.GetTempPath(), $"labrunner-tests-state-{Environment.ProcessId}"));

    /// <summary>The folder, removed when the test process ends (a test run leaves no registry behind).</summary>
    private static string RemovedAtExit(string folder)
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // Another process of the run still has it open: the OS's temp cleaning takes it.
            }
            catch (UnauthorizedAccessException)
            {
            }
        };
        return folder;
    }

    private static string? Default(string name) => name switch
    {
        "XDG_STATE_HOME" when !OperatingSystem.IsWindows() => StateHome,
        "LOCALAPPDATA" when OperatingSystem.IsWindows() => StateHome,
        _ => null,
    };
}

/// <summary>A throw-away project folder.</summary>
internal sealed class TempProject : IDisposable
{
    public TempProject()
    {
        Root = Path.Combine(Path.GetTempPath(), "labrunner-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public TempProject With(string relativePath, string text)
    {
        var path = Path.Combine(Root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // Lone surrogates (fuzz input) become U+FFFD, as any editor would save them.
        File.WriteAllText(path, text, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        return this;
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
    }
}

internal static class Repo
{
    /// <summary>The repository root (the folder holding LabRunner.sln above the test binaries), so tests see the real example and schema.</summary>
    public static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "LabRunner.sln"))) return dir.FullName;
        throw new InvalidOperationException("LabRunner.sln not found above " + AppContext.BaseDirectory);
    }

    public static string TestsFolder() => Path.Combine(Root(), "tests", "LabRunner.Cli.Tests");

    public static string Labfile(string name) => File.ReadAllText(Path.Combine(TestsFolder(), "Labfiles", name));

    public static IEnumerable<string> ValidLabfileNames => Directory.EnumerateFiles(Path.Combine(TestsFolder(), "Labfiles"), "*.yml")
        .Select(p => Path.GetFileName(p)).Order(StringComparer.Ordinal);

    public static string Example => File.ReadAllText(Path.Combine(Root(), "Labfile.example.yml"));
}
