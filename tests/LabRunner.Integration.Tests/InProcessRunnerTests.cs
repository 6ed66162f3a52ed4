using LabRunner.Core.Hosting;
using LabRunner.HyperV.Emulation;
using LabRunner.HyperV.Emulation.Cim;
using LabRunner.Providers.HyperV;
using LabRunner.Providers.HyperV.Running;
using LabRunner.Providers.HyperV.Scripting;
using LabRunner.Simulation;

namespace LabRunner.Integration.Tests;

/// <summary>The in-process runner behaves as <c>powershell.exe -File</c> does for the provider.</summary>
public class InProcessRunnerTests
{
    private static async Task<(PowerShellRun Run, List<string> Lines)> RunAsync(InProcessPowerShellRunner runner, string script)
    {
        var lines = new List<string>();
        var run = await runner.RunAsync(script, lines.Add, CancellationToken.None);
        return (run, lines);
    }

    [Fact]
    public async Task Output_lines_reach_the_callback_in_order_and_exit_gives_the_exit_code()
    {
        var runner = new InProcessPowerShellRunner(SimulatedHost.InMemory());

        var (run, lines) = await RunAsync(runner, "'one'\n\"two`nthree\"\n$null\n42\nexit 7\n'never'");

        Assert.Equal(["one", "two", "three", "42"], lines);
        Assert.Equal(7, run.ExitCode);
        Assert.Equal("", run.StandardError);
    }

    [Fact]
    public async Task A_script_that_ends_without_exit_exits_zero_even_after_a_non_terminating_error()
    {
        var runner = new InProcessPowerShellRunner(SimulatedHost.InMemory());

        var (run, lines) = await RunAsync(runner, "Hyper-V\\Get-VM -Name 'nope'\n'after'");

        Assert.Equal(["after"], lines);
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Get-VM : Hyper-V was unable to find a virtual machine with name \"nope\".", run.StandardError, StringComparison.Ordinal);
        Assert.Contains("+ FullyQualifiedErrorId : InvalidParameter,", run.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_error_nothing_traps_ends_the_script_with_exit_code_one_and_the_error_on_stderr()
    {
        var runner = new InProcessPowerShellRunner(SimulatedHost.InMemory());

        var (run, lines) = await RunAsync(runner, "'before'\nthrow 'boom'\n'after'");
        var (parse, parseLines) = await RunAsync(runner, "'fine'\nif (");

        Assert.Equal(["before"], lines);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("boom", run.StandardError, StringComparison.Ordinal);
        Assert.Empty(parseLines);
        Assert.Equal(1, parse.ExitCode);
        Assert.Contains("FullyQualifiedErrorId", parse.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_run_is_a_new_process_that_remembers_nothing_and_leaves_no_script_file()
    {
        var temp = Directory.CreateTempSubdirectory("labrunner-int-runner-");
        try
        {
            var runner = new InProcessPowerShellRunner(SimulatedHost.InMemory(), temp.FullName);

            await RunAsync(runner, "$global:remembered = 'yes'; $global:also = 1");
            var (_, lines) = await RunAsync(runner, "\"[$global:remembered][$global:also]\"");

            Assert.Equal(["[][]"], lines);
            Assert.Equal(2, runner.ProcessesStarted);
            Assert.Empty(temp.EnumerateFileSystemInfos());
        }
        finally
        {
            temp.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task The_script_runs_in_its_own_scope_so_cdxml_functions_ignore_its_error_preference_as_on_windows()
    {
        var host = SimulatedHost.InMemory();
        var runner = new InProcessPowerShellRunner(host);

        var (run, lines) = await RunAsync(runner, """
            $ErrorActionPreference = 'Stop'
            New-NetNat -Name 'a' -InternalIPInterfaceAddressPrefix '10.1.0.0/16' | Out-Null
            New-NetNat -Name 'b' -InternalIPInterfaceAddressPrefix '10.2.0.0/16'
            'went on'
            """);

        Assert.Equal(["went on"], lines);
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("WinNAT supports one NetNat per host", run.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancelling_stops_the_running_script_and_throws()
    {
        var runner = new InProcessPowerShellRunner(SimulatedHost.InMemory());
        using var cancel = new CancellationTokenSource();
        var lines = new List<string>();

        var running = runner.RunAsync("'started'\nwhile ($true) { $null = Hyper-V\\Get-VM }", line =>
        {
            lines.Add(line);
            if (line == "started") cancel.Cancel();
        }, cancel.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(["started"], lines);
        Assert.Equal(1, runner.ProcessesStarted);
    }

    [Fact]
    public async Task A_batch_the_provider_renders_speaks_its_protocol_through_the_real_engine()
    {
        var host = SimulatedHost.InMemory();
        var runner = new InProcessPowerShellRunner(host);
        var batch = new OperationBatch("net", [
            new CreateSwitch("lab-a", SwitchKind.Internal, null, "labrunner:v1 lab=t project=p"),
            new CreateSwitch("lab-a", SwitchKind.Private, null, "a second switch of the same name"),
            new CreateSwitch("lab-b", SwitchKind.Private, null, "never reached"),
        ]);

        var (run, lines) = await RunAsync(runner, HyperVScript.Render(batch));
        var result = await new HyperVProvider(runner, new SimulatedCimClient(host), "test").ApplyAsync(batch, null, CancellationToken.None);

        Assert.Equal(1, run.ExitCode);
        Assert.Equal(["##labrunner begin 1", "##labrunner ok 1", "##labrunner begin 2"], lines.Take(3));
        var fail = Assert.IsType<ProtocolEvent.Fail>(ScriptProtocol.Parse(Assert.Single(lines.Skip(3))));
        Assert.Equal(2, fail.Step);
        // Run again through the provider: the first switch exists now, so the first operation fails.
        Assert.Equal(0, result.Completed);
        Assert.Equal(HostErrorKind.AlreadyExists, result.Error!.Kind);
        Assert.Contains("lab-a", result.Error.Message, StringComparison.Ordinal);
        Assert.Null(host.GetInventory([]).Switch("lab-b"));
    }
}
