using LabRunner.Cli.Commands;
using LabRunner.Core.Hosting;
using LabRunner.Providers.HyperV;
using LabRunner.Providers.HyperV.Cim;
using LabRunner.Providers.HyperV.Running;
using LabRunner.Providers.HyperV.Scripting;

namespace LabRunner.Cli.Tests;

/// <summary>
/// A host that cannot be read at all is the user's to fix, not a bug: exit 3, what is wrong, where,
/// and how to fix it; never "internal error" and never a raw .NET resource key.
/// </summary>
public sealed class HostUnavailableTests : IDisposable
{
    private const string Labfile = """
        name: shop
        defaults: { box: ubuntu, memory: 1GB }
        networks:
          - { name: lan, type: nat }
        vms:
          - name: web
            networks: [lan]
        """;

    private readonly TempProject _project = new TempProject().With("Labfile.yml", Labfile).With("boxes/ubuntu.vhdx", "box");

    public void Dispose() => _project.Dispose();

    private string HostFile => Path.Combine(_project.Root, "host.json");

    private Task<CliResult> Simulated(params string[] args) => Lab.RunAsync(_project.Root, new Dictionary<string, string>
    {
        ["LABRUNNER_PROVIDER"] = "simulated",
        ["LABRUNNER_SIM_HOST"] = HostFile,
    }, args);

    private static void AssertHostProblem(CliResult result, params string[] expected)
    {
        Assert.True(result.ExitCode == ExitCodes.HostFailure, result.ToString());
        Assert.DoesNotContain("internal error", result.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("bug in LabRunner", result.Stderr, StringComparison.Ordinal);
        // The BCL's own IO messages are resource keys in the native-AOT build ('UnauthorizedAccess_IODenied_Path').
        Assert.DoesNotContain("Access to the path", result.Stderr, StringComparison.Ordinal);
        foreach (var text in expected)
            Assert.Contains(text, result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("status")]
    [InlineData("up")]
    [InlineData("down")]
    public async Task A_simulated_host_file_that_is_a_folder_exits_3_naming_it(string command)
    {
        Directory.CreateDirectory(HostFile);

        var result = await Simulated(command);

        AssertHostProblem(result, HostFile, "is a folder");
    }

    [Theory]
    [InlineData("{\"version\": 1, \"netAdapters\": [ { \"name\": \"Eth")] // truncated
    [InlineData("\0\0\0\0\0\0\0\0")] // NUL bytes
    [InlineData("")] // empty
    public async Task A_damaged_simulated_host_file_exits_3_and_says_to_repair_or_move_it(string content)
    {
        File.WriteAllText(HostFile, content);

        var result = await Simulated("up");

        AssertHostProblem(result, HostFile, "not a valid simulated host", "move it away");
    }

    [Fact]
    public async Task A_simulated_host_file_of_a_future_version_exits_3_and_says_so()
    {
        File.WriteAllText(HostFile, """{ "version": 999 }""");

        var result = await Simulated("status");

        AssertHostProblem(result, HostFile, "version 999");
    }

    [Fact]
    public async Task A_host_lock_that_is_a_folder_exits_3_naming_it()
    {
        Directory.CreateDirectory(HostFile + ".engine.lock");

        var result = await Simulated("up");

        AssertHostProblem(result, HostFile + ".engine.lock");
    }

    [Fact]
    public async Task HyperV_access_denied_reading_the_host_exits_3_and_says_to_run_elevated()
    {
        var cim = new ThrowingCim(new CimQueryException(CimFailure.AccessDenied, CimClasses.Virtualization, CimClasses.ComputerSystem, "Access denied"));

        var result = await HyperV(cim, new FailingRunner(null), "status");

        AssertHostProblem(result, "elevated", "Hyper-V Administrators");
    }

    [Fact]
    public async Task HyperV_feature_off_exits_3_and_says_to_enable_it()
    {
        var cim = new ThrowingCim(new CimQueryException(CimFailure.InvalidNamespace, CimClasses.Virtualization, CimClasses.ComputerSystem, "Invalid namespace"));

        var result = await HyperV(cim, new FailingRunner(null), "up");

        AssertHostProblem(result, "enable the Hyper-V feature");
    }

    [Fact]
    public async Task HyperV_module_missing_exits_3_says_to_install_it_and_not_to_just_run_again()
    {
        var runner = new FailingRunner(ScriptProtocol.FailLine(1, "ObjectNotFound", "CommandNotFoundException",
            "The term 'Hyper-V\\New-VMSwitch' is not recognized as the name of a cmdlet."));

        var result = await HyperV(new ThrowingCim(null), runner, "up");

        Assert.True(result.ExitCode == ExitCodes.HostFailure, result.ToString());
        Assert.Contains("Hyper-V feature", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Run the command again to finish", result.Stderr, StringComparison.Ordinal);
    }

    private Task<CliResult> HyperV(ICimClient cim, IPowerShellRunner runner, params string[] args)
    {
        var defaults = DefaultServices.Create();
        var lockPath = Path.Combine(_project.Root, "host.lock");
        var services = new Services
        {
            Host = (_, _, _) => new HostSelection(new HyperVProvider(runner, cim, "TESTHOST"), lockPath, _ => null),
            Seeds = defaults.Seeds,
        };
        return Lab.RunAsync(_project.Root, null, services, args);
    }

    private sealed class ThrowingCim(CimQueryException? error) : ICimClient
    {
        public Task<IReadOnlyList<CimRecord>> QueryAsync(string @namespace, string className, CancellationToken cancellationToken) =>
            error is not null && error.ClassName == className ? throw error : Task.FromResult<IReadOnlyList<CimRecord>>([]);
    }

    /// <summary>A PowerShell whose first step prints <paramref name="failLine"/> and exits 1.</summary>
    private sealed class FailingRunner(string? failLine) : IPowerShellRunner
    {
        public string Executable => "powershell.exe";

        public Task<PowerShellRun> RunAsync(string script, Action<string> onStdoutLine, CancellationToken cancellationToken)
        {
            onStdoutLine(ScriptProtocol.BeginLine(1));
            if (failLine is not null) onStdoutLine(failLine);
            return Task.FromResult(new PowerShellRun(1, ""));
        }
    }
}
