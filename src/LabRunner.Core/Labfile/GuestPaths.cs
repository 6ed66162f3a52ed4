namespace LabRunner.Core.Labfile;

/// <summary>
/// Absolute paths in a guest, as synced folders name them: POSIX paths in Linux guests, drive paths in Windows
/// guests. Normalized so that two spellings of one folder compare equal, and checked so that a push can never
/// reach above the folder it names.
/// </summary>
public static class GuestPaths
{
    public const int MaxLength = 4096;
    public const string LinuxRule = "give an absolute path in the guest such as /srv/app, without '.' or '..' parts, and not / itself";
    public const string WindowsRule = @"give an absolute path in the Windows guest such as C:\app, without '.' or '..' parts, none of < > "" | ? * after the drive, and not a drive's root";

    private static readonly char[] NotInWindowsNames = ['<', '>', ':', '"', '|', '?', '*'];

    /// <summary>The folder as the guest's OS spells it (single separators, none at the end), or null when it is no usable absolute path.</summary>
    public static string? Normalize(string path, GuestOs os)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length is 0 or > MaxLength || path.Any(char.IsControl)) return null;
        return os == GuestOs.Windows ? Windows(path) : Linux(path);
    }

    public static string Rule(GuestOs os) => os == GuestOs.Windows ? WindowsRule : LinuxRule;

    /// <summary>Whether <paramref name="inner"/> is <paramref name="outer"/> or a folder inside it (both normalized).</summary>
    public static bool IsWithin(string inner, string outer, GuestOs os)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(outer);
        var comparison = os == GuestOs.Windows ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        var separator = os == GuestOs.Windows ? '\\' : '/';
        return string.Equals(inner, outer, comparison)
            || (inner.StartsWith(outer, comparison) && inner.Length > outer.Length && inner[outer.Length] == separator);
    }

    private static string? Linux(string path)
    {
        if (!path.StartsWith('/')) return null;
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0 || parts.Any(p => p is "." or "..")) return null;
        return "/" + string.Join('/', parts);
    }

    private static string? Windows(string path)
    {
        if (path.Length < 3 || !char.IsAsciiLetter(path[0]) || path[1] != ':' || path[2] is not ('\\' or '/')) return null;
        var parts = path[3..].Split(['\\', '/'], StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0 || parts.Any(p => p is "." or ".." || p.IndexOfAny(NotInWindowsNames) >= 0 || p.TrimEnd(' ', '.').Length != p.Length)) return null;
        return char.ToUpperInvariant(path[0]) + @":\" + string.Join('\\', parts);
    }
}
