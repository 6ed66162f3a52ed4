using LabRunner.Guest.Iso;
using LabRunner.Guest.Tests.Tools;

namespace LabRunner.Guest.Tests.Iso;

/// <summary>
/// The seed ISO as real consumers read it. Linux isofs (which cloud-init mounts) and Windows read the
/// Joliet tree when there is no Rock Ridge; xorriso does the same by default (Rock Ridge, else Joliet,
/// else the primary tree), so plain <c>-indev</c> reads are what a consumer sees.
/// </summary>
public sealed class SeedIsoToolTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private string WriteIso(IReadOnlyList<IsoFile> files, string label = "cidata")
    {
        var path = _temp.File("seed.iso");
        using (var stream = File.Create(path))
            SeedIsoWriter.Write(stream, label, files, SeedSamples.Timestamp);
        return path;
    }

    [ToolFact("blkid")]
    public void Blkid_sees_an_iso9660_volume_labelled_cidata()
    {
        var iso = WriteIso(SeedSamples.CloudInit());

        // -c /dev/null: probe the file itself, never a cached answer.
        var output = ExternalTool.Run("blkid", "-c", "/dev/null", iso).EnsureSuccess("blkid").StandardOutput;

        Assert.Contains("TYPE=\"iso9660\"", output, StringComparison.Ordinal);
        Assert.Contains("LABEL=\"cidata\"", output, StringComparison.Ordinal);
    }

    [ToolFact("blkid")]
    public void Blkid_finds_the_seed_by_label_the_way_cloud_init_searches()
    {
        var iso = WriteIso(SeedSamples.CloudInit());

        // cloud-init's NoCloud intersects find_devs_with("TYPE=iso9660") with find_devs_with("LABEL=cidata"),
        // each being `blkid -t<criterion> -odevice -c/dev/null`.
        foreach (var criterion in new[] { "TYPE=iso9660", "LABEL=cidata" })
        {
            var found = ExternalTool.Run("blkid", $"-t{criterion}", "-odevice", "-c/dev/null", iso).EnsureSuccess($"blkid -t{criterion}");
            Assert.Equal(iso, found.StandardOutput.Trim());
        }
    }

    [ToolFact("xorriso")]
    public void Xorriso_lists_every_file_under_its_exact_name()
    {
        var files = SeedSamples.Mixed();
        var iso = WriteIso(files);

        var output = ExternalTool.Run("xorriso", "-indev", iso, "-find").EnsureSuccess("xorriso -find").StandardOutput;

        // -find prints one quoted path per line: '.' for the root, './name' for each file.
        var listed = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => line.StartsWith("'./", StringComparison.Ordinal))
            .Select(line => line[3..^1])
            .Order(StringComparer.Ordinal);
        Assert.Equal(files.Select(f => f.Name).Order(StringComparer.Ordinal), listed);
    }

    [ToolFact("xorriso")]
    public void Xorriso_extracts_every_file_with_its_exact_name_and_bytes()
    {
        var files = SeedSamples.Mixed();
        var iso = WriteIso(files);
        var target = _temp.File("extracted");

        ExternalTool.Run("xorriso", "-osirrox", "on", "-indev", iso, "-extract", "/", target).EnsureSuccess("xorriso -extract");

        AssertDirectoryHoldsExactly(target, files);
    }

    [ToolFact("isoinfo")]
    public void Isoinfo_reports_joliet_ucs2_level_3_the_volume_id_and_the_size()
    {
        var iso = WriteIso(SeedSamples.CloudInit());

        var output = ExternalTool.Run("isoinfo", "-d", "-i", iso).EnsureSuccess("isoinfo -d").StandardOutput;

        Assert.Contains("Joliet with UCS level 3 found", output, StringComparison.Ordinal);
        Assert.Contains("Volume id: cidata\n", output, StringComparison.Ordinal);
        Assert.Contains($"Volume size is: {new FileInfo(iso).Length / 2048}\n", output, StringComparison.Ordinal);
        Assert.Contains("Logical block size is: 2048", output, StringComparison.Ordinal);
    }

    [ToolFact("isoinfo")]
    public void Isoinfo_extracts_each_file_by_its_exact_joliet_name()
    {
        var files = SeedSamples.Mixed();
        var iso = WriteIso(files);

        foreach (var file in files)
        {
            var extracted = ExternalTool.Run("isoinfo", "-J", "-x", "/" + file.Name, "-i", iso).EnsureSuccess($"isoinfo -x {file.Name}");
            Assert.True(file.Content.Span.SequenceEqual(extracted.StandardOutputBytes), $"{file.Name}: extracted bytes differ");
        }
    }

    [ToolFact("isoinfo")]
    public void Isoinfo_lists_d_character_names_in_the_primary_tree()
    {
        var iso = WriteIso(SeedSamples.Mixed());

        var output = ExternalTool.Run("isoinfo", "-l", "-i", iso).EnsureSuccess("isoinfo -l").StandardOutput;

        foreach (var name in new[] { "META_DATA.;1", "USER_DATA.;1", "NETWORK_CONFIG.;1", "AUTOUNATTEND.XML;1", "UNATTEND.XML;1", "EMPTY.;1", "EXACTLY_ONE_SECTOR.BIN;1" })
            Assert.Contains(name, output, StringComparison.Ordinal);
    }

    [ToolFact("xorriso", "isoinfo")]
    public void Names_that_collide_in_the_primary_tree_keep_their_exact_names_and_bytes()
    {
        IsoFile[] files = [SeedSamples.Text("a-b", "dash\n"), SeedSamples.Text("a_b", "underscore\n"), SeedSamples.Text("A.b", "dot\n")];
        var iso = WriteIso(files);
        var target = _temp.File("extracted");

        var primary = ExternalTool.Run("isoinfo", "-f", "-i", iso).EnsureSuccess("isoinfo -f").StandardOutput;
        ExternalTool.Run("xorriso", "-osirrox", "on", "-indev", iso, "-extract", "/", target).EnsureSuccess("xorriso -extract");

        Assert.Equal(["/A.B;1", "/A_B.;1", "/A_B_1.;1"], primary.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
        AssertDirectoryHoldsExactly(target, files);
    }

    [ToolFact("xorriso", "isoinfo")]
    public void A_root_directory_spanning_several_sectors_reads_back_completely()
    {
        // 40 records of 64-character UCS-2 names (162 bytes each) need four Joliet directory sectors.
        var files = Enumerable.Range(0, 40)
            .Select(i => SeedSamples.Binary($"file-{i:D2}-".PadRight(64, 'x'), i * 300))
            .ToArray();
        var iso = WriteIso(files);
        var target = _temp.File("extracted");

        ExternalTool.Run("xorriso", "-osirrox", "on", "-indev", iso, "-extract", "/", target).EnsureSuccess("xorriso -extract");
        var joliet = ExternalTool.Run("isoinfo", "-J", "-f", "-i", iso).EnsureSuccess("isoinfo -J -f").StandardOutput;

        AssertDirectoryHoldsExactly(target, files);
        Assert.Equal(files.Length, joliet.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [ToolFact("xorriso", "blkid")]
    public void A_seed_of_only_empty_files_reads_back()
    {
        IsoFile[] files = [new("meta-data", ReadOnlyMemory<byte>.Empty), new("user-data", ReadOnlyMemory<byte>.Empty)];
        var iso = WriteIso(files);
        var target = _temp.File("extracted");

        var extract = ExternalTool.Run("xorriso", "-osirrox", "on", "-indev", iso, "-extract", "/", target).EnsureSuccess("xorriso -extract");
        var blkid = ExternalTool.Run("blkid", "-c", "/dev/null", iso).EnsureSuccess("blkid").StandardOutput;

        AssertDirectoryHoldsExactly(target, files);
        Assert.DoesNotContain("FAILURE", extract.StandardError, StringComparison.Ordinal);
        Assert.Contains("LABEL=\"cidata\"", blkid, StringComparison.Ordinal);
    }

    private static void AssertDirectoryHoldsExactly(string directory, IReadOnlyList<IsoFile> files)
    {
        var found = Directory.EnumerateFileSystemEntries(directory).Select(Path.GetFileName).Order(StringComparer.Ordinal);
        Assert.Equal(files.Select(f => f.Name).Order(StringComparer.Ordinal), found);
        foreach (var file in files)
            Assert.True(file.Content.Span.SequenceEqual(File.ReadAllBytes(Path.Combine(directory, file.Name))), $"{file.Name}: extracted bytes differ");
    }
}
