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
            throw new BoxException(BoxErrorKind.Source, $"{shown} is neither an http(s) URL nor an existing file.");
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

    /// <summary>Tells what the file at <paramref name="path"/> is; <paramref name="name"/> (its URL or path) only decides whether an unrecognised file may be a raw disk.</summary>
    public static SourceKind Sniff(string path, string name)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        var head = new byte[Math.Min(512, stream.Length)];
        stream.ReadExactly(head);
        if (head.Length >= 2 && head[0] == 0x1F && head[1] == 0x8B) return SourceKind.TarGz;
        if (head.Length >= 4 && head[0] == (byte)'P' && head[1] == (byte)'K' && head[2] == 3 && head[3] == 4) return SourceKind.Zip;
        if (head.Length >= 262 && head.AsSpan(257, 5).SequenceEqual("ustar"u8)) return SourceKind.Tar;
        var firstText = head.AsSpan().TrimStart(" \t\r\n"u8);
        if (firstText.Length > 0 && firstText[0] == (byte)'{') return SourceKind.Catalog;
        var format = DiskFormatDetector.Detect(stream);
        if (format != DiskFormat.Raw) return SourceKind.Disk;
        var lower = name.ToLowerInvariant();
        var query = lower.IndexOfAny(['?', '#']);
        if (query >= 0) lower = lower[..query];
        if (lower.EndsWith(".img", StringComparison.Ordinal) || lower.EndsWith(".raw", StringComparison.Ordinal)) return SourceKind.Disk;
        throw new BoxException(BoxErrorKind.Source,
            $"{name} is neither a Vagrant box (tar, tar.gz or zip), a box catalog (JSON), nor a disk image (qcow2, vhdx, vhd; a raw disk must be named .img or .raw).");
    }
}
