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
        AssertHostHolds(lab, up.Plan!, sharesAForeignNetNat ? "DockerNAT" : PlanRules.NatName, VmState.Running);
        await Inventory.AssertCimViewMatchesHostAsync(lab);
        Assert.Equal(foreign, Labfiles.ForeignPart(host.Snapshot()));

        var again = await lab.UpAsync();

        Assert.True(again.Outcome == EngineOutcome.NothingToDo, Lab.Describe(again));
        Assert.Equal(3, lab.Runner.ProcessesStarted);

        var halt = await lab.RunAsync(ReconcileMode.Halt);

        Assert.True(halt.Outcome == EngineOutcome.Done, Lab.Describe(halt));
        Assert.All(LabVms(host.Snapshot()), vm => Assert.Equal(VmState.Off, vm.State));
        Assert.Equal(VmState.Running, host.Snapshot().Vms.Single(v => v.Name == Labfiles.ForeignVm).State);

        var restarted = await lab.UpAsync();

        Assert.True(restarted.Outcome == EngineOutcome.Done, Lab.Describe(restarted));
        Assert.All(LabVms(host.Snapshot()), vm => Assert.Equal(VmState.Running, vm.State));

        // A change that needs the VM off: 'up' leaves it for reload, reload stops, changes and starts it.
        lab.WriteLabfile(Labfiles.Shop.Replace("    memory: 512MB", "    memory: 768MB\n    cpus: 2", StringComparison.Ordinal));
        var runsBefore = lab.Runner.ProcessesStarted;
        var deferred = await lab.UpAsync();
        Assert.True(deferred.Outcome == EngineOutcome.NothingToDo, Lab.Describe(deferred));
        Assert.Equal(runsBefore, lab.Runner.ProcessesStarted);

        var reload = await lab.RunAsync(ReconcileMode.Reload);

        Assert.True(reload.Outcome == EngineOutcome.Done, Lab.Describe(reload));
        var cache = host.Snapshot().Vms.Single(v => v.Name == "cache");
        Assert.Equal((768L * 1024 * 1024, 2, VmState.Running), (cache.MemoryStartupBytes, cache.ProcessorCount, cache.State));
        AssertHostHolds(lab, reload.Plan!, sharesAForeignNetNat ? "DockerNAT" : PlanRules.NatName, VmState.Running);
        Assert.True((await lab.UpAsync()).Outcome == EngineOutcome.NothingToDo);

        var down = await lab.DownAsync();

        Assert.True(down.Outcome == EngineOutcome.Done, Lab.Describe(down));
        var after = host.Snapshot();
        Assert.Empty(LabVms(after));
        Assert.DoesNotContain(after.Switches, s => LabIdentity.IsLabRunner(s.Notes));
        Assert.DoesNotContain(after.NetAdapters, a => a.Name.StartsWith("vEthernet (LabRunner-", StringComparison.Ordinal));
        Assert.DoesNotContain(after.Nats, n => n.Name == PlanRules.NatName);
        Assert.Equal(sharesAForeignNetNat ? 1 : 0, after.StaticMappings.Count);
        Assert.Empty(after.Vhds);
        Assert.False(Directory.Exists(Path.Combine(lab.StateDirectory, "vms")) && Directory.EnumerateFileSystemEntries(Path.Combine(lab.StateDirectory, "vms")).Any());
        Assert.Equal(foreign, Labfiles.ForeignPart(after));
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
        Assert.Equal(queries + Providers.HyperV.Cim.CimClasses.InventoryQueries.Count, lab.Cim.Queries);
    }

    private static IEnumerable<SimVm> LabVms(SimulatedHostState state) => state.Vms.Where(v => LabIdentity.IsLabRunner(v.Notes));

    /// <summary>The simulated host holds exactly what <paramref name="plan"/> asks for, marked as this lab's.</summary>
    private static void AssertHostHolds(Lab lab, LabPlan plan, string natName, VmState vmState)
    {
        var state = lab.Host.Snapshot();
        var mark = new LabIdentity(plan.Lab, ProjectState.LoadOrCreate(lab.StateDirectory).ProjectId).Mark;

        var switches = state.Switches.Where(s => LabIdentity.IsLabRunner(s.Notes)).ToList();
        Assert.Equal(plan.Networks.Select(n => n.Switch).Order(StringComparer.Ordinal), switches.Select(s => s.Name).Order(StringComparer.Ordinal));
        foreach (var network in plan.Networks)
        {
            var sw = switches.Single(s => s.Name == network.Switch);
            Assert.Equal(mark, sw.Notes);
            Assert.Equal(network.Type == NetworkType.Isolated ? SwitchKind.Private : SwitchKind.Internal, sw.SwitchType);
            var vnic = state.NetAdapters.SingleOrDefault(a => a.Name == HostNetAdapter.VnicName(network.Switch));
            if (network.HasHostVnic)
                Assert.Equal([new HostIp(network.Gateway!.Value, network.Subnet!.Value.PrefixLength)], vnic!.Addresses);
            else
                Assert.Null(vnic);
        }

        var nat = Assert.Single(state.Nats);
        Assert.Equal(natName, nat.Name);
        Assert.All(plan.Networks.Where(n => n.Type == NetworkType.Nat), n => Assert.True(nat.InternalIPInterfaceAddressPrefix.Contains(n.Subnet!.Value)));
        var expectedMappings = plan.Vms.SelectMany(v => v.ForwardedPorts)
            .Select(p => $"{natName} {p.Protocol} 0.0.0.0:{p.HostPort} -> {p.GuestIp}:{p.GuestPort}")
            .Order(StringComparer.Ordinal);
        var labSubnets = plan.Networks.Where(n => n.Type == NetworkType.Nat).Select(n => n.Subnet!.Value).ToList();
        Assert.Equal(expectedMappings, state.StaticMappings.Where(m => labSubnets.Any(s => s.Contains(m.InternalIPAddress)))
            .Select(m => $"{m.NatName} {m.Protocol} {m.ExternalIPAddress}:{m.ExternalPort} -> {m.InternalIPAddress}:{m.InternalPort}").Order(StringComparer.Ordinal));

        var vms = LabVms(state).ToList();
        Assert.Equal(plan.Vms.Select(v => v.Name).Order(StringComparer.Ordinal), vms.Select(v => v.Name).Order(StringComparer.Ordinal));
        foreach (var planned in plan.Vms)
        {
            var vm = vms.Single(v => v.Name == planned.Name);
            Assert.Equal(mark, vm.Notes);
            Assert.Equal((planned.Generation, planned.MemoryBytes, planned.Cpus, vmState), (vm.Generation, vm.MemoryStartupBytes, vm.ProcessorCount, vm.State));
            Assert.Equal(
                planned.Adapters.Select(a => $"{a.GuestInterfaceName} {a.Switch} {a.Mac}"),
                vm.NetworkAdapters.Select(a => $"{a.Name} {a.SwitchName} {a.StaticMacAddress}"));
            var disk = Assert.Single(vm.HardDisks);
            Assert.Equal(lab.DiskPath(planned.Name), disk.Path);
            Assert.True(File.Exists(disk.Path), "New-VHD left its file where Test-Path and Remove-Item see it");
            var dvd = Assert.Single(vm.DvdDrives);
            Assert.Equal(Path.Combine(lab.StateDirectory, "vms", planned.Name), Path.GetDirectoryName(dvd.Path));
            Assert.Matches(@"^seed-[0-9a-f]{12}\.iso$", Path.GetFileName(dvd.Path));
            Assert.True(File.Exists(dvd.Path), "the seed ISO the DVD drive holds is on disk");
            var firmware = vm.Firmware!;
            Assert.True(firmware.SecureBoot);
            Assert.Equal("MicrosoftUEFICertificateAuthority", firmware.SecureBootTemplate);
            Assert.Equal((SimBootDeviceType.HardDiskDrive, disk.ControllerNumber, disk.ControllerLocation),
                (firmware.FirstBootDevice!.DeviceType, firmware.FirstBootDevice.ControllerNumber, firmware.FirstBootDevice.ControllerLocation));
        }
    }
}
