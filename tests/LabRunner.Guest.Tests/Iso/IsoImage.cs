using System.Buffers.Binary;
using System.Text;

namespace LabRunner.Guest.Tests.Iso;

/// <summary>
/// Just enough of an ISO 9660 reader to check the writer's structure without external tools.
/// Written from ECMA-119 independently of the writer; reads both-endian fields from their big-endian
/// half so a writer that only got the little-endian half right is caught.
/// </summary>
internal sealed class IsoImage(byte[] bytes)
{
    public const int Sector = 2048;

    public byte[] Bytes { get; } = bytes;

    public ReadOnlySpan<byte> SectorSpan(int n) => Bytes.AsSpan(n * Sector, Sector);

    public static int Both32(ReadOnlySpan<byte> field)
    {
        var little = BinaryPrimitives.ReadInt32LittleEndian(field);
        var big = BinaryPrimitives.ReadInt32BigEndian(field[4..]);
        Assert.Equal(little, big);
        return big;
    }

    public static int Both16(ReadOnlySpan<byte> field)
    {
        var little = BinaryPrimitives.ReadUInt16LittleEndian(field);
        var big = BinaryPrimitives.ReadUInt16BigEndian(field[2..]);
        Assert.Equal(little, big);
        return big;
    }

    /// <summary>A directory record as found, with its absolute offset in the image.</summary>
    public sealed record Record(int Offset, int Length, string Identifier, int Extent, int DataLength, byte Flags);

    /// <summary>The records of the root directory of the tree described by the descriptor in <paramref name="descriptorSector"/>.</summary>
    public IReadOnlyList<Record> RootRecords(int descriptorSector)
    {
        var descriptor = SectorSpan(descriptorSector);
        var joliet = descriptor[0] == 2;
        var root = descriptor.Slice(156, 34);
        var extent = Both32(root[2..]);
        var size = Both32(root[10..]);
        var records = new List<Record>();
        var position = extent * Sector;
        var end = position + size;
        while (position < end)
        {
            var length = Bytes[position];
            if (length == 0)
            {
                // Rest of this sector is padding; continue at the next sector.
                position = (position / Sector + 1) * Sector;
                continue;
            }
            var record = Bytes.AsSpan(position, length);
            Assert.True(position % Sector + length <= Sector, $"record at {position} crosses a sector boundary");
            var idLength = record[32];
            var id = record.Slice(33, idLength);
            var identifier = idLength == 1 && id[0] <= 1
                ? (id[0] == 0 ? "." : "..")
                : joliet ? Encoding.BigEndianUnicode.GetString(id) : Encoding.ASCII.GetString(id);
            records.Add(new Record(position, length, identifier, Both32(record[2..]), Both32(record[10..]), record[25]));
            position += length;
        }
        return records;
    }

    public IReadOnlyList<Record> RootFiles(int descriptorSector) =>
        RootRecords(descriptorSector).Where(r => r.Identifier is not ("." or "..")).ToList();

    public byte[] Content(Record record) => Bytes.AsSpan(record.Extent * Sector, record.DataLength).ToArray();

    public static string Text(ReadOnlySpan<byte> field, bool ucs2) =>
        (ucs2 ? Encoding.BigEndianUnicode.GetString(field[..(field.Length & ~1)]) : Encoding.ASCII.GetString(field)).TrimEnd(' ', '\0');
}
