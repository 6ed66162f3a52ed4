using LabRunner.HostCommon.Disks;

namespace LabRunner.Boxes;

/// <summary>
/// The LabRunner provider a box is installed for; it decides the disk formats the store may keep.
/// Hyper-V (and the simulated Hyper-V host) boots VHDX and VHD only; QEMU reads every format directly.
/// </summary>
public enum BoxTarget
{
    HyperV,
    Qemu,
}

public static class BoxTargets
{
    /// <summary>The folder prefix in the store: <c>hyperv</c>, <c>qemu</c>.</summary>
    public static string Name(this BoxTarget target) => target switch
    {
        BoxTarget.HyperV => "hyperv",
        BoxTarget.Qemu => "qemu",
        _ => throw new ArgumentOutOfRangeException(nameof(target)),
    };

    public static bool TryParse(string? text, out BoxTarget target)
    {
        target = BoxTarget.HyperV;
        switch (text?.ToLowerInvariant())
        {
            case "hyperv": target = BoxTarget.HyperV; return true;
            case "qemu": target = BoxTarget.Qemu; return true;
            default: return false;
        }
    }

    public static bool Accepts(this BoxTarget target, DiskFormat format) =>
        target == BoxTarget.Qemu || format is DiskFormat.Vhdx or DiskFormat.Vhd;

    /// <summary>The Vagrant providers whose boxes suit <paramref name="target"/>, best first (one that needs no conversion first).</summary>
    public static IReadOnlyList<string> VagrantProviders(this BoxTarget target) => target switch
    {
        BoxTarget.HyperV => ["hyperv", "libvirt", "qemu"],
        _ => ["libvirt", "qemu", "hyperv"],
    };

    /// <summary>The file extension of a disk in <paramref name="format"/>.</summary>
    public static string Extension(this DiskFormat format) => format switch
    {
        DiskFormat.Qcow2 => "qcow2",
        DiskFormat.Vhdx => "vhdx",
        DiskFormat.Vhd => "vhd",
        _ => "img",
    };

    public static string FormatName(this DiskFormat format) => format.ToString().ToLowerInvariant();
}
