using System.Text.Json.Nodes;

namespace LabRunner.RealGuests.Tests.Support;

/// <summary>
/// What the lab host's namespace holds besides LabRunner's objects, in a form that compares byte for byte:
/// <c>ip -d -j link</c> (without the bridge timers, which tick on their own) and <c>nft -j list ruleset</c>
/// without the objects of table labrunner.
/// </summary>
public sealed record HostSnapshot(string Links, string Ruleset, JsonArray LabRunnerNft)
{
    public static async Task<HostSnapshot> TakeAsync(Netns host)
    {
        var links = JsonNode.Parse((await Proc.CheckedAsync("ip", ["-n", host.Name, "-d", "-j", "link", "show"])).Stdout)!;
        StripTimers(links);
        var ruleset = JsonNode.Parse((await host.CheckedAsync("nft", "-j", "list", "ruleset")).Stdout)!;
        var items = ruleset["nftables"]!.AsArray();
        var ours = new JsonArray();
        foreach (var item in items.ToList())
        {
            var inner = item!.AsObject().First().Value;
            var isOurs = item.AsObject().ContainsKey("table")
                ? (string?)inner!["name"] == "labrunner"
                : (string?)inner?["table"] == "labrunner";
            if (!isOurs) continue;
            items.Remove(item);
            ours.Add(item);
        }
        return new HostSnapshot(links.ToJsonString(), ruleset.ToJsonString(), ours);
    }

    /// <summary>The names of the links that are not in <paramref name="before"/>.</summary>
    public IReadOnlyList<string> LinksAddedSince(HostSnapshot before)
    {
        var old = Names(before.Links).ToHashSet(StringComparer.Ordinal);
        return [.. Names(Links).Where(n => !old.Contains(n))];
    }

    private static IEnumerable<string> Names(string links) =>
        JsonNode.Parse(links)!.AsArray().Select(l => (string?)l!["ifname"] ?? "?");

    private static void StripTimers(JsonNode node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var key in o.Select(p => p.Key).Where(k => k.EndsWith("_timer", StringComparison.Ordinal)).ToList()) o.Remove(key);
                foreach (var (_, v) in o) if (v is not null) StripTimers(v);
                break;
            case JsonArray a:
                foreach (var v in a) if (v is not null) StripTimers(v);
                break;
        }
    }
}
