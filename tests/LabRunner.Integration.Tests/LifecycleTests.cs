using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Core.Planning;
using LabRunner.Core.Reconciliation;
using LabRunner.Engine;
using LabRunner.Integration.Tests.Support;
using LabRunner.Simulation.Model;

namespace LabRunner.Integration.Tests;

/// <summary>
/// A whole lab life driven by the real engine through the real Hyper-V provider: its rendered scripts run
/// by the PowerShell engine against the emulated cmdlets, its inventory read through its CIM mapper from
/// a CIM view — both of one simulated host.
/// </summary>
public class LifecycleTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Up_halt_up_reload_and_down_leave_exactly_the_planned_lab_and_then_nothing_of_it(bool sharesAForeignNetNat)
    {
        var host = Labfiles.HostWithForeignObjects(foreignNat: sharesAForeignNetNat);
        var foreign = Labfiles.ForeignPart(host.Snapshot());
        using var lab = new Lab(Labfiles.Shop, host);

        var up = await lab.UpAsync();

        Assert.True(up.Outcome == EngineOutcome.Done, Lab.Describe(up));
        // Host networking in one process, the three VMs dealt into two (default parallelism 2).
        Assert.Equal(3, lab.Runner.ProcessesStarted);
        HostAssert.Holds(lab, up.Plan!, sharesAForeignNetNat ? "DockerNAT" : PlanRules.NatName, VmState.Running);
        await Inventory.AssertCimViewMatchesHostAsync(lab);
        Assert.Equal(foreign, Labfiles.ForeignPart(host.Snapshot()));

        var again = await lab.UpAsync();

        Assert.True(again.Outcome == EngineOutcome.NothingToDo, Lab.Describe(again));
        Assert.Equal(3, lab.Runner.ProcessesStarted);

        var halt = await lab.RunAsync(ReconcileMode.Halt);

        Assert.True(halt.Outcome == EngineOutcome.Done, Lab.Describe(halt));
        Assert.All(HostAssert.LabVms(host.Snapshot()), vm => Assert.Equal(VmState.Off, vm.State));
        Assert.Equal(VmState.Running, host.Snapshot().Vms.Single(v => v.Name == Labfiles.ForeignVm).State);

        var restarted = await lab.UpAsync();

        Assert.True(restarted.Outcome == EngineOutcome.Done, Lab.Describe(restarted));
        Assert.All(HostAssert.LabVms(host.Snapshot()), vm => Assert.Equal(VmState.Running, vm.State));

        // A change that needs the VM off: 'up' leaves it for reload, reload stops, changes and starts it.
        lab.WriteLabfile(Labfiles.Shop.Replace("    memory: 512MB", "    memory: 768MB\n    cpus: 2", StringComparison.Ordinal));
        var runsBefore = lab.Runner.ProcessesStarted;
        var deferred = await lab.UpAsync();
        Assert.True(deferred.Outcome == EngineOutcome.NothingToDo, Lab.Describe(deferred));
        Assert.Equal(runsBefore, lab.Runner.ProcessesStarted);

        var reload = await lab.RunAsync(ReconcileMode.Reload);

        Assert.True(reload.Outcome == EngineOutcome.Done, Lab.Describe(reload));
        var cache = host.Snapshot().Vms.Single(v => v.Name == "shop-cache");
        Assert.Equal((768L * 1024 * 1024, 2, VmState.Running), (cache.MemoryStartupBytes, cache.ProcessorCount, cache.State));
        HostAssert.Holds(lab, reload.Plan!, sharesAForeignNetNat ? "DockerNAT" : PlanRules.NatName, VmState.Running);
        Assert.True((await lab.UpAsync()).Outcome == EngineOutcome.NothingToDo);

        var down = await lab.DownAsync();

        Assert.True(down.Outcome == EngineOutcome.Done, Lab.Describe(down));
        HostAssert.NothingOfTheLabRemains(lab, foreign);
        Assert.Equal(sharesAForeignNetNat ? 1 : 0, host.Snapshot().StaticMappings.Count);
        await Inventory.AssertCimViewMatchesHostAsync(lab);
    }

    [Fact]
    public async Task A_second_up_reads_the_host_and_starts_no_powershell()
    {
        using var lab = new Lab(Labfiles.Pair, Simulation.SimulatedHost.InMemory());
        Assert.Equal(EngineOutcome.Done, (await lab.UpAsync()).Outcome);
        var runs = lab.Runner.ProcessesStarted;
        var queries = lab.Cim.Queries;

        var again = await lab.UpAsync();

        Assert.Equal(EngineOutcome.NothingToDo, again.Outcome);
        Assert.Equal(runs, lab.Runner.ProcessesStarted);
        // One inventory: every class enumerated once.
        Assert.Equal(queries + Providers.HyperV.Cim.CimClasses.InventoryQueries.Count + Providers.HyperV.Cim.CimClasses.ShareQueries.Count, lab.Cim.Queries);
    }
}
