using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using LabRunner.Core.Boxes;
using LabRunner.Core.Diagnostics;

namespace LabRunner.Boxes;

/// <summary>The outcome of one download: the total size and how many bytes this run actually fetched.</summary>
public sealed record DownloadResult(long Length, long Fetched, long Resumed);

/// <summary>
/// Downloads to a partial file that survives interruptions: the next attempt (in this run, or the next
/// command) asks only for the missing bytes (HTTP <c>Range</c>, guarded by <c>If-Range</c> so a changed
/// file starts over). The digest is computed while the bytes are written, so verifying costs no second
/// read. Proxies come from the environment (<c>HTTPS_PROXY</c>, <c>HTTP_PROXY</c>, <c>NO_PROXY</c>), as
/// <see cref="HttpClient"/>'s default handler reads them.
/// </summary>
public sealed class Downloader(HttpClient http)
{
    private const int BufferSize = 1 << 20;

    /// <summary>A connection that sends nothing for this long is given up (and resumed by the next attempt).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How many times a broken transfer is resumed within one call.</summary>
    public int Attempts { get; init; } = 4;

    public static HttpClient CreateClient()
    {
        var handler = new SocketsHttpHandler
        {
            // The bytes as served: a checksum is of the file, and a Range is of the file.
            AutomaticDecompression = DecompressionMethods.None,
            // Redirects are followed by SendAsync, which refuses any target that is not http(s) and keeps
            // a URL's credentials for its own origin.
            AllowAutoRedirect = false,
            ConnectTimeout = TimeSpan.FromSeconds(30),
        };
        var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("LabRunner", "1.0"));
        return client;
    }

    /// <summary>
    /// Downloads <paramref name="url"/> into <paramref name="partPath"/> (appending to what is there) and
    /// checks <paramref name="checksum"/> when given. On a mismatch the partial file is deleted and a
    /// <see cref="BoxException"/> of kind <see cref="BoxErrorKind.ChecksumMismatch"/> thrown; on a network
    /// failure the partial file stays for the next attempt.
    /// </summary>
    public async Task<DownloadResult> DownloadAsync(Uri url, string partPath, Checksum? checksum, string box, IBoxReporter reporter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(reporter);
        var validatorPath = partPath + ".validator";
        long fetched = 0;
        long resumed = -1;
        string? actual = null;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var (_, got, had, digest) = await FetchAsync(url, partPath, validatorPath, checksum, box, reporter, cancellationToken).ConfigureAwait(false);
                fetched += got;
                if (resumed < 0) resumed = had;
                actual = digest;
                break;
            }
            catch (Exception e) when (attempt < Attempts && IsTransient(e) && !cancellationToken.IsCancellationRequested)
            {
                var kept = Kept(partPath, validatorPath);
                reporter.Note($"{box}: {(kept > 0 ? "the transfer broke" : "the download failed")} ({OutsideText.Escape(e.Message)}); " +
                    (kept > 0 ? $"resuming from {kept} bytes" : "trying again") + $" (attempt {attempt + 1} of {Attempts})");
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (IsTransient(e) && !cancellationToken.IsCancellationRequested)
            {
                throw new BoxException(BoxErrorKind.Source,
                    $"Could not download {Display(url)} after {Attempts} attempts: {OutsideText.Escape(e.Message)}. {Leftover(partPath, validatorPath)}", e);
            }
            catch (UnauthorizedAccessException e)
            {
                throw new BoxException(BoxErrorKind.Source, $"Could not write the download of {Display(url)} to {partPath}: {e.Message}", e);
            }
        }
        var total = new FileInfo(partPath).Length;
        if (checksum is not null) Verify(actual!, checksum, partPath, Display(url));
        TryDelete(validatorPath);
        return new DownloadResult(total, fetched, Math.Max(resumed, 0));
    }

    private async Task<(long Length, long Fetched, long Had, string? Digest)> FetchAsync(Uri url, string partPath, string validatorPath, Checksum? checksum, string box, IBoxReporter reporter, CancellationToken cancellationToken)
    {
        var have = File.Exists(partPath) ? new FileInfo(partPath).Length : 0;
        var condition = have > 0 ? await ReadValidatorAsync(validatorPath, cancellationToken).ConfigureAwait(false) : null;
        // Without a validator the bytes on disk cannot be proved to be the same file's: start over.
        if (condition is null) have = 0;

        using var response = await SendAsync(url, request =>
        {
            if (condition is null) return;
            request.Headers.Range = new RangeHeaderValue(have, null);
            request.Headers.IfRange = condition;
        }, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && have > 0)
        {
            // Everything was already here (the server knows no bytes past the end).
            var length = response.Content.Headers.ContentRange?.Length;
            if (length == have)
                return (have, 0, have, checksum is null ? null : await HashFileAsync(partPath, checksum.Algorithm, cancellationToken).ConfigureAwait(false));
            File.Delete(partPath);
            throw new IOException("the server refused to resume; starting over");
        }
        if (!response.IsSuccessStatusCode)
            throw new BoxException(BoxErrorKind.Source, Refused(url, response));

        var append = response.StatusCode == HttpStatusCode.PartialContent && response.Content.Headers.ContentRange?.From == have;
        if (!append) have = 0;
        var newValidator = response.Headers.ETag?.ToString() is { } etag && !etag.StartsWith("W/", StringComparison.Ordinal)
            ? etag
            : response.Content.Headers.LastModified?.ToString("R", CultureInfo.InvariantCulture);
        if (newValidator is null) TryDelete(validatorPath);
        else await File.WriteAllTextAsync(validatorPath, newValidator, cancellationToken).ConfigureAwait(false);
        long? total = response.Content.Headers.ContentLength is { } n ? n + have : null;

        using var hash = checksum is null ? null : IncrementalHash.CreateHash(HashName(checksum.Algorithm));
        if (hash is not null && have > 0) await HashPrefixAsync(partPath, have, hash, cancellationToken).ConfigureAwait(false);

        var buffer = new byte[BufferSize];
        var spare = new byte[BufferSize];
        await using var file = new FileStream(partPath, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var done = have;
        var fetched = 0L;
        var lastReport = 0L;
        reporter.Progress(new TransferProgress(box, TransferStage.Downloading, done, total, have));
        var consumer = Task.CompletedTask;
        try
        {
            while (true)
            {
                idle.CancelAfter(IdleTimeout);
                var (read, error) = await FillAsync(body, buffer, idle.Token, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    if (error is not null) throw error;
                    break;
                }
                // Digest and write this chunk on another thread while the next one is read: network, hash
                // and disk overlap, so verifying costs no second pass over the file.
                await consumer.ConfigureAwait(false);
                var chunk = buffer;
                consumer = Task.Run(() =>
                {
                    hash?.AppendData(chunk, 0, read);
                    file.Write(chunk, 0, read);
                }, CancellationToken.None);
                (buffer, spare) = (spare, buffer);
                done += read;
                fetched += read;
                if (error is not null)
                {
                    await consumer.ConfigureAwait(false);
                    throw error;
                }
                if (done - lastReport >= 8 << 20)
                {
                    reporter.Progress(new TransferProgress(box, TransferStage.Downloading, done, total, have));
                    lastReport = done;
                }
            }
        }
        finally
        {
            // Whatever happens, what was read reaches the partial file before it is closed (a resume relies on it).
            await consumer.ConfigureAwait(false);
        }
        reporter.Progress(new TransferProgress(box, TransferStage.Downloading, done, total, have));
        if (total is { } expected && done != expected)
            throw new IOException($"the server sent {done - have} of {expected - have} bytes");
        return (done, fetched, have, hash is null ? null : Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    /// <summary>The partial file's <c>If-Range</c> condition; a missing or damaged validator is none (and a damaged one is deleted).</summary>
    private static async Task<RangeConditionHeaderValue?> ReadValidatorAsync(string validatorPath, CancellationToken cancellationToken)
    {
        if (!File.Exists(validatorPath)) return null;
        string text;
        try
        {
            if (new FileInfo(validatorPath).Length > 1024) throw new IOException("too long");
            text = (await File.ReadAllTextAsync(validatorPath, cancellationToken).ConfigureAwait(false)).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(validatorPath);
            return null;
        }
        if ((text.StartsWith('"') && EntityTagHeaderValue.TryParse(text, out var etag) && !etag.IsWeak))
            return new RangeConditionHeaderValue(etag);
        if (!text.StartsWith('"') && DateTimeOffset.TryParseExact(text, "R", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date))
            return new RangeConditionHeaderValue(date);
        TryDelete(validatorPath);
        return null;
    }

    /// <summary>How many bytes of a partial download the next attempt can resume from (0 when it must start over).</summary>
    private static long Kept(string partPath, string validatorPath) =>
        File.Exists(partPath) && File.Exists(validatorPath) ? new FileInfo(partPath).Length : 0;

    /// <summary>What a failed download leaves, said as it is: nothing, bytes to resume from, or bytes that cannot be resumed (deleted).</summary>
    private static string Leftover(string partPath, string validatorPath)
    {
        var kept = Kept(partPath, validatorPath);
        if (kept > 0) return $"The {kept} bytes fetched are kept; run the command again to resume.";
        var had = File.Exists(partPath) && new FileInfo(partPath).Length > 0;
        TryDelete(partPath);
        TryDelete(validatorPath);
        return had
            ? "The server names no version of the file (no ETag or Last-Modified), so a download cannot resume safely; what was fetched was deleted and the next attempt starts over."
            : "Nothing was fetched.";
    }

    /// <summary>
    /// Sends a GET for <paramref name="url"/> and follows up to 10 redirects, each only to http(s) (never from
    /// https to http). Credentials in the URL (<c>http://user:password@host/…</c>) go as HTTP Basic auth to
    /// that URL's origin only, never to another host a redirect names.
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(Uri url, Action<HttpRequestMessage> configure, CancellationToken cancellationToken)
    {
        var credentials = BasicCredentials(url);
        var current = url;
        for (var hops = 0; ; hops++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, current);
            configure(request);
            if (credentials is not null && SameOrigin(current, url))
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic", credentials);
            var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if ((int)response.StatusCode is not (301 or 302 or 303 or 307 or 308) || response.Headers.Location is not { } location)
                return response;
            response.Dispose();
            if (hops >= 10)
                throw new BoxException(BoxErrorKind.Source, $"Could not download {Display(url)}: it redirects more than 10 times.");
            Uri target;
            try
            {
                target = location.IsAbsoluteUri ? location : new Uri(current, location);
            }
            catch (UriFormatException)
            {
                throw new BoxException(BoxErrorKind.Source, $"Could not download {Display(url)}: it redirects to a malformed address.");
            }
            if (target.Scheme != Uri.UriSchemeHttp && target.Scheme != Uri.UriSchemeHttps)
                throw new BoxException(BoxErrorKind.Source,
                    $"Could not download {Display(url)}: it redirects to a {OutsideText.Escape(target.Scheme)}: address ({Display(target)}), and LabRunner follows redirects only to http(s).");
            if (current.Scheme == Uri.UriSchemeHttps && target.Scheme == Uri.UriSchemeHttp)
                throw new BoxException(BoxErrorKind.Source,
                    $"Could not download {Display(url)}: it redirects from https to plain http ({Display(target)}), which LabRunner does not follow.");
            current = target;
        }
    }

    private static string? BasicCredentials(Uri url)
    {
        if (string.IsNullOrEmpty(url.UserInfo)) return null;
        var colon = url.UserInfo.IndexOf(':', StringComparison.Ordinal);
        var user = Uri.UnescapeDataString(colon < 0 ? url.UserInfo : url.UserInfo[..colon]);
        var password = colon < 0 ? "" : Uri.UnescapeDataString(url.UserInfo[(colon + 1)..]);
        return Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(user + ":" + password));
    }

    private static bool SameOrigin(Uri a, Uri b) =>
        a.Scheme == b.Scheme && string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase) && a.Port == b.Port;

    /// <summary>The message for an error status; a 401/403 says how to give credentials (they are never stored).</summary>
    private static string Refused(Uri url, HttpResponseMessage response)
    {
        var status = $"{(int)response.StatusCode} {OutsideText.Escape(response.ReasonPhrase)}".TrimEnd();
        var message = $"Could not download {Display(url)}: the server answered {status}.";
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            message += string.IsNullOrEmpty(url.UserInfo)
                ? " If it needs a user and password, give them in the URL (https://USER:PASSWORD@host/...): LabRunner sends them as HTTP Basic auth and never stores them, so 'lab box update' and 'outdated' need them again the same way ('lab box add NAME --catalog URL')."
                : " The user and password in the URL were sent (HTTP Basic auth) and refused.";
        return message;
    }

    /// <summary>
    /// Reads a small document (a catalog) into memory, and stops as soon as it grows past <paramref name="maxLength"/>:
    /// an endless or huge answer never fills the memory or the disk.
    /// </summary>
    public async Task<byte[]> ReadSmallAsync(Uri url, int maxLength, string what, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var response = await SendAsync(url, _ => { }, cancellationToken).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode) throw new BoxException(BoxErrorKind.Source, Refused(url, response));
                if (response.Content.Headers.ContentLength > maxLength) throw TooLarge(url, what, maxLength);
                await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var buffer = new MemoryStream();
                var chunk = new byte[81920];
                while (true)
                {
                    idle.CancelAfter(IdleTimeout);
                    int n;
                    try
                    {
                        n = await body.ReadAsync(chunk, idle.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        throw new IOException("the server sent nothing for too long");
                    }
                    if (n == 0) break;
                    if (buffer.Length + n > maxLength) throw TooLarge(url, what, maxLength);
                    buffer.Write(chunk, 0, n);
                }
                return buffer.ToArray();
            }
            catch (Exception e) when (attempt < Attempts && IsTransient(e) && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (IsTransient(e) && !cancellationToken.IsCancellationRequested)
            {
                throw new BoxException(BoxErrorKind.Source, $"Could not read {what} {Display(url)} after {Attempts} attempts: {OutsideText.Escape(e.Message)}.", e);
            }
        }
    }

    private static BoxException TooLarge(Uri url, string what, int maxLength) =>
        new(BoxErrorKind.Source, $"{Display(url)} is larger than {what} can be ({maxLength >> 20} MiB); it was not read further.");

    private static async Task HashPrefixAsync(string path, long length, IncrementalHash hash, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
        var buffer = new byte[BufferSize];
        var left = length;
        while (left > 0)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), cancellationToken).ConfigureAwait(false);
            if (n == 0) throw new IOException($"{path} is shorter than expected");
            hash.AppendData(buffer, 0, n);
            left -= n;
        }
    }

    private static HashAlgorithmName HashName(string algorithm) => algorithm switch
    {
        "md5" => HashAlgorithmName.MD5,
        "sha1" => HashAlgorithmName.SHA1,
        "sha256" => HashAlgorithmName.SHA256,
        "sha384" => HashAlgorithmName.SHA384,
        "sha512" => HashAlgorithmName.SHA512,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, null),
    };

    private static void Verify(string actual, Checksum checksum, string path, string what)
    {
        if (string.Equals(actual, checksum.Hex, StringComparison.OrdinalIgnoreCase)) return;
        TryDelete(path);
        TryDelete(path + ".validator");
        throw new BoxException(BoxErrorKind.ChecksumMismatch,
            $"The {checksum.Algorithm} checksum of {what} is {actual}, not the expected {checksum.Hex}. Nothing was installed and the download was removed; check the checksum, or the source.");
    }

    /// <summary>
    /// Reads until a quarter of the buffer is filled or the body ends. A failure after some bytes arrived is
    /// returned beside them (to be thrown once they are written), so a broken transfer keeps every byte it
    /// received; an idle connection becomes an <see cref="IOException"/>.
    /// </summary>
    private static async Task<(int Filled, Exception? Error)> FillAsync(Stream body, byte[] buffer, CancellationToken idle, CancellationToken user)
    {
        var filled = 0;
        try
        {
            while (filled < buffer.Length / 4)
            {
                var n = await body.ReadAsync(buffer.AsMemory(filled), idle).ConfigureAwait(false);
                if (n == 0) break;
                filled += n;
            }
            return (filled, null);
        }
        catch (OperationCanceledException) when (!user.IsCancellationRequested)
        {
            return (filled, new IOException("the server sent nothing for too long"));
        }
        catch (Exception e) when (filled > 0 && IsTransient(e))
        {
            return (filled, e);
        }
    }

    /// <summary>Checks the digest of a local file (never deleted: it is the user's); throws on a mismatch.</summary>
    public static async Task VerifyAsync(string path, Checksum checksum, string what, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(checksum);
        var actual = await HashFileAsync(path, checksum.Algorithm, cancellationToken).ConfigureAwait(false);
        if (!string.Equals(actual, checksum.Hex, StringComparison.OrdinalIgnoreCase))
            throw new BoxException(BoxErrorKind.ChecksumMismatch,
                $"The {checksum.Algorithm} checksum of {what} is {actual}, not the expected {checksum.Hex}. Nothing was installed; check the checksum, or the source.");
    }

    public static async Task<string> HashFileAsync(string path, string algorithm, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.Asynchronous | FileOptions.SequentialScan);
        byte[] digest = algorithm switch
        {
            "md5" => await MD5HashAsync(stream, cancellationToken).ConfigureAwait(false),
            "sha1" => await SHA1.HashDataAsync(stream, cancellationToken).ConfigureAwait(false),
            "sha256" => await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false),
            "sha384" => await SHA384.HashDataAsync(stream, cancellationToken).ConfigureAwait(false),
            "sha512" => await SHA512.HashDataAsync(stream, cancellationToken).ConfigureAwait(false),
            _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, null),
        };
        return Convert.ToHexStringLower(digest);
    }

#pragma warning disable CA5351 // MD5 is what some Vagrant catalogs publish; it checks integrity, not authenticity.
    private static ValueTask<byte[]> MD5HashAsync(Stream stream, CancellationToken cancellationToken) => MD5.HashDataAsync(stream, cancellationToken);
#pragma warning restore CA5351

    private static bool IsTransient(Exception e) => e is IOException or HttpRequestException or TimeoutException;

    /// <summary>A URL to store or show, without any user:password it may carry.</summary>
    public static string Redact(Uri url)
    {
        if (url is null) return "";
        if (string.IsNullOrEmpty(url.UserInfo)) return url.ToString();
        return new UriBuilder(url) { UserName = "", Password = "" }.Uri.ToString();
    }

    /// <summary>A URL as a message quotes it: redacted (<see cref="Redact"/>) and with control characters escaped.</summary>
    public static string Display(Uri url) => OutsideText.Escape(Redact(url));

    internal static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
