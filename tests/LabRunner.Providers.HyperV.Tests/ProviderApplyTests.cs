using LabRunner.Core.Hosting;
using LabRunner.Providers.HyperV.Cim;
using LabRunner.Providers.HyperV.Scripting;
using LabRunner.Providers.HyperV.Tests.Support;

namespace LabRunner.Providers.HyperV.Tests;

public class ProviderApplyTests
{
    private static HyperVProvider Provider(Running.IPowerShellRunner runner) =>
        new(runner, new FakeCimClient(new Dictionary<string, IReadOnlyList<CimRecord>>()), "HOST1");

    private static IEnumerable<string> AllOk(int count) =>
        Enumerable.Range(1, count).SelectMany(i => new[] { ScriptProtocol.BeginLine(i), ScriptProtocol.OkLine(i) });

    [Fact]
    public async Task A_whole_batch_runs_in_one_process_and_reports_every_operation()
    {
        var batch = Samples.UpBatch();
        var runner = new ScriptedRunner(AllOk(batch.Operations.Length));
        var progress = new ProgressLog();

        var result = await Provider(runner).ApplyAsync(batch, progress, CancellationToken.None);

        Assert.Equal(ApplyResult.AllDone(batch.Operations.Length), result);
        Assert.Equal(HyperVScript.Render(batch), Assert.Single(runner.Scripts));
        Assert.Equal(batch.Operations.Length * 2, progress.Events.Count);
        Assert.Equal(Enumerable.Range(0, batch.Operations.Length), progress.Events.Where(e => e.Done).Select(e => e.Index));
        Assert.All(progress.Events, e => Assert.Same(batch.Operations[e.Index], e.Operation));
    }

    [Fact]
    public async Task The_first_failure_stops_the_batch_and_says_how_far_it_got()
    {
        var batch = Samples.UpBatch();
        var runner = new ScriptedRunner([
            ScriptProtocol.BeginLine(1), ScriptProtocol.OkLine(1),
            ScriptProtocol.BeginLine(2), ScriptProtocol.OkLine(2),
            ScriptProtocol.BeginLine(3),
            ScriptProtocol.FailLine(3, "ResourceExists", "Windows System Error 183,New-NetNat", "Cannot create a file when that file already exists."),
        ], exitCode: 1);

        var result = await Provider(runner).ApplyAsync(batch, null, CancellationToken.None);

        Assert.Equal(2, result.Completed);
        Assert.Equal(HostErrorKind.AlreadyExists, result.Error!.Kind);
        Assert.StartsWith("create NetNat 'LabRunnerNat' for 172.30.0.0/16: Cannot create a file", result.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failed_vm_operation_skips_only_that_vms_remaining_operations_and_the_other_vm_converges()
    {
        var batch = new OperationBatch("VMs 1/1", [
            new SetVmHardware("web", 2, 1L << 30), new StartVm("web"),
            new SetVmHardware("db", 2, 1L << 30), new StartVm("db"),
        ]);
        var runner = new ScriptedRunner([
            ScriptProtocol.BeginLine(1),
            ScriptProtocol.FailLine(1, "InvalidOperation", "InvalidState,Microsoft.HyperV.PowerShell.Commands.SetVM", "The operation cannot be performed while the object is in its current state."),
            ScriptProtocol.OkLine(2),
            ScriptProtocol.BeginLine(3), ScriptProtocol.OkLine(3),
            ScriptProtocol.BeginLine(4), ScriptProtocol.OkLine(4),
        ], exitCode: 0);

        var result = await Provider(runner).ApplyAsync(batch, null, CancellationToken.None);

        Assert.Equal([OperationStatus.Failed, OperationStatus.NotRun, OperationStatus.Done, OperationStatus.Done], result.Statuses.ToArray());
        var error = Assert.Single(result.Errors);
        Assert.Equal(0, error.Index);
        Assert.Equal(HostErrorKind.InvalidState, error.Error.Kind);
        Assert.StartsWith("give VM 'web' 2 CPUs", error.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_process_that_dies_mid_batch_without_a_fail_line_is_a_failure_with_its_stderr()
    {
        var batch = Samples.UpBatch();
        var runner = new ScriptedRunner([ScriptProtocol.BeginLine(1), ScriptProtocol.OkLine(1), ScriptProtocol.BeginLine(2)],
            exitCode: -1073741510, stderr: "The pipeline has been stopped.");

        var result = await Provider(runner).ApplyAsync(batch, null, CancellationToken.None);

        Assert.Equal(1, result.Completed);
        Assert.Equal(HostErrorKind.Failed, result.Error!.Kind);
        Assert.Contains("exited with code -1073741510 before finishing 'give the host the address 172.30.1.1/24 on switch 'demo-nat''", result.Error.Message, StringComparison.Ordinal);
        Assert.Contains("The pipeline has been stopped.", result.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_script_that_exits_zero_before_the_end_is_still_a_failure()
    {
        var batch = Samples.UpBatch();
        var runner = new ScriptedRunner(AllOk(3), exitCode: 0);

        var result = await Provider(runner).ApplyAsync(batch, null, CancellationToken.None);

        Assert.Equal(3, result.Completed);
        Assert.Equal(HostErrorKind.Failed, result.Error!.Kind);
    }

    [Fact]
    public async Task Garbage_repeated_and_out_of_order_lines_are_ignored()
    {
        var batch = Samples.DownBatch();
        var lines = new List<string> { "Name    State", "", "WARNING: The network adapter is disconnected", ScriptProtocol.OkLine(2) };
        foreach (var i in Enumerable.Range(1, batch.Operations.Length))
        {
            lines.Add(ScriptProtocol.OkLine(i));
            lines.Add(ScriptProtocol.OkLine(i));
            lines.Add("##labrunner ok banana");
        }
        var progress = new ProgressLog();

        var result = await Provider(new ScriptedRunner(lines)).ApplyAsync(batch, progress, CancellationToken.None);

        Assert.Equal(ApplyResult.AllDone(batch.Operations.Length), result);
        Assert.Equal(batch.Operations.Length, progress.Events.Count(e => e.Done));
    }

    [Fact]
    public async Task A_fail_line_for_an_operation_that_did_not_run_next_is_ignored()
    {
        var batch = Samples.UpBatch();
        var lines = AllOk(batch.Operations.Length).Prepend(ScriptProtocol.FailLine(7, "NotSpecified", "x", "y"));

        var result = await Provider(new ScriptedRunner(lines)).ApplyAsync(batch, null, CancellationToken.None);

        Assert.True(result.Succeeded);
    }

    [Fact]
    public async Task PowerShell_that_cannot_start_means_the_host_is_unavailable()
    {
        var runner = new ScriptedRunner([]) { FailToStart = true };

        var result = await Provider(runner).ApplyAsync(Samples.UpBatch(), null, CancellationToken.None);

        Assert.Equal(0, result.Completed);
        Assert.Equal(HostErrorKind.Unavailable, result.Error!.Kind);
        Assert.Contains("powershell.exe", result.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_batch_naming_a_wildcard_pattern_starts_no_process()
    {
        var runner = new ScriptedRunner([]);

        var result = await Provider(runner).ApplyAsync(new OperationBatch("x", [new StartVm("ok"), new RemoveVm("web*")]), null, CancellationToken.None);

        Assert.Equal(0, result.Completed);
        Assert.Equal(HostErrorKind.Failed, result.Error!.Kind);
        Assert.Contains("wildcard", result.Error.Message, StringComparison.Ordinal);
        Assert.Empty(runner.Scripts);
    }

    [Fact]
    public async Task An_empty_batch_starts_no_process()
    {
        var runner = new ScriptedRunner([]);

        var result = await Provider(runner).ApplyAsync(new OperationBatch("nothing", []), null, CancellationToken.None);

        Assert.True(result.Succeeded);
        Assert.Empty(runner.Scripts);
    }

    [Fact]
    public async Task Cancellation_while_the_script_runs_reaches_the_running_process()
    {
        // The runner ends only when the token it was given is cancelled: a provider that checked the token itself
        // but handed the runner another one would leave this run hanging until the test's timeout.
        var runner = new RunsUntilCancelled();
        using var cts = new CancellationTokenSource();

        var apply = Provider(runner).ApplyAsync(Samples.UpBatch(), null, cts.Token);
        await runner.Started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => apply.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(runner.SawCancellation);
    }

    [Fact]
    public void The_description_names_the_host_it_was_given()
    {
        var provider = new HyperVProvider(new ScriptedRunner([]), new FakeCimClient(new Dictionary<string, IReadOnlyList<CimRecord>>()), "LAB-SERVER-7");

        Assert.Equal("Hyper-V on LAB-SERVER-7", provider.Description);
    }

    private sealed class RunsUntilCancelled : Running.IPowerShellRunner
    {
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool SawCancellation { get; private set; }

        public string Executable => "powershell.exe";

        public async Task<Running.PowerShellRun> RunAsync(string script, Action<string> onStdoutLine, CancellationToken cancellationToken)
        {
            Started.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                SawCancellation = true;
                throw;
            }
            return new Running.PowerShellRun(0, "");
        }
    }
}

/// <summary>The provider end to end on the real PowerShell engine, with stub cmdlets standing in for Hyper-V.</summary>
public class ProviderOnTheRealEngineTests
{
    [Fact]
    public async Task A_batch_runs_as_one_script_and_every_cmdlet_gets_its_documented_parameters()
    {
        using var engine = new StubbedEngine();
        engine.Outputs["Get-VMHardDiskDrive"] = StubbedEngine.Object(("Path", @"C:\src\demo\.lab\web\disk.vhdx"), ("VMName", "web"));
        engine.Outputs["Get-VMNetworkAdapter"] = StubbedEngine.Object(("Name", "Network Adapter"), ("VMName", "web"));
        var runner = new EnginePowerShellRunner(engine);
        var provider = new HyperVProvider(runner, new FakeCimClient(new Dictionary<string, IReadOnlyList<CimRecord>>()), "HOST1");
        var batch = Samples.UpBatch();
        var progress = new ProgressLog();

        var result = await provider.ApplyAsync(batch, progress, CancellationToken.None);

        Assert.Equal(ApplyResult.AllDone(batch.Operations.Length), result);
        Assert.Equal(1, runner.Runs);
        Assert.Equal(batch.Operations.Length, progress.Events.Count(e => e.Done));
        var calls = engine.Calls;
        Assert.Equal(
            ["New-VMSwitch", "New-NetIPAddress", "New-NetNat", "Add-NetNatStaticMapping", "Add-NetNatStaticMapping", "New-VMSwitch", "New-VMSwitch",
             "New-VHD", "New-VM", "Set-VM", "Set-VM", "Set-VM", "Get-VMNetworkAdapter", "Remove-VMNetworkAdapter", "Set-VM", "Add-VMNetworkAdapter", "Add-VMNetworkAdapter",
             "Get-VMDvdDrive", "Add-VMDvdDrive", "Get-VMHardDiskDrive", "Set-VMFirmware", "Start-VM"],
            calls.Select(c => c.Command));

        var external = calls[6];
        Assert.Equal("LabRunner Bridge", external["Name"]);
        Assert.Equal("Ethernet 2", external["NetAdapterName"]);
        Assert.Equal(true, external["AllowManagementOS"]);
        Assert.False(external.Has("SwitchType"));

        var ip = calls[1];
        Assert.Equal("vEthernet (demo-nat)", ip["InterfaceAlias"]);
        Assert.Equal("172.30.1.1", ip["IPAddress"]);
        Assert.Equal(24, ip["PrefixLength"]);
        Assert.Equal("IPv4", ip["AddressFamily"]);

        var mapping = calls[4];
        Assert.Equal("UDP", mapping["Protocol"]);
        Assert.Equal(5353, mapping["ExternalPort"]);
        Assert.Equal(53, mapping["InternalPort"]);

        var vm = calls[8];
        Assert.Equal(2, vm["Generation"]);
        Assert.Equal(2147483648L, vm["MemoryStartupBytes"]);
        Assert.Equal(@"C:\src\demo\.lab\web\disk.vhdx", vm["VHDPath"]);
        Assert.Equal(Samples.Mark, calls[9]["Notes"]);
        Assert.Equal(false, calls[10]["AutomaticCheckpointsEnabled"]);
        Assert.Equal("Standard", calls[11]["CheckpointType"]);
        Assert.Equal("Network Adapter", calls[13].Property("VMNetworkAdapter", "Name"));

        var hardware = calls[14];
        Assert.Equal(2, hardware["ProcessorCount"]);
        Assert.True(((System.Management.Automation.SwitchParameter)hardware["StaticMemory"]!).IsPresent);

        Assert.Equal("021A2B3C4D01", calls[15]["StaticMacAddress"]);
        var firmware = calls[20];
        Assert.Equal("On", firmware["EnableSecureBoot"]);
        Assert.Equal("MicrosoftUEFICertificateAuthority", firmware["SecureBootTemplate"]);
        Assert.Equal(@"C:\src\demo\.lab\web\disk.vhdx", firmware.Property("FirstBootDevice", "Path"));
    }

    [Fact]
    public async Task A_failing_cmdlet_stops_the_script_and_comes_back_as_a_host_error()
    {
        using var engine = new StubbedEngine();
        engine.FailOn("New-NetNat", "ResourceExists", "The object already exists. ’quoted’ $(x)");
        var provider = new HyperVProvider(new EnginePowerShellRunner(engine), new FakeCimClient(new Dictionary<string, IReadOnlyList<CimRecord>>()), "HOST1");

        var result = await provider.ApplyAsync(Samples.UpBatch(), null, CancellationToken.None);

        Assert.Equal(2, result.Completed);
        Assert.Equal(HostErrorKind.AlreadyExists, result.Error!.Kind);
        Assert.Contains("The object already exists. ’quoted’ $(x)", result.Error.Message, StringComparison.Ordinal);
        Assert.Contains("StubFailure,New-NetNat", result.Error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(engine.Calls, c => c.Command == "Add-NetNatStaticMapping");
    }

    [Fact]
    public async Task A_missing_module_is_reported_as_unavailable()
    {
        using var engine = new StubbedEngine();
        // Rendered, then pointed at a module that does not exist, as on a host without Hyper-V.
        var runner = new ScriptedRunner(script => Run(engine, script.Replace("Hyper-V\\Start-VM", "Hyper-V-Missing\\Start-VM", StringComparison.Ordinal)));

        var result = await new HyperVProvider(runner, new FakeCimClient(new Dictionary<string, IReadOnlyList<CimRecord>>()), "HOST1")
            .ApplyAsync(new OperationBatch("x", [new StartVm("web")]), null, CancellationToken.None);

        Assert.Equal(0, result.Completed);
        Assert.True(result.Error!.Kind == HostErrorKind.Unavailable, result.Error.Message);
    }

    [Fact]
    public async Task A_missing_boot_disk_fails_the_firmware_step_as_not_found()
    {
        using var engine = new StubbedEngine();
        engine.Outputs["Get-VMHardDiskDrive"] = StubbedEngine.Object(("Path", @"C:\other.vhdx"), ("VMName", "web"));
        var provider = new HyperVProvider(new EnginePowerShellRunner(engine), new FakeCimClient(new Dictionary<string, IReadOnlyList<CimRecord>>()), "HOST1");

        var result = await provider.ApplyAsync(new OperationBatch("x", [new SetFirmware("web", true, "MicrosoftUEFICertificateAuthority", @"C:\disk.vhdx")]), null, CancellationToken.None);

        Assert.Equal(HostErrorKind.NotFound, result.Error!.Kind);
        Assert.Contains(@"has no hard disk drive with the path 'C:\disk.vhdx'", result.Error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(engine.Calls, c => c.Command == "Set-VMFirmware");
    }

    [Fact]
    public async Task Removing_a_file_that_is_already_gone_succeeds()
    {
        using var engine = new StubbedEngine();
        var provider = new HyperVProvider(new EnginePowerShellRunner(engine), new FakeCimClient(new Dictionary<string, IReadOnlyList<CimRecord>>()), "HOST1");
        var dir = Directory.CreateTempSubdirectory("labrunner-rm-");
        var present = Path.Combine(dir.FullName, "it's [here].iso");
        await File.WriteAllTextAsync(present, "x");

        var result = await provider.ApplyAsync(new OperationBatch("x", [
            new RemoveFile("web", present), new RemoveFile("web", Path.Combine(dir.FullName, "gone.iso"))]), null, CancellationToken.None);

        Assert.True(result.Succeeded, result.Error?.Message);
        Assert.False(File.Exists(present));
        dir.Delete(true);
    }

    private static IEnumerable<string> Run(StubbedEngine engine, string script)
    {
        var lines = new List<string>();
        engine.RunScript(script, lines.Add);
        return lines;
    }
}
