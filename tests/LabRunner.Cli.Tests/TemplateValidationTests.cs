namespace LabRunner.Cli.Tests;

/// <summary>Issue 14.9: 'validate' and 'plan' render every VM's templates, so a broken project template fails there (LAB6xx), not first in 'up'.</summary>
public sealed class TemplateValidationTests : IDisposable
{
    private const string Labfile = """
        name: tpl
        defaults: { box: ubuntu }
        networks:
          - { name: lan, type: private, subnet: 192.168.77.0/24 }
        vms:
          - { name: web, networks: [lan] }
        """;

    private const string Broken = """
        instance-id: {{ instance_id | yaml.quote }}
        local-hostname: {{ vm.hostnme | yaml.quote }}
        """;

    private readonly TempProject _project = new TempProject().With("Labfile.yml", Labfile).With("boxes/ubuntu.vhdx", "box");

    public void Dispose() => _project.Dispose();

    private Task<CliResult> Lab(params string[] args) =>
        Cli.Tests.Lab.RunAsync(_project.Root, new Dictionary<string, string> { ["LABRUNNER_PROVIDER"] = "simulated" }, args);

    [Theory]
    [InlineData("validate")]
    [InlineData("plan")]
    public async Task A_broken_project_template_fails_like_a_Labfile_error(string command)
    {
        _project.With("templates/cloud-init/meta-data", Broken);

        var result = await Lab(command);
        var json = await Lab(command, "--json");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains(Path.Combine("templates", "cloud-init", "meta-data"), result.Stderr, StringComparison.Ordinal);
        Assert.Contains("error LAB6", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(1, json.ExitCode);
        Assert.Contains("\"LAB6", json.Stdout, StringComparison.Ordinal);
        // Checking templates asks for no secret and writes no key: .lab/ is not made.
        Assert.False(Directory.Exists(Path.Combine(_project.Root, ".lab")));
    }

    [Theory]
    [InlineData("validate")]
    [InlineData("plan")]
    public async Task A_sound_project_template_passes(string command)
    {
        _project.With("templates/cloud-init/meta-data", Broken.Replace("hostnme", "hostname", StringComparison.Ordinal));

        var result = await Lab(command);

        Assert.True(result.ExitCode == 0, result.ToString());
    }
}
