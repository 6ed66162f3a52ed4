using System.Collections.Immutable;
using LabRunner.Core.Errors;
using LabRunner.Core.Reconciliation;
using LabRunner.Engine.Guests;
using LabRunner.Engine.Lifecycle;
using LabRunner.Simulation;

namespace LabRunner.Engine.Tests;

/// <summary>The whole of up/halt/down through the Engine's one call: boxes first, the host, the box uses, the ready record.</summary>
public sealed class LabLifecycleTests : IDisposable
{
    private readonly TestLab _lab = new(TestLab.Three());
    private readonly RecordingBoxes _boxes = new();
    private readonly WatchingView _view = new();

    public void Dispose() => _lab.Dispose();

    private LabLifecycle Lifecycle(SimulatedHost host)
    {
        var provider = new SimulatedProvider(host);
        return new LabLifecycle(_lab.Project(), _lab.Engine(provider), provider, _boxes,
            new GuestAccess(new Guests.FakeConnector(new Microsoft.Extensions.Time.Testing.FakeTimeProvider()), TimeProvider.System, () => throw new InvalidOperationException("no Windows guest here")));
    }

    private static LifecycleRequest Request(ReconcileMode mode, GuestPolicy? guests = null) => new(mode, [], EngineOptions.Default) { Guests = guests };

    [Fact]
    public async Task A_box_that_cannot_be_added_stops_up_before_anything_is_created()
    {
        var host = _lab.Host();
        _boxes.Failure = new TestFailure("box 'ubuntu' could not be downloaded");

        var result = await Lifecycle(host).RunAsync(Request(ReconcileMode.Up), _view, CancellationToken.None);

        Assert.Same(_boxes.Failure, result.BoxFailure);
        Assert.Null(result.Host);
        Assert.False(_view.HostWatched);
        Assert.Empty(host.GetInventory([]).Vms);
        Assert.Empty(_boxes.Recorded);
    }

    [Fact]
    public async Task Up_records_the_boxes_used_and_down_releases_them_and_forgets_which_vms_were_ready()
    {
        var host = _lab.Host();
        var lifecycle = Lifecycle(host);

        var up = await lifecycle.RunAsync(Request(ReconcileMode.Up, new GuestPolicy(NoWait: false, ProvisionAll: false, ProvisionNone: false)), _view, CancellationToken.None);
        ProjectState.SetReady(_lab.Project().StateDirectory, ["web", "db"], ready: true);
        var down = await lifecycle.RunAsync(Request(ReconcileMode.Down), _view, CancellationToken.None);

        Assert.Equal(EngineOutcome.Done, up.Host?.Outcome);
        Assert.True(up.GuestStage);
        // The simulated host boots no guests: none is waited for, and the host's summary came first all the same.
        Assert.Empty(up.Guests.Outcomes);
        Assert.Equal(1, _view.HostsDone);
        Assert.Equal(EngineOutcome.Done, down.Host?.Outcome);
        Assert.False(down.GuestStage);
        Assert.Equal([false, true], _boxes.Recorded);
        Assert.Empty(ProjectState.LoadOrCreate(_lab.Project().StateDirectory).ReadyVms);
        Assert.Empty(host.GetInventory([]).Vms);
    }

    [Fact]
    public async Task A_preview_adds_no_box_and_records_nothing()
    {
        var host = _lab.Host();

        var result = await Lifecycle(host).RunAsync(new LifecycleRequest(ReconcileMode.Up, [], EngineOptions.Default with { WhatIf = true }), _view, CancellationToken.None);

        Assert.NotNull(result.Host);
        Assert.Equal(0, _boxes.Ensured);
        Assert.Empty(_boxes.Recorded);
        Assert.Empty(host.GetInventory([]).Vms);
    }

    [Fact]
    public async Task Provisioning_where_no_guest_boots_is_a_usage_error_before_anything_is_done()
    {
        var host = _lab.Host();

        var error = await Assert.ThrowsAsync<NoGuestsException>(() =>
            Lifecycle(host).RunAsync(Request(ReconcileMode.Up, new GuestPolicy(NoWait: false, ProvisionAll: true, ProvisionNone: false)), _view, CancellationToken.None));

        Assert.Equal(ErrorCategory.Usage, error.Category);
        Assert.EndsWith("boots no guests, so there is nothing to provision", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, _boxes.Ensured);
        Assert.Empty(host.GetInventory([]).Vms);
    }

    private sealed class TestFailure(string message) : LabRunnerException(ErrorCategory.HostFailure, message);

    private sealed class RecordingBoxes : ILabBoxes
    {
        public LabRunnerException? Failure { get; set; }

        public int Ensured { get; private set; }

        public List<bool> Recorded { get; } = [];

        public Task<LabRunnerException?> EnsureAsync(LabProject project, CancellationToken cancellationToken)
        {
            Ensured++;
            return Task.FromResult(Failure);
        }

        public Task RecordUsesAsync(LabProject project, bool released, CancellationToken cancellationToken)
        {
            Recorded.Add(released);
            return Task.CompletedTask;
        }
    }

    private sealed class WatchingView : ILifecycleView
    {
        public bool HostWatched { get; private set; }

        public int HostsDone { get; private set; }

        public Task<EngineResult> WatchHostAsync(Func<IEngineReporter?, Task<EngineResult>> run)
        {
            HostWatched = true;
            return run(null);
        }

        public void HostDone(EngineResult result) => HostsDone++;

        public Task<ImmutableArray<GuestOutcome>> WatchGuestsAsync(IReadOnlyList<GuestRequest> requests, Func<IGuestReporter, Task<ImmutableArray<GuestOutcome>>> work) =>
            throw new InvalidOperationException("no guest boots on the simulated host");
    }
}
