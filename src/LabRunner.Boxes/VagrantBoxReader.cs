using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using LabRunner.Core.Diagnostics;

namespace LabRunner.Boxes;

/// <summary>What a Vagrant <c>.box</c> held for us: its provider, architecture, and the extracted disk.</summary>
public sealed record ExtractedBox(string VagrantProvider, string? Architecture, string DiskPath, string? Firmware, bool? SecureBoot);

/// <summary>
/// Reads Vagrant <c>.box</c> files (tar, tar.gz or zip) with the BCL's archive readers. The box's
/// <c>metadata.json</c> names its provider: <c>hyperv</c> keeps its disk under <c>Virtual Hard Disks/</c>
/// (<c>.vhdx</c> or <c>.vhd</c>), <c>libvirt</c> (and vagrant-qemu's <c>qemu</c>) in <c>box.img</c>.
/// Only the disk is extracted; entries are read by name and never written outside the staging folder.
/// </summary>
public static class VagrantBoxReader
{
    private const int MaxMetadataLength = 1 << 20;

    /// <exception cref="BoxException">Not a Vagrant box LabRunner can use, or an archive that is damaged or cut short
    /// (an entry declaring more bytes than the archive holds, a broken header or compressed stream).</exception>
    public static async Task<ExtractedBox> ExtractAsync(string archivePath, SourceKind kind, string stagingFolder, string name, string box, IBoxReporter reporter, CancellationToken cancellationToken)
    {
        try
        {
            return await ExtractEntriesAsync(archivePath, kind, stagingFolder, name, box, reporter, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException or FormatException or NotSupportedException or ArgumentException)
        {
            throw new BoxException(BoxErrorKind.Source,
                $"{name} is not a readable {KindName(kind)} archive (truncated or damaged, an entry declaring more bytes than the archive holds, " +
                $"or compressed in a way LabRunner does not read): {OutsideText.Escape(e.Message)}; nothing was added.", e);
        }
    }

    private static string KindName(SourceKind kind) => kind switch
    {
        SourceKind.TarGz => "tar.gz",
        SourceKind.Zip => "zip",
        _ => "tar",
    };

    private static async Task<ExtractedBox> ExtractEntriesAsync(string archivePath, SourceKind kind, string stagingFolder, string name, string box, IBoxReporter reporter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reporter);
        Directory.CreateDirectory(stagingFolder);
        var candidates = new Dictionary<string, string>(StringComparer.Ordinal); // entry kind -> extracted path
        byte[]? metadata = null;
        var total = new FileInfo(archivePath).Length;

        await using var file = new FileStream(archivePath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 20, FileOptions.Asynchronous | FileOptions.SequentialScan);
        var progress = new ProgressStream(file, done => reporter.Progress(new TransferProgress(box, TransferStage.Extracting, done, total)));
        if (kind == SourceKind.Zip)
        {
            await using var zip = await ZipArchive.CreateAsync(progress, ZipArchiveMode.Read, leaveOpen: true, entryNameEncoding: null, cancellationToken).ConfigureAwait(false);
            foreach (var entry in zip.Entries)
            {
                var path = Normalize(entry.FullName);
                if (path == "metadata.json")
                {
                    await using var s = await entry.OpenAsync(cancellationToken).ConfigureAwait(false);
                    metadata = await ReadSmallAsync(s, name, cancellationToken).ConfigureAwait(false);
                }
                else if (DiskRole(path) is { } role && !candidates.ContainsKey(role))
                {
                    var target = Path.Combine(stagingFolder, "disk." + role);
                    await using (var s = await entry.OpenAsync(cancellationToken).ConfigureAwait(false))
                        await CopyToFileAsync(s, target, cancellationToken).ConfigureAwait(false);
                    candidates[role] = target;
                }
            }
        }
        else
        {
            await using var gzip = kind == SourceKind.TarGz ? new GZipStream(progress, CompressionMode.Decompress, leaveOpen: true) : null;
            await using var tar = new TarReader(gzip ?? (Stream)progress, leaveOpen: true);
            while (await tar.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null) continue;
                var path = Normalize(entry.Name);
                if (path == "metadata.json")
                {
                    metadata = await ReadSmallAsync(entry.DataStream, name, cancellationToken).ConfigureAwait(false);
                }
                else if (DiskRole(path) is { } role && !candidates.ContainsKey(role))
                {
                    var target = Path.Combine(stagingFolder, "disk." + role);
                    await CopyToFileAsync(entry.DataStream, target, cancellationToken).ConfigureAwait(false);
                    candidates[role] = target;
                }
            }
        }

        if (metadata is null)
            throw new BoxException(BoxErrorKind.Source, $"{name} is an archive without metadata.json, so it is not a Vagrant box.");
        var (provider, architecture, firmware, secureBoot) = ReadMetadata(metadata, name);
        var disk = provider switch
        {
            "hyperv" => candidates.GetValueOrDefault("vhdx") ?? candidates.GetValueOrDefault("vhd"),
            "libvirt" or "qemu" => candidates.GetValueOrDefault("img"),
            _ => throw new BoxException(BoxErrorKind.Source,
                $"{name} is a Vagrant box for the '{provider}' provider; LabRunner uses boxes for hyperv and libvirt (or qemu)."),
        };
        if (disk is null)
            throw new BoxException(BoxErrorKind.Source, provider == "hyperv"
                ? $"{name} is a hyperv box without a .vhdx or .vhd under 'Virtual Hard Disks/'."
                : $"{name} is a {provider} box without box.img.");
        foreach (var other in candidates.Values.Where(p => p != disk)) Downloader.TryDelete(other);
        return new ExtractedBox(provider, architecture, disk, firmware, secureBoot);
    }

    /// <summary>Which disk an entry could be: <c>vhdx</c>/<c>vhd</c> under <c>Virtual Hard Disks/</c>, or <c>img</c> for <c>box.img</c>.</summary>
    private static string? DiskRole(string path)
    {
        var lower = path.ToLowerInvariant();
        if (lower == "box.img") return "img";
        var inDisks = lower.StartsWith("virtual hard disks/", StringComparison.Ordinal) || lower.Contains("/virtual hard disks/", StringComparison.Ordinal);
        if (!inDisks) return null;
        if (lower.EndsWith(".vhdx", StringComparison.Ordinal)) return "vhdx";
        if (lower.EndsWith(".vhd", StringComparison.Ordinal)) return "vhd";
        return null;
    }

    private static string Normalize(string entryName)
    {
        var path = entryName.Replace('\\', '/');
        while (path.StartsWith("./", StringComparison.Ordinal)) path = path[2..];
        return path.TrimStart('/');
    }

    private static (string Provider, string? Architecture, string? Firmware, bool? SecureBoot) ReadMetadata(byte[] json, string name)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            string? Text(string key) => root.ValueKind == JsonValueKind.Object && root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            var provider = Text("provider") ?? throw new BoxException(BoxErrorKind.Source, $"{name}'s metadata.json names no provider.");
            bool? secure = root.TryGetProperty("secure_boot", out var sb) && sb.ValueKind is JsonValueKind.True or JsonValueKind.False ? sb.GetBoolean() : null;
            return (provider.ToLowerInvariant(), Text("architecture"), Text("firmware"), secure);
        }
        catch (JsonException e)
        {
            throw new BoxException(BoxErrorKind.Source, $"{name}'s metadata.json is not valid JSON ({e.Message}).");
        }
    }

    private static async Task<byte[]> ReadSmallAsync(Stream stream, string name, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        while ((n = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            buffer.Write(chunk, 0, n);
            if (buffer.Length > MaxMetadataLength)
                throw new BoxException(BoxErrorKind.Source, $"{name}'s metadata.json is larger than 1 MiB.");
        }
        return buffer.ToArray();
    }

    private static async Task CopyToFileAsync(Stream source, string path, CancellationToken cancellationToken)
    {
        await using var target = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0);
        await source.CopyToAsync(target, 1 << 20, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>A read-only pass-through that reports how far into the underlying stream reading has got.</summary>
internal sealed class ProgressStream(Stream inner, Action<long> report) : Stream
{
    private long _lastReport;

    public override bool CanRead => true;
    public override bool CanSeek => inner.CanSeek;
    public override bool CanWrite => false;
    public override long Length => inner.Length;

    public override long Position
    {
        get => inner.Position;
        set => inner.Position = value;
    }

    public override int Read(byte[] buffer, int offset, int count) => Tell(inner.Read(buffer, offset, count));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Tell(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private int Tell(int n)
    {
        if (inner.CanSeek && inner.Position - _lastReport >= 8 << 20)
        {
            _lastReport = inner.Position;
            report(_lastReport);
        }
        return n;
    }

    public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
    public override void Flush() { }
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
