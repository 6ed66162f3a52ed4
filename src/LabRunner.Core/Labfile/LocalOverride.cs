using LabRunner.Core.Diagnostics;

namespace LabRunner.Core.Labfile;

/// <summary>
/// Merges <c>Labfile.local.yml</c> over <c>Labfile.yml</c>: mappings merge key by key, lists of
/// named items (networks, VMs) merge item by item on <c>name</c>, and anything else in the local file
/// replaces what it overrides. Every node keeps the file and position it came from, so diagnostics
/// point into whichever file holds the value.
/// <para>
/// A named item the Labfile does not have is a typo (<c>wbe</c> for <c>web</c>) or an item a teammate
/// removed far more often than a wish to add one: it is left out with a warning (LAB015, with "did you
/// mean"), unless it says <c>add: true</c>, the local file's own key, which adds it.
/// </para>
/// </summary>
public static class LocalOverride
{
    /// <summary>The local file's key that adds a VM or network the Labfile does not have.</summary>
    public const string AddKey = "add";

    /// <summary>Merges <paramref name="local"/> over <paramref name="main"/>, found under <paramref name="key"/> (null at the top).</summary>
    public static YamlNode Merge(YamlNode main, YamlNode local, string? key, ICollection<Diagnostic> diagnostics) => (main, local) switch
    {
        (YamlMapping m, YamlMapping l) => MergeMappings(m, l, diagnostics),
        (YamlSequence m, YamlSequence l) when IsNamedList(m) && IsNamedList(l) => MergeNamedLists(m, l, key, diagnostics),
        _ => local,
    };

    private static YamlMapping MergeMappings(YamlMapping main, YamlMapping local, ICollection<Diagnostic> diagnostics)
    {
        var entries = main.Entries.ToList();
        foreach (var entry in local.Entries)
        {
            var index = entries.FindIndex(e => e.Key.Value == entry.Key.Value);
            if (index < 0)
                entries.Add(entry);
            else
                entries[index] = entries[index] with { Value = Merge(entries[index].Value, entry.Value, entry.Key.Value, diagnostics) };
        }
        return main with { Entries = [.. entries] };
    }

    private static YamlSequence MergeNamedLists(YamlSequence main, YamlSequence local, string? key, ICollection<Diagnostic> diagnostics)
    {
        var items = main.Items.ToList();
        var what = key switch { "vms" => "VM", "networks" => "network", _ => "item" };
        foreach (var item in local.Items)
        {
            var name = NameOf(item);
            var (marked, added) = WithoutAddKey(item);
            var index = items.FindIndex(i => NameOf(i) == name);
            if (index >= 0)
                items[index] = Merge(items[index], added, key, diagnostics);
            else if (marked)
                items.Add(added);
            else
            {
                var span = item is YamlMapping map && map["name"] is { } nameNode ? nameNode.Span : item.Span;
                diagnostics.Add(DiagnosticBuilder.LocalItemNotInLabfile(span, what, name!, key ?? "list",
                    Suggest.Closest(name!, main.Items.Select(NameOf).OfType<string>())));
            }
        }
        return main with { Items = [.. items] };
    }

    /// <summary>The item without its <c>add</c> key, and whether that key said <c>true</c>.</summary>
    private static (bool Marked, YamlNode Item) WithoutAddKey(YamlNode item)
    {
        if (item is not YamlMapping map || map[AddKey] is not { } add) return (false, item);
        var marked = add is YamlScalar { Value: "true" or "True" or "TRUE" };
        return (marked, map with { Entries = [.. map.Entries.Where(e => e.Key.Value != AddKey)] });
    }

    private static bool IsNamedList(YamlSequence seq) => seq.Items.All(i => NameOf(i) is not null);

    private static string? NameOf(YamlNode node) =>
        node is YamlMapping map && map["name"] is YamlScalar { IsNull: false } name ? name.Value : null;
}
