using System.Collections.Immutable;

namespace LabRunner.HostCommon.Running;

/// <summary>
/// One host command as an argument vector: <see cref="Executable"/> and its <see cref="Arguments"/>,
/// each passed to the process as one argv entry, never through a shell. With a
/// <see cref="NetworkNamespace"/>, it runs as <c>ip netns exec NS EXECUTABLE ARGS…</c>, so tests (and a
/// provider pointed at a namespace) see and change only that namespace.
/// </summary>
public sealed record HostCommand
{
    public HostCommand(string executable, IEnumerable<string> arguments)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(executable);
        ArgumentNullException.ThrowIfNull(arguments);
        Executable = executable;
        Arguments = [.. arguments];
        foreach (var argument in Arguments)
            if (argument.Contains('\0', StringComparison.Ordinal))
                throw new ArgumentException("An argument cannot contain a NUL character.", nameof(arguments));
    }

    public string Executable { get; }

    public ImmutableArray<string> Arguments { get; }

    /// <summary>The network namespace to run in (<c>ip netns exec</c>); null for the caller's own.</summary>
    public string? NetworkNamespace { get; init; }

    /// <summary>Text written to the process's standard input (e.g. an <c>nft -f -</c> script); null for none.</summary>
    public string? StandardInput { get; init; }

    /// <summary>Runs this command inside network namespace <paramref name="name"/>.</summary>
    public HostCommand InNamespace(string? name) => this with { NetworkNamespace = name };

    /// <summary>Feeds <paramref name="text"/> to standard input.</summary>
    public HostCommand WithStandardInput(string? text) => this with { StandardInput = text };

    /// <summary>The argument vector actually started: <c>[ip, netns, exec, NS, EXE, ARGS…]</c> or <c>[EXE, ARGS…]</c>.</summary>
    public ImmutableArray<string> ToArgv() => NetworkNamespace is null
        ? [Executable, .. Arguments]
        : ["ip", "netns", "exec", NetworkNamespace, Executable, .. Arguments];

    /// <summary>A readable rendering for logs and <c>--what-if</c>: each argument single-quoted when it needs to be. Never executed.</summary>
    public override string ToString() => string.Join(' ', ToArgv().Select(Quote));

    private static string Quote(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=,@+%".Contains(c, StringComparison.Ordinal))
            ? argument
            : "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}

/// <summary>How a host command ended.</summary>
public sealed record HostCommandResult(int ExitCode, string StandardOutput, string StandardError)
{
    public bool Succeeded => ExitCode == 0;
}
