using System.Globalization;

namespace LabRunner.Core.Net;

/// <summary>
/// Human sizes such as <c>2GB</c>, <c>512 MiB</c> or a bare <c>2048</c> (megabytes, as Vagrant's
/// Hyper-V <c>memory</c> setting). Units are binary, as in Hyper-V and PowerShell (<c>1GB</c> = 2^30).
/// </summary>
public static class ByteSize
{
    private static readonly (string Unit, long Factor)[] Units =
    [
        ("TIB", 1L << 40), ("TB", 1L << 40), ("T", 1L << 40),
        ("GIB", 1L << 30), ("GB", 1L << 30), ("G", 1L << 30),
        ("MIB", 1L << 20), ("MB", 1L << 20), ("M", 1L << 20),
        ("KIB", 1L << 10), ("KB", 1L << 10), ("K", 1L << 10),
        ("B", 1),
    ];

    public const long MiB = 1L << 20;
    public const long GiB = 1L << 30;

    public static bool TryParse(string? text, out long bytes)
    {
        bytes = 0;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var t = text.Trim().ToUpperInvariant();
        long factor = MiB;
        foreach (var (unit, f) in Units)
        {
            if (t.EndsWith(unit, StringComparison.Ordinal))
            {
                factor = f;
                t = t[..^unit.Length].TrimEnd();
                break;
            }
        }
        if (t.Length == 0 || t.Length > 12) return false;
        if (!decimal.TryParse(t, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)) return false;
        var value = number * factor;
        if (value > long.MaxValue / 2 || value != decimal.Truncate(value)) return false;
        bytes = (long)value;
        return true;
    }

    /// <summary>The shortest exact form: <c>2GB</c>, <c>1536MB</c>, <c>512KB</c>.</summary>
    public static string Format(long bytes)
    {
        foreach (var (unit, factor) in new[] { ("TB", 1L << 40), ("GB", GiB), ("MB", MiB), ("KB", 1L << 10) })
            if (bytes >= factor && bytes % factor == 0)
                return string.Create(CultureInfo.InvariantCulture, $"{bytes / factor}{unit}");
        return string.Create(CultureInfo.InvariantCulture, $"{bytes}B");
    }
}
