using LabRunner.Tests.Shared;
namespace LabRunner.Cli.Tests;

/// <summary>
/// The help text is part of the interface: it is compared with files under Golden/. After an intended
/// change, regenerate them with <c>LABRUNNER_UPDATE_GOLDEN=1 dotnet test</c> and review the diff.
/// </summary>
public class HelpTests
{
    [Theory]
    [InlineData("help.txt", "--help")]
    [InlineData("help-init.txt", "init", "--help")]
    [InlineData("help-validate.txt", "validate", "--help")]
    [InlineData("help-plan.txt", "plan", "-h")]
    [InlineData("help-up.txt", "up", "--help")]
    [InlineData("help-halt.txt", "halt", "--help")]
    [InlineData("help-reload.txt", "reload", "--help")]
    [InlineData("help-down.txt", "down", "--help")]
    [InlineData("help-status.txt", "status", "--help")]
    [InlineData("help-global-status.txt", "global-status", "--help")]
    [InlineData("help-port.txt", "port", "--help")]
    [InlineData("help-seed.txt", "seed", "--help")]
    [InlineData("help-box.txt", "box", "--help")]
    [InlineData("help-box-add.txt", "box", "add", "--help")]
    [InlineData("help-ssh.txt", "ssh", "--help")]
    [InlineData("help-completion.txt", "completion", "--help")]
    [InlineData("help-snapshot.txt", "snapshot", "--help")]
    [InlineData("help-snapshot-save.txt", "snapshot", "save", "--help")]
    [InlineData("help-snapshot-restore.txt", "snapshot", "restore", "--help")]
    [InlineData("help-snapshot-pop.txt", "snapshot", "pop", "--help")]
    [InlineData("help-sync.txt", "sync", "--help")]
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
        if (GoldenFiles.UpdateRequested())
        {
            File.WriteAllText(path, actual);
            return;
        }
        Assert.True(File.Exists(path), $"{path} is missing; run with LABRUNNER_UPDATE_GOLDEN=1 to create it");
        Assert.Equal(File.ReadAllText(path), actual);
    }
}

public class GoldenFilesTests
{
    [Fact]
    public void Updating_golden_files_is_an_error_when_CI_is_set()
    {
        var variables = new Dictionary<string, string> { [GoldenFiles.UpdateVariable] = "1", ["CI"] = "true" };

        var ex = Assert.Throws<InvalidOperationException>(() => GoldenFiles.UpdateRequested(variables.GetValueOrDefault));

        Assert.Contains("CI", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1", null, true)]
    [InlineData(null, "true", false)]
    [InlineData(null, null, false)]
    public void Golden_files_are_rewritten_only_when_asked_outside_CI(string? update, string? ci, bool expected)
    {
        var variables = new Dictionary<string, string?> { [GoldenFiles.UpdateVariable] = update, ["CI"] = ci };

        Assert.Equal(expected, GoldenFiles.UpdateRequested(name => variables.GetValueOrDefault(name)));
    }
}
