using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace LabRunner.Providers.Qemu.Network;

/// <summary>
/// Reads iproute2's JSON output: <c>ip -d -j addr show</c> gives every interface with its kind, master,
/// alias, MAC and addresses in one process; <c>ip -d -j link show</c> and <c>ip -j addr show</c> give parts of it
/// and parse the same way. Never text scraping: the JSON keys are iproute2's stable output.
/// </summary>
public static class IpJsonParser
{
    /// <summary>Parses the JSON array iproute2 prints; IPv4 addresses only (LabRunner's networks are IPv4).</summary>
    /// <exception cref="FormatException">The text is not iproute2's JSON.</exception>
    public static ImmutableArray<HostInterface> ParseInterfaces(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using var document = JsonDocument.Parse(string.IsNullOrWhiteSpace(json) ? "[]" : json);
            if (document.RootElement.ValueKind != JsonValueKind.Array) throw new FormatException("ip -j printed something other than a JSON array.");
            return [.. document.RootElement.EnumerateArray().Select(ParseInterface)];
        }
        catch (JsonException e)
        {
            throw new FormatException($"ip -j printed invalid JSON: {e.Message}", e);
        }
    }

    private static HostInterface ParseInterface(JsonElement link)
    {
        var name = String(link, "ifname") ?? throw new FormatException("An interface without 'ifname'.");
        string? infoKind = null, tunType = null;
        if (link.TryGetProperty("linkinfo", out var info))
        {
            infoKind = String(info, "info_kind");
            if (info.TryGetProperty("info_data", out var data) && data.ValueKind == JsonValueKind.Object)
                tunType = String(data, "type");
        }
        var flags = link.TryGetProperty("flags", out var f) && f.ValueKind == JsonValueKind.Array
            ? f.EnumerateArray().Select(x => x.GetString()).ToHashSet(StringComparer.Ordinal)
            : [];
        var addresses = link.TryGetProperty("addr_info", out var addrInfo) && addrInfo.ValueKind == JsonValueKind.Array
            ? [.. addrInfo.EnumerateArray().Select(ParseAddress).OfType<HostAddress>()]
            : ImmutableArray<HostAddress>.Empty;

        return new HostInterface(
            link.TryGetProperty("ifindex", out var index) ? index.GetInt32() : 0,
            name,
            KindOf(infoKind, tunType),
            infoKind,
            String(link, "master"),
            String(link, "ifalias"),
            String(link, "address"),
            flags.Contains("UP"),
            String(link, "operstate") ?? "UNKNOWN",
            addresses);
    }

    private static HostAddress? ParseAddress(JsonElement address)
    {
        if (String(address, "family") != "inet") return null;
        var local = String(address, "local");
        if (local is null || !IPAddress.TryParse(local, out var ip) || ip.AddressFamily != AddressFamily.InterNetwork) return null;
        return new HostAddress(ip, address.TryGetProperty("prefixlen", out var p) ? p.GetInt32() : 32);
    }

    private static HostInterfaceKind KindOf(string? infoKind, string? tunType) => infoKind switch
    {
        null => HostInterfaceKind.Device,
        "bridge" => HostInterfaceKind.Bridge,
        "tun" => tunType == "tap" ? HostInterfaceKind.Tap : HostInterfaceKind.Tun,
        "macvtap" => HostInterfaceKind.Macvtap,
        "macvlan" => HostInterfaceKind.Macvlan,
        "veth" => HostInterfaceKind.Veth,
        _ => HostInterfaceKind.Other,
    };

    private static string? String(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
