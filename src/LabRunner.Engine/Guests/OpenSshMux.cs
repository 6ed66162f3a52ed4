using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace LabRunner.Engine.Guests;

/// <summary>What became of a control socket asked to end its master.</summary>
public enum MuxClose
{
    /// <summary>A master answered and agreed to exit (closing its connection to the guest).</summary>
    Closed,
    /// <summary>Nothing listened there any more (the master had already ended): the stale socket file was removed.</summary>
    Stale,
    /// <summary>Something answered but did not end (refused, or not an OpenSSH master): left alone.</summary>
    Refused,
}

/// <summary>
/// The client side of OpenSSH's connection-sharing protocol (<c>PROTOCOL.mux</c> in OpenSSH's sources), as far as
/// <c>ssh -O check</c> and <c>ssh -O exit</c> go: both sides send a hello (version 4), then the client asks
/// <c>MUX_C_ALIVE_CHECK</c> or <c>MUX_C_TERMINATE</c>. Spoken here so 'halt' and 'down' end the lab's masters without
/// starting an ssh process (or needing one installed). Every message is an SSH-style uint32 length, a uint32 type, a body.
/// </summary>
public static class OpenSshMux
{
    private const uint Hello = 0x00000001;
    private const uint AliveCheck = 0x10000004;
    private const uint Terminate = 0x10000005;
    private const uint Ok = 0x80000001;
    private const uint Alive = 0x80000005;
    private const uint Version = 4;
    private const uint RequestId = 1;

    /// <summary>How long a master may take to answer: it answers at once, or it is stuck.</summary>
    public static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The process id of the master listening at <paramref name="controlPath"/>, or null when none answers there.</summary>
    public static async Task<int?> CheckAsync(string controlPath, CancellationToken cancellationToken)
    {
        try
        {
            using var socket = await ConnectAsync(controlPath, cancellationToken).ConfigureAwait(false);
            if (socket is null) return null;
            var reply = await RequestAsync(socket, AliveCheck, cancellationToken).ConfigureAwait(false);
            return reply.Type == Alive && reply.Body.Length >= 8 ? (int)BinaryPrimitives.ReadUInt32BigEndian(reply.Body.AsSpan(4)) : null;
        }
        catch (Exception ex) when (Failed(ex, cancellationToken))
        {
            return null;
        }
    }

    /// <summary>Asks the master at <paramref name="controlPath"/> to exit (as <c>ssh -O exit</c>); removes a socket nothing listens at.</summary>
    public static async Task<MuxClose> CloseAsync(string controlPath, CancellationToken cancellationToken)
    {
        try
        {
            using var socket = await ConnectAsync(controlPath, cancellationToken).ConfigureAwait(false);
            if (socket is null)
            {
                File.Delete(controlPath);
                return MuxClose.Stale;
            }
            var reply = await RequestAsync(socket, Terminate, cancellationToken, hangUpAnswers: true).ConfigureAwait(false);
            return reply.Type == Ok ? MuxClose.Closed : MuxClose.Refused;
        }
        catch (Exception ex) when (Failed(ex, cancellationToken))
        {
            return MuxClose.Refused;
        }
    }

    /// <summary>A connected socket, or null when nothing listens at the path (no file, or a socket whose master ended).</summary>
    private static async Task<Socket?> ConnectAsync(string controlPath, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(AnswerTimeout);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(controlPath), timeout.Token).ConfigureAwait(false);
            return socket;
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionRefused or SocketError.AddressNotAvailable || !File.Exists(controlPath))
        {
            socket.Dispose();
            return null;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The master's reply to one request after the hellos. With <paramref name="hangUpAnswers"/> a master that hangs up
    /// instead of replying has done what was asked (a master told to exit may be gone before its reply is sent, which
    /// <c>ssh -O exit</c> takes as done too).
    /// </summary>
    private static async Task<(uint Type, byte[] Body)> RequestAsync(Socket socket, uint type, CancellationToken cancellationToken, bool hangUpAnswers = false)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(AnswerTimeout);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        await Send(stream, Hello, Version, timeout.Token).ConfigureAwait(false);
        var hello = await Receive(stream, timeout.Token).ConfigureAwait(false);
        if (hello.Type != Hello) throw new InvalidDataException("not an OpenSSH control socket (no hello)");
        try
        {
            await Send(stream, type, RequestId, timeout.Token).ConfigureAwait(false);
            return await Receive(stream, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (hangUpAnswers && ex is EndOfStreamException or IOException { InnerException: SocketException { SocketErrorCode: SocketError.ConnectionReset or SocketError.Shutdown } })
        {
            return (Ok, []);
        }
    }

    private static async Task Send(Stream stream, uint type, uint value, CancellationToken cancellationToken)
    {
        var message = new byte[12];
        BinaryPrimitives.WriteUInt32BigEndian(message, 8);
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(4), type);
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(8), value);
        await stream.WriteAsync(message, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<(uint Type, byte[] Body)> Receive(Stream stream, CancellationToken cancellationToken)
    {
        var header = new byte[4];
        await stream.ReadExactlyAsync(header, cancellationToken).ConfigureAwait(false);
        var length = BinaryPrimitives.ReadUInt32BigEndian(header);
        if (length is < 4 or > 64 * 1024) throw new InvalidDataException("not an OpenSSH control socket (bad length)");
        var message = new byte[length];
        await stream.ReadExactlyAsync(message, cancellationToken).ConfigureAwait(false);
        return (BinaryPrimitives.ReadUInt32BigEndian(message), message[4..]);
    }

    /// <summary>A master that hung up, timed out or spoke something else: not one to close (a cancellation by the caller stays one).</summary>
    private static bool Failed(Exception ex, CancellationToken cancellationToken) =>
        ex is SocketException or IOException or InvalidDataException or UnauthorizedAccessException
        || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    /// <summary>For messages: the reason a path cannot be a control socket.</summary>
    internal static int ByteLength(string path) => Encoding.UTF8.GetByteCount(path);
}
