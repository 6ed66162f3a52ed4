using System.Collections.Immutable;

namespace LabRunner.Guest.Templates;

/// <summary>Templates held in memory: for tests, and for callers that read a project's templates up front.</summary>
public sealed class InMemoryTemplateSource : ITemplateSource
{
    private readonly ImmutableDictionary<string, string> _templates;
    private readonly string _root;

    /// <param name="templates">Text by relative path, such as <c>cloud-init/user-data</c>.</param>
    /// <param name="root">Prefix of the display path, so diagnostics read like <c>templates/cloud-init/user-data:3:5</c>.</param>
    public InMemoryTemplateSource(IEnumerable<KeyValuePair<string, string>> templates, string root = "templates")
    {
        _templates = templates.ToImmutableDictionary(StringComparer.Ordinal);
        _root = root;
    }

    public TemplateText? Find(string relativePath) =>
        _templates.TryGetValue(relativePath, out var text) ? new TemplateText($"{_root}/{relativePath}", text) : null;
}
