using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace LabRunner.Providers.Qemu.Qmp;

/// <summary>Timeouts of a <see cref="QmpClient"/>.</summary>
/// <param name="ConnectTimeout">For connecting, the greeting and capabilities negotiation together.</param>
/// <param name="CommandTimeout">For each command's response.</param>
public sealed record QmpClientOptions(TimeSpan ConnectTimeout, TimeSpan CommandTimeout)
{
    public static QmpClientOptions Default { get; } = new(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30));
}

/// <summary>
/// A QMP (QEMU Machine Protocol) client over QEMU's unix socket: reads the greeting, leaves
/// capabilities negotiation with <c>qmp_capabilities</c>, then executes commands with an <c>id</c> each and
/// delivers asynchronous events in order. One reader loop owns the socket's input: it matches responses
/// to commands by id and queues events; when the socket closes (QEMU exited), pending commands fail with
/// <see cref="QmpConnectionClosedException"/>, <see cref="Closed"/> completes and event waits return null.
/// </summary>
/// <remarks>Messages are JSON objects, one per line (QEMU ends each with CRLF; see docs/interop/qmp-spec.rst).</remarks>
public sealed class QmpClient : IQmpSession
{
    /// <summary>The longest unix socket path the kernel takes (<c>sun_path</c> is 108 bytes with the NUL).</summary>
    public const int MaxSocketPathBytes = 107;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly QmpClientOptions _options;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<long, Pending> _pending = new();
    private readonly Channel<QmpEvent> _events = Channel.CreateUnbounded<QmpEvent>(new UnboundedChannelOptions { SingleReader = false, SingleWriter = true });
    private readonly TaskCompletionSource<QmpGreeting> _greeting = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _disposing = new();
    private Task _readLoop = Task.CompletedTask;
    private long _nextId;
    private string? _closeReason;

    private sealed record Pending(string Command, TaskCompletionSource<JsonElement> Response);

    private QmpClient(Socket socket, QmpClientOptions options)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _options = options;
    }

    /// <summary>The server's greeting.</summary>
    public QmpGreeting Greeting { get; private set; } = new(null, []);

    /// <summary>Completes when the connection has closed — for QEMU, when the process has exited (or closed the monitor).</summary>
    public Task Closed => _closed.Task;

    /// <summary>Connects to the QMP socket at <paramref name="socketPath"/> and negotiates capabilities.</summary>
    /// <exception cref="QmpException">Nothing listens there, the path is too long, or the peer is not a QMP server.</exception>
    /// <exception cref="QmpTimeoutException">No greeting or negotiation within <see cref="QmpClientOptions.ConnectTimeout"/>.</exception>
    public static async Task<QmpClient> ConnectAsync(string socketPath, QmpClientOptions? options, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        options ??= QmpClientOptions.Default;
        if (Encoding.UTF8.GetByteCount(socketPath) > MaxSocketPathBytes)
            throw new QmpException($"The QMP socket path is longer than the {MaxSocketPathBytes} bytes a unix socket allows: {socketPath}");

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            socket.Dispose();
            if (e is SocketException) throw new QmpConnectionClosedException($"Cannot connect to the QMP socket {socketPath}: {e.Message}", e);
            if (e is OperationCanceledException && !cancellationToken.IsCancellationRequested) throw TimedOut(socketPath, options);
            throw;
        }

        var client = new QmpClient(socket, options);
        try
        {
            client._readLoop = Task.Run(client.ReadLoopAsync, CancellationToken.None);
            client.Greeting = await client._greeting.Task.WaitAsync(timeout.Token).ConfigureAwait(false);
            await client.ExecuteAsync("qmp_capabilities", null, timeout.Token).ConfigureAwait(false);
            return client;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw TimedOut(socketPath, options);
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static QmpTimeoutException TimedOut(string socketPath, QmpClientOptions options) =>
        new($"QMP at {socketPath} did not greet and negotiate within {options.ConnectTimeout.TotalSeconds:0.#} s.");

    /// <summary>
    /// Executes <paramref name="command"/> and returns its <c>return</c> value.
    /// </summary>
    /// <exception cref="QmpCommandException">QEMU answered with an error.</exception>
    /// <exception cref="QmpConnectionClosedException">The connection closed before the answer.</exception>
    /// <exception cref="QmpTimeoutException">No answer within <see cref="QmpClientOptions.CommandTimeout"/>.</exception>
    public async Task<JsonElement> ExecuteAsync(string command, JsonObject? arguments, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        var id = Interlocked.Increment(ref _nextId);
        var pending = new Pending(command, new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously));
        _pending[id] = pending;
        try
        {
            if (_closed.Task.IsCompleted) throw Closing(command);
            var line = JsonSerializer.SerializeToUtf8Bytes(new QmpCommandMessage(command, arguments, id), QmpJsonContext.Default.QmpCommandMessage);
            await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await _stream.WriteAsync(line, cancellationToken).ConfigureAwait(false);
                await _stream.WriteAsync("\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                throw new QmpConnectionClosedException($"QMP connection closed while sending '{command}'.", e);
            }
            finally
            {
                _writeLock.Release();
            }

            try
            {
                return await pending.Response.Task.WaitAsync(_options.CommandTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException e)
            {
                throw new QmpTimeoutException($"QMP command '{command}' got no answer within {_options.CommandTimeout.TotalSeconds:0.#} s.", e);
            }
        }
        finally
        {
            // A late answer to an abandoned command finds no entry and is dropped, as the spec advises for unknown ids.
            _pending.TryRemove(id, out _);
        }
    }

    /// <summary><c>query-status</c>: the VM's run state.</summary>
    public async Task<QmpStatus> QueryStatusAsync(CancellationToken cancellationToken)
    {
        var result = await ExecuteAsync("query-status", null, cancellationToken).ConfigureAwait(false);
        return result.Deserialize(QmpJsonContext.Default.QmpStatus) ?? throw new QmpProtocolException("query-status returned null.");
    }

    /// <summary><c>stop</c>: pauses the CPUs.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => ExecuteAsync("stop", null, cancellationToken);

    /// <summary><c>cont</c>: resumes (or first starts, after <c>-S</c>) the CPUs.</summary>
    public Task ContinueAsync(CancellationToken cancellationToken) => ExecuteAsync("cont", null, cancellationToken);

    /// <summary><c>system_powerdown</c>: presses the ACPI power button; the guest decides when to power off (then <c>SHUTDOWN</c>).</summary>
    public Task SystemPowerdownAsync(CancellationToken cancellationToken) => ExecuteAsync("system_powerdown", null, cancellationToken);

    /// <summary>
    /// <c>quit</c>: QEMU exits at once (the guest's "power cord"). QEMU may close the socket before its answer
    /// arrives; either way this completes once the connection has closed.
    /// </summary>
    public async Task QuitAsync(CancellationToken cancellationToken)
    {
        try
        {
            await ExecuteAsync("quit", null, cancellationToken).ConfigureAwait(false);
        }
        catch (QmpConnectionClosedException)
        {
            return;
        }
        try
        {
            await _closed.Task.WaitAsync(_options.CommandTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            throw new QmpTimeoutException($"QEMU answered 'quit' but kept the QMP connection open for {_options.CommandTimeout.TotalSeconds:0.#} s.", e);
        }
    }

    /// <summary>
    /// Waits for the next event named <paramref name="name"/>, consuming the events before it (events are
    /// queued from negotiation on, so one that came before this call is not missed). Returns null when the
    /// connection closes first — for QEMU, the process exited.
    /// </summary>
    public async Task<QmpEvent?> WaitForEventAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var e in _events.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                if (e.Name == name) return e;
        }
        catch (ChannelClosedException)
        {
        }
        return null;
    }

    /// <summary>The events received and not yet consumed by <see cref="WaitForEventAsync"/>.</summary>
    public ChannelReader<QmpEvent> Events => _events.Reader;

    public async ValueTask DisposeAsync()
    {
        if (!_disposing.IsCancellationRequested) await _disposing.CancelAsync().ConfigureAwait(false);
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        await _stream.DisposeAsync().ConfigureAwait(false);
        try
        {
            await _readLoop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _disposing.Dispose();
        _writeLock.Dispose();
    }

    private async Task ReadLoopAsync()
    {
        Exception? failure = null;
        try
        {
            using var reader = new StreamReader(_stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, bufferSize: 4096, leaveOpen: true);
            while (await reader.ReadLineAsync(_disposing.Token).ConfigureAwait(false) is { } line)
            {
                if (line.Length == 0) continue;
                Dispatch(line);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or SocketException)
        {
            failure = e;
        }
        catch (QmpProtocolException e)
        {
            failure = e;
            _closeReason = e.Message;
        }
        finally
        {
            Close(failure);
        }
    }

    private void Dispatch(string line)
    {
        JsonElement message;
        try
        {
            using var document = JsonDocument.Parse(line);
            message = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new QmpProtocolException($"Not a QMP message: {Truncate(line)} ({e.Message})");
        }
        if (message.ValueKind != JsonValueKind.Object) throw new QmpProtocolException($"Not a QMP message: {Truncate(line)}");

        if (!_greeting.Task.IsCompleted)
        {
            if (!message.TryGetProperty("QMP", out var qmp)) throw new QmpProtocolException($"Expected the QMP greeting, got: {Truncate(line)}");
            _greeting.TrySetResult(ReadGreeting(qmp));
            return;
        }

        if (message.TryGetProperty("event", out var eventName))
        {
            _events.Writer.TryWrite(new QmpEvent(
                eventName.GetString() ?? "",
                message.TryGetProperty("data", out var data) ? data : null,
                ReadTimestamp(message)));
            return;
        }

        var pending = FindPending(message);
        if (pending is null) return; // an answer nobody waits for any more (timed out or cancelled)
        if (message.TryGetProperty("return", out var result))
        {
            pending.Response.TrySetResult(result);
        }
        else if (message.TryGetProperty("error", out var error))
        {
            pending.Response.TrySetException(new QmpCommandException(
                pending.Command,
                error.TryGetProperty("class", out var c) ? c.GetString() ?? "" : "",
                error.TryGetProperty("desc", out var d) ? d.GetString() ?? "" : ""));
        }
        else
        {
            throw new QmpProtocolException($"A QMP message that is neither an event nor an answer: {Truncate(line)}");
        }
    }

    private Pending? FindPending(JsonElement message)
    {
        if (message.TryGetProperty("id", out var id))
            return id.ValueKind == JsonValueKind.Number && id.TryGetInt64(out var n) && _pending.TryGetValue(n, out var p) ? p : null;
        // Errors found before QEMU read the id come without one; in-band commands are answered in order, so it is the oldest's.
        var oldest = _pending.Keys.DefaultIfEmpty(-1).Min();
        return oldest >= 0 && _pending.TryGetValue(oldest, out var first) ? first : null;
    }

    private void Close(Exception? failure)
    {
        _closeReason ??= failure is null or OperationCanceledException or ObjectDisposedException
            ? "QMP connection closed (QEMU exited)."
            : $"QMP connection closed (QEMU exited): {failure.Message}";
        _greeting.TrySetException(failure as QmpProtocolException ?? (Exception)new QmpConnectionClosedException(_closeReason, failure));
        foreach (var (_, pending) in _pending)
            pending.Response.TrySetException(Closing(pending.Command, failure));
        _events.Writer.TryComplete();
        _closed.TrySetResult();
    }

    private QmpConnectionClosedException Closing(string command, Exception? inner = null) =>
        new($"{_closeReason ?? "QMP connection closed (QEMU exited)."} Command '{command}' got no answer.", inner);

    private static QmpGreeting ReadGreeting(JsonElement qmp)
    {
        var version = qmp.TryGetProperty("version", out var v) ? v.Deserialize(QmpJsonContext.Default.QmpVersion) : null;
        var capabilities = qmp.TryGetProperty("capabilities", out var caps) && caps.ValueKind == JsonValueKind.Array
            ? caps.EnumerateArray().Select(c => c.GetString() ?? "").ToArray()
            : [];
        return new QmpGreeting(version, capabilities);
    }

    private static DateTimeOffset? ReadTimestamp(JsonElement message)
    {
        if (!message.TryGetProperty("timestamp", out var t) ||
            !t.TryGetProperty("seconds", out var s) || !s.TryGetInt64(out var seconds) ||
            !t.TryGetProperty("microseconds", out var m) || !m.TryGetInt64(out var micro) || seconds < 0)
            return null;
        return DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(micro * 10);
    }

    private static string Truncate(string text) => text.Length <= 200 ? text : text[..200] + "…";
}
