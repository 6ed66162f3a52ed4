using System.Text.Json;
using System.Text.Json.Serialization;
using LabRunner.Core.Boxes;
using LabRunner.Core.Diagnostics;

namespace LabRunner.Boxes;

/// <summary>
/// <c>box.json</c>, beside the disk of one installed box: what it is, where it came from and how it boots.
/// Written last, inside the staging folder, so a box folder in the store always has a complete one.
/// </summary>
public sealed record BoxManifest
{
    public required string Name { get; init; }

    public required string Version { get; init; }

    /// <summary>The LabRunner provider it was installed for (<c>hyperv</c>, <c>qemu</c>).</summary>
    public required string Provider { get; init; }

    /// <summary><c>vhdx</c>, <c>vhd</c>, <c>qcow2</c> or <c>raw</c>, as the disk's bytes say.</summary>
    public required string Format { get; init; }

    /// <summary>The disk's file name in the box folder.</summary>
    public required string Disk { get; init; }

    /// <summary>The disk file's size in bytes.</summary>
    public long Size { get; init; }

    /// <summary>The size the guest sees, when known (<c>qemu-img info</c>).</summary>
    public long? VirtualSize { get; init; }

    /// <summary><c>amd64</c>, <c>arm64</c>… from <c>metadata.json</c> or the catalog; null when not said.</summary>
    public string? Architecture { get; init; }

    /// <summary><c>uefi</c> or <c>bios</c> when the box says (a LabRunner key in <c>metadata.json</c>); null otherwise.</summary>
    public string? Firmware { get; init; }

    public bool? SecureBoot { get; init; }

    /// <summary>The Vagrant provider of the <c>.box</c> it came from (<c>hyperv</c>, <c>libvirt</c>); null for a bare disk.</summary>
    public string? VagrantProvider { get; init; }

    /// <summary>The URL or path it was added from.</summary>
    public required string Source { get; init; }

    /// <summary>The verified checksum of the download, <c>ALGO:HEX</c>; null when none was given.</summary>
    public string? Checksum { get; init; }

    /// <summary>The catalog it was chosen from; <c>outdated</c> and <c>update</c> ask it for newer versions.</summary>
    public string? Catalog { get; init; }

    /// <summary>The format it was converted from at add time; null when it was stored as downloaded.</summary>
    public string? ConvertedFrom { get; init; }

    public DateTimeOffset Added { get; init; }
}

/// <summary>The store's record of which labs use which boxes (<c>uses.json</c>).</summary>
public sealed record BoxUsesFile
{
    public List<LabBoxUses> Labs { get; init; } = [];
}

/// <summary>The boxes one lab (a project folder) uses.</summary>
public sealed record LabBoxUses
{
    public required string Project { get; init; }

    public required string Lab { get; init; }

    public List<BoxUse> Boxes { get; init; } = [];
}

/// <summary>One box version a lab uses.</summary>
public sealed record BoxUse(string Name, [property: JsonConverter(typeof(BoxVersionJsonConverter))] BoxVersion Version, string Provider);

/// <summary>A box version in a store file, as its text; one that is not a version makes the file unreadable (never "no version").</summary>
internal sealed class BoxVersionJsonConverter : JsonConverter<BoxVersion>
{
    public override BoxVersion Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String && BoxVersion.TryParse(reader.GetString(), out var version)
            ? version
            : throw new JsonException($"a box version must be a string such as \"1.2.3\", not {OutsideText.Escape(reader.TokenType == JsonTokenType.String ? $"'{reader.GetString()}'" : reader.TokenType.ToString())}");

    public override void Write(Utf8JsonWriter writer, BoxVersion value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        writer.WriteStringValue(value.Text);
    }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(BoxManifest))]
[JsonSerializable(typeof(BoxUsesFile))]
internal sealed partial class BoxJsonContext : JsonSerializerContext;
