using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace LabRunner.Providers.Qemu.Network;

/// <summary>
/// Reads LabRunner's own table back from <c>nft -j list ruleset</c> into the <see cref="NftRulesetSpec"/> that
/// rendered it, so a change to one lab's rules re-renders everyone else's exactly as they were. Only rules
/// with LabRunner's mark in <c>table inet labrunner</c> are read, and only in the shapes
/// <see cref="NftRuleset.Render"/> writes (the expressions of nft's JSON, never its text); anything else
/// there is ignored — and disappears at the next replacement, since the table is LabRunner's alone.
/// </summary>
public static class NftRulesetReader
{
    /// <exception cref="FormatException">The text is not nft's JSON.</exception>
    public static NftRulesetSpec Read(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var masquerades = ImmutableArray.CreateBuilder<NftMasquerade>();
        var forwards = ImmutableArray.CreateBuilder<NftPortForward>();
        var noForwards = ImmutableArray.CreateBuilder<NftNoForward>();
        try
        {
            using var document = JsonDocument.Parse(string.IsNullOrWhiteSpace(json) ? """{"nftables":[]}""" : json);
            if (!document.RootElement.TryGetProperty("nftables", out var items) || items.ValueKind != JsonValueKind.Array)
                throw new FormatException("nft -j printed no 'nftables' array.");
            foreach (var item in items.EnumerateArray())
            {
                if (!item.TryGetProperty("rule", out var rule)) continue;
                if (Text(rule, "family") != NftRuleset.TableFamily || Text(rule, "table") != NftRuleset.TableName) continue;
                if (OwnershipMark.TryParse(Text(rule, "comment")) is not { } mark) continue;
                if (!rule.TryGetProperty("expr", out var expr) || expr.ValueKind != JsonValueKind.Array) continue;
                var statements = expr.EnumerateArray().Where(s => s.ValueKind == JsonValueKind.Object).ToList();
                switch (Text(rule, "chain"))
                {
                    case "postrouting" when ReadMasquerade(statements, mark) is { } m:
                        masquerades.Add(m);
                        break;
                    case "prerouting" when ReadForward(statements, mark) is { } f:
                        forwards.Add(f);
                        break;
                    case "forward" when ReadNoForward(statements, mark) is { } n && !noForwards.Contains(n):
                        noForwards.Add(n);
                        break;
                    default:
                        break;
                }
            }
        }
        catch (JsonException e)
        {
            throw new FormatException($"nft -j printed invalid JSON: {e.Message}", e);
        }
        return new NftRulesetSpec(masquerades.ToImmutable(), forwards.ToImmutable(), noForwards.ToImmutable());
    }

    private static NftMasquerade? ReadMasquerade(List<JsonElement> statements, OwnershipMark mark)
    {
        if (!statements.Any(s => s.TryGetProperty("masquerade", out _))) return null;
        var saddr = Matches(statements).FirstOrDefault(m => m.Op == "==" && m.Left == "ip saddr");
        return saddr.Right is { } right && Prefix(right) is { } subnet
            ? new NftMasquerade(mark.Lab, subnet) { Project = mark.Project, Nat = mark.Nat }
            : null;
    }

    private static NftPortForward? ReadForward(List<JsonElement> statements, OwnershipMark mark)
    {
        var dnat = statements.Select(s => s.TryGetProperty("dnat", out var d) ? d : (JsonElement?)null).FirstOrDefault(d => d is not null);
        if (dnat is not { } target || Address(Text(target, "addr")) is not { } guest || !TryPort(target, "port", out var guestPort)) return null;
        var matches = Matches(statements).ToList();
        NftProtocol? protocol = null;
        var hostPort = 0;
        foreach (var (op, left, right) in matches)
        {
            if (op != "==" || right is not { } value) continue;
            if (left is "tcp dport" or "udp dport" && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var port))
            {
                protocol = left == "tcp dport" ? NftProtocol.Tcp : NftProtocol.Udp;
                hostPort = port;
            }
        }
        if (protocol is null) return null;
        var daddr = matches.FirstOrDefault(m => m.Op == "==" && m.Left == "ip daddr").Right;
        var hostAddress = daddr is { ValueKind: JsonValueKind.String } d2 ? Address(d2.GetString()) : null;
        return new NftPortForward(mark.Lab, protocol.Value, hostAddress, hostPort, guest, guestPort) { Project = mark.Project, Nat = mark.Nat };
    }

    private static NftNoForward? ReadNoForward(List<JsonElement> statements, OwnershipMark mark)
    {
        if (!statements.Any(s => s.TryGetProperty("drop", out _))) return null;
        var bridge = Matches(statements).FirstOrDefault(m => m.Op == "==" && m.Left is "meta iifname" or "meta oifname").Right;
        return bridge is { ValueKind: JsonValueKind.String } b && InterfaceNames.IsValid(b.GetString())
            ? new NftNoForward(mark.Lab, b.GetString()!) { Project = mark.Project }
            : null;
    }

    /// <summary>Each <c>match</c> statement as (op, left as "PROTOCOL FIELD" or "meta KEY", right).</summary>
    private static IEnumerable<(string? Op, string? Left, JsonElement? Right)> Matches(List<JsonElement> statements)
    {
        foreach (var statement in statements)
        {
            if (!statement.TryGetProperty("match", out var match)) continue;
            string? left = null;
            if (match.TryGetProperty("left", out var l) && l.ValueKind == JsonValueKind.Object)
            {
                if (l.TryGetProperty("payload", out var payload)) left = $"{Text(payload, "protocol")} {Text(payload, "field")}";
                else if (l.TryGetProperty("meta", out var meta)) left = $"meta {Text(meta, "key")}";
            }
            yield return (Text(match, "op"), left, match.TryGetProperty("right", out var r) ? r : null);
        }
    }

    private static IPNetwork? Prefix(JsonElement right)
    {
        if (right.ValueKind != JsonValueKind.Object || !right.TryGetProperty("prefix", out var prefix)) return null;
        if (Address(Text(prefix, "addr")) is not { } address || !prefix.TryGetProperty("len", out var len) || !len.TryGetInt32(out var length)) return null;
        return IPNetwork.TryParse(string.Create(CultureInfo.InvariantCulture, $"{address}/{length}"), out var network) ? network : null;
    }

    private static IPAddress? Address(string? text) =>
        text is not null && IPAddress.TryParse(text, out var ip) && ip.AddressFamily == AddressFamily.InterNetwork ? ip : null;

    private static bool TryPort(JsonElement element, string property, out int port)
    {
        port = 0;
        return element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out port);
    }

    private static string? Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
