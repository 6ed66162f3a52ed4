namespace LabRunner.Cli.Tests;

/// <summary>
/// The help text is part of the interface: it is compared with files under Golden/. After an intended
/// change, regenerate them with <c>LABRUNNER_UPDATE_GOLDEN=1 dotnet test</c> and review the diff.
/// </summary>
public class HelpTests
{
    [Theory]
    [InlineData("help.txt", "--help")]
    [InlineData("help-validate.txt", "validate", "--help")]
    [InlineData("help-plan.txt", "plan", "-h")]
    [InlineData("help-up.txt", "up", "--help")]
    [InlineData("help-halt.txt", "halt", "--help")]
    [InlineData("help-reload.txt", "reload", "--help")]
    [InlineData("help-down.txt", "down", "--help")]
    [InlineData("help-status.txt", "status", "--help")]
    [InlineData("help-port.txt", "port", "--help")]
    [InlineData("help-seed.txt", "seed", "--help")]
    public async Task Help_matches_its_golden_file(string golden, params string[] args)
    {
        using var project = new TempProject();

        var result = await Lab.RunAsync(project.Root, args);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.Stderr);
        Golden.AssertMatches(golden, result.Stdout);
    }

    [Fact]
    public async Task Help_names_every_command_and_the_global_options()
    {
        using var project = new TempProject();

        var result = await Lab.RunAsync(project.Root, "--help");

        Assert.Contains("validate", result.Stdout);
        Assert.Contains("plan", result.Stdout);
        Assert.Contains("--file", result.Stdout);
        Assert.Contains("--json", result.Stdout);
    }
}

internal static class Golden
{
    public static void AssertMatches(string name, string actual)
    {
        var path = Path.Combine(Repo.TestsFolder(), "Golden", name);
        actual = actual.Replace("\r\n", "\n", StringComparison.Ordinal);
        if (Environment.GetEnvironmentVariable("LABRUNNER_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(path, actual);
            return;
        }
        Assert.True(File.Exists(path), $"{path} is missing; run with LABRUNNER_UPDATE_GOLDEN=1 to create it");
        Assert.Equal(File.ReadAllText(path), actual);
    }
}
