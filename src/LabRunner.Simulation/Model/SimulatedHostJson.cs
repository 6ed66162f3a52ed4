using System.Text.Json;
using System.Text.Json.Serialization;
using LabRunner.Core.Hosting;
using LabRunner.Core.Net;

namespace LabRunner.Simulation.Model;

/// <summary>
/// Source-generated JSON for the host file: the CLI is compiled with native AOT, where reflection
/// serialization is unavailable. Addresses are written the way people write them
/// (<c>"192.168.1.50/24"</c>, <c>"10.188.0.0/16"</c>, <c>"02-1A-2B-3C-4D-5E"</c>) so the file stays
/// easy to edit by hand.
/// </summary>
[JsonSourceGenerationOptions(
    WriteIndented = true,
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    // A list or name that is null ("vms": null) is a damaged file, refused as one, not a crash later.
    RespectNullableAnnotations = true,
    Converters = [typeof(Ipv4AddressJsonConverter), typeof(Ipv4SubnetJsonConverter), typeof(HostIpJsonConverter), typeof(MacAddressJsonConverter)])]
[JsonSerializable(typeof(SimulatedHostState))]
internal sealed partial class SimulatedHostJsonContext : JsonSerializerContext;

internal static class SimulatedHostJson
{
    public static string Serialize(SimulatedHostState state) =>
        JsonSerializer.Serialize(state, SimulatedHostJsonContext.Default.SimulatedHostState);

    /// <exception cref="JsonException">The text is not a host file.</exception>
    public static SimulatedHostState Deserialize(string json)
    {
        var state = JsonSerializer.Deserialize(json, SimulatedHostJsonContext.Default.SimulatedHostState)
            ?? throw new HostValueException("The file holds 'null' instead of a host.");
        RequireEntries(state);
        return state;
    }

    /// <summary>Nullable annotations do not reach a list's items: a null entry (<c>"vms": [null]</c>) is refused here.</summary>
    private static void RequireEntries(SimulatedHostState state)
    {
        RequireEntries(state.NetAdapters, "netAdapters");
        foreach (var adapter in state.NetAdapters) RequireEntries(adapter.Addresses, "addresses");
        RequireEntries(state.Switches, "switches");
        RequireEntries(state.Nats, "nats");
        RequireEntries(state.StaticMappings, "staticMappings");
        RequireEntries(state.Vhds, "vhds");
        RequireEntries(state.Vms, "vms");
        RequireShareEntries(state);
        foreach (var vm in state.Vms)
        {
            RequireEntries(vm.NetworkAdapters, "networkAdapters");
            RequireEntries(vm.HardDisks, "hardDisks");
            RequireEntries(vm.DvdDrives, "dvdDrives");
            RequireEntries(vm.Checkpoints, "checkpoints");
            foreach (var checkpoint in vm.Checkpoints)
            {
                RequireEntries(checkpoint.NetworkAdapters, "networkAdapters");
                RequireEntries(checkpoint.HardDisks, "hardDisks");
                RequireEntries(checkpoint.DvdDrives, "dvdDrives");
            }
        }
    }

    private static void RequireShareEntries(SimulatedHostState state)
    {
        RequireEntries(state.LocalUsers, "localUsers");
        RequireEntries(state.SmbShares, "smbShares");
        RequireEntries(state.FirewallRules, "firewallRules");
        RequireEntries(state.FolderAccess, "folderAccess");
    }

    private static void RequireEntries<T>(List<T> items, string name)
    {
        if (items.Any(i => i is null))
            throw new HostValueException($"'{name}' holds null where an entry belongs.");
    }

    public static SimulatedHostState Clone(SimulatedHostState state) => Deserialize(Serialize(state));
}

internal sealed class Ipv4AddressJsonConverter : JsonConverter<Ipv4Address>
{
    public override Ipv4Address Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString();
        return Ipv4Address.TryParse(text, out var address) ? address : throw new HostValueException($"'{text}' is not an IPv4 address.");
    }

    public override void Write(Utf8JsonWriter writer, Ipv4Address value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
}

internal sealed class Ipv4SubnetJsonConverter : JsonConverter<Ipv4Subnet>
{
    public override Ipv4Subnet Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString();
        return Ipv4Subnet.TryParse(text, out var subnet, out _) ? subnet : throw new HostValueException($"'{text}' is not an IPv4 prefix such as 10.188.0.0/16.");
    }

    public override void Write(Utf8JsonWriter writer, Ipv4Subnet value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
}

/// <summary>An interface address with its prefix length, written <c>192.168.1.50/24</c> (host bits kept).</summary>
internal sealed class HostIpJsonConverter : JsonConverter<HostIp>
{
    public override HostIp Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString();
        var slash = text?.IndexOf('/', StringComparison.Ordinal) ?? -1;
        if (slash > 0
            && Ipv4Address.TryParse(text![..slash], out var address)
            && int.TryParse(text[(slash + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var length)
            && length is >= 1 and <= 32)
            return new HostIp(address, length);
        throw new HostValueException($"'{text}' is not an interface address such as 192.168.1.50/24.");
    }

    public override void Write(Utf8JsonWriter writer, HostIp value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
}

internal sealed class MacAddressJsonConverter : JsonConverter<MacAddress>
{
    public override MacAddress Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString();
        return MacAddress.TryParse(text, out var mac) ? mac : throw new HostValueException($"'{text}' is not a MAC address.");
    }

    public override void Write(Utf8JsonWriter writer, MacAddress value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
}

/// <summary>A value in the host file that LabRunner's own converters refuse; its message is LabRunner's, so it may be shown.</summary>
internal sealed class HostValueException(string message) : JsonException(message);
