using Microsoft.Extensions.FileSystemGlobbing;

namespace LabRunner.Engine.Sync;

/// <summary>
/// A synced folder's <c>exclude</c> patterns, read as .gitignore reads them and matched by
/// <see cref="Matcher"/> (Microsoft.Extensions.FileSystemGlobbing) on paths relative to the folder:
/// a pattern with no slash but a trailing one matches a name at any depth (<c>node_modules</c>, <c>*.log</c>);
/// a leading or inner slash anchors it at the folder's top (<c>/build</c>, <c>docs/*.tmp</c>); a trailing
/// slash matches folders only (<c>logs/</c>); <c>**</c> spans folders. An excluded folder is left out whole.
/// </summary>
public sealed class ExcludeRules
{
    private readonly Matcher? _anyEntry;
    private readonly Matcher? _foldersOnly;

    private ExcludeRules(Matcher? anyEntry, Matcher? foldersOnly)
    {
        _anyEntry = anyEntry;
        _foldersOnly = foldersOnly;
    }

    public static ExcludeRules None { get; } = new(null, null);

    /// <param name="patterns">As the Labfile gives them (the binder has refused '!', '..' and empty ones).</param>
    /// <param name="ignoreCase">How the host compares names (Windows: without case).</param>
    public static ExcludeRules From(IEnumerable<string> patterns, bool ignoreCase)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        var comparison = ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        Matcher? any = null, folders = null;
        foreach (var pattern in patterns)
        {
            var p = pattern.Replace('\\', '/');
            var folderOnly = p.EndsWith('/');
            p = p.TrimEnd('/');
            var anchored = p.Contains('/', StringComparison.Ordinal);
            p = p.TrimStart('/');
            if (p.Length == 0) continue;
            var glob = anchored ? p : "**/" + p;
            if (folderOnly) (folders ??= new Matcher(comparison)).AddInclude(glob);
            else (any ??= new Matcher(comparison)).AddInclude(glob);
        }
        return new ExcludeRules(any, folders);
    }

    /// <summary>
    /// Which of <paramref name="paths"/> (relative to the folder, '/'-separated, all of one kind) are excluded:
    /// folders by every pattern, files and links by those without a trailing slash.
    /// </summary>
    public IReadOnlySet<string> Excluded(IReadOnlyCollection<string> paths, bool folders)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var excluded = new HashSet<string>(StringComparer.Ordinal);
        if (paths.Count == 0) return excluded;
        Add(_anyEntry);
        if (folders) Add(_foldersOnly);
        return excluded;

        void Add(Matcher? matcher)
        {
            if (matcher is null) return;
            // Matched as names under a root of no meaning: nothing is read from the disk.
            foreach (var match in matcher.Match(Root, paths).Files)
                excluded.Add(match.Path);
        }
    }

    private static readonly string Root = Path.GetFullPath(Path.Combine(Path.GetTempPath(), "labrunner-exclude-root"));
}
