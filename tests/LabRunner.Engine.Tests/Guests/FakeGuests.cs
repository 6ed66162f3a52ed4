using LabRunner.Engine.Guests;
using Microsoft.Extensions.Time.Testing;

namespace LabRunner.Engine.Tests.Guests;

/// <summary>A guest that answers on its SSH port after some probes and lets the user in after some more, on a fake clock.</summary>
internal sealed class FakeConnector(FakeTimeProvider time) : IGuestConnector
{
    public int PortAnswersAfter { get; init; }
    public int LoginAfter { get; init; }
    public bool WrongHostKey { get; init; }
    public FakeSession Session { get; } = new();
    public List<DateTimeOffset> Probes { get; } = [];

    /// <summary>What the next logins throw, one each, before they go on as usual (a timeout, a reset, a bug).</summary>
    public Queue<Exception> LoginFaults { get; } = new();

    private int _logins;

    public Task<bool> PortAnswersAsync(GuestLogin login, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Probes.Add(time.GetUtcNow());
        return Task.FromResult(PortAnswersAfter >= 0 && Probes.Count > PortAnswersAfter);
    }

    public Task<IGuestSession?> TryConnectAsync(GuestLogin login, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (WrongHostKey) throw new HostKeyMismatchException(login.Vm, "SHA256:pinned", "ecdsa-sha2-nistp256 SHA256:other");
        if (LoginFaults.TryDequeue(out var fault)) throw fault;
        return Task.FromResult<IGuestSession?>(++_logins > LoginAfter ? Session : null);
    }
}

internal sealed class FakeSession : IGuestSession
{
    public int CloudInitExit { get; set; }
    public List<string> CloudInitReport { get; } = [];
    public List<(string Command, byte[] Input)> Commands { get; } = [];
    public Func<string, byte[], int> Exit { get; set; } = (_, _) => 0;
    public bool Disposed { get; private set; }
    public int Disposals { get; private set; }

    /// <summary>How the next runs of cloud-init's report end, one each (throw: the connection dropped; a code: its exit code), before <see cref="CloudInitExit"/>.</summary>
    public Queue<Func<int>> CloudInitRuns { get; } = new();

    public Task<int> RunAsync(string command, ReadOnlyMemory<byte> input, Action<string> stdout, Action<string> stderr, CancellationToken cancellationToken)
    {
        if (command == GuestReadiness.CloudInitCommand)
        {
            if (CloudInitRuns.TryDequeue(out var run)) return Task.FromResult(run());
            CloudInitReport.ForEach(stdout);
            return Task.FromResult(CloudInitExit);
        }
        Commands.Add((command, input.ToArray()));
        stdout("out of " + Commands.Count);
        return Task.FromResult(Exit(command, input.ToArray()));
    }

    public ValueTask DisposeAsync()
    {
        Disposed = true;
        Disposals++;
        return ValueTask.CompletedTask;
    }

    /// <summary>What SSH.NET's errors become at the connector: a dropped or timed-out connection.</summary>
    public static GuestConnectionException Dropped(GuestLogin login, string what = "An established connection was aborted by the server.") =>
        new(login, what, new Renci.SshNet.Common.SshConnectionException(what));
}

internal sealed class RecordingReporter : IGuestReporter
{
    public List<(string Vm, GuestPhase Phase, TimeSpan Elapsed)> Phases { get; } = [];
    public List<(string Vm, string Line, bool Error)> Lines { get; } = [];

    public void Phase(string vm, GuestPhase phase, TimeSpan elapsed)
    {
        lock (Phases) Phases.Add((vm, phase, elapsed));
    }

    public void Output(string vm, string line, bool error)
    {
        lock (Lines) Lines.Add((vm, line, error));
    }
}

/// <summary>
/// A fake clock that knows its pending timers, so a test can move it to exactly the next one that is due
/// and wait until the code under test has acted on it before moving it again.
/// </summary>
internal sealed class SteppedClock : FakeTimeProvider
{
    private readonly Lock _gate = new();
    private readonly List<Pending> _pending = [];
    private int _created;

    public int Created
    {
        get { lock (_gate) return _created; }
    }

    public DateTimeOffset? NextDue
    {
        get
        {
            lock (_gate) return _pending.Where(p => p.Due is not null).Select(p => p.Due).Min();
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var pending = new Pending(this);
        lock (_gate)
        {
            _created++;
            _pending.Add(pending);
        }
        pending.Schedule(dueTime);
        pending.Inner = base.CreateTimer(s => { pending.Fired(period); callback(s); }, state, dueTime, period);
        return pending;
    }

    private sealed class Pending(SteppedClock clock) : ITimer
    {
        public ITimer Inner { get; set; } = null!;
        public DateTimeOffset? Due { get; private set; }

        public void Schedule(TimeSpan dueTime)
        {
            lock (clock._gate) Due = dueTime == Timeout.InfiniteTimeSpan ? null : clock.GetUtcNow() + dueTime;
        }

        public void Fired(TimeSpan period) => Schedule(period == Timeout.InfiniteTimeSpan || period == TimeSpan.Zero ? Timeout.InfiniteTimeSpan : period);

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            Schedule(dueTime);
            return Inner.Change(dueTime, period);
        }

        public void Dispose()
        {
            lock (clock._gate) clock._pending.Remove(this);
            Inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}

internal static class FakeClock
{
    /// <summary>
    /// Moves the fake clock to each next pending timer until <paramref name="task"/> is done, never sleeping in fake time and
    /// never moving on before the code under test has acted on the timers that fired (it then either waits on a new timer or ends),
    /// so the times it measures are exact however loaded the machine is. Fails past <paramref name="limit"/> of fake time.
    /// </summary>
    public static async Task<T> RunAsync<T>(SteppedClock time, Task<T> task, TimeSpan limit)
    {
        var start = time.GetUtcNow();
        while (!task.IsCompleted)
        {
            var next = time.NextDue;
            Assert.True(next is not null, "the code under test waits on something other than the clock");
            Assert.True(next!.Value - start <= limit, $"the wait did not end within {limit} of fake time");
            var created = time.Created;
            time.Advance(next.Value - time.GetUtcNow());
            var real = System.Diagnostics.Stopwatch.StartNew();
            while (!task.IsCompleted && time.Created == created)
            {
                Assert.True(real.Elapsed < TimeSpan.FromSeconds(30), "the code under test neither ended nor waited on the clock again within 30 s of real time");
                await Task.Delay(1);
            }
        }
        return await task;
    }
}
