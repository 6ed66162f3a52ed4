using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;

namespace LabRunner.Providers.Qemu.Network;

public sealed record NftTable(string Family, string Name, long Handle);

/// <summary>A chain; base chains have a type, hook, priority and policy.</summary>
public sealed record NftChain(string Family, string Table, string Name, long Handle, string? Type, string? Hook, int? Priority, string? Policy)
{
    public bool IsBaseChain => Hook is not null;
}

/// <summary>A rule, with its comment (where LabRunner's mark is) and the kinds of its statements in order (<c>match</c>, <c>counter</c>, <c>masquerade</c>, <c>dnat</c>, <c>drop</c>, …).</summary>
public sealed record NftRule(string Family, string Table, string Chain, long Handle, string? Comment, ImmutableArray<string> Statements)
{
    public OwnershipMark? Mark => OwnershipMark.TryParse(Comment);
}

/// <summary>The host's nftables ruleset as <c>nft -j list ruleset</c> prints it (tables, chains, rules; sets and maps are skipped).</summary>
public sealed record NftInventory(ImmutableArray<NftTable> Tables, ImmutableArray<NftChain> Chains, ImmutableArray<NftRule> Rules)
{
    /// <summary>
    /// Base chains outside LabRunner's table that drop forwarded packets by default (Docker sets the
    /// iptables FORWARD policy to DROP): a drop in any base chain is final, so LabRunner's accept cannot
    /// override it, and NAT networks would silently not forward. To report as a conflict before changing anything.
    /// </summary>
    public IEnumerable<NftChain> ForeignForwardDropChains() =>
        Chains.Where(c => c.Hook == "forward" && c.Policy == "drop" && !(c.Family == NftRuleset.TableFamily && c.Table == NftRuleset.TableName));

    /// <exception cref="FormatException">The text is not nft's JSON.</exception>
    public static NftInventory Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var tables = ImmutableArray.CreateBuilder<NftTable>();
        var chains = ImmutableArray.CreateBuilder<NftChain>();
        var rules = ImmutableArray.CreateBuilder<NftRule>();
        try
        {
            using var document = JsonDocument.Parse(json);
            if (!document.RootElement.TryGetProperty("nftables", out var items) || items.ValueKind != JsonValueKind.Array)
                throw new FormatException("nft -j printed no 'nftables' array.");
            foreach (var item in items.EnumerateArray())
            {
                if (item.TryGetProperty("table", out var t))
                    tables.Add(new NftTable(Required(t, "family"), Required(t, "name"), Handle(t)));
                else if (item.TryGetProperty("chain", out var c))
                    chains.Add(new NftChain(Required(c, "family"), Required(c, "table"), Required(c, "name"), Handle(c),
                        Optional(c, "type"), Optional(c, "hook"), Priority(c), Optional(c, "policy")));
                else if (item.TryGetProperty("rule", out var r))
                    rules.Add(new NftRule(Required(r, "family"), Required(r, "table"), Required(r, "chain"), Handle(r),
                        Optional(r, "comment"), StatementKinds(r)));
            }
        }
        catch (JsonException e)
        {
            throw new FormatException($"nft -j printed invalid JSON: {e.Message}", e);
        }
        return new NftInventory(tables.ToImmutable(), chains.ToImmutable(), rules.ToImmutable());
    }

    private static ImmutableArray<string> StatementKinds(JsonElement rule) =>
        rule.TryGetProperty("expr", out var expr) && expr.ValueKind == JsonValueKind.Array
            ? [.. expr.EnumerateArray().Select(s => s.ValueKind == JsonValueKind.Object ? s.EnumerateObject().FirstOrDefault().Name ?? "" : "")]
            : [];

    private static int? Priority(JsonElement chain)
    {
        if (!chain.TryGetProperty("prio", out var prio)) return null;
        if (prio.ValueKind == JsonValueKind.Number && prio.TryGetInt32(out var n)) return n;
        return prio.ValueKind == JsonValueKind.String && int.TryParse(prio.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? s : null;
    }

    private static long Handle(JsonElement element) =>
        element.TryGetProperty("handle", out var h) && h.TryGetInt64(out var n) ? n : 0;

    private static string Required(JsonElement element, string property) =>
        Optional(element, property) ?? throw new FormatException($"nft -j: an object without '{property}'.");

    private static string? Optional(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
