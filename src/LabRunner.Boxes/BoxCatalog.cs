using System.Collections.Immutable;
using System.Runtime.InteropServices;
using System.Text.Json;
using LabRunner.Core.Boxes;
using LabRunner.Core.Diagnostics;

namespace LabRunner.Boxes;

/// <summary>One downloadable file of a catalog version: a <c>.box</c> for one Vagrant provider and architecture.</summary>
public sealed record CatalogProvider(string Name, Uri Url, Checksum? Checksum, string? Architecture, bool DefaultArchitecture);

public sealed record CatalogVersion(BoxVersion Version, ImmutableArray<CatalogProvider> Providers);

/// <summary>
/// Vagrant's box catalog (what <c>vagrant box add URL</c> reads): <c>name</c>, <c>description</c>,
/// <c>versions[].version</c>, <c>versions[].providers[]</c> with <c>name</c>, <c>url</c>,
/// <c>checksum_type</c>, <c>checksum</c>, <c>architecture</c> and <c>default_architecture</c>.
/// Unknown keys are ignored, as Vagrant does.
/// </summary>
public sealed record BoxCatalog(string? Name, string? Description, ImmutableArray<CatalogVersion> Versions)
{
    /// <summary>A catalog is a small JSON document; anything bigger is not one.</summary>
    public const int MaxLength = 16 << 20;

    /// <summary>Parses a catalog; relative provider URLs resolve against <paramref name="baseUri"/>.</summary>
    /// <exception cref="BoxException">Not a catalog, or a version/checksum/URL in it is malformed.</exception>
    public static BoxCatalog Parse(ReadOnlySpan<byte> utf8, Uri? baseUri, string where)
    {
        // A UTF-8 byte order mark, as some editors write (Labfiles with one are read too).
        if (utf8 is [0xEF, 0xBB, 0xBF, ..]) utf8 = utf8[3..];
        try
        {
            using var doc = JsonDocument.Parse(utf8.ToArray(), new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("versions", out var versions) || versions.ValueKind != JsonValueKind.Array)
                throw Bad(where, "it has no 'versions' list");
            var list = ImmutableArray.CreateBuilder<CatalogVersion>();
            foreach (var v in versions.EnumerateArray())
            {
                if (v.ValueKind != JsonValueKind.Object)
                    throw Bad(where, $"an entry of 'versions' is {Kind(v)}, not a mapping with 'version' and 'providers'");
                var text = String(v, "version");
                if (!BoxVersion.TryParse(text, out var version))
                    throw Bad(where, $"version '{OutsideText.Escape(text)}' is not a version such as 1.2.3");
                var providers = ImmutableArray.CreateBuilder<CatalogProvider>();
                if (v.TryGetProperty("providers", out var ps) && ps.ValueKind == JsonValueKind.Array)
                {
                    foreach (var p in ps.EnumerateArray())
                    {
                        if (p.ValueKind != JsonValueKind.Object)
                            throw Bad(where, $"a provider of version {text} is {Kind(p)}, not a mapping with 'name' and 'url'");
                        var name = String(p, "name") ?? throw Bad(where, $"a provider of version {text} has no 'name'");
                        var url = String(p, "url") ?? throw Bad(where, $"provider '{OutsideText.Escape(name)}' of version {text} has no 'url'");
                        if (!TryResolve(baseUri, url, out var uri))
                            throw Bad(where, $"provider '{OutsideText.Escape(name)}' of version {text} has a malformed url '{OutsideText.Escape(url)}'");
                        Checksum? checksum = null;
                        var type = String(p, "checksum_type");
                        var sum = String(p, "checksum");
                        if (!string.IsNullOrEmpty(type) || !string.IsNullOrEmpty(sum))
                        {
                            if (!Checksum.TryCreate(type, sum, out checksum, out var error))
                                throw Bad(where, $"provider '{OutsideText.Escape(name)}' of version {text}: {OutsideText.Escape(error)}");
                        }
                        var isDefault = p.TryGetProperty("default_architecture", out var d) && d.ValueKind == JsonValueKind.True;
                        providers.Add(new CatalogProvider(name, uri, checksum, String(p, "architecture"), isDefault));
                    }
                }
                list.Add(new CatalogVersion(version, providers.ToImmutable()));
            }
            return new BoxCatalog(String(root, "name"), String(root, "description"), list.ToImmutable());
        }
        catch (JsonException e)
        {
            throw Bad(where, $"it is not valid JSON ({OutsideText.Escape(e.Message)})");
        }
    }

    /// <summary>This machine's architecture as Vagrant names it.</summary>
    public static string HostArchitecture => RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => "amd64",
        Architecture.Arm64 => "arm64",
        Architecture.X86 => "i386",
        var other => other.ToString().ToLowerInvariant(),
    };

    /// <summary>
    /// The newest version that satisfies <paramref name="constraint"/> and has a file for one of
    /// <paramref name="providers"/> (in order of preference) and <paramref name="architecture"/>
    /// (a provider without one, or marked default, fits any); null when none does.
    /// </summary>
    public (CatalogVersion Version, CatalogProvider Provider)? Pick(VersionConstraint constraint, IReadOnlyList<string> providers, string architecture)
    {
        foreach (var version in Versions.Where(v => constraint.Admits(v.Version)).OrderByDescending(v => v.Version))
        {
            foreach (var name in providers)
            {
                var fits = version.Providers.Where(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)).ToList();
                var match = fits.FirstOrDefault(p => string.Equals(p.Architecture, architecture, StringComparison.OrdinalIgnoreCase))
                    ?? fits.FirstOrDefault(p => p.Architecture is null or "unknown");
                if (match is not null) return (version, match);
            }
        }
        return null;
    }

    /// <summary>
    /// A provider's URL: relative to the catalog's own URL or path (<paramref name="baseUri"/>), or absolute.
    /// A URL that names no host (<c>http:x.box</c>) is refused rather than guessed at.
    /// </summary>
    private static bool TryResolve(Uri? baseUri, string url, out Uri uri)
    {
        uri = null!;
        if (url.Length == 0 || url.Any(char.IsControl)) return false;
        Uri? resolved = null;
        var ok = baseUri is not null ? Uri.TryCreate(baseUri, url, out resolved) : Uri.TryCreate(url, UriKind.Absolute, out resolved);
        if (!ok || resolved is null || !resolved.IsAbsoluteUri) return false;
        if (!resolved.IsFile && resolved.Host.Length == 0) return false;
        uri = resolved;
        return true;
    }

    private static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Null => "null",
        JsonValueKind.Array => "a list",
        JsonValueKind.String => "text",
        JsonValueKind.Number => "a number",
        _ => "true or false",
    };

    private static string? String(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) ? v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Number => v.GetRawText(),
            _ => null,
        } : null;

    private static BoxException Bad(string where, string why) => new(BoxErrorKind.Source, $"{where} is not a usable Vagrant box catalog: {why}.");
}
