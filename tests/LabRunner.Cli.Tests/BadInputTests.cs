namespace LabRunner.Cli.Tests;

/// <summary>What a user typing the wrong thing sees: one line saying what is wrong, and exit code 2.</summary>
public sealed class BadInputTests : IDisposable
{
    private const string Labfile = """
        name: shop
        defaults: { box: ubuntu, memory: 1GB }
        networks:
          - { name: lan, type: nat }
        vms:
          - name: web
            networks: [lan]
            forwarded_ports:
              - { guest: 80, host: 8080 }
          - name: db
            networks: [lan]
        """;

    private readonly TempProject _project = new TempProject().With("Labfile.yml", Labfile).With("boxes/ubuntu.vhdx", new string('\0', 512));
    private readonly Dictionary<string, string> _env;

    public BadInputTests()
    {
        _env = new Dictionary<string, string>
        {
            ["LABRUNNER_PROVIDER"] = "simulated",
            ["LABRUNNER_SIM_HOST"] = Path.Combine(_project.Root, "host.json"),
        };
    }

    public void Dispose() => _project.Dispose();

    private Task<CliResult> Lab(params string[] args) => Cli.Tests.Lab.RunAsync(_project.Root, _env, args);

    [Theory]
    [InlineData("lab: --parallel must be a whole number from 1 to 16, not 'abc'", "up", "--parallel", "abc")]
    [InlineData("lab: --parallel must be a whole number from 1 to 16, not '1.5'", "up", "--parallel", "1.5")]
    [InlineData("lab: --parallel must be a whole number from 1 to 16, not '99999999999'", "up", "--parallel", "99999999999")]
    [InlineData("lab: --parallel must be a whole number from 1 to 16, not '0'", "up", "--parallel", "0")]
    [InlineData("lab: --parallel must be a whole number from 1 to 16, not '17'", "up", "--what-if", "--parallel=17")]
    [InlineData("lab: --parallel must be a whole number from 1 to 16, not '-1'", "up", "--parallel", "-1")]
    [InlineData("lab: --timeout must be a whole number from 1 to 3600, not '-5'", "halt", "--timeout", "-5")]
    [InlineData("lab: --timeout must be a whole number from 1 to 3600, not 'soon'", "halt", "--timeout", "soon")]
    [InlineData("lab: --timeout must be a whole number from 1 to 3600, not '0'", "halt", "web", "--timeout", "0")]
    [InlineData("lab: --provider must be 'hyperv' or 'simulated', not 'vbox'", "status", "--provider", "vbox")]
    [InlineData("lab: --file must name a file, not ''", "validate", "-f", "")]
    [InlineData("lab: --out must name a folder, not ''", "seed", "web", "--out", "")]
    public async Task A_bad_option_value_is_one_line_and_exit_code_2(string message, params string[] args)
    {
        var result = await Lab(args);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Equal(message + Environment.NewLine, result.Stderr);
    }

    [Fact]
    public async Task A_good_parallel_and_timeout_are_accepted()
    {
        var up = await Lab("up", "--parallel", "16");
        var halt = await Lab("halt", "--timeout", "3600");

        Assert.True(up.ExitCode == 0, up.ToString());
        Assert.True(halt.ExitCode == 0, halt.ToString());
    }
}
