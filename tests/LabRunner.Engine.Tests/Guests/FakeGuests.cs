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

    public Task<int> RunAsync(string command, ReadOnlyMemory<byte> input, Action<string> stdout, Action<string> stderr, CancellationToken cancellationToken)
    {
        if (command == GuestReadiness.CloudInitCommand)
        {
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
        return ValueTask.CompletedTask;
    }
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

internal static class FakeClock
{
    /// <summary>Moves the fake clock in small steps until <paramref name="task"/> is done (never real sleeping), at most <paramref name="limit"/>.</summary>
    public static async Task<T> RunAsync<T>(FakeTimeProvider time, Task<T> task, TimeSpan limit)
    {
        var step = TimeSpan.FromMilliseconds(50);
        for (var moved = TimeSpan.Zero; !task.IsCompleted && moved <= limit; moved += step)
        {
            // Let continuations scheduled by the last step run before the clock moves again.
            for (var i = 0; i < 20 && !task.IsCompleted; i++) await Task.Yield();
            time.Advance(step);
        }
        for (var i = 0; i < 1000 && !task.IsCompleted; i++) await Task.Yield();
        Assert.True(task.IsCompleted, $"the wait did not end within {limit} of fake time");
        return await task;
    }
}
