using System.Buffers.Binary;
using LabRunner.HostCommon.Disks;

namespace LabRunner.HostCommon.Tests.Disks;

/// <summary>
/// A box must be one self-contained image (issue 13.4): images made by qemu-img where it is installed, and the
/// same cases written byte by byte from the specifications, so the rule holds without qemu-img.
/// </summary>
public sealed class DiskImageInspectorTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("lr-inspect-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string PathOf(string name) => Path.Combine(_directory, name);

    [ToolTheory("qemu-img")]
    [InlineData("qcow2", new string[0], DiskFormat.Qcow2)]
    [InlineData("qcow2", new[] { "-o", "compat=0.10" }, DiskFormat.Qcow2)]
    [InlineData("vhdx", new string[0], DiskFormat.Vhdx)]
    [InlineData("vhdx", new[] { "-o", "subformat=fixed" }, DiskFormat.Vhdx)]
    [InlineData("vpc", new string[0], DiskFormat.Vhd)]
    [InlineData("vpc", new[] { "-o", "subformat=fixed" }, DiskFormat.Vhd)]
    [InlineData("raw", new string[0], DiskFormat.Raw)]
    public async Task A_plain_image_made_by_qemu_img_is_usable(string qemuFormat, string[] options, DiskFormat expected)
    {
        HostTools.Require(needsRoot: false, "qemu-img");
        var path = PathOf("disk.img");
        await HostTools.RunAsync("qemu-img", ["create", "-q", "-f", qemuFormat, .. options, path, "16M"]);

        var check = DiskImageInspector.InspectFile(path);

        Assert.Equal((expected, null), (check.Format, check.Refusal));
    }

    [ToolTheory("qemu-img")]
    [InlineData("qcow2")]
    [InlineData("raw")]
    public async Task A_qcow2_made_by_qemu_img_with_a_backing_file_is_refused_and_the_file_named(string backingFormat)
    {
        HostTools.Require(needsRoot: false, "qemu-img");
        var host = PathOf("host-secret");
        await File.WriteAllBytesAsync(host, new byte[1 << 20]);
        if (backingFormat == "qcow2") await HostTools.RunAsync("qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", host, host + ".qcow2");
        var backing = backingFormat == "qcow2" ? host + ".qcow2" : host;
        var evil = PathOf("evil.qcow2");
        await HostTools.RunAsync("qemu-img", "create", "-q", "-f", "qcow2", "-b", backing, "-F", backingFormat, evil);

        var check = DiskImageInspector.InspectFile(evil);

        Assert.Equal(DiskFormat.Qcow2, check.Format);
        Assert.Contains("backing file", check.Refusal, StringComparison.Ordinal);
        Assert.Contains(backing, check.Refusal, StringComparison.Ordinal);
    }

    [ToolFact("qemu-img")]
    public async Task A_qcow2_made_by_qemu_img_with_an_external_data_file_is_refused()
    {
        HostTools.Require(needsRoot: false, "qemu-img");
        var evil = PathOf("evil.qcow2");
        await HostTools.RunAsync("qemu-img", "create", "-q", "-f", "qcow2", "-o", $"data_file={PathOf("data.raw")}", evil, "16M");

        var check = DiskImageInspector.InspectFile(evil);

        Assert.Contains("external data file", check.Refusal, StringComparison.Ordinal);
    }

    [ToolFact("qemu-img")]
    public async Task A_vhd_made_by_qemu_img_and_marked_differencing_in_both_footers_is_refused()
    {
        HostTools.Require(needsRoot: false, "qemu-img");
        var path = PathOf("diff.vhd");
        await HostTools.RunAsync("qemu-img", "create", "-q", "-f", "vpc", path, "16M");
        var bytes = await File.ReadAllBytesAsync(path);
        MakeDifferencing(bytes.AsSpan(0, 512));
        MakeDifferencing(bytes.AsSpan(bytes.Length - 512));
        await File.WriteAllBytesAsync(path, bytes);

        var check = DiskImageInspector.InspectFile(path);

        Assert.Equal(DiskFormat.Vhd, check.Format);
        Assert.Contains("differencing", check.Refusal, StringComparison.Ordinal);
    }

    private static void MakeDifferencing(Span<byte> footer)
    {
        BinaryPrimitives.WriteUInt32BigEndian(footer[60..], 4);
        uint sum = 0;
        for (var i = 0; i < 512; i++) if (i is < 64 or >= 68) sum += footer[i];
        BinaryPrimitives.WriteUInt32BigEndian(footer[64..], ~sum);
    }

    [ToolFact("qemu-img")]
    public async Task A_VHDX_made_by_qemu_img_and_cut_short_is_refused_as_incomplete()
    {
        HostTools.Require(needsRoot: false, "qemu-img");
        var path = PathOf("cut.vhdx");
        await HostTools.RunAsync("qemu-img", "create", "-q", "-f", "vhdx", path, "16M");
        await using (var file = new FileStream(path, FileMode.Open)) file.SetLength(200 * 1024);

        var check = DiskImageInspector.InspectFile(path);

        Assert.Contains("not a whole VHDX image", check.Refusal, StringComparison.Ordinal);
    }

    // ---- The same without qemu-img: images written from the specifications ----

    public static TheoryData<string, byte[]> Plain => new()
    {
        { "qcow2 v2", DiskImages.Qcow2(version: 2) },
        { "qcow2 v3", DiskImages.Qcow2() },
        { "qcow2 v3, dirty", DiskImages.Qcow2(incompatible: 1) },
        { "vhdx", DiskImages.Vhdx() },
        { "vhd fixed", DiskImages.Vhd(2) },
        { "vhd dynamic", DiskImages.Vhd(3) },
    };

    [Theory]
    [MemberData(nameof(Plain))]
    public void A_plain_image_written_from_the_specification_is_usable(string what, byte[] image)
    {
        var check = DiskImageInspector.InspectFile(DiskImages.Write(PathOf("disk"), image));

        Assert.True(check.IsUsable, $"{what}: {check.Refusal}");
    }

    public static TheoryData<string, byte[], string> Refused => new()
    {
        { "qcow2 v2 with a backing file", DiskImages.Qcow2(version: 2, backingFile: "/etc/shadow"), "backing file ('/etc/shadow')" },
        { "qcow2 v3 with a backing file", DiskImages.Qcow2(backingFile: "/root/.ssh/id_ed25519"), "backing file ('/root/.ssh/id_ed25519')" },
        { "qcow2 with the external data file bit", DiskImages.Qcow2(externalDataBit: true), "external data file" },
        { "qcow2 with the bit and the name", DiskImages.Qcow2(externalDataBit: true, dataFileName: "/dev/sda"), "external data file" },
        { "qcow2 naming a data file without the bit", DiskImages.Qcow2(dataFileName: "/etc/shadow"), "external data file ('/etc/shadow')" },
        { "qcow2 with an unknown incompatible feature", DiskImages.Qcow2(incompatible: 1UL << 40), "incompatible features" },
        { "qcow2 marked corrupt", DiskImages.Qcow2(incompatible: 2), "marked corrupt" },
        { "vhdx whose file parameters say HasParent", DiskImages.Vhdx(hasParent: true), "differencing VHDX" },
        { "vhdx with a parent locator", DiskImages.Vhdx(parentLocator: true), "differencing VHDX" },
        { "vhdx requiring an unknown region", DiskImages.Vhdx(unknownRequiredRegion: true), "requires a region" },
        { "vhdx whose headers fail their CRC", DiskImages.Vhdx(breakHeaders: true), "damaged VHDX" },
        { "vhd differencing", DiskImages.Vhd(4), "differencing VHD" },
        { "vhd dynamic with a bad checksum", DiskImages.Vhd(3, breakChecksum: true), "damaged VHD" },
        { "8 bytes of vhdxfile", "vhdxfile"u8.ToArray(), "not a whole VHDX image" },
        { "a qcow2 header cut at 40 bytes", DiskImages.Qcow2()[..40], "not a whole qcow2 image" },
        { "a qcow2 v3 header without its tables", DiskImages.Qcow2()[..512], "damaged qcow2" },
        { "a dynamic vhd without its footer", DiskImages.Vhd(3)[..2048], "damaged VHD" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void An_image_naming_another_file_or_damaged_is_refused_without_qemu_img(string what, byte[] image, string expected)
    {
        var check = DiskImageInspector.InspectFile(DiskImages.Write(PathOf("disk"), image));

        Assert.False(check.IsUsable, what);
        Assert.Contains(expected, check.Refusal, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_empty_file_a_device_and_a_FIFO_are_refused_without_being_read()
    {
        var empty = DiskImages.Write(PathOf("empty.img"), []);

        Assert.Contains("empty or not a regular file", DiskImageInspector.InspectFile(empty).Refusal, StringComparison.Ordinal);
        if (OperatingSystem.IsWindows()) return;
        var fifo = PathOf("fifo");
        await HostTools.RunAsync("mkfifo", fifo);
        // A FIFO would block the open and /dev/zero never ends: both are refused by their size alone.
        Assert.Contains("empty or not a regular file", DiskImageInspector.InspectFile(fifo).Refusal, StringComparison.Ordinal);
        Assert.Contains("empty or not a regular file", DiskImageInspector.InspectFile("/dev/zero").Refusal, StringComparison.Ordinal);
        // A link's own size is its target's name: the link is followed before the size is read.
        var zeroLink = PathOf("zero.img");
        File.CreateSymbolicLink(zeroLink, "/dev/zero");
        Assert.Contains("empty or not a regular file", DiskImageInspector.InspectFile(zeroLink).Refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void A_link_is_followed_to_the_image_it_names()
    {
        var evil = DiskImages.Write(PathOf("evil.qcow2"), DiskImages.Qcow2(backingFile: "/etc/passwd"));
        var link = PathOf("innocent.img");
        File.CreateSymbolicLink(link, evil);

        Assert.Contains("backing file", DiskImageInspector.InspectFile(link).Refusal, StringComparison.Ordinal);
    }
}
