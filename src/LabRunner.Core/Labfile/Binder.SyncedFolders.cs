using System.Collections.Immutable;
using LabRunner.Core.Diagnostics;

namespace LabRunner.Core.Labfile;

/// <summary>The <c>synced_folders</c> list, under 'defaults' and per VM: its shape; paths in the guest and the provider's kinds are the validator's.</summary>
internal sealed partial class Binder
{
    private static readonly string[] SyncedFolderKeys = ["host", "guest", "type", "exclude", "owner", "group"];

    private const int MaxExcludePatterns = 256;

    private static ImmutableArray<SyncedFolderDefinition> BindSyncedFolders(MappingReader r, ICollection<Diagnostic> d)
    {
        var result = ImmutableArray.CreateBuilder<SyncedFolderDefinition>();
        foreach (var item in r.List("synced_folders", "a list of mappings with 'host' and 'guest'"))
            if (BindSyncedFolder(item, d) is { } folder) result.Add(folder);
        return result.ToImmutable();
    }

    private static SyncedFolderDefinition? BindSyncedFolder(YamlNode node, ICollection<Diagnostic> d)
    {
        if (node is not YamlMapping map)
        {
            d.Add(DiagnosticBuilder.WrongType(node.Span, "each synced folder", "a mapping with 'host' and 'guest'", node.Kind));
            return null;
        }
        var r = new MappingReader(map, "a synced folder", SyncedFolderKeys, d);
        var host = r.String("host", required: true);
        if (host is not null && (!Names.IsPrintable(host, 1024) || host.Contains('\0', StringComparison.Ordinal)))
        {
            d.Add(DiagnosticBuilder.InvalidSyncedFolderHost(r.SpanOf("host")!.Value, host));
            host = null;
        }
        var guest = r.String("guest", required: true);
        if (guest is not null && (guest.Length is 0 or > GuestPaths.MaxLength || guest.Any(char.IsControl)))
        {
            d.Add(DiagnosticBuilder.InvalidGuestPath(r.SpanOf("guest")!.Value, guest, "give an absolute path in the guest without control characters"));
            guest = null;
        }
        var type = r.Choice<SyncedFolderType>("type", "synced folder type") ?? SyncedFolderType.Auto;
        var exclude = ExcludePatterns(r, d);
        var owner = Account(r, "owner", d);
        var group = Account(r, "group", d);
        if (host is null || guest is null) return null;
        return new SyncedFolderDefinition(host, r.SpanOf("host")!.Value, guest, r.SpanOf("guest")!.Value, type, exclude, owner, group, map.Span)
        {
            ExcludeSpan = r.SpanOf("exclude"),
            OwnerSpan = r.SpanOf("owner"),
            GroupSpan = r.SpanOf("group"),
        };
    }

    /// <summary>Glob patterns as .gitignore writes them: one line of printable text each, no negation.</summary>
    private static ImmutableArray<string> ExcludePatterns(MappingReader r, ICollection<Diagnostic> d)
    {
        var node = r.Node("exclude");
        IReadOnlyList<YamlNode> items = node switch
        {
            null => [],
            YamlSequence seq => seq.Items,
            // One pattern on its own is a list of one.
            YamlScalar s => [s],
            _ => [],
        };
        if (node is not (null or YamlSequence or YamlScalar))
            d.Add(DiagnosticBuilder.WrongType(node.Span, "'exclude'", "a list of glob patterns", node.Kind));
        if (items.Count > MaxExcludePatterns)
            d.Add(DiagnosticBuilder.InvalidExclude(node!.Span, $"{items.Count} patterns", $"give at most {MaxExcludePatterns}"));
        var patterns = ImmutableArray.CreateBuilder<string>();
        foreach (var item in items.Take(MaxExcludePatterns))
        {
            if (item is not YamlScalar { IsNull: false } s)
            {
                d.Add(DiagnosticBuilder.WrongType(item.Span, "each 'exclude' pattern", "text", item.Kind));
                continue;
            }
            if (ExcludeProblem(s.Value) is { } why)
            {
                d.Add(DiagnosticBuilder.InvalidExclude(s.Span, s.Value, why));
                continue;
            }
            patterns.Add(s.Value);
        }
        return patterns.ToImmutable();
    }

    private static string? ExcludeProblem(string pattern)
    {
        if (!Names.IsPrintable(pattern, 1024)) return "give a glob pattern such as node_modules, *.log or /build/ without control characters or surrounding spaces";
        if (pattern.StartsWith('!')) return "'!' (re-including what an earlier pattern excluded) is not supported; exclude less instead";
        if (pattern.Replace('\\', '/').Split('/').Any(p => p == "..")) return "a pattern matches inside the synced folder: '..' cannot appear in it";
        if (pattern.Trim('/').Length == 0) return "it would exclude the whole folder";
        return null;
    }

    /// <summary>A user or group name in the guest (root allowed: files may belong to root).</summary>
    private static string? Account(MappingReader r, string key, ICollection<Diagnostic> d)
    {
        var s = r.Scalar(key, $"a {(key == "owner" ? "user" : "group")} name");
        if (s is null) return null;
        if (Names.IsGuestAccountName(s.Value)) return s.Value;
        d.Add(DiagnosticBuilder.InvalidName(s.Span, key, s.Value, Names.GuestAccountRule));
        return null;
    }
}
