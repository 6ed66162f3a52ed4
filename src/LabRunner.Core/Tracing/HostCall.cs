using System.Collections.Immutable;

namespace LabRunner.Core.Tracing;

/// <summary>
/// One call LabRunner makes to the host, as its trace records it: the argument vector started (no shell), and
/// what it was fed — a script it runs (a PowerShell batch) and its standard input. Nothing here is redacted
/// yet: the trace redacts once, where it writes (<see cref="SecretRedactor"/>).
/// </summary>
public sealed record HostCall
{
    public HostCall(IEnumerable<string> argv)
    {
        ArgumentNullException.ThrowIfNull(argv);
        Argv = [.. argv];
        if (Argv.IsEmpty) throw new ArgumentException("A host call names at least its program.", nameof(argv));
    }

    /// <summary>The program and its arguments, each one argv entry.</summary>
    public ImmutableArray<string> Argv { get; }

    /// <summary>What the call does, in words, shown after the command (the simulated host's operations); null for nothing.</summary>
    public string? Summary { get; init; }

    /// <summary>The script the program runs (a PowerShell batch's text); null for none.</summary>
    public string? Script { get; init; }

    /// <summary>What is written to the program's standard input; null for nothing.</summary>
    public string? StandardInput { get; init; }

    /// <summary>
    /// Standard input is how secrets reach a script without being in its text, file or command line
    /// (PowerShell Direct's credentials): such input is never recorded, only its length.
    /// </summary>
    public bool StandardInputIsSecret { get; init; }
}

/// <summary>Where host calls are recorded: <c>--verbose</c> and the project's transcript in <c>.lab/logs/</c>.</summary>
public interface IHostTrace
{
    /// <summary>Records that <paramref name="call"/> starts; the returned record takes how it ended.</summary>
    IHostCallRecord Begin(HostCall call);

    /// <summary>
    /// <paramref name="text"/> from the host (a call's stderr) with the secrets this trace knows taken out: what the
    /// runners hand on, so that no error message built from it shows one either.
    /// </summary>
    string Redact(string text);
}

/// <summary>One host call being recorded: exactly one of its methods is called when it ends.</summary>
public interface IHostCallRecord
{
    /// <summary>The program ran and exited with <paramref name="exitCode"/>, writing <paramref name="standardError"/>.</summary>
    void Ended(int exitCode, string? standardError);

    /// <summary>The program could not be started, or was stopped (cancelled): <paramref name="reason"/> says which.</summary>
    void Failed(string reason);
}

/// <summary>A trace that records nothing: tests and compositions without a project.</summary>
public sealed class NoHostTrace : IHostTrace, IHostCallRecord
{
    public static NoHostTrace Instance { get; } = new();

    private NoHostTrace()
    {
    }

    public IHostCallRecord Begin(HostCall call) => this;

    public string Redact(string text) => text;

    public void Ended(int exitCode, string? standardError)
    {
    }

    public void Failed(string reason)
    {
    }
}
