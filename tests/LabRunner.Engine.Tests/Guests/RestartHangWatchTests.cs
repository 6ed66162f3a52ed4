using LabRunner.Core.Hosting;
using LabRunner.Core.Net;
using LabRunner.Engine.Guests;

namespace LabRunner.Engine.Tests.Guests;

/// <summary>
/// A guest that hangs in its firmware after a restart (the console silent after "reboot: machine restart") gets one hard
/// reset and is waited for on; a second hang fails it; a console that prints on, or went quiet after anything else, is left alone.
/// All on a fake clock with a fake console and a fake reset button.
/// </summary>
public sealed class RestartHangWatchTests
{
    private const string Restart = "[  328.386293] reboot: machine restart";
    private readonly SteppedClock _time = new();
    private readonly RecordingReporter _reporter = new();
    private readonly FakeConsole _console = new();

    private RestartHangWatch Watch(FakeReset reset) => new(_console, reset, _time, _reporter, "db", "e2e-db");

    /// <summary>Runs the watch until it returns, or until <paramref name="until"/> of fake time (then null).</summary>
    private async Task<string?> RunAsync(RestartHangWatch watch, TimeSpan until)
    {
        using var stop = new CancellationTokenSource(until, _time);
        var task = Run();
        return await FakeClock.RunAsync(_time, task, until + TimeSpan.FromMinutes(1));

        async Task<string?> Run()
        {
            try
            {
                return await watch.WatchAsync(stop.Token);
            }
            catch (OperationCanceledException)
            {
                return null;
            }
        }
    }

    [Fact]
    public async Task A_console_silent_after_a_restart_line_gets_one_hard_reset_and_a_second_hang_fails_the_vm()
    {
        _console.Lines.AddRange(["[  328.386032] reboot: Restarting system", Restart]);
        var reset = new FakeReset(_time);
        var started = _time.GetUtcNow();

        var failure = await RunAsync(Watch(reset), TimeSpan.FromMinutes(30));

        Assert.Equal([started + RestartHangWatch.DefaultSilence], reset.At.Select(t => t - TimeSpan.FromTicks(t.Ticks % TimeSpan.TicksPerMinute)));
        var said = Assert.Single(_reporter.Lines);
        Assert.Equal("db", said.Vm);
        Assert.True(said.Error);
        Assert.Contains($"silent for 3 min since '{Restart}'", said.Line, StringComparison.Ordinal);
        Assert.Contains("hard reset (fake reset button)", said.Line, StringComparison.Ordinal);
        Assert.NotNull(failure);
        Assert.Contains("again after a hard reset", failure, StringComparison.Ordinal);
        Assert.True(_time.GetUtcNow() - started >= 2 * RestartHangWatch.DefaultSilence, $"failed after {_time.GetUtcNow() - started}");
    }

    [Fact]
    public async Task A_guest_that_boots_after_the_reset_is_reset_only_once()
    {
        _console.Lines.Add(Restart);
        var reset = new FakeReset(_time) { Then = () => _console.Lines.Add("BdsDxe: loading Boot0001 \"UEFI Misc Device\"") };
        // The second boot prints on, then reboots again and this time the firmware answers at once.
        _console.During(_time, TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(20), i => i % 7 == 0 ? Restart : $"[ {i,5}.0] booting");

        var failure = await RunAsync(Watch(reset), TimeSpan.FromMinutes(25));

        Assert.Null(failure);
        Assert.Single(reset.At);
    }

    [Fact]
    public async Task A_console_that_went_quiet_after_anything_but_a_restart_line_is_never_reset()
    {
        _console.Lines.AddRange([Restart, "BdsDxe: loading Boot0001", "db login: "]);
        var reset = new FakeReset(_time);

        var failure = await RunAsync(Watch(reset), TimeSpan.FromMinutes(30));

        Assert.Null(failure);
        Assert.Empty(reset.At);
        Assert.Empty(_reporter.Lines);
    }

    [Fact]
    public async Task A_restart_that_reaches_the_firmware_within_the_silence_is_not_a_hang()
    {
        _console.Lines.Add(Restart);
        var reset = new FakeReset(_time);
        _console.During(_time, TimeSpan.FromMinutes(2.5), TimeSpan.FromMinutes(3), _ => "BdsDxe: starting Boot0001");

        var failure = await RunAsync(Watch(reset), TimeSpan.FromMinutes(10));

        Assert.Null(failure);
        Assert.Empty(reset.At);
    }

    [Fact]
    public async Task A_reset_the_host_refuses_is_said_and_the_wait_goes_on_to_its_second_verdict()
    {
        _console.Lines.Add(Restart);
        var reset = new FakeReset(_time) { Refuse = true };

        var failure = await RunAsync(Watch(reset), TimeSpan.FromMinutes(30));

        Assert.Equal(2, _reporter.Lines.Count);
        Assert.Contains("the hard reset failed: VM 'e2e-db' does not run", _reporter.Lines[1].Line, StringComparison.Ordinal);
        Assert.NotNull(failure);
    }

    [Fact]
    public async Task Guest_work_fails_a_vm_that_hangs_twice_with_the_console_tail_and_resets_it_once()
    {
        using var lab = new TestLab("""
            name: e2e
            networks:
              - { name: back, type: private, subnet: 192.168.61.0/24 }
            vms:
              - name: db
                box: ubuntu
                boot_timeout: 3600
                networks: [{ network: back, ip: 192.168.61.10 }]
            """);
        var project = lab.Project();
        StateFolder.Create(project.StateDirectory);
        File.WriteAllText(GuestAccessFiles.IdentityPath(project.StateDirectory), "PEM");
        var definition = project.Load().Lab!;
        var plan = project.Plan().Plan!;
        _console.Lines.Add(Restart);
        var reset = new FakeReset(_time);
        var work = new GuestWork(project, new FakeConnector(_time) { PortAnswersAfter = -1 }, _time, _reporter) { ConsoleLog = _console, Reset = reset };

        var running = work.RunAsync(definition, plan, [new GuestRequest("db", Provision: false)], CancellationToken.None);
        // Each VM starts on a thread of its own: step the clock once the wait and the watch wait on it.
        var real = System.Diagnostics.Stopwatch.StartNew();
        while (_time.Created < 3 && !running.IsCompleted && real.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(1);
        var outcomes = await FakeClock.RunAsync(_time, running, TimeSpan.FromMinutes(20));

        var outcome = Assert.Single(outcomes);
        Assert.Equal(GuestPhase.Failed, outcome.Phase);
        Assert.StartsWith("not ready: its console has been silent", outcome.Error, StringComparison.Ordinal);
        Assert.Contains(Restart, outcome.Problems);
        Assert.Single(reset.At);
        Assert.True(outcome.Elapsed < TimeSpan.FromMinutes(10), $"{outcome.Elapsed}: the hang ends the wait long before boot_timeout");
    }

    private sealed class FakeConsole : IConsoleLog
    {
        private readonly Lock _gate = new();
        public List<string> Lines { get; } = [];

        public IReadOnlyList<string> Tail(string hostVmName, int lines)
        {
            lock (_gate) return [.. Lines.TakeLast(lines)];
        }

        /// <summary>A line every 10 s of fake time from <paramref name="from"/> to <paramref name="to"/> (since now).</summary>
        public void During(TimeProvider time, TimeSpan from, TimeSpan to, Func<int, string> line)
        {
            var start = time.GetUtcNow();
            var printing = time.CreateTimer(_ =>
            {
                var at = time.GetUtcNow() - start;
                if (at >= from && at <= to)
                    lock (_gate) Lines.Add(line((int)at.TotalSeconds));
            }, null, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10));
            _timers.Add(printing);
        }

        private readonly List<ITimer> _timers = [];
    }

    private sealed class FakeReset(TimeProvider time) : IVmReset
    {
        public List<DateTimeOffset> At { get; } = [];
        public Action? Then { get; init; }
        public bool Refuse { get; init; }
        public string How => "fake reset button";

        public Task ResetAsync(string hostVmName, CancellationToken cancellationToken)
        {
            if (Refuse) throw new HostUnavailableException(new HostError(HostErrorKind.InvalidState, $"VM '{hostVmName}' does not run"));
            At.Add(time.GetUtcNow());
            Then?.Invoke();
            return Task.CompletedTask;
        }
    }
}
