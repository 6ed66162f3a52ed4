using LabRunner.Core.Diagnostics;
using LabRunner.HostCommon.Disks;

namespace LabRunner.Boxes;

/// <summary>What a source file is, from its first bytes (never its name).</summary>
public enum SourceKind
{
    /// <summary>A Vagrant box catalog (JSON).</summary>
    Catalog,

    /// <summary>A Vagrant <c>.box</c>: an uncompressed tar.</summary>
    Tar,

    /// <summary>A Vagrant <c>.box</c>: a gzip-compressed tar.</summary>
    TarGz,

    /// <summary>A Vagrant <c>.box</c>: a zip archive.</summary>
    Zip,

    /// <summary>A bare disk image (qcow2, vhdx, vhd, raw).</summary>
    Disk,
}

public static class BoxSource
{
    /// <summary>Whether <paramref name="source"/> is an http(s) URL (anything else is a local path).</summary>
    public static bool IsUrl(string source, out Uri? url)
    {
        url = null;
        if (!Uri.TryCreate(source, UriKind.Absolute, out var u) || (u.Scheme != Uri.UriSchemeHttp && u.Scheme != Uri.UriSchemeHttps))
            return false;
        url = u;
        return true;
    }

    /// <summary>
    /// Refuses a local source that is not a regular file with content: a folder, a missing path, or an entry of
    /// size 0 (an empty file, a device such as /dev/zero, a FIFO), which is never opened. Links are followed.
    /// </summary>
    public static void RequireLocalFile(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var target = DiskImageInspector.FollowLinks(source);
        var shown = target == source ? $"'{source}'" : $"'{source}' (a link to '{target}')";
        if (Directory.Exists(target))
            throw new BoxException(BoxErrorKind.Source, $"{shown} is a folder; give the .box file, the disk image or the catalog file itself.");
        if (!File.Exists(target))
            throw new BoxException(BoxErrorKind.Usage, $"{shown} is neither an http(s) URL nor an existing file; give the path of a .box, a disk or a catalog, or its URL.");
        if (new FileInfo(target).Length == 0)
            throw new BoxException(BoxErrorKind.Source, $"{shown} is empty or not a regular file (a device or a FIFO); a box is a Vagrant .box, a disk image or a catalog file.");
    }

    /// <summary>
    /// The format of the box's disk at <paramref name="disk"/> (from <paramref name="name"/>, its source), refusing one
    /// that is not one plain image (a backing file, an external data file, a parent; a damaged header) and a raw
    /// disk that is not whole 512-byte sectors.
    /// </summary>
    public static DiskFormat RequirePlainDisk(string disk, string name)
    {
        var check = DiskImageInspector.InspectFile(disk);
        if (check.Refusal is { } refusal)
            throw new BoxException(BoxErrorKind.Source, $"The disk of {name} {refusal}; {DiskImageInspector.Why}. Nothing was added.");
        var length = new FileInfo(disk).Length;
        if (check.Format == DiskFormat.Raw && (length < 512 || length % 512 != 0))
            throw new BoxException(BoxErrorKind.Source,
                $"The disk of {name} has no known image header, and as a raw disk its {length} bytes are not whole 512-byte sectors: it is no disk image. Nothing was added.");
        return check.Format;
    }

    /// <summary>
    /// The local path a <c>file:</c> URL names (<c>file:///srv/boxes/debian.box</c>, or with the host <c>localhost</c>),
    /// as Vagrant reads one; null when <paramref name="source"/> is not a file URL.
    /// </summary>
    /// <exception cref="BoxException">A file URL of another machine, or a malformed one (a usage error).</exception>
    public static string? FileUrlPath(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (!source.StartsWith("file:", StringComparison.OrdinalIgnoreCase)) return null;
        if (!Uri.TryCreate(source, UriKind.Absolute, out var uri) || !uri.IsFile || uri.IsUnc && !string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase))
            throw new BoxException(BoxErrorKind.Usage, $"'{OutsideText.Escape(source)}' is not a file URL of this machine; write file:///PATH (or give the path itself).");
        return uri.LocalPath;
    }

    /// <summary>Whether <paramref name="source"/> is a URL of a scheme LabRunner does not read (ftp:, s3:…), rather than a path.</summary>
    public static bool HasOtherScheme(string source) =>
        Uri.TryCreate(source, UriKind.Absolute, out var u) && !u.IsFile && u.Scheme != Uri.UriSchemeHttp && u.Scheme != Uri.UriSchemeHttps
        && source.Contains("://", StringComparison.Ordinal);

    /// <summary>A source to show or store: a URL without its user:password (see <see cref="Downloader.Redact"/>), a path as it is.</summary>
    public static string Redact(string source) =>
        IsUrl(source, out var url) ? Downloader.Redact(url!) : source;

    /// <summary>A source as messages quote it: a URL without its user:password, control characters escaped.</summary>
    public static string Display(string source) => OutsideText.Escape(Redact(source));

    /// <summary>Tells what the file at <paramref name="path"/> is; <paramref name="name"/> (its URL or path) only decides whether an unrecognised file may be a raw disk.</summary>
    public static SourceKind Sniff(string path, string name)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        var head = new byte[Math.Min(512, stream.Length)];
        stream.ReadExactly(head);
        if (head.Length >= 2 && head[0] == 0x1F && head[1] == 0x8B) return SourceKind.TarGz;
        if (head.Length >= 4 && head[0] == (byte)'P' && head[1] == (byte)'K' && head[2] == 3 && head[3] == 4) return SourceKind.Zip;
        if (head.Length >= 262 && head.AsSpan(257, 5).SequenceEqual("ustar"u8)) return SourceKind.Tar;
        var firstText = head.AsSpan();
        if (firstText is [0xEF, 0xBB, 0xBF, ..]) firstText = firstText[3..]; // a UTF-8 byte order mark, as some editors write
        firstText = firstText.TrimStart(" \t\r\n"u8);
        if (firstText.Length > 0 && firstText[0] == (byte)'{') return SourceKind.Catalog;
        var format = DiskFormatDetector.Detect(stream);
        if (format != DiskFormat.Raw) return SourceKind.Disk;
        var lower = name.ToLowerInvariant();
        var query = lower.IndexOfAny(['?', '#']);
        if (query >= 0) lower = lower[..query];
        if (lower.EndsWith(".img", StringComparison.Ordinal) || lower.EndsWith(".raw", StringComparison.Ordinal)) return SourceKind.Disk;
        throw new BoxException(BoxErrorKind.Source,
            $"{Display(name)} is neither a Vagrant box (tar, tar.gz or zip), a box catalog (JSON), nor a disk image (qcow2, vhdx, vhd; a raw disk must be named .img or .raw).");
    }
}
