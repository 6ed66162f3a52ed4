namespace LabRunner.HostCommon.Disks;

/// <summary>The format of a disk image, as its bytes say (never its file name).</summary>
public enum DiskFormat
{
    /// <summary>No known header: a plain byte-for-byte disk (<c>.img</c>, <c>.raw</c>).</summary>
    Raw,

    /// <summary>QEMU copy-on-write v2/v3: <c>QFI\xfb</c> at offset 0.</summary>
    Qcow2,

    /// <summary>Hyper-V's VHDX: <c>vhdxfile</c> at offset 0.</summary>
    Vhdx,

    /// <summary>Virtual PC / Hyper-V VHD: a <c>conectix</c> footer in the last 512 bytes (fixed and dynamic), and a copy at offset 0 (dynamic).</summary>
    Vhd,
}

public static class DiskFormatExtensions
{
    /// <summary>The name QEMU gives the format (<c>-F</c>/<c>format=</c>); VHD is QEMU's <c>vpc</c>.</summary>
    public static string QemuName(this DiskFormat format) => format switch
    {
        DiskFormat.Raw => "raw",
        DiskFormat.Qcow2 => "qcow2",
        DiskFormat.Vhdx => "vhdx",
        DiskFormat.Vhd => "vpc",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };
}
