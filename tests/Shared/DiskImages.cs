using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace LabRunner.Tests.Shared;

/// <summary>
/// Minimal disk images written byte by byte from the formats' specifications (QEMU's qcow2.txt, [MS-VHDX],
/// Microsoft's VHD specification), so that tests about a box's header hold on a machine without qemu-img:
/// plain ones, and ones that name another file (a backing file, an external data file, a parent).
/// </summary>
public static class DiskImages
{
    private const int Kib = 1024;

    /// <summary>A qcow2 image with 512-byte clusters: header (and extensions) in cluster 0, refcount table in cluster 1, L1 table in cluster 2.</summary>
    public static byte[] Qcow2(int version = 3, string? backingFile = null, string? dataFileName = null, bool externalDataBit = false, ulong incompatible = 0)
    {
        const int cluster = 512;
        var image = new byte[3 * cluster];
        var s = image.AsSpan();
        "QFI"u8.CopyTo(s);
        s[3] = 0xFB;
        BinaryPrimitives.WriteUInt32BigEndian(s[4..], (uint)version);
        BinaryPrimitives.WriteUInt32BigEndian(s[20..], 9);             // cluster_bits
        BinaryPrimitives.WriteUInt64BigEndian(s[24..], 1 << 20);       // size: 1 MiB
        BinaryPrimitives.WriteUInt32BigEndian(s[36..], 32);            // l1_size
        BinaryPrimitives.WriteUInt64BigEndian(s[40..], 2 * cluster);   // l1_table_offset
        BinaryPrimitives.WriteUInt64BigEndian(s[48..], cluster);       // refcount_table_offset
        BinaryPrimitives.WriteUInt32BigEndian(s[56..], 1);             // refcount_table_clusters
        var extensions = 72;
        if (version >= 3)
        {
            BinaryPrimitives.WriteUInt64BigEndian(s[72..], incompatible | (externalDataBit ? 4UL : 0));
            BinaryPrimitives.WriteUInt32BigEndian(s[96..], 4);         // refcount_order
            BinaryPrimitives.WriteUInt32BigEndian(s[100..], 104);      // header_length
            extensions = 104;
        }
        if (dataFileName is not null)
        {
            var name = Encoding.UTF8.GetBytes(dataFileName);
            BinaryPrimitives.WriteUInt32BigEndian(s[extensions..], 0x44415441);
            BinaryPrimitives.WriteUInt32BigEndian(s[(extensions + 4)..], (uint)name.Length);
            name.CopyTo(s[(extensions + 8)..]);
            extensions += 8 + ((name.Length + 7) & ~7);
        }
        extensions += 8; // the end marker: type 0, length 0 (already zero)
        if (backingFile is not null)
        {
            // Stored after the header extensions, inside the first cluster, as QEMU does.
            var name = Encoding.UTF8.GetBytes(backingFile);
            BinaryPrimitives.WriteUInt64BigEndian(s[8..], (ulong)extensions);
            BinaryPrimitives.WriteUInt32BigEndian(s[16..], (uint)name.Length);
            name.CopyTo(s[extensions..]);
        }
        return image;
    }

    private static readonly Guid BatRegion = new("2DC27766-F623-4200-9D64-115E9BFD4A08");
    private static readonly Guid MetadataRegion = new("8B7CA206-4790-4B9A-B8FE-575F050F886E");
    private static readonly Guid FileParameters = new("CAA16737-FA36-4D43-B3B6-33F0AA44E76B");
    private static readonly Guid VirtualDiskSize = new("2FA54224-CD1B-4876-B211-5DBED83BF4B8");
    private static readonly Guid LogicalSectorSize = new("8141BF1D-A96F-4709-BA47-F233A8FAAB5F");
    private static readonly Guid ParentLocator = new("A8D35F2D-B30B-454D-ABF7-D3D84834AB0C");

    /// <summary>
    /// A dynamic VHDX: identifier, two headers, two region tables (BAT at 1 MiB, metadata at 2 MiB), and a metadata
    /// table with file parameters (HasParent as asked), the virtual disk size, the logical sector size and, when asked,
    /// a parent locator. <paramref name="unknownRequiredRegion"/> adds a region marked required that no reader knows.
    /// </summary>
    public static byte[] Vhdx(bool hasParent = false, bool parentLocator = false, bool unknownRequiredRegion = false, bool breakHeaders = false)
    {
        var image = new byte[(2 * Kib * Kib) + (128 * Kib)];
        var s = image.AsSpan();
        "vhdxfile"u8.CopyTo(s);
        for (var i = 0; i < 2; i++)
        {
            var h = s.Slice((64 + (64 * i)) * Kib, 4 * Kib);
            "head"u8.CopyTo(h);
            BinaryPrimitives.WriteUInt64LittleEndian(h[8..], (ulong)(i + 1));   // sequence number
            BinaryPrimitives.WriteUInt16LittleEndian(h[66..], 1);               // version
            BinaryPrimitives.WriteUInt32LittleEndian(h[68..], 1 << 20);         // log length
            BinaryPrimitives.WriteUInt64LittleEndian(h[72..], 1 << 20);         // log offset
            SetCrc(h);
            if (breakHeaders) h[100] ^= 0xFF;
        }
        for (var i = 0; i < 2; i++)
        {
            var r = s.Slice((192 + (64 * i)) * Kib, 64 * Kib);
            "regi"u8.CopyTo(r);
            var entries = new List<(Guid Id, ulong Offset, uint Length)> { (BatRegion, 1 << 20, 1 << 20), (MetadataRegion, 2 << 20, 128 * Kib) };
            if (unknownRequiredRegion) entries.Add((new Guid("0F0E0D0C-0B0A-0908-0706-050403020100"), 3 << 20, 1 << 20));
            BinaryPrimitives.WriteUInt32LittleEndian(r[8..], (uint)entries.Count);
            for (var e = 0; e < entries.Count; e++)
            {
                var entry = r.Slice(16 + (32 * e), 32);
                entries[e].Id.TryWriteBytes(entry);
                BinaryPrimitives.WriteUInt64LittleEndian(entry[16..], entries[e].Offset);
                BinaryPrimitives.WriteUInt32LittleEndian(entry[24..], entries[e].Length);
                BinaryPrimitives.WriteUInt32LittleEndian(entry[28..], 1);       // required
            }
            SetCrc(r);
        }
        var m = s.Slice(2 << 20, 128 * Kib);
        "metadata"u8.CopyTo(m);
        var items = new List<(Guid Id, uint Flags, byte[] Data)>
        {
            (FileParameters, 4, [.. BitConverter.GetBytes(1u << 25), .. BitConverter.GetBytes(hasParent ? 2u : 0u)]),
            (VirtualDiskSize, 6, BitConverter.GetBytes(64UL << 20)),
            (LogicalSectorSize, 6, BitConverter.GetBytes(512u)),
        };
        if (parentLocator)
        {
            var locator = new byte[20];
            new Guid("B04AEFB7-D19E-4A81-B789-25B8E9445913").TryWriteBytes(locator);
            items.Add((ParentLocator, 4, locator));
        }
        BinaryPrimitives.WriteUInt16LittleEndian(m[10..], (ushort)items.Count);
        var dataAt = 64 * Kib;
        for (var i = 0; i < items.Count; i++)
        {
            var entry = m.Slice(32 + (32 * i), 32);
            items[i].Id.TryWriteBytes(entry);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[16..], (uint)dataAt);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[20..], (uint)items[i].Data.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[24..], items[i].Flags);
            items[i].Data.CopyTo(m[dataAt..]);
            dataAt += (items[i].Data.Length + 7) & ~7;
        }
        return image;
    }

    /// <summary>A VHD: fixed (type 2: 64 KiB of data, then the footer), dynamic (3: footer copy, dynamic header, footer) or differencing (4).</summary>
    public static byte[] Vhd(uint diskType = 2, bool breakChecksum = false)
    {
        var footer = new byte[512];
        var f = footer.AsSpan();
        "conectix"u8.CopyTo(f);
        BinaryPrimitives.WriteUInt32BigEndian(f[8..], 2);                       // features: reserved bit
        BinaryPrimitives.WriteUInt32BigEndian(f[12..], 0x00010000);             // file format version
        BinaryPrimitives.WriteUInt64BigEndian(f[16..], diskType == 2 ? ulong.MaxValue : 512);
        BinaryPrimitives.WriteUInt64BigEndian(f[40..], 64 * Kib);               // original size
        BinaryPrimitives.WriteUInt64BigEndian(f[48..], 64 * Kib);               // current size
        BinaryPrimitives.WriteUInt32BigEndian(f[60..], diskType);
        uint sum = 0;
        foreach (var b in footer) sum += b;
        BinaryPrimitives.WriteUInt32BigEndian(f[64..], breakChecksum ? sum : ~sum);
        if (diskType == 2) return [.. new byte[64 * Kib], .. footer];
        var dynamicHeader = new byte[1024];
        "cxsparse"u8.CopyTo(dynamicHeader);
        return [.. footer, .. dynamicHeader, .. new byte[512], .. footer];
    }

    /// <summary>Writes <paramref name="image"/> to <paramref name="path"/> and returns the path.</summary>
    public static string Write(string path, byte[] image)
    {
        File.WriteAllBytes(path, image);
        return path;
    }

    private static void SetCrc(Span<byte> block)
    {
        block[4..8].Clear();
        var crc = 0xFFFFFFFFu;
        foreach (var b in block) crc = BitOperations.Crc32C(crc, b);
        BinaryPrimitives.WriteUInt32LittleEndian(block[4..], ~crc);
    }
}
