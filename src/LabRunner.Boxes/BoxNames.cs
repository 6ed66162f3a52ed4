using LabRunner.Core.Labfile;

namespace LabRunner.Boxes;

/// <summary>Box names: a Labfile's own (<c>debian-12</c>) or a catalog's <c>owner/name</c>.</summary>
public static class BoxNames
{
    public const string Rule = Names.BoxReferenceRule;

    // Vagrant's own escape for the slash of owner/name in its box folder.
    private const string Slash = "-VAGRANTSLASH-";

    /// <summary>The same rule as a Labfile's <c>box:</c> (<see cref="Names.IsBoxReference"/>).</summary>
    public static bool IsValid(string? name) => name is not null && Names.IsBoxReference(name);

    public static string ToFolder(string name) => name.Replace("/", Slash, StringComparison.Ordinal);

    public static string FromFolder(string folder) => folder.Replace(Slash, "/", StringComparison.Ordinal);
}
