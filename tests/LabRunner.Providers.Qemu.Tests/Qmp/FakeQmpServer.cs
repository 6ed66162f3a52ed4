using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace LabRunner.Providers.Qemu.Tests.Qmp;

/// <summary>An in-process QMP peer on a unix socket in a temp directory, scripted by the test line by line.</summary>
public sealed class FakeQmpServer : IAsyncDisposable
{
    public const string Greeting = """{"QMP": {"version": {"qemu": {"micro": 19, "minor": 2, "major": 7}, "package": "Debian 1:7.2+dfsg-7"}, "capabilities": ["oob"]}}""";

    private readonly string? _directory;
    private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private Socket? _connection;
    private NetworkStream? _stream;
    private StreamReader? _reader;

    /// <summary>Listens at <paramref name="socketPath"/> (a VM's QMP socket in a test registry), or in a temp directory of its own.</summary>
    public FakeQmpServer(string? socketPath = null)
    {
        if (socketPath is null) _directory = Directory.CreateTempSubdirectory("lr-qmp-").FullName;
        SocketPath = socketPath ?? Path.Combine(_directory!, "qmp.sock");
        Directory.CreateDirectory(Path.GetDirectoryName(SocketPath)!);
        _listener.Bind(new UnixDomainSocketEndPoint(SocketPath));
        _listener.Listen(1);
    }

    public string SocketPath { get; }

    public async Task AcceptAsync()
    {
        _connection = await _listener.AcceptAsync();
        _stream = new NetworkStream(_connection, ownsSocket: false);
        _reader = new StreamReader(_stream, Encoding.UTF8);
    }

    /// <summary>Accepts, greets and answers qmp_capabilities: the client is then in command mode.</summary>
    public async Task AcceptAndNegotiateAsync()
    {
        await AcceptAsync();
        await SendAsync(Greeting);
        var negotiation = await ReceiveAsync();
        Assert.Equal("qmp_capabilities", negotiation.GetProperty("execute").GetString());
        await AnswerAsync(negotiation, "{}");
    }

    /// <summary>Sends raw text (a message is one line ending in CRLF, as QEMU writes it).</summary>
    public async Task SendRawAsync(string text) => await _stream!.WriteAsync(Encoding.UTF8.GetBytes(text));

    public Task SendAsync(string message) => SendRawAsync(message + "\r\n");

    public async Task<JsonElement> ReceiveAsync()
    {
        var line = await _reader!.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)) ?? throw new EndOfStreamException();
        using var document = JsonDocument.Parse(line);
        return document.RootElement.Clone();
    }

    public Task AnswerAsync(JsonElement command, string returnJson) =>
        SendAsync($$"""{"return": {{returnJson}}, "id": {{command.GetProperty("id").GetRawText()}}}""");

    public Task EmitAsync(string eventName) =>
        SendAsync($$"""{"timestamp": {"seconds": 1700000000, "microseconds": 250000}, "event": "{{eventName}}"}""");

    /// <summary>Closes the connection, as QEMU does when it exits.</summary>
    public void CloseConnection()
    {
        if (_connection is null) return;
        _connection.Shutdown(SocketShutdown.Both);
        _connection.Dispose();
        _connection = null;
    }

    public ValueTask DisposeAsync()
    {
        CloseConnection();
        _listener.Dispose();
        if (_directory is not null) Directory.Delete(_directory, recursive: true);
        else File.Delete(SocketPath);
        return ValueTask.CompletedTask;
    }
}
