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
