using System.Collections.Immutable;

namespace LabRunner.Core.Providers;

/// <summary>
/// The boxes a provider boots: the store folder they are installed under (<c>hyperv</c>, <c>qemu</c>; providers that
/// boot the same disks share one, as the simulated host shares Hyper-V's), the disk formats it boots as they are
/// (<c>vhdx</c>, <c>vhd</c>, <c>qcow2</c>, <c>raw</c>; others are converted to the first), and the Vagrant providers
/// whose boxes suit it, best first (one whose disk needs no conversion first). Equal values are the same store target.
/// </summary>
public sealed record BoxSupport(string StoreName, ImmutableArray<string> DiskFormats, ImmutableArray<string> VagrantProviders)
{
    /// <summary>Whether it boots a disk of <paramref name="format"/> (a format name as above) without conversion.</summary>
    public bool Boots(string format) => DiskFormats.Contains(format, StringComparer.OrdinalIgnoreCase);

    /// <summary>The format a disk it cannot boot is converted to.</summary>
    public string ConvertTo => DiskFormats[0];

    /// <summary>How well a Vagrant box for <paramref name="vagrantProvider"/> suits it: 0 best; null when not at all.</summary>
    public int? Rank(string vagrantProvider)
    {
        var index = VagrantProviders.IndexOf(vagrantProvider.ToLowerInvariant());
        return index < 0 ? null : index;
    }

    public bool Equals(BoxSupport? other) => other is not null && string.Equals(StoreName, other.StoreName, StringComparison.Ordinal);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(StoreName);

    public override string ToString() => StoreName;
}
