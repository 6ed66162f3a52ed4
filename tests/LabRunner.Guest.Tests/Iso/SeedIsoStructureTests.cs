using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using LabRunner.Guest.Iso;

namespace LabRunner.Guest.Tests.Iso;

/// <summary>The image's structure, read back with <see cref="IsoImage"/>; no external tools needed.</summary>
public sealed class SeedIsoStructureTests
{
    private static IsoImage Build(IReadOnlyList<IsoFile> files, DateTimeOffset? timestamp = null) =>
        new(SeedIsoWriter.Build("cidata", files, timestamp ?? SeedSamples.Timestamp));

    [Fact]
    public void The_primary_descriptor_at_sector_16_counts_every_sector_of_the_image()
    {
        var iso = Build(SeedSamples.Mixed());
        var pvd = iso.SectorSpan(16);

        Assert.Equal(1, pvd[0]);
        Assert.Equal("CD001", Encoding.ASCII.GetString(pvd.Slice(1, 5)));
        Assert.Equal(1, pvd[6]);
        Assert.Equal(0, iso.Bytes.Length % IsoImage.Sector);
        Assert.Equal(iso.Bytes.Length / IsoImage.Sector, IsoImage.Both32(pvd[80..]));
        Assert.Equal(IsoImage.Sector, IsoImage.Both16(pvd[128..]));
        Assert.Equal("cidata", IsoImage.Text(pvd.Slice(40, 32), ucs2: false));
    }

    [Fact]
    public void The_joliet_descriptor_at_sector_17_declares_ucs2_level_3_and_carries_the_label()
    {
        var iso = Build(SeedSamples.CloudInit());
        var svd = iso.SectorSpan(17);

        Assert.Equal(2, svd[0]);
        Assert.Equal("CD001", Encoding.ASCII.GetString(svd.Slice(1, 5)));
        Assert.Equal("%/E", Encoding.ASCII.GetString(svd.Slice(88, 3)));
        Assert.Equal("cidata", IsoImage.Text(svd.Slice(40, 32), ucs2: true));
        Assert.Equal(iso.Bytes.Length / IsoImage.Sector, IsoImage.Both32(svd[80..]));
    }

    [Fact]
    public void The_descriptor_set_ends_with_a_terminator_at_sector_18_after_an_empty_system_area()
    {
        var iso = Build(SeedSamples.CloudInit());
        var terminator = iso.SectorSpan(18);

        Assert.Equal(255, terminator[0]);
        Assert.Equal("CD001", Encoding.ASCII.GetString(terminator.Slice(1, 5)));
        Assert.True(iso.Bytes.AsSpan(0, 16 * IsoImage.Sector).IndexOfAnyExcept((byte)0) < 0, "system area is not all zero");
    }

    [Fact]
    public void The_path_tables_of_both_trees_lead_to_their_root_directories()
    {
        var iso = Build(SeedSamples.CloudInit());

        foreach (var descriptorSector in new[] { 16, 17 })
        {
            var descriptor = iso.SectorSpan(descriptorSector);
            var rootExtent = IsoImage.Both32(descriptor[(156 + 2)..]);
            var tableSize = IsoImage.Both32(descriptor[132..]);
            var lTable = iso.SectorSpan(BinaryPrimitives.ReadInt32LittleEndian(descriptor[140..]));
            var mTable = iso.SectorSpan(BinaryPrimitives.ReadInt32BigEndian(descriptor[148..]));

            // One entry: identifier length 1, extent, parent number 1, identifier 0x00, pad byte.
            Assert.Equal(10, tableSize);
            Assert.Equal([1, 0], lTable[..2].ToArray());
            Assert.Equal(rootExtent, BinaryPrimitives.ReadInt32LittleEndian(lTable[2..]));
            Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(lTable[6..]));
            Assert.Equal([1, 0], mTable[..2].ToArray());
            Assert.Equal(rootExtent, BinaryPrimitives.ReadInt32BigEndian(mTable[2..]));
            Assert.Equal(1, BinaryPrimitives.ReadUInt16BigEndian(mTable[6..]));
            Assert.Equal(0, BinaryPrimitives.ReadInt32LittleEndian(descriptor[144..]));
            Assert.Equal(0, BinaryPrimitives.ReadInt32BigEndian(descriptor[152..]));
        }
    }

    [Fact]
    public void Both_trees_point_at_the_same_sector_aligned_data_with_the_exact_bytes()
    {
        var files = SeedSamples.Mixed();
        var iso = Build(files);

        var joliet = iso.RootFiles(17);
        var primary = iso.RootFiles(16);

        Assert.Equal(files.Select(f => f.Name).Order(StringComparer.Ordinal), joliet.Select(r => r.Identifier).Order(StringComparer.Ordinal));
        Assert.Equal(joliet.Select(r => (r.Extent, r.DataLength)).Order(), primary.Select(r => (r.Extent, r.DataLength)).Order());
        foreach (var file in files)
        {
            var record = joliet.Single(r => r.Identifier == file.Name);
            Assert.True(file.Content.Span.SequenceEqual(iso.Content(record)), $"{file.Name}: bytes differ");
            Assert.Equal(0, record.Flags);
        }
        // Data extents do not overlap and lie inside the volume.
        var extents = joliet.Where(r => r.DataLength > 0).OrderBy(r => r.Extent).ToArray();
        for (var i = 1; i < extents.Length; i++)
            Assert.True(extents[i - 1].Extent + (extents[i - 1].DataLength + 2047) / 2048 <= extents[i].Extent, "data extents overlap");
        Assert.True(extents[^1].Extent + (extents[^1].DataLength + 2047) / 2048 <= iso.Bytes.Length / 2048);
    }

    [Fact]
    public void Directory_records_follow_the_ecma_119_order_with_dot_entries_first()
    {
        var iso = Build(SeedSamples.Mixed());

        var primary = iso.RootRecords(16).Select(r => r.Identifier).ToArray();
        var joliet = iso.RootRecords(17).Select(r => r.Identifier).ToArray();

        Assert.Equal(
            [".", "..", "AUTOUNATTEND.XML;1", "EMPTY.;1", "EXACTLY_ONE_SECTOR.BIN;1", "FIVE_THOUSAND.BIN;1", "META_DATA.;1", "NETWORK_CONFIG.;1", "UNATTEND.XML;1", "USER_DATA.;1"],
            primary);
        Assert.Equal(
            [".", "..", "Autounattend.xml", "empty", "exactly-one-sector.bin", "five-thousand.bin", "meta-data", "network-config", "unattend.xml", "user-data"],
            joliet);
    }

    [Fact]
    public void Names_sort_before_extensions_as_if_padded_with_spaces()
    {
        // Plain ordinal order would put "a-c" first ('-' < '.'); ECMA-119 compares "a" with "a-c" first.
        var iso = Build([SeedSamples.Text("a-c", "1"), SeedSamples.Text("a.b", "2"), SeedSamples.Text("a", "3")]);

        Assert.Equal(["a", "a.b", "a-c"], iso.RootFiles(17).Select(r => r.Identifier));
    }

    [Fact]
    public void Names_that_collide_after_d_character_mapping_are_numbered_in_the_primary_tree()
    {
        var iso = Build([SeedSamples.Text("a-b", "1"), SeedSamples.Text("a_b", "2"), SeedSamples.Text("a b", "3")]);

        Assert.Equal(["A_B.;1", "A_B_1.;1", "A_B_2.;1"], iso.RootFiles(16).Select(r => r.Identifier));
        Assert.Equal(["a b", "a-b", "a_b"], iso.RootFiles(17).Select(r => r.Identifier));
    }

    [Fact]
    public void Building_twice_gives_identical_bytes()
    {
        var first = SHA256.HashData(SeedIsoWriter.Build("cidata", SeedSamples.Mixed(), SeedSamples.Timestamp));
        var second = SHA256.HashData(SeedIsoWriter.Build("cidata", SeedSamples.Mixed(), SeedSamples.Timestamp));

        Assert.Equal(Convert.ToHexString(first), Convert.ToHexString(second));
    }

    [Fact]
    public void Writing_to_a_stream_gives_the_same_bytes_as_building_in_memory()
    {
        using var stream = new MemoryStream();
        SeedIsoWriter.Write(stream, "cidata", SeedSamples.Mixed(), SeedSamples.Timestamp);

        Assert.Equal(SeedIsoWriter.Build("cidata", SeedSamples.Mixed(), SeedSamples.Timestamp), stream.ToArray());
    }

    [Fact]
    public void The_order_of_the_input_files_does_not_change_the_image()
    {
        var files = SeedSamples.Mixed();

        var forward = SeedIsoWriter.Build("cidata", files, SeedSamples.Timestamp);
        var backward = SeedIsoWriter.Build("cidata", files.Reverse().ToArray(), SeedSamples.Timestamp);

        Assert.Equal(forward, backward);
    }

    [Fact]
    public void The_same_instant_in_another_offset_gives_the_same_image()
    {
        var utc = SeedIsoWriter.Build("cidata", SeedSamples.CloudInit(), SeedSamples.Timestamp);
        var local = SeedIsoWriter.Build("cidata", SeedSamples.CloudInit(), SeedSamples.Timestamp.ToOffset(TimeSpan.FromHours(-5)));

        Assert.Equal(utc, local);
    }

    [Fact]
    public void A_different_timestamp_changes_only_the_date_fields()
    {
        var files = SeedSamples.Mixed();
        var before = Build(files, SeedSamples.Timestamp);
        var after = Build(files, new DateTimeOffset(2031, 11, 2, 7, 45, 3, 120, TimeSpan.Zero));

        // Date fields: creation and modification dates of both descriptors (expiration and effective are
        // "not specified"), the root record inside each descriptor, and every directory record.
        var allowed = new HashSet<int>();
        foreach (var descriptor in new[] { 16, 17 })
        {
            AddRange(allowed, descriptor * 2048 + 813, 34);
            AddRange(allowed, descriptor * 2048 + 156 + 18, 7);
            foreach (var record in before.RootRecords(descriptor))
                AddRange(allowed, record.Offset + 18, 7);
        }

        Assert.Equal(before.Bytes.Length, after.Bytes.Length);
        var changed = Enumerable.Range(0, before.Bytes.Length).Where(i => before.Bytes[i] != after.Bytes[i]).ToArray();
        Assert.NotEmpty(changed);
        Assert.All(changed, offset => Assert.Contains(offset, allowed));
        Assert.Equal("2031110207450312", Encoding.ASCII.GetString(after.SectorSpan(16).Slice(813, 16)));
        Assert.Equal([131, 11, 2, 7, 45, 3, 0], after.Bytes.AsSpan(after.RootRecords(17)[2].Offset + 18, 7).ToArray());
    }

    [Fact]
    public void Sizes_around_sector_boundaries_take_whole_sectors_with_zero_padding()
    {
        IsoFile[] files = [SeedSamples.Binary("a", 2047), SeedSamples.Binary("b", 2048), SeedSamples.Binary("c", 2049), SeedSamples.Binary("d", 4096)];
        var iso = Build(files);

        var records = iso.RootFiles(17).ToDictionary(r => r.Identifier);

        Assert.Equal(records["a"].Extent + 1, records["b"].Extent);
        Assert.Equal(records["b"].Extent + 1, records["c"].Extent);
        Assert.Equal(records["c"].Extent + 2, records["d"].Extent);
        Assert.Equal(iso.Bytes.Length / 2048, records["d"].Extent + 2);
        Assert.Equal(0, iso.Bytes[records["a"].Extent * 2048 + 2047]);
        Assert.True(iso.Bytes.AsSpan(records["c"].Extent * 2048 + 2049, 2047).IndexOfAnyExcept((byte)0) < 0, "padding after c is not zero");
    }

    [Fact]
    public void A_seed_with_no_files_is_still_a_valid_volume()
    {
        var iso = Build([]);

        Assert.Empty(iso.RootFiles(16));
        Assert.Empty(iso.RootFiles(17));
        Assert.Equal(iso.Bytes.Length / 2048, IsoImage.Both32(iso.SectorSpan(16)[80..]));
    }

    private static void AddRange(HashSet<int> set, int start, int count)
    {
        for (var i = start; i < start + count; i++) set.Add(i);
    }
}
