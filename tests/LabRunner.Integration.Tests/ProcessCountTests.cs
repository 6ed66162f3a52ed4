using LabRunner.Engine;
using LabRunner.Integration.Tests.Support;
using LabRunner.Simulation;

namespace LabRunner.Integration.Tests;

/// <summary>LabRunner's promise against Vagrant's one-process-per-operation: few PowerShell processes for many VMs.</summary>
public class ProcessCountTests
{
    [Fact]
    public async Task Up_of_ten_vms_runs_at_most_three_powershell_processes()
    {
        using var lab = new Lab(Labfiles.Many(10), SimulatedHost.InMemory());

        var up = await lab.UpAsync();

        Assert.True(up.Outcome == EngineOutcome.Done, Lab.Describe(up));
        Assert.Equal(10, HostAssert.LabVms(lab.Host.Snapshot()).Count());
        // Host networking, then the ten VMs dealt into two batches (default parallelism 2).
        Assert.InRange(lab.Runner.ProcessesStarted, 1, 3);
        Assert.Equal(up.Batches.Length, lab.Runner.ProcessesStarted);
        // 2 switches, 2 host addresses, the NetNat, 10 mappings; per VM a disk, the VM, its hardware, 2 adapters,
        // the seed, the firmware and the start.
        Assert.Equal(15 + (10 * 8), up.Batches.Sum(b => b.Operations.Length));
    }

    [Fact]
    public async Task Down_of_ten_vms_runs_at_most_three_powershell_processes_too()
    {
        using var lab = new Lab(Labfiles.Many(10), SimulatedHost.InMemory());
        Assert.Equal(EngineOutcome.Done, (await lab.UpAsync()).Outcome);
        var before = lab.Runner.ProcessesStarted;

        var down = await lab.DownAsync();

        Assert.True(down.Outcome == EngineOutcome.Done, Lab.Describe(down));
        Assert.InRange(lab.Runner.ProcessesStarted - before, 1, 3);
        Assert.Empty(HostAssert.LabVms(lab.Host.Snapshot()));
    }
}
