using System.Collections.Frozen;
using System.Text;

namespace LabRunner.Guest.Templates;

/// <summary>
/// The default templates compiled into LabRunner.Guest (the repository's <c>templates/</c> folder),
/// so the binary works without any template files next to it.
/// </summary>
public sealed class EmbeddedTemplateSource : ITemplateSource
{
    /// <summary>Shown instead of a file path, so nobody looks for the file in their project.</summary>
    public const string DisplayRoot = "<built-in>/templates";

    public static EmbeddedTemplateSource Instance { get; } = new();

    private readonly FrozenDictionary<string, TemplateText> _templates;

    private EmbeddedTemplateSource()
    {
        var assembly = typeof(EmbeddedTemplateSource).Assembly;
        var templates = new Dictionary<string, TemplateText>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames())
        {
            // MSBuild's %(RecursiveDir) uses the build machine's separator.
            var logical = name.Replace('\\', '/');
            if (!logical.StartsWith("templates/", StringComparison.Ordinal)) continue;
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var text = new UTF8Encoding(false).GetString(buffer.GetBuffer(), 0, (int)buffer.Length).TrimStart('\uFEFF');
            var relative = logical["templates/".Length..];
            templates[relative] = new TemplateText($"{DisplayRoot}/{relative}", text);
        }
        _templates = templates.ToFrozenDictionary(StringComparer.Ordinal);
    }

    public IEnumerable<string> Names => _templates.Keys;

    public TemplateText? Find(string relativePath) => _templates.GetValueOrDefault(relativePath);
}
