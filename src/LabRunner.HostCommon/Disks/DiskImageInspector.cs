using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace LabRunner.HostCommon.Disks;

/// <summary>
/// What a disk image is, and why it may not be a box (null when it may): a box must be one self-contained
/// image. A qcow2 backing file or external data file, or a VHDX/VHD parent, is another file that QEMU,
/// qemu-img or Hyper-V would open on this machine (as root, for QEMU) and show the guest.
/// </summary>
public sealed record DiskImageCheck(DiskFormat Format, string? Refusal)
{
    public bool IsUsable => Refusal is null;
}

/// <summary>
/// Reads a disk image's own header (a few kilobytes, no qemu-img) and refuses what is not one plain image:
/// a qcow2 <c>backing_file_offset</c>, the external-data-file feature or its header extension; a VHDX whose
/// file parameters say HasParent or that carries a parent locator (or a required region, metadata item or
/// unreplayed log that could say so); a differencing VHD. A header that is cut short, fails its checksum or
/// holds impossible values is refused as damaged: what cannot be read cannot be trusted.
/// Sources: QEMU's docs/interop/qcow2.txt, [MS-VHDX] sections 2.2 and 2.6, Microsoft's VHD format specification.
/// </summary>
public static class DiskImageInspector
{
    /// <summary>Why any of this matters, for messages that refuse a box.</summary>
    public const string Why = "a box must be one self-contained disk image, or QEMU, qemu-img or Hyper-V would read another file of this machine into the guest";

    /// <summary>
    /// Checks the image at <paramref name="path"/> (links followed). An entry of size 0 (an empty file, a device,
    /// a FIFO) is refused without being opened, so a device is never read and a FIFO never blocks.
    /// </summary>
    public static DiskImageCheck InspectFile(string path)
    {
        try
        {
            path = FollowLinks(path);
            var info = new FileInfo(path);
            if (Directory.Exists(path)) return new DiskImageCheck(DiskFormat.Raw, "is a folder, not a disk image");
            if (!info.Exists) return new DiskImageCheck(DiskFormat.Raw, "does not exist");
            if (info.Length == 0) return new DiskImageCheck(DiskFormat.Raw, "is empty or not a regular file (a device or a FIFO), so it is no disk image");
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1);
            return Inspect(stream);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new DiskImageCheck(DiskFormat.Raw, $"could not be read ({e.Message})");
        }
    }

    /// <summary>
    /// The file <paramref name="path"/> names once every link is followed (itself when it is no link): a link's
    /// own size is its target's name, so sizes and types must be read from the target.
    /// </summary>
    public static string FollowLinks(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            return File.ResolveLinkTarget(path, returnFinalTarget: true)?.FullName ?? path;
        }
        catch (IOException)
        {
            return path; // missing, or a loop of links: what is read next says so
        }
    }

    /// <summary>Checks the image in a readable, seekable <paramref name="stream"/>.</summary>
    public static DiskImageCheck Inspect(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (stream.Length == 0) return new DiskImageCheck(DiskFormat.Raw, "is empty, so it is no disk image");
        var format = DiskFormatDetector.Detect(stream);
        var refusal = format switch
        {
            DiskFormat.Qcow2 => Qcow2(stream),
            DiskFormat.Vhdx => Vhdx(stream),
            DiskFormat.Vhd => Vhd(stream),
            _ => null, // raw bytes name no other file
        };
        return new DiskImageCheck(format, refusal);
    }

    // ---- qcow2 (big-endian) ----

    private const uint ExternalDataFileExtension = 0x44415441; // "DATA"
    private const ulong KnownIncompatibleFeatures = 0x1F;      // dirty, corrupt, external data file, compression type, extended L2

    private static string? Qcow2(Stream stream)
    {
        var length = stream.Length;
        if (length < 72) return Cut("qcow2", length, 72);
        var head = ReadAt(stream, 0, (int)Math.Min(length, 2 << 20));
        var version = BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan(4));
        if (version is not (2 or 3)) return $"is a qcow2 image of version {version}, which LabRunner does not know (only 2 and 3)";
        var backingOffset = BinaryPrimitives.ReadUInt64BigEndian(head.AsSpan(8));
        var backingSize = BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan(16));
        var clusterBits = BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan(20));
        var virtualSize = BinaryPrimitives.ReadUInt64BigEndian(head.AsSpan(24));
        var cryptMethod = BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan(32));
        var l1Size = BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan(36));
        var l1Offset = BinaryPrimitives.ReadUInt64BigEndian(head.AsSpan(40));
        var refcountOffset = BinaryPrimitives.ReadUInt64BigEndian(head.AsSpan(48));
        var refcountClusters = BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan(56));

        // A backing file first: it is the reason this check exists, whatever else is wrong.
        if (backingOffset != 0)
        {
            var name = backingOffset < (ulong)length && backingSize is > 0 and <= 1023
                ? Printable(ReadAt(stream, (long)backingOffset, (int)backingSize), Encoding.UTF8)
                : null;
            return name is null ? "is a qcow2 image with a backing file" : $"is a qcow2 image with a backing file ('{name}')";
        }

        if (clusterBits is < 9 or > 21) return Damaged("qcow2", $"a cluster size of 2^{clusterBits} bytes");
        var clusterSize = 1L << (int)clusterBits;
        var headerLength = 72L;
        if (version == 3)
        {
            if (length < 104) return Cut("qcow2", length, 104);
            headerLength = BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan(100));
            if (headerLength < 104 || headerLength % 8 != 0 || headerLength > clusterSize)
                return Damaged("qcow2", $"a header length of {headerLength} bytes");
            if (length < headerLength) return Cut("qcow2", length, headerLength);
            var incompatible = BinaryPrimitives.ReadUInt64BigEndian(head.AsSpan(72));
            if ((incompatible & 0x4) != 0) return "is a qcow2 image whose data is in an external data file";
            if ((incompatible & ~KnownIncompatibleFeatures) != 0)
                return string.Create(CultureInfo.InvariantCulture, $"is a qcow2 image with incompatible features LabRunner does not know (0x{incompatible & ~KnownIncompatibleFeatures:x})");
            if ((incompatible & 0x2) != 0) return "is a qcow2 image marked corrupt; repair it with 'qemu-img check -r all' first";
        }
        if (virtualSize == 0) return Damaged("qcow2", "a virtual size of 0 bytes");
        if (cryptMethod != 0) return "is an encrypted qcow2 image, which a box cannot be (nothing could give QEMU its key)";
        if (refcountOffset == 0 || refcountOffset % (ulong)clusterSize != 0 || refcountClusters == 0
            || refcountOffset + (ulong)refcountClusters * (ulong)clusterSize > (ulong)length)
            return Damaged("qcow2", "a refcount table outside the file");
        if (l1Size > 0 && (l1Offset == 0 || l1Offset % (ulong)clusterSize != 0 || l1Offset + (ulong)l1Size * 8 > (ulong)length))
            return Damaged("qcow2", "an L1 table outside the file");

        // Header extensions follow the header inside the first cluster, each padded to 8 bytes, up to type 0.
        var end = (int)Math.Min(clusterSize, length);
        var position = (int)headerLength;
        while (true)
        {
            if (position + 8 > end) return Damaged("qcow2", "header extensions that run past the first cluster");
            var type = BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan(position));
            var size = BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan(position + 4));
            if (type == 0) break;
            if (size > end - position - 8) return Damaged("qcow2", "header extensions that run past the first cluster");
            if (type == ExternalDataFileExtension)
                return $"is a qcow2 image that names an external data file ('{Printable(head.AsSpan(position + 8, (int)size).ToArray(), Encoding.UTF8)}')";
            position += 8 + (int)((size + 7) & ~7u);
        }
        return null;
    }

    // ---- VHDX (little-endian; GUIDs in their binary form) ----

    private static readonly Guid BatRegion = new("2DC27766-F623-4200-9D64-115E9BFD4A08");
    private static readonly Guid MetadataRegion = new("8B7CA206-4790-4B9A-B8FE-575F050F886E");
    private static readonly Guid FileParameters = new("CAA16737-FA36-4D43-B3B6-33F0AA44E76B");
    private static readonly Guid ParentLocator = new("A8D35F2D-B30B-454D-ABF7-D3D84834AB0C");

    private static readonly HashSet<Guid> KnownMetadata =
    [
        FileParameters,
        new("2FA54224-CD1B-4876-B211-5DBED83BF4B8"), // virtual disk size
        new("BECA12AB-B2E6-4523-93EF-C309E000C746"), // virtual disk id
        new("8141BF1D-A96F-4709-BA47-F233A8FAAB5F"), // logical sector size
        new("CDA348C7-445D-4471-9CC9-E9885251C556"), // physical sector size
        ParentLocator,
    ];

    private const int Kib = 1024;
    private const long MaxLogScan = 64L << 20;

    private static string? Vhdx(Stream stream)
    {
        var length = stream.Length;
        if (length < 320 * Kib) return Cut("VHDX", length, 320 * Kib);

        // Two headers (64 KiB, 128 KiB): the valid one with the higher sequence number is current.
        byte[]? header = null;
        foreach (var offset in new long[] { 64 * Kib, 128 * Kib })
        {
            var candidate = ReadAt(stream, offset, 4 * Kib);
            if (!candidate.AsSpan().StartsWith("head"u8) || !ChecksumValid(candidate, 4)) continue;
            if (header is null || BinaryPrimitives.ReadUInt64LittleEndian(candidate.AsSpan(8)) > BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(8)))
                header = candidate;
        }
        if (header is null) return Damaged("VHDX", "no valid header (signature or CRC-32C wrong)");
        var version = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(66));
        if (version != 1) return $"is a VHDX image of version {version}, which LabRunner does not know (only 1)";

        // A log that was not replayed could rewrite the metadata (and add a parent) when the file is opened.
        var logGuid = new Guid(header.AsSpan(48, 16));
        if (logGuid != Guid.Empty && HasLogEntries(stream, header, logGuid))
            return "is a VHDX image with log entries that were never replayed (it was not closed cleanly); open and close it once with Hyper-V, or run 'qemu-img check -r all' on it";

        // Region tables (192 KiB, 256 KiB): the first valid one.
        byte[]? regions = null;
        foreach (var offset in new long[] { 192 * Kib, 256 * Kib })
        {
            var candidate = ReadAt(stream, offset, 64 * Kib);
            if (candidate.AsSpan().StartsWith("regi"u8) && ChecksumValid(candidate, 4)) { regions = candidate; break; }
        }
        if (regions is null) return Damaged("VHDX", "no valid region table (signature or CRC-32C wrong)");
        var regionCount = BinaryPrimitives.ReadUInt32LittleEndian(regions.AsSpan(8));
        if (regionCount > 2047) return Damaged("VHDX", $"{regionCount} regions");
        long metadataOffset = 0, metadataLength = 0;
        var hasBat = false;
        for (var i = 0; i < regionCount; i++)
        {
            var entry = regions.AsSpan(16 + (i * 32), 32);
            var id = new Guid(entry[..16]);
            var fileOffset = BinaryPrimitives.ReadUInt64LittleEndian(entry[16..]);
            var regionLength = BinaryPrimitives.ReadUInt32LittleEndian(entry[24..]);
            var required = (BinaryPrimitives.ReadUInt32LittleEndian(entry[28..]) & 1) != 0;
            if (id == MetadataRegion)
            {
                if (fileOffset < (1 << 20) || regionLength < 64 * Kib || fileOffset + regionLength > (ulong)length)
                    return Damaged("VHDX", "a metadata region outside the file");
                (metadataOffset, metadataLength) = ((long)fileOffset, regionLength);
            }
            else if (id == BatRegion) hasBat = true;
            else if (required) return $"is a VHDX image that requires a region LabRunner does not know ({id})";
        }
        if (metadataLength == 0 || !hasBat) return Damaged("VHDX", "no metadata region or no block allocation table");

        var table = ReadAt(stream, metadataOffset, 64 * Kib);
        if (!table.AsSpan().StartsWith("metadata"u8)) return Damaged("VHDX", "no metadata table");
        var itemCount = BinaryPrimitives.ReadUInt16LittleEndian(table.AsSpan(10));
        if (itemCount > 2047) return Damaged("VHDX", $"{itemCount} metadata items");
        byte[]? fileParameters = null;
        for (var i = 0; i < itemCount; i++)
        {
            var entry = table.AsSpan(32 + (i * 32), 32);
            var id = new Guid(entry[..16]);
            var itemOffset = BinaryPrimitives.ReadUInt32LittleEndian(entry[16..]);
            var itemLength = BinaryPrimitives.ReadUInt32LittleEndian(entry[20..]);
            var flags = BinaryPrimitives.ReadUInt32LittleEndian(entry[24..]);
            var isUser = (flags & 1) != 0;
            var isRequired = (flags & 4) != 0;
            if (isUser) continue; // a user's own metadata never changes how the disk is read
            if (id == ParentLocator) return "is a differencing VHDX image: it names a parent disk";
            if (!KnownMetadata.Contains(id))
            {
                if (isRequired) return $"is a VHDX image that requires metadata LabRunner does not know ({id})";
                continue;
            }
            if (id != FileParameters) continue;
            if (itemLength < 8 || (long)itemOffset + itemLength > metadataLength) return Damaged("VHDX", "file parameters outside the metadata region");
            fileParameters = ReadAt(stream, metadataOffset + itemOffset, 8);
        }
        if (fileParameters is null) return Damaged("VHDX", "no file parameters");
        if ((BinaryPrimitives.ReadUInt32LittleEndian(fileParameters.AsSpan(4)) & 2) != 0)
            return "is a differencing VHDX image: its file parameters say it has a parent disk";
        return null;
    }

    /// <summary>Whether the log region holds an entry written under <paramref name="logGuid"/> (entries are 4 KiB aligned).</summary>
    private static bool HasLogEntries(Stream stream, byte[] header, Guid logGuid)
    {
        var logLength = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(68));
        var logOffset = BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(72));
        if (logLength == 0 || logOffset >= (ulong)stream.Length) return false;
        var span = (int)Math.Min(Math.Min(logLength, MaxLogScan), stream.Length - (long)logOffset);
        var log = ReadAt(stream, (long)logOffset, span);
        for (var at = 0; at + 48 <= log.Length; at += 4 * Kib)
        {
            if (log.AsSpan(at).StartsWith("loge"u8) && new Guid(log.AsSpan(at + 32, 16)) == logGuid) return true;
        }
        // A log longer than what was scanned cannot be shown empty.
        return logLength > MaxLogScan;
    }

    /// <summary>CRC-32C over <paramref name="data"/> with its 4-byte checksum field (at <paramref name="at"/>) taken as zero.</summary>
    private static bool ChecksumValid(byte[] data, int at)
    {
        var stored = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(at));
        var crc = 0xFFFFFFFFu;
        for (var i = 0; i < data.Length; i++)
            crc = BitOperations.Crc32C(crc, i >= at && i < at + 4 ? (byte)0 : data[i]);
        return ~crc == stored;
    }

    // ---- VHD (big-endian footer, 512 bytes at the end; dynamic disks keep a copy at offset 0) ----

    private const int FooterLength = 512;

    private static string? Vhd(Stream stream)
    {
        var length = stream.Length;
        var head = ReadAt(stream, 0, (int)Math.Min(length, FooterLength));
        var tail = length >= FooterLength ? ReadAt(stream, length - FooterLength, FooterLength) : [];
        var copies = new List<byte[]>();
        if (tail.AsSpan().StartsWith("conectix"u8)) copies.Add(tail);
        if (head.AsSpan().StartsWith("conectix"u8))
        {
            if (head.Length < FooterLength) return Cut("VHD", length, FooterLength);
            // A dynamic disk's copy at the start, but no footer at the end: the download was cut.
            if (copies.Count == 0) return Damaged("VHD", "no footer at its end (cut short?)");
            copies.Add(head);
        }
        foreach (var footer in copies)
        {
            uint sum = 0;
            for (var i = 0; i < FooterLength; i++)
                if (i is < 64 or >= 68) sum += footer[i];
            if (~sum != BinaryPrimitives.ReadUInt32BigEndian(footer.AsSpan(64))) return Damaged("VHD", "a footer whose checksum is wrong");
            var type = BinaryPrimitives.ReadUInt32BigEndian(footer.AsSpan(60));
            if (type == 4) return "is a differencing VHD image: it names a parent disk";
            if (type is not (2 or 3)) return Damaged("VHD", $"disk type {type} (only 2, fixed, and 3, dynamic, are disks)");
            if (type == 3)
            {
                var dynamicHeader = BinaryPrimitives.ReadUInt64BigEndian(footer.AsSpan(16));
                if (dynamicHeader > (ulong)(length - 1024) || !ReadAt(stream, (long)dynamicHeader, 8).AsSpan().SequenceEqual("cxsparse"u8))
                    return Damaged("VHD", "no dynamic disk header where its footer says");
            }
        }
        return null;
    }

    // ---- helpers ----

    private static byte[] ReadAt(Stream stream, long offset, int count)
    {
        var buffer = new byte[count];
        stream.Position = offset;
        var read = stream.ReadAtLeast(buffer, count, throwOnEndOfStream: false);
        return read == count ? buffer : buffer[..read];
    }

    private static string Cut(string format, long length, long needed) => string.Create(CultureInfo.InvariantCulture,
        $"is not a whole {format} image: its header needs {needed} bytes and the file has {length} (a damaged or incomplete download?)");

    private static string Damaged(string format, string what) => $"is a damaged {format} image: its header gives {what}";

    /// <summary>A name from a header, shortened and with control characters escaped, for a message.</summary>
    private static string Printable(byte[] bytes, Encoding encoding)
    {
        var text = encoding.GetString(bytes);
        var builder = new StringBuilder();
        foreach (var c in text.Length > 200 ? text[..200] + "…" : text)
            builder.Append(char.IsControl(c) ? string.Create(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}") : c.ToString());
        return builder.ToString();
    }
}
