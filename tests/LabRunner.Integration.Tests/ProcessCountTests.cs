using LabRunner.Engine;
using LabRunner.Providers.HyperV;
using LabRunner.Providers.HyperV.Running;
using LabRunner.Integration.Tests.Support;
using LabRunner.Simulation;

namespace LabRunner.Integration.Tests;

/// <summary>LabRunner's promise against Vagrant's one-process-per-operation: few PowerShell processes for many VMs.</summary>
public class ProcessCountTests
{
    [Fact]
    public async Task Up_of_ten_vms_runs_at_most_three_powershell_processes_and_the_two_vm_batches_at_once()
    {
        using var lab = new Lab(Labfiles.Many(10), SimulatedHost.InMemory());
        // The first script of a VM batch waits (up to a generous timeout) until the second one is running too.
        var overlap = new OverlappingRunner(lab.Runner, expected: 2, TimeSpan.FromSeconds(30));
        var provider = new HyperVProvider(overlap, lab.Cim, "test");

        var up = await lab.RunAsync(Core.Reconciliation.ReconcileMode.Up, provider);

        Assert.True(up.Outcome == EngineOutcome.Done, Lab.Describe(up));
        Assert.Equal(2, overlap.MaxInFlight);
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

/// <summary>Holds each VM batch's script until <c>expected</c> scripts run at once (or the timeout passes).</summary>
internal sealed class OverlappingRunner(IPowerShellRunner inner, int expected, TimeSpan timeout) : IPowerShellRunner
{
    private int _inFlight;
    private int _max;

    public int MaxInFlight => Volatile.Read(ref _max);

    public string Executable => inner.Executable;

    public async Task<PowerShellRun> RunAsync(string script, Action<string> onStdoutLine, CancellationToken cancellationToken)
    {
        // Only the VM batches run in parallel; host networking runs alone first.
        if (!script.Contains("# LabRunner batch: " + LabEngine.VmBatchPrefix, StringComparison.Ordinal))
            return await inner.RunAsync(script, onStdoutLine, cancellationToken);
        var now = Interlocked.Increment(ref _inFlight);
        int seen;
        while (now > (seen = Volatile.Read(ref _max)) && Interlocked.CompareExchange(ref _max, now, seen) != seen) { }
        try
        {
            var deadline = DateTime.UtcNow + timeout;
            while (Volatile.Read(ref _inFlight) < expected && DateTime.UtcNow < deadline)
                await Task.Delay(10, cancellationToken);
            return await inner.RunAsync(script, onStdoutLine, cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }
}
