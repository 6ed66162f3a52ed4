using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace LabRunner.Boxes.Tests.Support;

/// <summary>One request the server answered: its path, the Range asked for, the status and how many body bytes it sent.</summary>
public sealed record ServedRequest(string Path, string? Range, int Status, long BodyBytes, string? Authorization = null);

/// <summary>
/// A small HTTP/1.1 file server on 127.0.0.1 only (never another interface), one connection per request.
/// It honours <c>Range: bytes=N-</c> (206 with <c>Content-Range</c>), sends an <c>ETag</c>, records what
/// it served, and can cut a response after a number of body bytes to simulate a broken download.
/// </summary>
public sealed class LoopbackServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly ConcurrentDictionary<string, Func<byte[]>> _files = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _cuts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (int Status, string Location)> _redirects = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _auth = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _noValidator = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _endless = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public LoopbackServer()
    {
        _listener.Start();
        _loop = Task.Run(AcceptLoopAsync);
    }

    public ConcurrentQueue<ServedRequest> Requests { get; } = new();

    public Uri BaseUri => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");

    public Uri Url(string path) => new(BaseUri, path);

    /// <summary>Serves the bytes of <paramref name="file"/> (read at each request) at <paramref name="path"/>.</summary>
    public Uri ServeFile(string path, string file)
    {
        _files[path] = () => File.ReadAllBytes(file);
        return Url(path);
    }

    public Uri Serve(string path, byte[] content)
    {
        _files[path] = () => content;
        return Url(path);
    }

    public Uri Serve(string path, string text) => Serve(path, Encoding.UTF8.GetBytes(text));

    /// <summary>The next response for <paramref name="path"/> stops after <paramref name="bytes"/> body bytes and the connection is closed.</summary>
    public void CutNextAfter(string path, long bytes) => _cuts[path] = bytes;

    /// <summary>Answers <paramref name="path"/> with a redirect to <paramref name="location"/> (sent as given).</summary>
    public Uri Redirect(string path, string location, int status = 302)
    {
        _redirects[path] = (status, location);
        return Url(path);
    }

    /// <summary>Answers 401 for <paramref name="path"/> unless the request has HTTP Basic auth with this user and password.</summary>
    public void RequireBasicAuth(string path, string user, string password) =>
        _auth[path] = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password));

    /// <summary>Serves <paramref name="path"/> with neither an ETag nor a Last-Modified (and ignores Range), as some servers do.</summary>
    public void WithoutValidator(string path) => _noValidator[path] = true;

    /// <summary>Serves a body that never ends (no Content-Length) at <paramref name="path"/>, until the client goes away.</summary>
    public Uri ServeEndless(string path)
    {
        _endless[path] = true;
        return Url(path);
    }

    public IEnumerable<ServedRequest> RequestsFor(string path) => Requests.Where(r => r.Path == "/" + path);

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (OperationCanceledException) { return; }
            catch (ObjectDisposedException) { return; }
            // Disposed between the check above and the accept: the listener is already stopped.
            catch (InvalidOperationException) when (_stop.IsCancellationRequested) { return; }
            catch (System.Net.Sockets.SocketException) when (_stop.IsCancellationRequested) { return; }
            _ = Task.Run(() => HandleAsync(client));
        }
    }

    private async Task HandleAsync(TcpClient client)
    {
        using var _ = client;
        try
        {
            var stream = client.GetStream();
            var head = await ReadHeadAsync(stream);
            var lines = head.Split("\r\n");
            var path = Uri.UnescapeDataString(lines[0].Split(' ')[1]);
            var headers = lines.Skip(1).Where(l => l.Contains(':', StringComparison.Ordinal))
                .ToDictionary(l => l[..l.IndexOf(':', StringComparison.Ordinal)].Trim().ToLowerInvariant(), l => l[(l.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim());
            var key = path.TrimStart('/');
            var authorization = headers.GetValueOrDefault("authorization");
            if (_auth.TryGetValue(key, out var expected) && authorization != expected)
            {
                await WriteAsync(stream, "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"boxes\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                Requests.Enqueue(new ServedRequest(path, null, 401, 0, authorization));
                return;
            }
            if (_redirects.TryGetValue(key, out var redirect))
            {
                await WriteAsync(stream, $"HTTP/1.1 {redirect.Status} Moved\r\nLocation: {redirect.Location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                Requests.Enqueue(new ServedRequest(path, null, redirect.Status, 0, authorization));
                return;
            }
            if (_endless.ContainsKey(key))
            {
                await WriteAsync(stream, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n");
                var chunk = Encoding.ASCII.GetBytes(new string(' ', 64 << 10));
                long sent = 0;
                try
                {
                    await stream.WriteAsync("{\"versions\": ["u8.ToArray());
                    while (!_stop.IsCancellationRequested && sent < 1L << 30)
                    {
                        await stream.WriteAsync(chunk, _stop.Token);
                        sent += chunk.Length;
                    }
                }
                finally
                {
                    Requests.Enqueue(new ServedRequest(path, null, 200, sent, authorization));
                }
                return;
            }
            if (!_files.TryGetValue(key, out var get))
            {
                await WriteAsync(stream, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                Requests.Enqueue(new ServedRequest(path, null, 404, 0));
                return;
            }
            var content = get();
            var etag = "\"" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content))[..16] + "\"";
            var range = headers.GetValueOrDefault("range");
            long start = 0;
            var status = 200;
            var validated = !_noValidator.ContainsKey(key);
            if (validated && range is not null && range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-')
                && (!headers.TryGetValue("if-range", out var ifRange) || ifRange == etag))
            {
                start = long.Parse(range[6..^1], CultureInfo.InvariantCulture);
                if (start >= content.Length)
                {
                    await WriteAsync(stream, $"HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{content.Length}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    Requests.Enqueue(new ServedRequest(path, range, 416, 0));
                    return;
                }
                status = 206;
            }
            var length = content.Length - start;
            var response = new StringBuilder()
                .Append(status == 206 ? "HTTP/1.1 206 Partial Content\r\n" : "HTTP/1.1 200 OK\r\n")
                .Append(CultureInfo.InvariantCulture, $"Content-Length: {length}\r\n")
                .Append("Content-Type: application/octet-stream\r\n")
                .Append(validated ? $"ETag: {etag}\r\n" : "")
                .Append("Accept-Ranges: bytes\r\nConnection: close\r\n");
            if (status == 206) response.Append(CultureInfo.InvariantCulture, $"Content-Range: bytes {start}-{content.Length - 1}/{content.Length}\r\n");
            await WriteAsync(stream, response.Append("\r\n").ToString());
            var send = length;
            if (_cuts.TryRemove(key, out var cut)) send = Math.Min(send, cut);
            await stream.WriteAsync(content.AsMemory((int)start, (int)send));
            await stream.FlushAsync();
            Requests.Enqueue(new ServedRequest(path, range, status, send, authorization));
            if (send < length) client.Client.Shutdown(SocketShutdown.Both); // the body ends early: the client sees a broken transfer
        }
        catch (IOException) { }
        catch (SocketException) { }
        catch (ObjectDisposedException) { }
        catch (OperationCanceledException) { }
    }

    private static async Task<string> ReadHeadAsync(NetworkStream stream)
    {
        var buffer = new List<byte>();
        var one = new byte[1];
        while (!(buffer.Count >= 4 && buffer[^4] == '\r' && buffer[^3] == '\n' && buffer[^2] == '\r' && buffer[^1] == '\n'))
        {
            if (await stream.ReadAsync(one) == 0) throw new IOException("closed");
            buffer.Add(one[0]);
            if (buffer.Count > 65536) throw new IOException("head too long");
        }
        return Encoding.ASCII.GetString([.. buffer]);
    }

    private static Task WriteAsync(NetworkStream stream, string text) => stream.WriteAsync(Encoding.ASCII.GetBytes(text)).AsTask();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try { await _loop; } catch (OperationCanceledException) { }
        _stop.Dispose();
    }
}
