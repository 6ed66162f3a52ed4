using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace LabRunner.Guest.Iso;

/// <summary>
/// Writes the small ISO 9660 image ("seed ISO") that carries cloud-init NoCloud files
/// (<c>meta-data</c>, <c>user-data</c>, <c>network-config</c>) or Windows answer files
/// (<c>Autounattend.xml</c>) to a guest's virtual DVD drive. Written by hand because the only
/// managed ISO library (DiscUtils) is not available, and the subset needed is small.
/// </summary>
/// <remarks>
/// <para>Format decisions:</para>
/// <list type="bullet">
/// <item>ECMA-119 with 2048-byte sectors. Sectors 0-15 are the (empty) system area; 16 is the primary
/// volume descriptor (PVD), 17 a Joliet supplementary volume descriptor (SVD), 18 the terminator;
/// 19-22 the L and M path tables of each tree; then the primary root directory, the Joliet root
/// directory, and the file data. Both trees point at the same data extents. No Rock Ridge, no El Torito,
/// no trailing padding: the image is exactly as long as the volume space size says.</item>
/// <item>Joliet (escape sequence <c>%/E</c>, UCS-2 level 3) carries each file's exact name, in UCS-2
/// big-endian, without a <c>;1</c> version (as genisoimage writes it). Linux isofs, Windows, xorriso and
/// <c>isoinfo -J</c> all prefer Joliet when there is no Rock Ridge, so guests see exact, mixed-case names.</item>
/// <item>The primary tree uses interchange level 2 names of d-characters for readers without Joliet:
/// upper-cased, other characters replaced by <c>_</c>, at most 30 characters for name and extension,
/// always with the <c>.</c> and <c>;1</c> (<c>meta-data</c> is <c>META_DATA.;1</c>). Names that collide
/// after mapping get a number (<c>A_B_1.;1</c>).</item>
/// <item>The volume label goes into both descriptors' volume identifier as given, lower case included
/// (blkid reports the Joliet one, which must read <c>cidata</c> for NoCloud). Labels are 1-16 ASCII
/// letters, digits or <c>_</c>, so Joliet's 16 UCS-2 characters hold all of it.</item>
/// <item>Reproducible: the same label, files (in any order) and timestamp give identical bytes. Directory
/// records follow ECMA-119 9.3 order (name, then extension, space-padded, by code unit); file data is laid
/// out in the Joliet order; every date is the given timestamp in UTC (offset byte 0, hundredths kept in
/// the descriptors); expiration and effective dates are "not specified"; unused bytes are zero and text
/// fields are space-padded (UCS-2 spaces in the SVD). blkid derives the ISO's UUID from the timestamp.</item>
/// <item>Each non-empty file starts on its own sector and is zero-padded to a sector boundary; an empty
/// file occupies no sector and points at where the next data would start (as genisoimage does), which
/// for a last empty file is the end of the volume; readers never read a zero-length extent.</item>
/// </list>
/// </remarks>
public static class SeedIsoWriter
{
    public const int SectorSize = 2048;

    /// <summary>Longest file name Joliet can carry, in UTF-16 code units (all of them in the BMP).</summary>
    public const int MaxFileNameLength = IsoNames.MaxJolietNameLength;

    public const int MaxVolumeLabelLength = IsoNames.MaxVolumeLabelLength;

    /// <summary>The volume label cloud-init's NoCloud source looks for (Windows' setup reads the same disc).</summary>
    public const string NoCloudVolumeLabel = "cidata";

    private const uint PrimaryDescriptorSector = 16;
    private const uint JolietDescriptorSector = 17;
    private const uint TerminatorSector = 18;
    private const uint PrimaryLPathTableSector = 19;
    private const uint PrimaryMPathTableSector = 20;
    private const uint JolietLPathTableSector = 21;
    private const uint JolietMPathTableSector = 22;
    private const uint FirstDirectorySector = 23;

    // A path table holding only the root: 8 fixed bytes, the 1-byte identifier 0x00, one pad byte.
    // Subdirectories would add entries here (and may need more than one sector per table).
    private const int PathTableSize = 10;

    private const string ApplicationIdentifier = "LABRUNNER";

    private static readonly byte[] Zeros = new byte[SectorSize];

    /// <summary>Builds the image in memory.</summary>
    /// <exception cref="ArgumentException">The label, a file name or the timestamp breaks a rule above.</exception>
    public static byte[] Build(string volumeLabel, IReadOnlyList<IsoFile> files, DateTimeOffset timestamp)
    {
        var layout = Layout.Create(volumeLabel, files, timestamp);
        if (layout.TotalBytes > Array.MaxLength)
            throw new ArgumentException($"The image would be {layout.TotalBytes} bytes, too large to build in memory.", nameof(files));
        var image = new byte[layout.TotalBytes];
        layout.WriteMetadata(image.AsSpan(0, layout.MetadataBytes));
        foreach (var file in layout.Files)
            file.Content.Span.CopyTo(image.AsSpan(checked((int)(file.Sector * SectorSize))));
        return image;
    }

    /// <summary>Writes the image to <paramref name="output"/> from its current position; does not flush or close it.</summary>
    /// <exception cref="ArgumentException">The label, a file name or the timestamp breaks a rule above, or the stream is not writable.</exception>
    public static void Write(Stream output, string volumeLabel, IReadOnlyList<IsoFile> files, DateTimeOffset timestamp)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (!output.CanWrite) throw new ArgumentException("The output stream is not writable.", nameof(output));
        var layout = Layout.Create(volumeLabel, files, timestamp);
        var metadata = new byte[layout.MetadataBytes];
        layout.WriteMetadata(metadata);
        output.Write(metadata);
        foreach (var file in layout.Files)
        {
            output.Write(file.Content.Span);
            output.Write(Zeros, 0, PaddingAfter(file.Content.Length));
        }
    }

    private static int PaddingAfter(int length) => (SectorSize - (length % SectorSize)) % SectorSize;

    private static uint SectorsFor(long bytes) => checked((uint)((bytes + SectorSize - 1) / SectorSize));

    /// <summary>One file with the data extent it got.</summary>
    private sealed record PlacedFile(string Name, string PrimaryIdentifier, ReadOnlyMemory<byte> Content, uint Sector);

    /// <summary>One directory record: an identifier in its tree's encoding and the extent it points at.</summary>
    private readonly record struct DirectoryRecord(byte[] Identifier, uint Sector, uint Length, bool IsDirectory)
    {
        // ECMA-119 9.1: 33 fixed bytes, the identifier, and a pad byte when the identifier length is even.
        public int Size => 33 + Identifier.Length + (Identifier.Length % 2 == 0 ? 1 : 0);
    }

    /// <summary>Where everything goes, decided before a byte is written so the sizes can go in the descriptors.</summary>
    private sealed class Layout
    {
        private readonly string _volumeLabel;
        private readonly DateTime _timestamp;
        private readonly DirectoryRecord[] _primaryRoot;
        private readonly DirectoryRecord[] _jolietRoot;

        private Layout(string volumeLabel, DateTime timestamp, PlacedFile[] files,
                       DirectoryRecord[] primaryRoot, DirectoryRecord[] jolietRoot, uint metadataSectors, uint totalSectors)
        {
            _volumeLabel = volumeLabel;
            _timestamp = timestamp;
            Files = files;
            _primaryRoot = primaryRoot;
            _jolietRoot = jolietRoot;
            MetadataBytes = checked((int)(metadataSectors * SectorSize));
            TotalSectors = totalSectors;
        }

        /// <summary>Files in data order (Joliet order).</summary>
        public PlacedFile[] Files { get; }

        /// <summary>System area, descriptors, path tables and directories: everything before the file data.</summary>
        public int MetadataBytes { get; }

        public uint TotalSectors { get; }

        public long TotalBytes => (long)TotalSectors * SectorSize;

        private uint PrimaryRootSector => _primaryRoot[0].Sector;
        private uint JolietRootSector => _jolietRoot[0].Sector;

        public static Layout Create(string volumeLabel, IReadOnlyList<IsoFile> files, DateTimeOffset timestamp)
        {
            IsoNames.ValidateVolumeLabel(volumeLabel);
            ArgumentNullException.ThrowIfNull(files);
            var utc = timestamp.UtcDateTime;
            // Directory records store the year as an offset from 1900 in one byte.
            if (utc.Year is < 1900 or > 2155)
                throw new ArgumentOutOfRangeException(nameof(timestamp), timestamp, "ISO 9660 dates run from 1900 to 2155 (UTC).");

            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            for (var i = 0; i < files.Count; i++)
            {
                var file = files[i] ?? throw new ArgumentException($"File #{i} is null.", nameof(files));
                IsoNames.ValidateFileName(file.Name, i);
                // Windows matches names ignoring case, so names differing only in case would shadow each other there.
                if (!seen.Add(file.Name))
                    throw new ArgumentException($"File name '{file.Name}' appears more than once (names are compared ignoring case).", nameof(files));
            }

            var ordered = files.ToArray();
            Array.Sort(ordered, (a, b) => IsoNames.Compare(a.Name, b.Name));
            var primaryIds = IsoNames.PrimaryIdentifiers(ordered.Select(f => f.Name).ToArray());

            // Directory sizes depend only on the identifiers, so they can be placed before any extent is known.
            var primaryRootSize = DirectorySize(primaryIds.Select(Ascii));
            var jolietRootSize = DirectorySize(ordered.Select(f => Ucs2(f.Name)));
            var primaryRootSector = FirstDirectorySector;
            var jolietRootSector = primaryRootSector + SectorsFor(primaryRootSize);
            var dataSector = jolietRootSector + SectorsFor(jolietRootSize);
            var metadataSectors = dataSector;

            var placed = new PlacedFile[ordered.Length];
            for (var i = 0; i < ordered.Length; i++)
            {
                placed[i] = new PlacedFile(ordered[i].Name, primaryIds[i], ordered[i].Content, dataSector);
                dataSector = checked(dataSector + SectorsFor(ordered[i].Content.Length));
            }

            var primaryRoot = DirectoryRecords(
                primaryRootSector, primaryRootSize,
                placed.OrderBy(f => f.PrimaryIdentifier, Comparer<string>.Create(IsoNames.Compare))
                      .Select(f => new DirectoryRecord(Ascii(f.PrimaryIdentifier), f.Sector, (uint)f.Content.Length, false)));
            var jolietRoot = DirectoryRecords(
                jolietRootSector, jolietRootSize,
                placed.Select(f => new DirectoryRecord(Ucs2(f.Name), f.Sector, (uint)f.Content.Length, false)));

            return new Layout(volumeLabel, utc, placed, primaryRoot, jolietRoot, metadataSectors, dataSector);
        }

        /// <summary>The records of a root directory: "." and ".." (both the root itself), then the files.</summary>
        private static DirectoryRecord[] DirectoryRecords(uint sector, int size, IEnumerable<DirectoryRecord> files) =>
        [
            new DirectoryRecord([0x00], sector, (uint)size, true),
            new DirectoryRecord([0x01], sector, (uint)size, true),
            .. files,
        ];

        private static int DirectorySize(IEnumerable<byte[]> identifiers)
        {
            PackRecords([34, 34, .. identifiers.Select(id => new DirectoryRecord(id, 0, 0, false).Size)], out var size);
            return size;
        }

        /// <summary>
        /// Offsets of consecutive records in a directory extent. A record may not cross a sector boundary
        /// (ECMA-119 6.8.1.1), so one that does not fit starts the next sector; the rest stays zero.
        /// </summary>
        private static int[] PackRecords(IReadOnlyList<int> sizes, out int extentSize)
        {
            var offsets = new int[sizes.Count];
            var position = 0;
            for (var i = 0; i < sizes.Count; i++)
            {
                if (position % SectorSize + sizes[i] > SectorSize)
                    position += SectorSize - position % SectorSize;
                offsets[i] = position;
                position += sizes[i];
            }
            extentSize = checked((int)(SectorsFor(position) * SectorSize));
            return offsets;
        }

        /// <summary>Writes everything before the file data into <paramref name="destination"/>, which is cleared first.</summary>
        public void WriteMetadata(Span<byte> destination)
        {
            destination.Clear();
            WriteVolumeDescriptor(SectorAt(destination, PrimaryDescriptorSector), joliet: false);
            WriteVolumeDescriptor(SectorAt(destination, JolietDescriptorSector), joliet: true);
            WriteTerminator(SectorAt(destination, TerminatorSector));
            WritePathTable(SectorAt(destination, PrimaryLPathTableSector), PrimaryRootSector, bigEndian: false);
            WritePathTable(SectorAt(destination, PrimaryMPathTableSector), PrimaryRootSector, bigEndian: true);
            WritePathTable(SectorAt(destination, JolietLPathTableSector), JolietRootSector, bigEndian: false);
            WritePathTable(SectorAt(destination, JolietMPathTableSector), JolietRootSector, bigEndian: true);
            WriteDirectory(destination, _primaryRoot);
            WriteDirectory(destination, _jolietRoot);
        }

        private static Span<byte> SectorAt(Span<byte> image, uint sector) =>
            image.Slice(checked((int)(sector * SectorSize)), SectorSize);

        /// <summary>ECMA-119 8.4 (primary) and 8.5 (supplementary); offsets are the standard's byte positions minus one.</summary>
        private void WriteVolumeDescriptor(Span<byte> d, bool joliet)
        {
            var root = joliet ? _jolietRoot[0] : _primaryRoot[0];
            d[0] = joliet ? (byte)2 : (byte)1;
            "CD001"u8.CopyTo(d[1..]);
            d[6] = 1;
            WriteText(d.Slice(8, 32), "", joliet);               // system identifier
            WriteText(d.Slice(40, 32), _volumeLabel, joliet);    // volume identifier
            WriteBoth32(d[80..], TotalSectors);                  // volume space size
            if (joliet) "%/E"u8.CopyTo(d[88..]);                 // escape sequence: UCS-2 level 3
            WriteBoth16(d[120..], 1);                            // volume set size
            WriteBoth16(d[124..], 1);                            // volume sequence number
            WriteBoth16(d[128..], SectorSize);                   // logical block size
            WriteBoth32(d[132..], PathTableSize);
            BinaryPrimitives.WriteUInt32LittleEndian(d[140..], joliet ? JolietLPathTableSector : PrimaryLPathTableSector);
            BinaryPrimitives.WriteUInt32BigEndian(d[148..], joliet ? JolietMPathTableSector : PrimaryMPathTableSector);
            // 144 and 152, the optional path table copies, stay 0: there are none.
            WriteDirectoryRecord(d.Slice(156, 34), root);
            WriteText(d.Slice(190, 128), "", joliet);            // volume set identifier
            WriteText(d.Slice(318, 128), "", joliet);            // publisher
            WriteText(d.Slice(446, 128), "", joliet);            // data preparer
            WriteText(d.Slice(574, 128), ApplicationIdentifier, joliet);
            WriteText(d.Slice(702, 37), "", joliet);             // copyright file
            WriteText(d.Slice(739, 37), "", joliet);             // abstract file
            WriteText(d.Slice(776, 37), "", joliet);             // bibliographic file
            WriteDescriptorDate(d.Slice(813, 17), _timestamp);   // creation
            WriteDescriptorDate(d.Slice(830, 17), _timestamp);   // modification
            WriteDescriptorDate(d.Slice(847, 17), null);         // expiration
            WriteDescriptorDate(d.Slice(864, 17), null);         // effective
            d[881] = 1;                                          // file structure version
        }

        private static void WriteTerminator(Span<byte> d)
        {
            d[0] = 255;
            "CD001"u8.CopyTo(d[1..]);
            d[6] = 1;
        }

        /// <summary>ECMA-119 9.4: the root's entry is identifier 0x00, parent directory number 1 (itself).</summary>
        private static void WritePathTable(Span<byte> d, uint rootSector, bool bigEndian)
        {
            d[0] = 1;                                            // identifier length
            if (bigEndian)
            {
                BinaryPrimitives.WriteUInt32BigEndian(d[2..], rootSector);
                BinaryPrimitives.WriteUInt16BigEndian(d[6..], 1);
            }
            else
            {
                BinaryPrimitives.WriteUInt32LittleEndian(d[2..], rootSector);
                BinaryPrimitives.WriteUInt16LittleEndian(d[6..], 1);
            }
            // d[8] is the identifier 0x00 and d[9] the pad byte; both already zero.
        }

        private void WriteDirectory(Span<byte> image, DirectoryRecord[] records)
        {
            var offsets = PackRecords(records.Select(r => r.Size).ToArray(), out var size);
            var extent = image.Slice(checked((int)(records[0].Sector * SectorSize)), size);
            for (var i = 0; i < records.Length; i++)
                WriteDirectoryRecord(extent.Slice(offsets[i], records[i].Size), records[i]);
        }

        /// <summary>ECMA-119 9.1. Only <paramref name="d"/>'s length worth of bytes is written; padding stays zero.</summary>
        private void WriteDirectoryRecord(Span<byte> d, DirectoryRecord record)
        {
            d[0] = (byte)record.Size;
            WriteBoth32(d[2..], record.Sector);
            WriteBoth32(d[10..], record.Length);
            var t = _timestamp;
            d[18] = (byte)(t.Year - 1900);
            d[19] = (byte)t.Month;
            d[20] = (byte)t.Day;
            d[21] = (byte)t.Hour;
            d[22] = (byte)t.Minute;
            d[23] = (byte)t.Second;
            d[24] = 0;                                           // offset from UTC, in 15-minute steps
            d[25] = record.IsDirectory ? (byte)0x02 : (byte)0x00;
            WriteBoth16(d[28..], 1);                             // volume sequence number
            d[32] = (byte)record.Identifier.Length;
            record.Identifier.CopyTo(d[33..]);
        }
    }

    /// <summary>
    /// A space-padded text field: ASCII in the PVD; UCS-2 big-endian in the SVD, where an odd-length
    /// field ends in a single 0x00 (what genisoimage and xorriso both write).
    /// </summary>
    private static void WriteText(Span<byte> field, string text, bool ucs2)
    {
        if (!ucs2)
        {
            field.Fill((byte)' ');
            Encoding.ASCII.GetBytes(text, field);
            return;
        }
        field.Clear();
        for (var i = 0; i + 1 < field.Length; i += 2)
            BinaryPrimitives.WriteUInt16BigEndian(field[i..], i / 2 < text.Length ? text[i / 2] : ' ');
    }

    /// <summary>ECMA-119 8.4.26.1: sixteen digits YYYYMMDDHHMMSSCC and a UTC offset byte; all '0' and 0 means "not specified".</summary>
    private static void WriteDescriptorDate(Span<byte> field, DateTime? utc)
    {
        var digits = utc is { } t
            ? t.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture) + (t.Millisecond / 10).ToString("D2", CultureInfo.InvariantCulture)
            : "0000000000000000";
        Encoding.ASCII.GetBytes(digits, field);
        field[16] = 0;
    }

    private static void WriteBoth16(Span<byte> d, ushort value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(d, value);
        BinaryPrimitives.WriteUInt16BigEndian(d[2..], value);
    }

    private static void WriteBoth32(Span<byte> d, uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(d, value);
        BinaryPrimitives.WriteUInt32BigEndian(d[4..], value);
    }

    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    private static byte[] Ucs2(string text) => Encoding.BigEndianUnicode.GetBytes(text);
}
