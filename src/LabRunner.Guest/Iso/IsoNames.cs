using System.Globalization;
using System.Text;

namespace LabRunner.Guest.Iso;

/// <summary>Name rules for the two directory trees of a seed ISO: checks, d-character mapping, ordering.</summary>
internal static class IsoNames
{
    /// <summary>Joliet's limit on a file identifier, in UCS-2 code units.</summary>
    public const int MaxJolietNameLength = 64;

    /// <summary>Joliet's volume identifier is 32 bytes of UCS-2; keeping labels this short lets both descriptors carry the whole label.</summary>
    public const int MaxVolumeLabelLength = 16;

    /// <summary>ECMA-119 interchange level 2: file name plus extension may not exceed 30 d-characters.</summary>
    private const int MaxPrimaryNameAndExtension = 30;

    /// <summary>Leaves the stem at least 8 characters, room for a collision number.</summary>
    private const int MaxPrimaryExtension = MaxPrimaryNameAndExtension - 8;

    // Joliet forbids these besides control characters; '/' would also read as a path separator.
    private const string JolietForbidden = "*/:;?\\";

    public static void ValidateVolumeLabel(string volumeLabel)
    {
        ArgumentNullException.ThrowIfNull(volumeLabel);
        if (volumeLabel.Length is 0 or > MaxVolumeLabelLength)
            throw new ArgumentException(
                $"The volume label must be 1 to {MaxVolumeLabelLength} characters long; '{volumeLabel}' has {volumeLabel.Length}.",
                nameof(volumeLabel));
        // d-characters plus lower case: lower case is outside ECMA-119 but is what NoCloud's
        // 'cidata' needs, and every reader (blkid, the kernel, Windows) takes it as written.
        foreach (var c in volumeLabel)
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_'))
                throw new ArgumentException(
                    $"The volume label '{volumeLabel}' may contain only ASCII letters, digits and '_'.",
                    nameof(volumeLabel));
    }

    /// <summary>Checks one file name against Joliet's rules; <paramref name="index"/> locates it in the caller's list.</summary>
    public static void ValidateFileName(string? name, int index)
    {
        if (string.IsNullOrEmpty(name))
            throw new ArgumentException($"File #{index} has an empty name.", "files");
        if (name.Length > MaxJolietNameLength)
            throw new ArgumentException(
                $"File name '{name}' is {name.Length} characters long; Joliet allows at most {MaxJolietNameLength}.", "files");
        if (name is "." or "..")
            throw new ArgumentException($"'{name}' is not a file name.", "files");
        foreach (var c in name)
        {
            if (char.IsControl(c))
                throw new ArgumentException($"File name '{Printable(name)}' contains a control character.", "files");
            if (JolietForbidden.Contains(c, StringComparison.Ordinal))
                throw new ArgumentException(
                    $"File name '{name}' contains '{c}', which Joliet does not allow (forbidden: {JolietForbidden}).", "files");
            // Joliet level 3 is UCS-2: a character outside the Basic Multilingual Plane has no encoding.
            if (char.IsSurrogate(c))
                throw new ArgumentException(
                    $"File name '{name}' contains a character outside the Basic Multilingual Plane, which UCS-2 cannot carry.", "files");
        }
    }

    /// <summary>
    /// Maps exact names, in their final order, to unique ISO 9660 level 2 identifiers (<c>META_DATA.;1</c>).
    /// Only readers without Joliet use these; the mapping just has to be valid, stable and collision-free.
    /// </summary>
    public static string[] PrimaryIdentifiers(IReadOnlyList<string> names)
    {
        var result = new string[names.Count];
        var taken = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < names.Count; i++)
        {
            var (stem, extension) = SplitExtension(names[i]);
            var dStem = ToDCharacters(stem);
            var dExtension = ToDCharacters(extension);
            dExtension = Truncate(dExtension, MaxPrimaryExtension);
            var candidate = Identifier(Truncate(dStem, MaxPrimaryNameAndExtension - dExtension.Length), dExtension);
            // Two exact names can map to one identifier (a-b, a_b); number the later ones.
            for (var n = 1; !taken.Add(candidate); n++)
            {
                var suffix = "_" + n.ToString(CultureInfo.InvariantCulture);
                candidate = Identifier(Truncate(dStem, MaxPrimaryNameAndExtension - dExtension.Length - suffix.Length) + suffix, dExtension);
            }
            result[i] = candidate;
        }
        return result;
    }

    /// <summary>
    /// ECMA-119 9.3 order: by name, then by extension, each compared as if the shorter were padded with
    /// spaces, code unit by code unit. (Versions are all 1.) Ordinal order breaks the one possible tie,
    /// names differing only in trailing spaces, so the result never depends on the input order.
    /// </summary>
    public static int Compare(string a, string b)
    {
        var (aStem, aExt) = SplitExtension(StripVersion(a));
        var (bStem, bExt) = SplitExtension(StripVersion(b));
        var c = ComparePadded(aStem, bStem);
        if (c == 0) c = ComparePadded(aExt, bExt);
        return c != 0 ? c : string.CompareOrdinal(a, b);
    }

    private static int ComparePadded(ReadOnlySpan<char> a, ReadOnlySpan<char> b)
    {
        var length = Math.Max(a.Length, b.Length);
        for (var i = 0; i < length; i++)
        {
            var ca = i < a.Length ? a[i] : ' ';
            var cb = i < b.Length ? b[i] : ' ';
            if (ca != cb) return ca.CompareTo(cb);
        }
        return 0;
    }

    private static string StripVersion(string identifier) =>
        identifier.EndsWith(";1", StringComparison.Ordinal) ? identifier[..^2] : identifier;

    private static (string Stem, string Extension) SplitExtension(string name)
    {
        var dot = name.LastIndexOf('.');
        return dot < 0 ? (name, "") : (name[..dot], name[(dot + 1)..]);
    }

    private static string ToDCharacters(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var c in text)
            sb.Append(char.IsAsciiLetterOrDigit(c) ? char.ToUpperInvariant(c) : '_');
        return sb.ToString();
    }

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..max];

    // Level 2 keeps the '.' even without an extension (META_DATA.;1), as ECMA-119 7.5.1 requires.
    private static string Identifier(string stem, string extension) => stem + "." + extension + ";1";

    private static string Printable(string name)
    {
        var sb = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            if (char.IsControl(c)) sb.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            else sb.Append(c);
        }
        return sb.ToString();
    }
}
