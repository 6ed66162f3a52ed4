using LabRunner.Core.Providers;
using LabRunner.HostCommon.Disks;

namespace LabRunner.Boxes;

/// <summary>
/// A box is installed for a provider's <see cref="BoxSupport"/> (its descriptor's): the store folder and the disk formats
/// it boots. Hyper-V (and the simulated Hyper-V host) boots VHDX and VHD only; QEMU reads every format directly.
/// </summary>
public static class BoxTargets
{
    /// <summary>Whether <paramref name="target"/> boots a disk of <paramref name="format"/> as it is.</summary>
    public static bool Accepts(this BoxSupport target, DiskFormat format)
    {
        ArgumentNullException.ThrowIfNull(target);
        return target.Boots(format.FormatName());
    }

    /// <summary>
    /// The support that suits a Vagrant box for <paramref name="vagrantProvider"/> best (<c>hyperv</c>: Hyper-V's; libvirt
    /// and qemu: QEMU's), or the first of <paramref name="targets"/> when none takes it.
    /// </summary>
    public static BoxSupport OwnerOf(this IReadOnlyList<BoxSupport> targets, string vagrantProvider)
    {
        ArgumentNullException.ThrowIfNull(targets);
        return targets.Where(t => t.Rank(vagrantProvider) is not null).OrderBy(t => t.Rank(vagrantProvider)).FirstOrDefault() ?? targets[0];
    }

    /// <summary>The support whose store folder is <paramref name="storeName"/> (an installed box's provider), or null.</summary>
    public static BoxSupport? Named(this IReadOnlyList<BoxSupport> targets, string? storeName) =>
        targets.FirstOrDefault(t => string.Equals(t.StoreName, storeName, StringComparison.OrdinalIgnoreCase));

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
