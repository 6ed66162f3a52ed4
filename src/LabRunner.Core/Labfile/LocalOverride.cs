using System.Collections.Immutable;

namespace LabRunner.Core.Labfile;

/// <summary>
/// Merges <c>Labfile.local.yml</c> over <c>Labfile.yml</c>: mappings merge key by key, lists of
/// named items (networks, VMs) merge item by item on <c>name</c> (new names are appended), and
/// anything else in the local file replaces what it overrides. Every node keeps the file and
/// position it came from, so diagnostics point into whichever file holds the value.
/// </summary>
public static class LocalOverride
{
    public static YamlNode Merge(YamlNode main, YamlNode local) => (main, local) switch
    {
        (YamlMapping m, YamlMapping l) => MergeMappings(m, l),
        (YamlSequence m, YamlSequence l) when IsNamedList(m) && IsNamedList(l) => MergeNamedLists(m, l),
        _ => local,
    };

    private static YamlMapping MergeMappings(YamlMapping main, YamlMapping local)
    {
        var entries = main.Entries.ToList();
        foreach (var entry in local.Entries)
        {
            var index = entries.FindIndex(e => e.Key.Value == entry.Key.Value);
            if (index < 0)
                entries.Add(entry);
            else
                entries[index] = entries[index] with { Value = Merge(entries[index].Value, entry.Value) };
        }
        return main with { Entries = [.. entries] };
    }

    private static YamlSequence MergeNamedLists(YamlSequence main, YamlSequence local)
    {
        var items = main.Items.ToList();
        foreach (var item in local.Items)
        {
            var name = NameOf(item);
            var index = items.FindIndex(i => NameOf(i) == name);
            if (index < 0)
                items.Add(item);
            else
                items[index] = Merge(items[index], item);
        }
        return main with { Items = [.. items] };
    }

    private static bool IsNamedList(YamlSequence seq) => seq.Items.All(i => NameOf(i) is not null);

    private static string? NameOf(YamlNode node) =>
        node is YamlMapping map && map["name"] is YamlScalar { IsNull: false } name ? name.Value : null;
}
