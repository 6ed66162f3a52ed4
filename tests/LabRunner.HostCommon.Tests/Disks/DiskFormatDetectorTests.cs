using LabRunner.HostCommon.Disks;

namespace LabRunner.HostCommon.Tests.Disks;

public sealed class DiskFormatDetectorTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("lr-disk-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [ToolTheory("qemu-img")]
    [InlineData("qcow2", new string[0], DiskFormat.Qcow2)]
    [InlineData("vhdx", new string[0], DiskFormat.Vhdx)]
    [InlineData("vpc", new string[0], DiskFormat.Vhd)]
    [InlineData("vpc", new[] { "-o", "subformat=fixed" }, DiskFormat.Vhd)]
    [InlineData("raw", new string[0], DiskFormat.Raw)]
    public async Task The_format_of_a_disk_made_by_qemu_img_is_read_from_its_bytes(string qemuFormat, string[] options, DiskFormat expected)
    {
        HostTools.Require(needsRoot: false, "qemu-img");
        // Every file gets the same misleading name: only the bytes may decide.
        var path = Path.Combine(_directory, "disk.img");
        await HostTools.RunAsync("qemu-img", ["create", "-q", "-f", qemuFormat, .. options, path, "16M"]);

        var format = DiskFormatDetector.DetectFile(path);

        Assert.Equal(expected, format);
    }

    [ToolFact("qemu-img")]
    public async Task A_fixed_vhd_is_recognised_by_its_footer_alone()
    {
        HostTools.Require(needsRoot: false, "qemu-img");
        var path = Path.Combine(_directory, "fixed.vhd");
        await HostTools.RunAsync("qemu-img", "create", "-q", "-f", "vpc", "-o", "subformat=fixed", path, "4M");
        var head = new byte[8];
        await using (var stream = File.OpenRead(path)) stream.ReadExactly(head);
        Assert.NotEqual("conectix"u8.ToArray(), head); // the head is disk data: only the footer says VHD

        Assert.Equal(DiskFormat.Vhd, DiskFormatDetector.DetectFile(path));
    }

    [Theory]
    [InlineData(DiskFormat.Raw, "raw")]
    [InlineData(DiskFormat.Qcow2, "qcow2")]
    [InlineData(DiskFormat.Vhdx, "vhdx")]
    [InlineData(DiskFormat.Vhd, "vpc")]
    public void Each_format_has_the_name_qemu_gives_it(DiskFormat format, string expected) =>
        Assert.Equal(expected, format.QemuName());

    [Fact]
    public void A_file_shorter_than_a_footer_with_no_magic_is_raw()
    {
        using var stream = new MemoryStream("conec"u8.ToArray());

        Assert.Equal(DiskFormat.Raw, DiskFormatDetector.Detect(stream));
    }

    [Fact]
    public void An_empty_file_is_raw() => Assert.Equal(DiskFormat.Raw, DiskFormatDetector.Detect(new MemoryStream()));

    [Fact]
    public void A_footer_that_is_not_exactly_the_last_512_bytes_does_not_make_a_vhd()
    {
        var bytes = new byte[2048];
        "conectix"u8.CopyTo(bytes.AsSpan(2048 - 511));

        Assert.Equal(DiskFormat.Raw, DiskFormatDetector.Detect(new MemoryStream(bytes)));
    }

    [Fact]
    public void Qcow2_magic_wins_over_a_vhd_footer_in_the_data()
    {
        var bytes = new byte[4096];
        new byte[] { (byte)'Q', (byte)'F', (byte)'I', 0xFB }.CopyTo(bytes, 0);
        "conectix"u8.CopyTo(bytes.AsSpan(4096 - 512));

        Assert.Equal(DiskFormat.Qcow2, DiskFormatDetector.Detect(new MemoryStream(bytes)));
    }

    [Fact]
    public void A_non_seekable_stream_is_refused_because_the_vhd_footer_is_at_the_end() =>
        Assert.Throws<ArgumentException>(() => DiskFormatDetector.Detect(new NonSeekableStream()));

    private sealed class NonSeekableStream : MemoryStream
    {
        public override bool CanSeek => false;
    }
}
