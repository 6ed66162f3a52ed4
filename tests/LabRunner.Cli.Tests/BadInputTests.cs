using LabRunner.Cli.Commands;
using LabRunner.Cli.Rendering;
using LabRunner.Core.Providers;
using LabRunner.Core.Reconciliation;
using LabRunner.Engine;
using LabRunner.Simulation;

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
    [InlineData("lab: --provider must be 'hyperv' or 'qemu' or 'simulated', not 'vbox'", "status", "--provider", "vbox")]
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

    [Theory]
    [InlineData("up", "--provision-with")]
    [InlineData("halt", "web", "--what-if")]
    [InlineData("reload", "-x")]
    public async Task An_unknown_option_is_a_usage_error_not_a_VM_name(params string[] args)
    {
        var result = await Lab(args);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.StartsWith($"lab: unknown option '{args[^1]}' for 'lab {args[0]}'", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("no VM named", result.Stderr, StringComparison.Ordinal);
        Assert.Contains($"lab {args[0]} --help", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Seed_with_a_VM_and_all_is_a_usage_error()
    {
        var result = await Lab("seed", "web", "--all");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.StartsWith("lab: name one VM or pass --all, not both" + Environment.NewLine, result.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_project.Root, ".lab", "seed")));
    }

    [Fact]
    public async Task A_very_long_name_is_cut_the_same_way_in_every_diagnostic()
    {
        var name = new string('a', 100_000);
        _project.With("Labfile.yml", $"name: shop\nvms:\n  - name: {name}\n");

        var result = await Lab("validate");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("LAB101", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("LAB306", result.Stderr, StringComparison.Ordinal);
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(lines, l => Assert.True(l.Length < 500, $"{l.Length} characters: {l[..Math.Min(100, l.Length)]}…"));
        Assert.All(lines.Where(l => l.Contains("LAB", StringComparison.Ordinal)), l => Assert.Contains(new string('a', 77) + "...'", l, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Destroy_is_down_by_its_Vagrant_name()
    {
        await Lab("up");

        var destroy = await Lab("destroy");
        var status = await Lab("status");
        var help = await Lab("--help");

        Assert.True(destroy.ExitCode == 0, destroy.ToString());
        Assert.Contains("not_created", status.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("running", status.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"destroy, down\s", help.Stdout);
    }

    [Theory]
    [InlineData(EngineOutcome.Interrupted, ReconcileMode.Down, "run 'lab down' again to finish removing the lab.")]
    [InlineData(EngineOutcome.HostFailure, ReconcileMode.Down, "Run 'lab down' again to finish removing the lab.")]
    [InlineData(EngineOutcome.Interrupted, ReconcileMode.Up, "run 'lab up' again to finish, or 'lab down' to remove the lab.")]
    [InlineData(EngineOutcome.HostFailure, ReconcileMode.Halt, "Run 'lab halt' again to finish, or 'lab down' to remove the lab.")]
    public void After_a_stop_the_message_names_the_command_to_run(EngineOutcome outcome, ReconcileMode mode, string advice)
    {
        var console = new Spectre.Console.Testing.TestConsole();
        var error = new StringWriter();
        var env = new CliEnvironment(console, error, _project.Root, _ => null);
        var host = new ProviderHost(new SimulatedProvider(new SimulatedHost(Path.Combine(_project.Root, "host.json"))), Path.Combine(_project.Root, "lock"));
        var result = new EngineResult(outcome, [], null, null, [], []);

        EngineResultRenderer.Render(result, mode, host, env, json: false);

        Assert.Contains(advice, error.ToString(), StringComparison.Ordinal);
    }

    /// <summary>
    /// /dev/zero and /dev/urandom never end; a Unix special file is refused before a byte is read (were it read, the
    /// test would not end: --blame-hang-timeout names it). How fast is bench/bad-input.sh's to measure, not a unit test's.
    /// </summary>
    [UnixTheory]
    [InlineData("/dev/zero")]
    [InlineData("/dev/urandom")]
    public async Task A_device_given_to_f_is_refused_unread(string device)
    {
        var result = await Lab("validate", "-f", device);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Equal($"lab: '{device}' is not a regular file; a Labfile is a text file with at least 'name'" + Environment.NewLine, result.Stderr);
    }

    /// <summary>'@PATH' is no response file: it is a word like any other (an extra argument, an unknown VM), refused as one; the file is never opened.</summary>
    [UnixTheory]
    [InlineData("validate", "@/dev/zero")]
    [InlineData("up", "@/dev/zero")]
    public async Task A_response_file_is_not_read(params string[] args)
    {
        var result = await Lab(args);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("'@/dev/zero'", result.Stderr.Split('\n')[0], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Labfile.yml")]
    [InlineData("Labfile.local.yml")]
    [InlineData("templates/cloud-init/user-data")]
    public async Task A_file_over_1_MiB_is_refused_by_its_size(string file)
    {
        _project.With(file, "# " + new string('x', 1024 * 1024));

        var result = await Lab("seed", "--all");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Equal($"lab: '{file}' is 1 MiB; LabRunner reads files of at most 1 MiB (a Labfile is a few kilobytes)" + Environment.NewLine, result.Stderr);
    }

    [Fact]
    public async Task A_Labfile_of_just_under_1_MiB_is_read()
    {
        _project.With("Labfile.yml", Labfile + "\n# " + new string('x', 1024 * 1024 - Labfile.Length - 10) + "\n");

        var result = await Lab("validate");

        Assert.True(result.ExitCode == 0, result.ToString());
    }
}

/// <summary>Runs only where Unix devices exist.</summary>
public sealed class UnixTheoryAttribute : TheoryAttribute
{
    public UnixTheoryAttribute()
    {
        if (OperatingSystem.IsWindows()) Skip = "Unix devices such as /dev/zero do not exist on Windows.";
    }
}
