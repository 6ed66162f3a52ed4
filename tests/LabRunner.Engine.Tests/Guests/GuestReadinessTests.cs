using LabRunner.Core.Net;
using LabRunner.Engine.Guests;
using Microsoft.Extensions.Time.Testing;

namespace LabRunner.Engine.Tests.Guests;

/// <summary>The readiness state machine on a fake clock with a fake guest: phases, back-off, timeout, cloud-init's verdicts.</summary>
public class GuestReadinessTests
{
    private readonly SteppedClock _time = new();
    private readonly RecordingReporter _reporter = new();
    private static readonly GuestLogin Login = new("web", Ipv4Address.Parse("10.10.0.5"), 22, "lab", "PEM", null);

    private Task<(GuestOutcome Outcome, IGuestSession? Session)> Wait(FakeConnector connector, int timeoutSeconds = 300, CancellationToken ct = default) =>
        FakeClock.RunAsync(_time, new GuestReadiness(connector, _time, _reporter).WaitAsync(Login, TimeSpan.FromSeconds(timeoutSeconds), () => ["[  OK  ] console line"], ct),
            TimeSpan.FromSeconds(timeoutSeconds + 10));

    [Fact]
    public async Task A_guest_goes_booting_network_cloud_init_ready_and_the_session_is_kept()
    {
        var connector = new FakeConnector(_time) { PortAnswersAfter = 3, LoginAfter = 2 };
        var started = _time.GetUtcNow();

        var (outcome, session) = await Wait(connector);

        Assert.Equal(GuestPhase.Ready, outcome.Phase);
        Assert.Same(connector.Session, session);
        Assert.Equal([GuestPhase.Booting, GuestPhase.Network, GuestPhase.CloudInit, GuestPhase.Ready], _reporter.Phases.Select(p => p.Phase));
        Assert.True(outcome.ReachableAfter > TimeSpan.Zero && outcome.ReadyAfter >= outcome.ReachableAfter);
        Assert.Equal(started + outcome.ReadyAfter, outcome.ReadyAt);
    }

    [Fact]
    public async Task Polling_backs_off_from_200_ms_to_at_most_2_s()
    {
        var connector = new FakeConnector(_time) { PortAnswersAfter = 12 };

        await Wait(connector);

        var gaps = connector.Probes.Zip(connector.Probes.Skip(1), (a, b) => (b - a).TotalMilliseconds).ToList();
        Assert.Equal(200, gaps[0]);
        Assert.True(gaps.Zip(gaps.Skip(1)).All(p => p.Second >= p.First), "the gaps never shrink: " + string.Join(", ", gaps));
        Assert.Equal(2000, gaps.Max());
    }

    [Fact]
    public async Task A_guest_that_never_answers_fails_at_its_boot_timeout_with_the_console_tail()
    {
        var connector = new FakeConnector(_time) { PortAnswersAfter = -1 };

        var (outcome, session) = await Wait(connector, timeoutSeconds: 30);

        Assert.Null(session);
        Assert.Equal(GuestPhase.Failed, outcome.Phase);
        Assert.Contains("not ready after 30 s (boot_timeout)", outcome.Error, StringComparison.Ordinal);
        Assert.Contains("never answered", outcome.Error, StringComparison.Ordinal);
        Assert.Equal(["[  OK  ] console line"], outcome.Problems.ToArray());
        Assert.Equal(TimeSpan.FromSeconds(30), outcome.Elapsed);
    }

    [Fact]
    public async Task Cloud_init_failing_fails_the_vm_with_cloud_inits_own_errors()
    {
        var connector = new FakeConnector(_time);
        connector.Session.CloudInitExit = 1;
        connector.Session.CloudInitReport.Add("status: error");
        connector.Session.CloudInitReport.Add("errors: ('scripts_user', RuntimeError('Runparts: 1 failures'))");

        var (outcome, session) = await Wait(connector);

        Assert.Null(session);
        Assert.True(connector.Session.Disposed);
        Assert.Equal(GuestPhase.Failed, outcome.Phase);
        Assert.Contains("cloud-init failed", outcome.Error, StringComparison.Ordinal);
        Assert.Contains("errors: ('scripts_user', RuntimeError('Runparts: 1 failures'))", outcome.Problems);
    }

    [Fact]
    public async Task Cloud_init_with_recoverable_errors_is_ready_and_shows_them()
    {
        var connector = new FakeConnector(_time);
        connector.Session.CloudInitExit = 2;
        connector.Session.CloudInitReport.Add("recoverable_errors: WARNING: something");

        var (outcome, _) = await Wait(connector);

        Assert.Equal(GuestPhase.Ready, outcome.Phase);
        Assert.Equal(["recoverable_errors: WARNING: something"], outcome.Problems.ToArray());
        Assert.Contains(_reporter.Lines, l => l.Line.Contains("recoverable_errors", StringComparison.Ordinal) && l.Error);
    }

    [Fact]
    public async Task A_changed_host_key_fails_the_vm_at_once()
    {
        var connector = new FakeConnector(_time) { WrongHostKey = true };

        var (outcome, _) = await Wait(connector);

        Assert.Equal(GuestPhase.Failed, outcome.Phase);
        Assert.Contains("not the key LabRunner gave it", outcome.Error, StringComparison.Ordinal);
        Assert.True(outcome.Elapsed < TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task A_login_that_times_out_or_is_reset_is_not_ready_yet_and_the_guest_ends_ready()
    {
        var connector = new FakeConnector(_time);
        connector.LoginFaults.Enqueue(new GuestConnectionException(Login, "could not log in: Session operation has timed out",
            new Renci.SshNet.Common.SshOperationTimeoutException("Session operation has timed out")));
        connector.LoginFaults.Enqueue(new GuestConnectionException(Login, "could not log in: Connection reset by peer",
            new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionReset)));
        connector.LoginFaults.Enqueue(FakeSession.Dropped(Login));

        var (outcome, session) = await Wait(connector);

        Assert.Equal(GuestPhase.Ready, outcome.Phase);
        Assert.Same(connector.Session, session);
        Assert.Empty(connector.LoginFaults);
    }

    [Fact]
    public async Task A_connection_that_drops_or_times_out_during_cloud_init_starts_over_and_the_guest_ends_ready()
    {
        var connector = new FakeConnector(_time);
        // The status command's channel times out on a loaded host; then the guest reboots from user_data: the connection
        // drops, and next the status command is killed by the shutdown (SIGTERM); the guest's second boot finishes.
        connector.Session.CloudInitRuns.Enqueue(() => throw FakeSession.Dropped(Login, "Session operation has timed out"));
        connector.Session.CloudInitRuns.Enqueue(() => throw FakeSession.Dropped(Login));
        connector.Session.CloudInitRuns.Enqueue(() => 128 + 15);

        var (outcome, session) = await Wait(connector);

        Assert.Equal(GuestPhase.Ready, outcome.Phase);
        Assert.Same(connector.Session, session);
        Assert.Empty(connector.Session.CloudInitRuns);
        // Each broken session was closed before starting over from the port.
        Assert.Equal(3, connector.Session.Disposals);
        Assert.Equal(4, _reporter.Phases.Count(p => p.Phase == GuestPhase.Booting));
        Assert.Equal(GuestPhase.Ready, _reporter.Phases[^1].Phase);
    }

    [Fact]
    public async Task A_guest_whose_connection_keeps_dropping_fails_at_its_boot_timeout_naming_the_last_error()
    {
        var connector = new FakeConnector(_time);
        for (var i = 0; i < 1000; i++)
            connector.Session.CloudInitRuns.Enqueue(() => throw FakeSession.Dropped(Login));

        var (outcome, session) = await Wait(connector, timeoutSeconds: 30);

        Assert.Null(session);
        Assert.Equal(GuestPhase.Failed, outcome.Phase);
        Assert.Contains("not ready after 30 s (boot_timeout)", outcome.Error, StringComparison.Ordinal);
        Assert.Contains("last: SSH to VM 'web' at 10.10.0.5:22: An established connection was aborted by the server.", outcome.Error, StringComparison.Ordinal);
        Assert.Equal(["[  OK  ] console line"], outcome.Problems.ToArray());
    }

    [Fact]
    public async Task Ctrl_c_stops_the_wait_as_a_cancellation_not_a_timeout()
    {
        using var cts = new CancellationTokenSource();
        var connector = new FakeConnector(_time) { PortAnswersAfter = -1 };
        var task = new GuestReadiness(connector, _time, _reporter).WaitAsync(Login, TimeSpan.FromSeconds(300), () => [], cts.Token);
        _time.Advance(TimeSpan.FromSeconds(1));

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
    }
}
