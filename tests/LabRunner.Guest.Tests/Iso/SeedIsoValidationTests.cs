using LabRunner.Guest.Iso;

namespace LabRunner.Guest.Tests.Iso;

public sealed class SeedIsoValidationTests
{
    private static readonly byte[] Content = [1, 2, 3];

    private static ArgumentException Rejects(string label, IReadOnlyList<IsoFile> files) =>
        Assert.ThrowsAny<ArgumentException>(() => SeedIsoWriter.Build(label, files, SeedSamples.Timestamp));

    [Theory]
    [InlineData("", "empty")]
    [InlineData("a/b", "'/'")]
    [InlineData("a\\b", "'\\'")]
    [InlineData("a:b", "':'")]
    [InlineData("a;1", "';'")]
    [InlineData("a*", "'*'")]
    [InlineData("a?", "'?'")]
    [InlineData("line\nbreak", "control character")]
    [InlineData("nul\0", "control character")]
    [InlineData("del\u007f", "control character")]
    [InlineData(".", "not a file name")]
    [InlineData("..", "not a file name")]
    [InlineData("smile-\U0001F600", "Basic Multilingual Plane")]
    public void A_file_name_joliet_cannot_carry_is_rejected(string name, string reason)
    {
        var error = Rejects("cidata", [new IsoFile(name, Content)]);

        Assert.Contains(reason, error.Message);
        Assert.Equal("files", error.ParamName);
    }

    [Fact]
    public void A_name_longer_than_64_characters_is_rejected_and_64_is_accepted()
    {
        var error = Rejects("cidata", [new IsoFile(new string('x', 65), Content)]);
        var iso = new IsoImage(SeedIsoWriter.Build("cidata", [new IsoFile(new string('x', 64), Content)], SeedSamples.Timestamp));

        Assert.Contains("64", error.Message);
        Assert.Equal(new string('x', 64), Assert.Single(iso.RootFiles(17)).Identifier);
        Assert.Equal(new string('X', 30) + ".;1", Assert.Single(iso.RootFiles(16)).Identifier);
    }

    [Fact]
    public void Names_that_differ_only_in_case_are_rejected()
    {
        var error = Rejects("cidata", [new IsoFile("Autounattend.xml", Content), new IsoFile("autounattend.XML", Content)]);

        Assert.Contains("more than once", error.Message);
    }

    [Fact]
    public void A_null_file_name_or_entry_is_rejected()
    {
        Rejects("cidata", [new IsoFile(null!, Content)]);
        Rejects("cidata", [null!]);
        Assert.Throws<ArgumentNullException>(() => SeedIsoWriter.Build("cidata", null!, SeedSamples.Timestamp));
    }

    [Theory]
    [InlineData("")]
    [InlineData("seventeen_chars_x")]
    [InlineData("ci data")]
    [InlineData("ci-data")]
    [InlineData("cïdata")]
    [InlineData("cidata\n")]
    public void A_volume_label_outside_the_rules_is_rejected(string label)
    {
        var error = Rejects(label, []);

        Assert.Equal("volumeLabel", error.ParamName);
    }

    [Fact]
    public void A_sixteen_character_label_with_upper_and_lower_case_fits_both_descriptors()
    {
        var iso = new IsoImage(SeedIsoWriter.Build("Lab_Seed_0123456", [], SeedSamples.Timestamp));

        Assert.Equal("Lab_Seed_0123456", IsoImage.Text(iso.SectorSpan(16).Slice(40, 32), ucs2: false));
        Assert.Equal("Lab_Seed_0123456", IsoImage.Text(iso.SectorSpan(17).Slice(40, 32), ucs2: true));
    }

    [Fact]
    public void A_timestamp_outside_the_iso_9660_range_is_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SeedIsoWriter.Build("cidata", [], new DateTimeOffset(1899, 12, 31, 23, 59, 59, TimeSpan.Zero)));
        Assert.Throws<ArgumentOutOfRangeException>(() => SeedIsoWriter.Build("cidata", [], new DateTimeOffset(2156, 1, 1, 0, 0, 0, TimeSpan.Zero)));
        SeedIsoWriter.Build("cidata", [], new DateTimeOffset(2155, 12, 31, 23, 59, 59, TimeSpan.Zero));
    }

    [Fact]
    public void A_stream_that_cannot_be_written_is_rejected_before_anything_is_built()
    {
        using var readOnly = new MemoryStream([], writable: false);

        var error = Assert.Throws<ArgumentException>(() => SeedIsoWriter.Write(readOnly, "cidata", [], SeedSamples.Timestamp));

        Assert.Equal("output", error.ParamName);
        Assert.Throws<ArgumentNullException>(() => SeedIsoWriter.Write(null!, "cidata", [], SeedSamples.Timestamp));
    }
}
