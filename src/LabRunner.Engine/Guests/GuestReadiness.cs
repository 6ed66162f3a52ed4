using System.Collections.Immutable;

namespace LabRunner.Engine.Guests;

/// <summary>Where a guest is on its way to ready, in order.</summary>
public enum GuestPhase
{
    /// <summary>Started; its SSH port does not answer yet.</summary>
    Booting,
    /// <summary>Its SSH port answers; the lab's user cannot log in yet.</summary>
    Network,
    /// <summary>Logged in; cloud-init is still configuring the guest.</summary>
    CloudInit,
    /// <summary>Ready for work; its provisioners run.</summary>
    Provisioning,
    Ready,
    Failed,
    /// <summary>Started, but the host has no address to reach it at.</summary>
    Unreachable,
}

/// <summary>What the person running <c>lab</c> sees while guests get ready.</summary>
public interface IGuestReporter
{
    void Phase(string vm, GuestPhase phase, TimeSpan elapsed);

    /// <summary>A line of a provisioner's output (or of cloud-init's report).</summary>
    void Output(string vm, string line, bool error);
}

/// <summary>
/// How one guest ended up. <see cref="Problems"/> holds what to show: cloud-init's errors, the console
/// tail after a timeout, the failing provisioner. <see cref="ReachableAfter"/> is when its SSH port first
/// answered, <see cref="ReadyAfter"/> when LabRunner knew it was ready: the split between the guest's boot
/// and LabRunner's own waiting.
/// </summary>
public sealed record GuestOutcome(string Vm, GuestPhase Phase, string? Error, ImmutableArray<string> Problems, TimeSpan Elapsed)
{
    public TimeSpan? ReachableAfter { get; init; }

    public TimeSpan? ReadyAfter { get; init; }

    /// <summary>The clock time of <see cref="ReadyAfter"/>: to set against the guest's own record of when cloud-init finished.</summary>
    public DateTimeOffset? ReadyAt { get; init; }

    public bool Succeeded => Phase is GuestPhase.Ready;
}

/// <summary>
/// Waits for one guest to be ready: its SSH port answers, the lab's user logs in with the pinned host key,
/// and <see cref="CloudInitCommand"/> says cloud-init is done. Polls with a back-off (no busy loop), stops at
/// the VM's boot timeout or when the caller cancels; all waiting goes through <see cref="TimeProvider"/>.
/// A connection that fails, times out or drops on the way (sshd restarted by cloud-init, a reboot from user_data,
/// a loaded host) is "not ready yet": it starts over from the SSH port until the boot timeout. Across a reboot the
/// status command is ended by a signal or its connection drops; the next boot's cloud-init status is the answer.
/// </summary>
public sealed class GuestReadiness(IGuestConnector connector, TimeProvider time, IGuestReporter reporter)
{
    public static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(200);
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Whether cloud-init is done, asked without starting Python while it works: <c>cloud-init status --wait</c> is a
    /// Python process (seconds of a TCG vCPU to start) polling every 0.25 s beside cloud-init's own stages. Instead,
    /// when systemd's generator enabled cloud-init (<c>/run/cloud-init/enabled</c>), <c>sh</c> waits for the
    /// <c>result.json</c> cloud-init writes last, at the end of its final stage (<c>/run</c> is empty again after
    /// a reboot), testing for it every 0.25 s (as often as <c>status --wait</c> did) with builtins only: one <c>bash</c>
    /// whose <c>read -t 0.25</c> on a FIFO nobody writes is the pause, so no process is started per test (a
    /// <c>sleep</c> per test is a fork and an exec, ~35 ms of a TCG vCPU each, four times a second while cloud-init
    /// works); without bash or a FIFO, <c>sh</c> and <c>sleep</c> as before. A result with no errors (as cloud-init
    /// writes it: <c>"errors": []</c>, and no non-empty <c>recoverable_errors</c>) is done, exit 0. Anything else —
    /// errors, another format, cloud-init not enabled by the generator (disabled, not systemd) — asks cloud-init
    /// itself, as before: <c>status --wait</c> exits 0 when done, 2 when done with recoverable errors (cloud-init 23.4
    /// and later), 1 when it failed; <c>--long</c> then says what went wrong. A guest without cloud-init answers 127
    /// and counts as ready. <c>LABRUNNER_CLOUD_INIT_RUN</c> stands for <c>/run/cloud-init</c> in its tests.
    /// </summary>
    public const string CloudInitCommand =
        "if ! command -v cloud-init >/dev/null 2>&1; then exit 127; fi; " +
        "run=${LABRUNNER_CLOUD_INIT_RUN:-/run/cloud-init}; " +
        "if [ -e \"$run/enabled\" ]; then " +
        "if [ ! -e \"$run/result.json\" ] && command -v bash >/dev/null 2>&1 && f=$(mktemp -u) && mkfifo -m 600 \"$f\" 2>/dev/null; then " +
        "bash -c 'exec 3<>\"$2\" || exit 1; rm -f \"$2\"; while [ ! -e \"$1/result.json\" ]; do read -r -t 0.25 -u 3 _; [ $? -gt 128 ] || exit 1; done' labrunner-wait \"$run\" \"$f\"; " +
        "rm -f \"$f\"; " +
        "fi; " +
        "while [ ! -e \"$run/result.json\" ]; do sleep 0.25 2>/dev/null || sleep 1; done; " +
        "if grep -q '\"errors\": \\[\\]' \"$run/result.json\" && ! grep -q '\"recoverable_errors\": {$' \"$run/result.json\"; then exit 0; fi; " +
        "fi; " +
        "cloud-init status --wait >/dev/null 2>&1; rc=$?; if [ $rc -ne 0 ]; then cloud-init status --long 2>&1; fi; exit $rc";

    public static TimeSpan Next(TimeSpan delay) => TimeSpan.FromTicks(Math.Min(MaxDelay.Ticks, (long)(delay.Ticks * 1.5)));

    /// <summary>
    /// The outcome, and the session to go on with when the guest is ready (the caller disposes it).
    /// <paramref name="consoleTail"/> is asked only after a timeout.
    /// </summary>
    public async Task<(GuestOutcome Outcome, IGuestSession? Session)> WaitAsync(GuestLogin login, TimeSpan timeout, Func<IReadOnlyList<string>> consoleTail, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(login);
        ArgumentNullException.ThrowIfNull(consoleTail);
        var start = time.GetTimestamp();
        var phase = GuestPhase.Booting;
        TimeSpan? reachable = null;
        // Why the last attempt did not get through (a refused login, a dropped connection): said after a timeout.
        string? last = null;
        using var deadline = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var token = linked.Token;
        IGuestSession? session = null;
        Enter(GuestPhase.Booting);
        try
        {
            // Until the deadline, a connection that fails, times out or drops (sshd restarted by cloud-init, the guest
            // rebooting, a loaded host) means "not ready yet": start over from the port.
            while (true)
            {
                try
                {
                    var delay = FirstDelay;
                    while (!await connector.PortAnswersAsync(login, token).ConfigureAwait(false))
                        delay = await Pause(delay, token).ConfigureAwait(false);
                    reachable ??= Elapsed();
                    Enter(GuestPhase.Network);

                    delay = FirstDelay;
                    while ((session = await TryConnectAsync(login, token).ConfigureAwait(false)) is null)
                        delay = await Pause(delay, token).ConfigureAwait(false);
                    Enter(GuestPhase.CloudInit);

                    var report = new List<string>();
                    var code = await session.RunAsync(CloudInitCommand, ReadOnlyMemory<byte>.Empty, report.Add, report.Add, token).ConfigureAwait(false);
                    switch (code)
                    {
                        case 0 or 127:
                            return (Outcome(GuestPhase.Ready, null, []) with { ReachableAfter = reachable, ReadyAfter = Elapsed(), ReadyAt = time.GetUtcNow() }, session);
                        case 2:
                            foreach (var line in report) reporter.Output(login.Vm, "cloud-init: " + line, error: true);
                            return (Outcome(GuestPhase.Ready, null, [.. report]) with { ReachableAfter = reachable, ReadyAfter = Elapsed(), ReadyAt = time.GetUtcNow() }, session);
                        case > 128:
                            // A signal ended cloud-init's report, not cloud-init: the guest is shutting down (a reboot
                            // from user_data); its next boot finishes the job.
                            last = $"'cloud-init status' was ended by signal {code - 128} (the guest went down)";
                            await session.DisposeAsync().ConfigureAwait(false);
                            session = null;
                            break;
                        default:
                            await session.DisposeAsync().ConfigureAwait(false);
                            return (Outcome(GuestPhase.Failed, $"cloud-init failed (status exit code {code})", [.. report]) with { ReachableAfter = reachable }, null);
                    }
                }
                catch (GuestConnectionException ex)
                {
                    last = ex.Message;
                    if (session is not null) await session.DisposeAsync().ConfigureAwait(false);
                    session = null;
                }
                await Pause(FirstDelay, token).ConfigureAwait(false);
                Enter(GuestPhase.Booting);
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            if (session is not null) await session.DisposeAsync().ConfigureAwait(false);
            var what = phase switch
            {
                GuestPhase.Booting => $"its SSH port ({login.Address}:{login.Port}) never answered",
                GuestPhase.Network => $"the user '{login.User}' could not log in with the lab's key",
                _ => "cloud-init did not finish",
            };
            var why = last is null ? "" : $"; last: {last}";
            return (Outcome(GuestPhase.Failed, $"not ready after {timeout.TotalSeconds:0} s (boot_timeout): {what}{why}", [.. consoleTail()]) with { ReachableAfter = reachable }, null);
        }
        catch (HostKeyMismatchException ex)
        {
            return (Outcome(GuestPhase.Failed, ex.Message, []), null);
        }
        catch
        {
            if (session is not null) await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        async Task<IGuestSession?> TryConnectAsync(GuestLogin guest, CancellationToken ct)
        {
            try
            {
                return await connector.TryConnectAsync(guest, ct).ConfigureAwait(false);
            }
            catch (GuestConnectionException ex)
            {
                // The user not there yet, or sshd restarting: keep polling at the login's own back-off.
                last = ex.Message;
                return null;
            }
        }

        void Enter(GuestPhase next)
        {
            phase = next;
            reporter.Phase(login.Vm, next, Elapsed());
        }

        TimeSpan Elapsed() => time.GetElapsedTime(start);

        GuestOutcome Outcome(GuestPhase final, string? error, ImmutableArray<string> problems)
        {
            reporter.Phase(login.Vm, final, Elapsed());
            return new GuestOutcome(login.Vm, final, error, problems, Elapsed());
        }
    }

    private async Task<TimeSpan> Pause(TimeSpan delay, CancellationToken token)
    {
        await Task.Delay(delay, time, token).ConfigureAwait(false);
        return Next(delay);
    }
}
