using System.Diagnostics;
using System.Globalization;
using LabRunner.Core.Planning;
using LabRunner.Engine;
using LabRunner.Integration.Tests.Support;
using Xunit.Abstractions;

namespace LabRunner.Integration.Tests;

/// <summary>
/// An interrupted 'lab up' must never leave a host that the next run cannot finish or clean. The fault is
/// injected at the simulated host, under the emulated cmdlets: the Nth change the provider's PowerShell
/// makes fails as a cmdlet error, for every N a clean 'up' makes.
/// </summary>
public class FaultInjectionTests(ITestOutputHelper output)
{
    [Fact]
    public async Task An_up_that_fails_at_any_host_change_is_finished_by_the_next_up_and_down_then_leaves_nothing_of_the_lab()
    {
        // One lane (parallelism 1), so that "the Nth change" is the same change in every run.
        int total;
        {
            var host = Labfiles.HostWithForeignObjects(foreignNat: false);
            using var clean = new Lab(Labfiles.Pair, host) { Parallelism = 1 };
            var before = host.MutationCount;
            var up = await clean.UpAsync();
            Assert.True(up.Outcome == EngineOutcome.Done, Lab.Describe(up));
            total = (int)(host.MutationCount - before);
        }
        // Host networking (3 switches, 2 host addresses, the NetNat, 1 mapping), then per VM: New-VHD, New-VM,
        // Set-VM -Notes, Set-VM -AutomaticCheckpointsEnabled, Set-VM -CheckpointType, removal of the default adapter,
        // Set-VM (hardware), one Add-VMNetworkAdapter per network (a: 3, b: 2), Add-VMDvdDrive, Set-VMFirmware, Start-VM.
        Assert.Equal(7 + (10 + 3) + (10 + 2), total);

        var clock = Stopwatch.StartNew();
        var problems = new List<string>();
        for (var n = 1; n <= total; n++)
        {
            var host = Labfiles.HostWithForeignObjects(foreignNat: false);
            var foreign = Labfiles.ForeignPart(host.Snapshot());
            using var lab = new Lab(Labfiles.Pair, host) { Parallelism = 1 };
            string Step(string what, EngineResult result) => string.Create(CultureInfo.InvariantCulture, $"fault at change {n}: {what}: {Lab.Describe(result)}");

            host.FailAtOperation = n;
            var interrupted = await lab.UpAsync();
            host.FailAtOperation = null;
            if (interrupted.Outcome != EngineOutcome.HostFailure || !interrupted.Failures.Any(f => f.Error.Message.Contains("Injected fault", StringComparison.Ordinal)))
            {
                problems.Add(Step("the interrupted up did not report the fault", interrupted));
                continue;
            }

            var finished = await lab.UpAsync();
            if (finished.Outcome != EngineOutcome.Done)
            {
                problems.Add(Step("the next up did not finish the lab", finished));
                continue;
            }
            try
            {
                HostAssert.Holds(lab, finished.Plan!, PlanRules.NatName, Core.Hosting.VmState.Running);
            }
            catch (Exception e) when (e is Xunit.Sdk.XunitException)
            {
                problems.Add(string.Create(CultureInfo.InvariantCulture, $"fault at change {n}: the finished lab is not the planned one: {e.Message}"));
                continue;
            }
            var again = await lab.UpAsync();
            if (again.Outcome != EngineOutcome.NothingToDo)
            {
                problems.Add(Step("a further up still had work", again));
                continue;
            }

            var down = await lab.DownAsync();
            if (down.Outcome != EngineOutcome.Done)
            {
                problems.Add(Step("down failed", down));
                continue;
            }
            try
            {
                HostAssert.NothingOfTheLabRemains(lab, foreign);
            }
            catch (Exception e) when (e is Xunit.Sdk.XunitException)
            {
                problems.Add(string.Create(CultureInfo.InvariantCulture, $"fault at change {n}: down left something: {e.Message}"));
            }
        }
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{total} faults, each followed by up, up, down: {clock.Elapsed.TotalSeconds:0.0} s"));

        Assert.True(problems.Count == 0, string.Join("\n\n", problems));
    }

    /// <summary>
    /// Issue 7.8: VMs are independent. A failure of VM 'a' in the one VM batch (one PowerShell process) stops only
    /// a's remaining operations; 'b' in the same batch is still created and started, each VM's outcome is reported,
    /// and the next up finishes 'a'.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_failed_vm_does_not_stop_the_other_vm_of_its_batch_and_the_next_up_finishes_it(bool throughPowerShell)
    {
        var host = Labfiles.HostWithForeignObjects(foreignNat: false);
        using var lab = new Lab(Labfiles.Pair, host, throughPowerShell) { Parallelism = 1 };
        // The first Add-VMNetworkAdapter of VM 'a' (counted as in the test below).
        host.FailAtOperation = 7 + (throughPowerShell ? 6 : 3) + 1;

        var failed = await lab.UpAsync();
        host.FailAtOperation = null;
        var b = host.Snapshot().Vms.Single(v => v.Name == "pair-b");
        var a = host.Snapshot().Vms.Single(v => v.Name == "pair-a");
        var finished = await lab.UpAsync();

        Assert.True(failed.Outcome == EngineOutcome.HostFailure, Lab.Describe(failed));
        Assert.Single(failed.Batches, batch => batch.Label.StartsWith(LabEngine.VmBatchPrefix, StringComparison.Ordinal));
        Assert.Equal([("a", VmOutcomeKind.Failed), ("b", VmOutcomeKind.Done)], failed.VmOutcomes.Select(o => (o.Vm, o.Kind)));
        Assert.Contains("Injected fault", failed.VmOutcomes[0].Failure!.Error.Message, StringComparison.Ordinal);
        Assert.Equal(Core.Hosting.VmState.Running, b.State);
        Assert.Equal(2, b.NetworkAdapters.Count(n => n.StaticMacAddress is not null));
        Assert.Equal(Core.Hosting.VmState.Off, a.State);
        Assert.True(finished.Outcome == EngineOutcome.Done, Lab.Describe(finished));
        Assert.Equal(["a"], finished.Reconciliation!.Vms.Select(v => v.Vm));
        Assert.Equal(EngineOutcome.NothingToDo, (await lab.UpAsync()).Outcome);
    }

    /// <summary>
    /// A VM interrupted after New-VM (which turns secure boot on with the Windows template) but before its
    /// firmware step has the wrong template. The inventory reads the template back (SecureBootTemplateId),
    /// so the next up sets the firmware again with no pending state for it — even with the project's
    /// record of VMs being created gone — through PowerShell and through the simulated provider alike.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_vm_interrupted_before_its_firmware_step_gets_the_linux_secure_boot_template_on_the_next_up(bool throughPowerShell)
    {
        var host = Labfiles.HostWithForeignObjects(foreignNat: false);
        using var lab = new Lab(Labfiles.Pair, host, throughPowerShell) { Parallelism = 1 };
        // The change to fail: the first Add-VMNetworkAdapter of VM 'a' — after 7 network changes and
        // New-VHD, New-VM, Set-VM -Notes, Set-VM -AutomaticCheckpointsEnabled, Set-VM -CheckpointType, the default
        // adapter's removal and Set-VM through PowerShell (7), or CreateDisk, CreateVm (one change) and SetVmHardware
        // through the simulated provider (3).
        host.FailAtOperation = 7 + (throughPowerShell ? 7 : 3) + 1;
        var interrupted = await lab.UpAsync();
        host.FailAtOperation = null;
        Assert.Equal("add adapter 'eth0'", Assert.Single(interrupted.Failures).Operation.Describe()[..18]);
        var state = ProjectState.LoadOrCreate(lab.StateDirectory);
        Assert.Contains("pair-a", state.PendingVms);
        state.PendingVms = [];
        state.Save(lab.StateDirectory);

        var finished = await lab.UpAsync();

        Assert.True(finished.Outcome == EngineOutcome.Done, Lab.Describe(finished));
        Assert.Contains(finished.Batches.SelectMany(b => b.Operations), o => o is Core.Hosting.SetFirmware { VmName: "pair-a" });
        var a = host.Snapshot().Vms.Single(v => v.Name == "pair-a");
        Assert.True(a.Firmware!.SecureBoot);
        Assert.Equal("MicrosoftUEFICertificateAuthority", a.Firmware.SecureBootTemplate);
        Assert.Equal("MicrosoftUEFICertificateAuthority", host.Snapshot().Vms.Single(v => v.Name == "pair-b").Firmware!.SecureBootTemplate);
        Assert.Equal(EngineOutcome.NothingToDo, (await lab.UpAsync()).Outcome);
    }
}
