using System.Collections.Immutable;
using LabRunner.Core.Hosting;
using LabRunner.Core.Reconciliation;
using LabRunner.Simulation;

namespace LabRunner.Engine.Tests;

/// <summary>Issue 13.2: a VM whose state the host cannot tell (its monitor is silent) is "unknown" in status, with why.</summary>
public class UnknownVmStateTests
{
    [Fact]
    public async Task Status_shows_a_vm_the_host_cannot_read_as_unknown_with_the_reason()
    {
        using var lab = new TestLab(TestLab.Three());
        var host = lab.Host();
        Assert.Equal(EngineOutcome.Done, (await lab.Run(ReconcileMode.Up, host)).Outcome);
        var provider = new SilentFor("demo-web", "its monitor did not greet within 5 s", new SimulatedProvider(host));

        var status = await lab.Engine(provider).StatusAsync(CancellationToken.None);

        var web = status.Vms.Single(v => v.Name == "web");
        Assert.Equal(LabVmState.Unknown, web.State);
        Assert.Equal("its monitor did not greet within 5 s", web.StateReason);
        Assert.All(status.Vms.Where(v => v.Name != "web"), v => Assert.Equal((LabVmState.Running, (string?)null), (v.State, v.StateReason)));
    }

    /// <summary>The simulated host, except that one VM's state cannot be read.</summary>
    private sealed class SilentFor(string hostVmName, string reason, IHostProvider inner) : IHostProvider
    {
        public string Description => inner.Description;

        public HostRules Rules => inner.Rules;

        public IHostFiles Files => inner.Files;

        public async Task<HostInventory> GetInventoryAsync(ImmutableArray<string> filesOfInterest, CancellationToken cancellationToken)
        {
            var inventory = await inner.GetInventoryAsync(filesOfInterest, cancellationToken);
            return inventory with { Vms = [.. inventory.Vms.Select(v => v.Name == hostVmName ? v with { UnknownStateReason = reason } : v)] };
        }

        public Task<ApplyResult> ApplyAsync(OperationBatch batch, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
            inner.ApplyAsync(batch, progress, cancellationToken);
    }
}
