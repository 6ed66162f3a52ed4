namespace LabRunner.Cli.Tests;

/// <summary>Labfiles a new user writes first (issue 14.12): the same mistake gives the same exit code and message.</summary>
public sealed class LabfileEdgesTests : IDisposable
{
    private readonly TempProject _project = new();

    public void Dispose() => _project.Dispose();

    [Theory]
    [InlineData("")]
    [InlineData("# only a comment\n")]
    [InlineData("\n\n   \n")]
    public async Task An_empty_Labfile_and_one_of_only_comments_are_the_same_invalid_Labfile(string text)
    {
        _project.With("Labfile.yml", text);

        var result = await Lab.RunAsync(_project.Root, "validate");

        Assert.True(result.ExitCode == ExitCodes.InvalidLabfile, result.ToString());
        Assert.StartsWith("Labfile.yml:1:1: error LAB008: the Labfile is empty (or holds only comments); it needs at least 'name', and 'vms' for any VM",
            result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_Labfile_with_a_name_and_no_VMs_is_valid_as_the_messages_say()
    {
        _project.With("Labfile.yml", "name: x\n");

        var result = await Lab.RunAsync(_project.Root, "validate");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("is valid: 0 VMs", result.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("vms:\n  - { name: web-{n}, box: ubuntu }\n")]
    [InlineData("vms: [ web-{n} ]\n")]
    public async Task A_brace_in_a_flow_value_says_to_quote_it(string vms)
    {
        _project.With("Labfile.yml", "name: x\n" + vms);

        var result = await Lab.RunAsync(_project.Root, "validate");

        Assert.True(result.ExitCode == ExitCodes.InvalidLabfile, result.ToString());
        Assert.Contains("error LAB001: malformed YAML:", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("must be quoted, e.g. { name: \"web-{n}\" }", result.Stderr, StringComparison.Ordinal);
    }
}
