using System.Net.Sockets;
using System.Text;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace LabRunner.Engine.Guests;

/// <summary>
/// <see cref="IGuestConnector"/> over SSH.NET: public-key login with the lab's key, the guest's host key
/// compared with the one LabRunner pinned (never trusted on first use).
/// </summary>
public sealed class SshNetConnector : IGuestConnector
{
    /// <summary>How long one TCP or SSH connection attempt may take; the caller's back-off decides how often.</summary>
    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How often an idle session sends a keepalive, so a connection whose guest went away is noticed.</summary>
    public static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(5);

    public async Task<bool> PortAnswersAsync(GuestLogin login, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(login);
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(AttemptTimeout);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(login.IpAddress, login.Port, attempt.Token).ConfigureAwait(false);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    public async Task<IGuestSession?> TryConnectAsync(GuestLogin login, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(login);
        using var keyStream = new MemoryStream(Encoding.ASCII.GetBytes(login.PrivateKeyPem));
        using var keyFile = new PrivateKeyFile(keyStream);
        var info = new ConnectionInfo(login.Address.ToString(), login.Port, login.User, new PrivateKeyAuthenticationMethod(login.User, keyFile))
        {
            Timeout = AttemptTimeout,
        };
        var client = new SshClient(info)
        {
            // A guest reset under a session (a reboot whose FIN never came) leaves the connection open on this side for
            // good; a keepalive makes the rebooted guest answer with a reset, so the waiting command fails and is retried.
            KeepAliveInterval = KeepAliveInterval,
        };
        string? presented = null;
        var pinned = login.HostPublicKey?.Split(' ') is [_, var blob, ..] ? Convert.FromBase64String(blob) : null;
        client.HostKeyReceived += (_, e) =>
        {
            // Without a pinned key (a VM made before LabRunner pinned keys) the guest is trusted as before.
            e.CanTrust = pinned is null || e.HostKey.AsSpan().SequenceEqual(pinned);
            if (!e.CanTrust) presented = e.HostKeyName + " " + e.FingerPrintSHA256;
        };
        try
        {
            await client.ConnectAsync(cancellationToken).ConfigureAwait(false);
            return new Session(client, login);
        }
        catch (Exception ex) when (Transient(ex) || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            client.Dispose();
            if (presented is not null)
                throw new HostKeyMismatchException(login.Vm, Guest.Ssh.SshKeys.Fingerprint(login.HostPublicKey!), presented);
            // Not ready yet (refused, reset, timed out, the user not there yet); the caller decides how long to wait.
            throw new GuestConnectionException(login, "could not log in: " + ex.Message, ex);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>
    /// What SSH.NET and the socket under it throw when a connection fails, drops or times out (every SSH.NET error
    /// derives from <see cref="SshException"/>: operation timeout, connection lost, authentication, proxy).
    /// </summary>
    private static bool Transient(Exception ex) => ex is SshException or SocketException or IOException or ObjectDisposedException;

    private sealed class Session(SshClient client, GuestLogin login) : IGuestSession
    {
        public Task<int> RunAsync(string command, ReadOnlyMemory<byte> input, Action<string> stdout, Action<string> stderr, CancellationToken cancellationToken) =>
            RunAsync(command, async (stdin, ct) =>
            {
                if (!input.IsEmpty) await stdin.WriteAsync(input, ct).ConfigureAwait(false);
            }, stdout, stderr, cancellationToken);

        public async Task<int> RunAsync(string command, Func<Stream, CancellationToken, Task> writeInput, Action<string> stdout, Action<string> stderr, CancellationToken cancellationToken)
        {
            try
            {
                using var cmd = client.CreateCommand(command);
                var execution = cmd.ExecuteAsync(cancellationToken);
                // Output is read while the input is written: a long input must not wait on output nobody reads.
                var pumps = Task.WhenAll(Pump(cmd.OutputStream, stdout), Pump(cmd.ExtendedOutputStream, stderr));
                using (var stdin = cmd.CreateInputStream())
                {
                    await writeInput(stdin, cancellationToken).ConfigureAwait(false);
                }
                await execution.ConfigureAwait(false);
                await pumps.ConfigureAwait(false);
                // No exit status: the command was ended by a signal; report it like a shell does.
                return cmd.ExitStatus ?? 128 + 15;
            }
            catch (Exception ex) when (Transient(ex))
            {
                // Cancelled (Ctrl+C, the boot timeout): SSH.NET may report the torn-down connection instead; the cancellation is what happened.
                cancellationToken.ThrowIfCancellationRequested();
                throw new GuestConnectionException(login, "the connection failed while a command ran: " + ex.Message, ex);
            }
        }

        private static async Task Pump(Stream stream, Action<string> line)
        {
            using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, leaveOpen: true);
            while (await reader.ReadLineAsync().ConfigureAwait(false) is { } text)
                line(text);
        }

        public ValueTask DisposeAsync()
        {
            try
            {
                client.Dispose();
            }
            catch (Exception ex) when (Transient(ex))
            {
                // A connection that already dropped has nothing left to close.
            }
            return ValueTask.CompletedTask;
        }
    }
}
