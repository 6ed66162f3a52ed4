using LabRunner.Core.Hosting;
using LabRunner.Core.Reconciliation;
using LabRunner.Engine;
using LabRunner.Simulation;
using LabRunner.Simulation.Model;

namespace LabRunner.Engine.Tests;

public class LifecycleTests
{
    [Fact]
    public async Task Up_builds_the_lab_and_a_second_up_changes_nothing()
    {
        using var lab = new TestLab(TestLab.Three());
        var host = lab.Host();

        var first = await lab.Run(ReconcileMode.Up, host);
        var mutations = host.MutationCount;
        var second = await lab.Run(ReconcileMode.Up, host);

        Assert.Equal(EngineOutcome.Done, first.Outcome);
        Assert.Equal(EngineOutcome.NothingToDo, second.Outcome);
        Assert.Equal(0, second.Reconciliation!.OperationCount);
        Assert.Equal(mutations, host.MutationCount);
        var inventory = host.GetInventory([]);
        Assert.All(first.Plan!.Vms, vm =>
        {
            var hostVm = Assert.Single(inventory.Vms, v => v.Name == vm.HostVmName);
            Assert.Equal(VmState.Running, hostVm.State);
            Assert.Equal(vm.Adapters.Select(a => (a.Mac, a.Switch)), hostVm.Adapters.Select(a => (a.Mac!.Value, a.SwitchName!)));
        });
        Assert.Single(inventory.Nats);
    }

    [Fact]
    public async Task Up_after_adding_a_vm_and_a_port_applies_only_the_difference()
    {
        using var lab = new TestLab(TestLab.Three());
        var host = lab.Host();
        await lab.Run(ReconcileMode.Up, host);

        lab.WriteLabfile(TestLab.Three().Replace("      - { guest: 80, host: 8080 }", "      - { guest: 80, host: 8080 }\n      - { guest: 22, host: 2222 }", StringComparison.Ordinal)
            + "\n  - name: cache\n    networks: [back]\n");
        var result = await lab.Run(ReconcileMode.Up, host);

        var ops = result.Reconciliation!.All.ToList();
        Assert.Equal(EngineOutcome.Done, result.Outcome);
        Assert.Single(ops.OfType<AddPortMapping>(), m => m.ExternalPort == 2222);
        Assert.All(ops.Where(o => o.Vm is not null), o => Assert.Equal("demo-cache", o.Vm));
        Assert.DoesNotContain(ops, o => o is CreateSwitch or CreateNat);
    }

    [Fact]
    public async Task Changed_memory_waits_for_reload_which_applies_it()
    {
        using var lab = new TestLab(TestLab.Three());
        var host = lab.Host();
        await lab.Run(ReconcileMode.Up, host);
        lab.WriteLabfile(TestLab.Three().Replace("memory: 1GB", "memory: 3GB", StringComparison.Ordinal));

        var up = await lab.Run(ReconcileMode.Up, host);
        var reload = await lab.Run(ReconcileMode.Reload, host);

        Assert.Contains(up.Reconciliation!.Notices, n => n.Contains("lab reload", StringComparison.Ordinal));
        Assert.All(host.GetInventory([]).Vms, vm => Assert.NotEqual(1L << 30, vm.MemoryBytes));
        Assert.Equal(EngineOutcome.Done, reload.Outcome);
        Assert.All(host.GetInventory([]).Vms, vm => Assert.Equal((3L << 30, VmState.Running), (vm.MemoryBytes, vm.State)));
        Assert.Equal(EngineOutcome.NothingToDo, (await lab.Run(ReconcileMode.Up, host)).Outcome);
    }

    [Fact]
    public async Task A_changed_ip_gives_a_new_seed_which_reload_applies_and_the_old_seed_is_deleted()
    {
        using var lab = new TestLab(TestLab.Three());
        var host = lab.Host();
        await lab.Run(ReconcileMode.Up, host);
        var folder = Path.Combine(lab.ProjectDirectory, ".lab", "vms", "db");
        var oldSeed = Assert.Single(Directory.GetFiles(folder, "seed-*.iso"));
        lab.WriteLabfile(TestLab.Three(dbIp: "192.168.60.77"));

        var up = await lab.Run(ReconcileMode.Up, host);
        var reload = await lab.Run(ReconcileMode.Reload, host);

        Assert.Contains(up.Reconciliation!.All, o => o is AttachSeed { VmName: "demo-db", Drive: SeedDrive.Holding });
        Assert.Contains(up.Reconciliation.Notices, n => n.Contains("new seed", StringComparison.Ordinal));
        Assert.Equal(EngineOutcome.Done, reload.Outcome);
        var newSeed = Assert.Single(Directory.GetFiles(folder, "seed-*.iso"));
        Assert.NotEqual(oldSeed, newSeed);
        var drives = Assert.Single(host.GetInventory([]).Vms, v => v.Name == "demo-db").DvdDrives.Select(d => d.Path).ToList();
        Assert.True(drives.SequenceEqual([newSeed]), $"drives: {string.Join(", ", drives)}; new seed: {newSeed}");
    }

    [Fact]
    public async Task Halt_stops_the_vms_and_up_starts_them_again()
    {
        using var lab = new TestLab(TestLab.Three());
        var host = lab.Host();
        var up = await lab.Run(ReconcileMode.Up, host);

        var halt = await lab.Run(ReconcileMode.Halt, host);
        var halted = host.GetInventory([]).Vms.Select(v => v.State).ToList();
        var again = await lab.Run(ReconcileMode.Up, host);

        Assert.Equal((EngineOutcome.Done, EngineOutcome.Done, EngineOutcome.Done), (up.Outcome, halt.Outcome, again.Outcome));
        Assert.Equal(3, halted.Count);
        Assert.All(halted, s => Assert.Equal(VmState.Off, s));
        Assert.Equal(["demo-app", "demo-db", "demo-web"], halt.Reconciliation!.All.OfType<StopVm>().Where(s => !s.TurnOff).Select(s => s.VmName).Order());
        Assert.All(halt.VmOutcomes, o => Assert.Equal(VmOutcomeKind.Done, o.Kind));
        Assert.Equal(3, again.Reconciliation!.All.OfType<StartVm>().Count());
        var running = host.GetInventory([]).Vms;
        Assert.Equal(3, running.Length);
        Assert.All(running, v => Assert.Equal(VmState.Running, v.State));
    }

    [Fact]
    public async Task Down_removes_the_lab_and_leaves_a_foreign_switch_netnat_compatible_host_and_vm_alone()
    {
        using var lab = new TestLab(TestLab.Three());
        var host = lab.Host();
        host.Mutate(m =>
        {
            m.State.Switches.Add(new SimSwitch { Name = "My switch", Id = Guid.NewGuid(), SwitchType = SwitchKind.Private, Notes = "mine" });
            m.State.Vms.Add(new SimVm { Name = "dc01", Id = Guid.NewGuid(), Notes = "domain controller", State = VmState.Running });
        });
        var before = host.GetInventory([]);

        await lab.Run(ReconcileMode.Up, host);
        var down = await lab.Run(ReconcileMode.Down, host);
        var after = host.GetInventory([]);

        Assert.Equal(EngineOutcome.Done, down.Outcome);
        Assert.Empty(after.LabRunnerObjects());
        Assert.Equal(before.Switches.Select(s => s.Name).Order(), after.Switches.Select(s => s.Name).Order());
        Assert.Equal(VmState.Running, Assert.Single(after.Vms).State);
        Assert.Equal(before.NetAdapters.Select(a => a.Name).Order(), after.NetAdapters.Select(a => a.Name).Order());
        Assert.False(Directory.Exists(Path.Combine(lab.ProjectDirectory, ".lab", "vms", "web")));
    }

    [Fact]
    public async Task A_foreign_netnat_that_cannot_cover_the_lab_stops_up_with_zero_changes()
    {
        using var lab = new TestLab(TestLab.Three());
        var host = lab.Host();
        host.Mutate(m => m.State.Nats.Add(new SimNat { Name = "DockerNAT", InternalIPInterfaceAddressPrefix = Core.Net.Ipv4Subnet.Parse("172.28.0.0/16") }));
        var mutations = host.MutationCount;

        var result = await lab.Run(ReconcileMode.Up, host);

        Assert.Equal(EngineOutcome.Conflict, result.Outcome);
        Assert.Contains(result.Reconciliation!.Conflicts, c => c.Message.Contains("DockerNAT", StringComparison.Ordinal));
        Assert.Equal(mutations, host.MutationCount);
    }

    [Fact]
    public async Task A_nat_prefix_overlapping_a_host_adapter_stops_up_with_zero_changes()
    {
        using var lab = new TestLab(TestLab.Three());
        var host = lab.Host();
        host.Mutate(m => m.State.NetAdapters.Add(new SimNetAdapter
        {
            Name = "VPN", InterfaceDescription = "WireGuard Tunnel", Kind = SimAdapterKind.Physical,
            Addresses = [new HostIp(Core.Net.Ipv4Address.Parse("10.188.40.7"), 24)],
        }));
        var mutations = host.MutationCount;

        var result = await lab.Run(ReconcileMode.Up, host);

        Assert.Equal(EngineOutcome.Conflict, result.Outcome);
        Assert.Contains(result.Reconciliation!.Conflicts, c => c.Message.Contains("'VPN'", StringComparison.Ordinal));
        Assert.Equal(mutations, host.MutationCount);
    }

    [Fact]
    public async Task Two_labs_share_one_netnat_in_separate_slices_and_a_port_clash_is_auto_corrected()
    {
        using var first = new TestLab(TestLab.Three("alpha"));
        using var second = new TestLab(TestLab.Three("beta", back: "192.168.61.0/24", dbIp: "192.168.61.10")
            .Replace("host: 8080 }", "host: 8080, auto_correct: true }", StringComparison.Ordinal), first.HostFile, "beta");
        var host = first.Host();

        var a = await first.Run(ReconcileMode.Up, host);
        var b = await second.Run(ReconcileMode.Up, host);

        Assert.True((a.Outcome, b.Outcome) == (EngineOutcome.Done, EngineOutcome.Done), string.Join("; ", b.Reconciliation?.Conflicts.Select(c => c.Message) ?? []) + string.Join("; ", b.Diagnostics));
        var inventory = host.GetInventory([]);
        Assert.Single(inventory.Nats);
        var sliceA = a.Plan!.Networks.Single(n => n.Name == "lan").Subnet!.Value;
        var sliceB = b.Plan!.Networks.Single(n => n.Name == "lan").Subnet!.Value;
        Assert.False(sliceA.Overlaps(sliceB));
        Assert.Equal([8080, 8081], inventory.PortMappings.Select(m => m.ExternalPort).Order());
        Assert.Equal(8081, Assert.Single(b.Reconciliation!.Ports).HostPort);
    }

    [Fact]
    public async Task A_failure_at_any_operation_leaves_a_state_the_next_up_finishes_and_down_cleans()
    {
        using var probe = new TestLab(TestLab.Three());
        var total = (await probe.Run(ReconcileMode.Up, SimulatedHost.InMemory())).Reconciliation!.OperationCount;
        Assert.True(total > 20, $"expected a multi-VM lab, got {total} operations");

        for (var failAt = 1; failAt <= total; failAt++)
        {
            using var lab = new TestLab(TestLab.Three());
            var host = lab.Host();
            host.FailAtOperation = failAt;

            var failed = await lab.Run(ReconcileMode.Up, host);
            host.FailAtOperation = null;
            var retry = await lab.Run(ReconcileMode.Up, host);
            var again = await lab.Run(ReconcileMode.Up, host);
            var down = await lab.Run(ReconcileMode.Down, host);

            Assert.True(failed.Outcome == EngineOutcome.HostFailure, $"fault at {failAt}: {failed.Outcome}");
            Assert.True(retry.Outcome == EngineOutcome.Done, $"fault at {failAt}: retry {retry.Outcome} {string.Join("; ", retry.Failures.Select(f => f.Error.Message))}{string.Join("; ", retry.Reconciliation?.Conflicts.Select(c => c.Message) ?? [])}");
            Assert.True(again.Outcome == EngineOutcome.NothingToDo, $"fault at {failAt}: second retry {again.Outcome}");
            Assert.True(down.Outcome == EngineOutcome.Done, $"fault at {failAt}: down {down.Outcome}");
            Assert.True(host.GetInventory([]).LabRunnerObjects().IsEmpty, $"fault at {failAt}: left {string.Join(", ", host.GetInventory([]).LabRunnerObjects())}");
        }
    }

    [Fact]
    public async Task Cancelling_up_midway_leaves_a_state_the_next_up_finishes()
    {
        using var lab = new TestLab(TestLab.Three());
        var host = lab.Host();
        using var cts = new CancellationTokenSource();
        var reporter = new CancelAfter(10, cts);

        var interrupted = await lab.Engine(host, reporter).RunAsync(ReconcileMode.Up, [], EngineOptions.Default, cts.Token);
        var retry = await lab.Run(ReconcileMode.Up, host);

        Assert.Equal(EngineOutcome.Interrupted, interrupted.Outcome);
        Assert.Equal(EngineOutcome.Done, retry.Outcome);
        Assert.Equal(EngineOutcome.NothingToDo, (await lab.Run(ReconcileMode.Up, host)).Outcome);
    }

    [Fact]
    public async Task Two_ups_started_at_once_on_one_host_both_finish_and_agree()
    {
        using var first = new TestLab(TestLab.Three("alpha"));
        using var second = new TestLab(TestLab.Three("beta", back: "192.168.61.0/24", dbIp: "192.168.61.10", port: 9090), first.HostFile, "beta");

        // Two SimulatedHost objects on one file, as two processes would have.
        var results = await Task.WhenAll(first.Run(ReconcileMode.Up, first.Host()), second.Run(ReconcileMode.Up, second.Host()));

        Assert.All(results, r => Assert.Equal(EngineOutcome.Done, r.Outcome));
        var inventory = first.Host().GetInventory([]);
        Assert.Equal(6, inventory.Vms.Length);
        Assert.Single(inventory.Nats);
        Assert.Equal(EngineOutcome.NothingToDo, (await first.Run(ReconcileMode.Up)).Outcome);
        Assert.Equal(EngineOutcome.NothingToDo, (await second.Run(ReconcileMode.Up)).Outcome);
    }

    [Fact]
    public async Task Ten_vms_take_at_most_three_batches_and_the_two_vm_batches_run_at_once()
    {
        var vms = string.Join("\n", Enumerable.Range(1, 10).Select(i => $"  - {{ name: vm-{i}, networks: [lan] }}"));
        using var lab = new TestLab($"name: ten\ndefaults: {{ box: ubuntu, memory: 512MB }}\nnetworks:\n  - {{ name: lan, type: nat }}\nvms:\n{vms}\n");
        var host = lab.Host();
        // Each VM batch waits (up to a generous timeout) until the other one has started too.
        var provider = new OverlapProvider(new SimulatedProvider(host), expected: 2, TimeSpan.FromSeconds(20));

        var result = await lab.Engine(provider).RunAsync(ReconcileMode.Up, [], EngineOptions.Default, CancellationToken.None);

        Assert.Equal(EngineOutcome.Done, result.Outcome);
        Assert.Equal(3, result.Batches.Length);
        Assert.Equal(2, provider.MaxInFlight);
        Assert.Equal(10, host.GetInventory([]).Vms.Count(v => v.State == VmState.Running));
    }

    [Fact]
    public async Task A_vm_is_done_when_the_host_reports_its_operations_in_its_own_words()
    {
        // The QEMU provider reports copies of the batch's operations described as bridges; the guest wait after
        // 'up' takes only VMs whose outcome is done, so a VM counted as skipped here was never waited for.
        using var lab = new TestLab(TestLab.Three());
        var provider = new OwnWordsProvider(new SimulatedProvider(lab.Host()), new HostWords("bridge", "isolated bridge", "existing bridge", "bridge", "nftables masquerade"));

        var result = await lab.Engine(provider).RunAsync(ReconcileMode.Up, [], EngineOptions.Default, CancellationToken.None);

        Assert.Equal(EngineOutcome.Done, result.Outcome);
        Assert.Equal(3, result.VmOutcomes.Length);
        Assert.All(result.VmOutcomes, o => Assert.Equal(VmOutcomeKind.Done, o.Kind));
    }

    private sealed class CancelAfter(int operations, CancellationTokenSource cts) : IEngineReporter
    {
        private int _done;
        public void Info(string message) { }
        public void BatchStarted(OperationBatch batch) { }
        public void Progress(OperationProgress progress)
        {
            if (progress.Done && Interlocked.Increment(ref _done) == operations) cts.Cancel();
        }
    }
}
