using LabRunner.Core.Hosting;
using LabRunner.Core.Reconciliation;
using LabRunner.Engine;
using LabRunner.Simulation;

namespace LabRunner.Engine.Tests;

/// <summary>Failures stay where they happen: one VM's failure stops only that VM.</summary>
public class FailureTests
{
    [Fact]
    public async Task A_failure_of_web_does_not_stop_the_other_vms_of_its_batch_and_the_next_up_converges()
    {
        using var lab = new TestLab(TestLab.Three());
        var host = lab.Host();
        var oneBatch = EngineOptions.Default with { Parallelism = 1 };
        // Plan on a scratch host to find the change that adds web's first adapter: network first, then the one VM batch.
        using var probe = new TestLab(TestLab.Three());
        var plan = await probe.Engine(SimulatedHost.InMemory()).RunAsync(ReconcileMode.Up, [], oneBatch with { WhatIf = true }, CancellationToken.None);
        var network = plan.Batches.Single(b => b.Label == LabEngine.NetworkBatch).Operations.Length;
        var vmBatch = plan.Batches.Single(b => b.Label.StartsWith(LabEngine.VmBatchPrefix, StringComparison.Ordinal)).Operations;
        Assert.Equal(["demo-web", "demo-app", "demo-db"], vmBatch.Select(o => o.Vm).Distinct());
        host.FailAtOperation = network + vmBatch.IndexOf(vmBatch.First(o => o is AddVmAdapter { VmName: "demo-web" })) + 1;

        var failed = await lab.Engine(host).RunAsync(ReconcileMode.Up, [], oneBatch, CancellationToken.None);
        host.FailAtOperation = null;
        var inventory = host.GetInventory([]);
        var retry = await lab.Run(ReconcileMode.Up, host, oneBatch);
        var again = await lab.Run(ReconcileMode.Up, host, oneBatch);

        Assert.Equal(EngineOutcome.HostFailure, failed.Outcome);
        var failure = Assert.Single(failed.Failures);
        Assert.Equal("demo-web", failure.Operation.Vm);
        Assert.Contains("Injected fault", failure.Error.Message, StringComparison.Ordinal);
        Assert.Equal(
            [("web", VmOutcomeKind.Failed), ("app", VmOutcomeKind.Done), ("db", VmOutcomeKind.Done)],
            failed.VmOutcomes.Select(o => (o.Vm, o.Kind)));
        Assert.IsType<AddVmAdapter>(failed.VmOutcomes[0].Failure!.Operation);
        Assert.Equal(VmState.Running, inventory.Vm("demo-db")!.State);
        Assert.Equal(VmState.Running, inventory.Vm("demo-app")!.State);
        Assert.Equal(VmState.Off, inventory.Vm("demo-web")!.State);
        Assert.Equal(EngineOutcome.Done, retry.Outcome);
        Assert.Equal(["web"], retry.Reconciliation!.Vms.Select(v => v.Vm));
        Assert.Equal(EngineOutcome.NothingToDo, again.Outcome);
        Assert.All(host.GetInventory([]).Vms, v => Assert.Equal(VmState.Running, v.State));
    }

    [Fact]
    public async Task A_failure_in_host_networking_runs_no_vm_and_reports_them_skipped()
    {
        using var lab = new TestLab(TestLab.Three());
        var host = lab.Host();
        host.FailAtOperation = 1;

        var failed = await lab.Run(ReconcileMode.Up, host);

        Assert.Equal(EngineOutcome.HostFailure, failed.Outcome);
        Assert.Null(Assert.Single(failed.Failures).Operation.Vm);
        Assert.All(failed.VmOutcomes, o => Assert.Equal(VmOutcomeKind.Skipped, o.Kind));
        Assert.Empty(host.GetInventory([]).Vms);
    }

    [Fact]
    public async Task Halt_turns_off_a_vm_that_ignores_the_shutdown_after_the_timeout()
    {
        using var lab = new TestLab(TestLab.Three());
        var host = lab.Host();
        Assert.Equal(EngineOutcome.Done, (await lab.Run(ReconcileMode.Up, host)).Outcome);
        var provider = new IgnoredShutdownProvider(new SimulatedProvider(host), "demo-web");
        var reporter = new Lines();
        var options = EngineOptions.Default with { HaltTimeout = TimeSpan.FromSeconds(1) };

        var halt = await lab.Engine(provider, reporter).RunAsync(ReconcileMode.Halt, [], options, CancellationToken.None);

        Assert.Equal(EngineOutcome.Done, halt.Outcome);
        Assert.Contains(provider.Applied, o => o is StopVm { VmName: "demo-web", TurnOff: true });
        Assert.Contains(reporter.Messages, m => m.Contains("did not shut down within 1 s", StringComparison.Ordinal));
        Assert.All(host.GetInventory([]).Vms, v => Assert.Equal(VmState.Off, v.State));
        Assert.Equal(VmOutcomeKind.Done, Assert.Single(halt.VmOutcomes, o => o.Vm == "web").Kind);
    }

    private sealed class Lines : IEngineReporter
    {
        public List<string> Messages { get; } = [];
        public void Info(string message)
        {
            lock (Messages) Messages.Add(message);
        }
        public void BatchStarted(OperationBatch batch) { }
        public void Progress(OperationProgress progress) { }
    }
}
