namespace LabRunner.Cli.Tests;

/// <summary>Tests that cannot fail are no tests: the shared helpers keep the rules every test project follows.</summary>
public sealed class TestHygieneTests
{
    [Fact]
    public void Every_golden_file_is_rewritten_only_through_the_shared_switch_that_CI_refuses()
    {
        var tests = Path.Combine(Repo.Root(), "tests");
        var shared = Path.Combine(tests, "Shared", "GoldenFiles.cs");

        var handRolled = Directory.EnumerateFiles(tests, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal) && f != shared)
            .Where(f => File.ReadAllText(f).Contains("\"LABRUNNER_UPDATE_GOLDEN\")", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(tests, f)).ToList();

        Assert.Empty(handRolled);
    }
}
