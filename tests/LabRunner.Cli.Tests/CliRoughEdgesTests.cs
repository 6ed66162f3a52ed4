using System.Text.Json;

namespace LabRunner.Cli.Tests;

/// <summary>What a new user hits first (issue 14.20) and exit codes that were wrong (issue 13.18).</summary>
public sealed class CliRoughEdgesTests : IDisposable
{
    private const string TwoVms = """
        name: shop
        networks:
          - { name: lan, type: nat }
        vms:
          - { name: web, box: ubuntu, networks: [lan], forwarded_ports: [{ guest: 80, host: 8080 }] }
          - { name: db, box: ubuntu, networks: [lan] }
        """;

    private readonly TempProject _project = new TempProject().With("Labfile.yml", TwoVms).With("boxes/ubuntu.vhdx", "box");
    private readonly Dictionary<string, string> _env;

    public CliRoughEdgesTests()
    {
        _env = new Dictionary<string, string>
        {
            ["LABRUNNER_PROVIDER"] = "simulated",
            ["LABRUNNER_SIM_HOST"] = Path.Combine(_project.Root, "host.json"),
        };
    }

    public void Dispose() => _project.Dispose();

    private Task<CliResult> Lab(params string[] args) => Tests.Lab.RunAsync(_project.Root, _env, args);

    [Fact]
    public async Task A_mistyped_command_names_the_closest_one_and_nothing_else()
    {
        var result = await Lab("upp");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Equal("lab: unknown command 'upp' for 'lab'; did you mean 'up'?\nRun 'lab --help' for usage.\n", result.Stderr.Replace("\r\n", "\n", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_mistyped_box_command_names_the_closest_box_command()
    {
        var result = await Lab("box", "lst");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.StartsWith("lab: unknown command 'lst' for 'lab box'; did you mean 'list'?", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bare_lab_prints_the_help_and_no_error_line()
    {
        var result = await Lab();

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Equal("", result.Stderr);
        Assert.Contains("Usage:", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_top_level_help_shows_optional_arguments_as_optional_and_lists_the_exit_codes()
    {
        var result = await Lab("--help");

        Assert.Contains("  up [<VM>...]", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("  destroy, down [<VM>...]", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("up <VM>", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("Exit codes:", result.Stdout, StringComparison.Ordinal);
        foreach (var code in new[] { ExitCodes.Success, ExitCodes.InvalidLabfile, ExitCodes.Usage, ExitCodes.HostFailure, ExitCodes.Conflict, ExitCodes.InternalError, ExitCodes.Interrupted })
            Assert.Contains($"\n  {code,-5}", result.Stdout.Replace("\r\n", "\n", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_takes_VM_names_and_shows_only_those()
    {
        var result = await Lab("status", "db", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        var vm = Assert.Single(json.RootElement.GetProperty("vms").EnumerateArray());
        Assert.Equal("db", vm.GetProperty("name").GetString());
    }

    [Fact]
    public async Task Status_of_an_unknown_VM_lists_the_lab_VMs()
    {
        var result = await Lab("status", "nosuch");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("no VM named 'nosuch' in the Labfile (it has web, db)", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Port_of_an_unknown_VM_lists_the_lab_VMs()
    {
        var result = await Lab("port", "nosuch");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("no VM named 'nosuch' in the Labfile (it has web, db)", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Seed_without_a_name_in_a_lab_of_several_VMs_names_them()
    {
        var result = await Lab("seed");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("the lab has 2 VMs (web, db); name one: lab seed VM, or pass --all", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Halt_of_stopped_VMs_says_they_are_already_stopped()
    {
        Assert.Equal(0, (await Lab("up")).ExitCode);
        Assert.Equal(0, (await Lab("halt")).ExitCode);

        var again = await Lab("halt");
        var one = await Lab("halt", "web");

        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("Nothing to do: the VMs of lab 'shop' are already stopped", again.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("as the Labfile says", again.Stdout, StringComparison.Ordinal);
        Assert.Contains("Nothing to do: VM 'web' of lab 'shop' is already stopped", one.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Down_with_a_lab_name_no_Labfile_could_give_is_a_usage_error()
    {
        var result = await Lab("down", "--lab", "bad name!");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("--lab must be a lab name", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("fast")]
    [InlineData("kvm,tcg")]
    public async Task An_invalid_LABRUNNER_QEMU_ACCEL_is_a_usage_error(string value)
    {
        if (!OperatingSystem.IsLinux()) return;
        var env = new Dictionary<string, string> { ["LABRUNNER_QEMU_ACCEL"] = value, ["LABRUNNER_QEMU_STATE"] = Path.Combine(_project.Root, "qemu") };

        var result = await Tests.Lab.RunAsync(_project.Root, env, "status", "--provider", "qemu");

        Assert.True(result.ExitCode == ExitCodes.Usage, result.ToString());
        Assert.Contains($"LABRUNNER_QEMU_ACCEL='{value}' is not an accelerator", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void The_lab_program_shows_messages_not_NET_resource_keys()
    {
        // UseSystemResourceKeys makes every message of .NET's own a key such as 'IO_FileExists_Name', in the JIT build
        // (through this file) as in the native one (the same feature switch).
        var config = Path.ChangeExtension(typeof(Commands.LabApp).Assembly.Location, ".runtimeconfig.json");
        using var json = JsonDocument.Parse(File.ReadAllText(config));

        var properties = json.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");

        Assert.False(properties.TryGetProperty("System.Resources.UseSystemResourceKeys", out var keys) && keys.GetBoolean(), config);
    }
}
