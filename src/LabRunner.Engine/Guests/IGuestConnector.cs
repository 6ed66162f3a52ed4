using System.Net;
using LabRunner.Core.Errors;
using LabRunner.Core.Net;

namespace LabRunner.Engine.Guests;

/// <summary>How LabRunner logs in to a guest for its own, non-interactive work: address, user, lab key, pinned host key.</summary>
public sealed record GuestLogin(string Vm, Ipv4Address Address, int Port, string User, string PrivateKeyPem, string? HostPublicKey)
{
    public IPAddress IpAddress => IPAddress.Parse(Address.ToString());

    /// <summary>Never prints the key.</summary>
    public override string ToString() => $"{User}@{Address}:{Port} ({Vm})";
}

/// <summary>Reaches guests: whether the SSH port answers, and a session once the guest lets the lab's user in.</summary>
public interface IGuestConnector
{
    /// <summary>True when a TCP connection to the guest's SSH port succeeds (no SSH yet).</summary>
    Task<bool> PortAnswersAsync(GuestLogin login, CancellationToken cancellationToken);

    /// <summary>
    /// A logged-in session, or null (or a <see cref="GuestConnectionException"/> saying why) while the guest is not
    /// ready for it: connection refused, reset or timed out, the user not there yet. A host key that differs from
    /// the pinned one throws <see cref="HostKeyMismatchException"/>.
    /// </summary>
    Task<IGuestSession?> TryConnectAsync(GuestLogin login, CancellationToken cancellationToken);
}

/// <summary>One SSH connection to a guest.</summary>
public interface IGuestSession : IAsyncDisposable
{
    /// <summary>
    /// Runs <paramref name="command"/> (a POSIX shell command line) with <paramref name="input"/> as its
    /// standard input, passing output line by line as it comes; returns the exit code (128 + the signal's number when a
    /// signal ended it). A connection that drops or times out throws <see cref="GuestConnectionException"/>.
    /// </summary>
    Task<int> RunAsync(string command, ReadOnlyMemory<byte> input, Action<string> stdout, Action<string> stderr, CancellationToken cancellationToken);

    /// <summary>
    /// As <see cref="RunAsync(string, ReadOnlyMemory{byte}, Action{string}, Action{string}, CancellationToken)"/>, with
    /// standard input written by <paramref name="writeInput"/> while the command runs (a stream of any length: a
    /// synced folder's tar). A session that cannot stream takes it whole first.
    /// </summary>
    async Task<int> RunAsync(string command, Func<Stream, CancellationToken, Task> writeInput, Action<string> stdout, Action<string> stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writeInput);
        using var buffer = new MemoryStream();
        await writeInput(buffer, cancellationToken).ConfigureAwait(false);
        return await RunAsync(command, buffer.GetBuffer().AsMemory(0, (int)buffer.Length), stdout, stderr, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>The guest showed a host key other than the one LabRunner gave it: someone else answers at its address.</summary>
public sealed class HostKeyMismatchException(string vm, string expected, string actual)
    : LabRunnerException(ErrorCategory.Conflict, $"VM '{vm}' answered with host key {actual}, not the key LabRunner gave it ({expected}); refusing to log in (another machine may hold its address)");

/// <summary>
/// The SSH connection to a guest failed, timed out or dropped (the SSH library's own exception is the inner one).
/// While a guest gets ready this means "not yet" (sshd restarting, the guest rebooting); afterwards it fails that VM.
/// </summary>
public sealed class GuestConnectionException(GuestLogin login, string what, Exception? inner = null)
    : LabRunnerException(ErrorCategory.HostFailure, $"SSH to VM '{login?.Vm}' at {login?.Address}:{login?.Port}: {what}", inner);
