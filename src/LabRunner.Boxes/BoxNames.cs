using System.Text.RegularExpressions;

namespace LabRunner.Boxes;

/// <summary>Box names: a Labfile's own (<c>debian-12</c>) or a catalog's <c>owner/name</c>.</summary>
public static partial class BoxNames
{
    public const string Rule = "use letters, digits, dots, hyphens or underscores (1-64, starting with a letter or digit), optionally as owner/name";

    // Vagrant's own escape for the slash of owner/name in its box folder.
    private const string Slash = "-VAGRANTSLASH-";

    public static bool IsValid(string? name) => name is not null && Pattern().IsMatch(name);

    public static string ToFolder(string name) => name.Replace("/", Slash, StringComparison.Ordinal);

    public static string FromFolder(string folder) => folder.Replace(Slash, "/", StringComparison.Ordinal);

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}(/[A-Za-z0-9][A-Za-z0-9._-]{0,63})?$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
