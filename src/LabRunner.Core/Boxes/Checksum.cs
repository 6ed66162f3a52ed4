using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;

namespace LabRunner.Core.Boxes;

/// <summary>
/// An expected digest of a download, written <c>ALGO:HEX</c> (<c>sha256:9f86…</c>), with the algorithms
/// Vagrant's catalogs use: md5, sha1, sha256, sha384, sha512.
/// </summary>
public sealed record Checksum(string Algorithm, string Hex)
{
    /// <summary>Each algorithm and the length of its digest in hex digits.</summary>
    public static readonly ImmutableDictionary<string, int> Algorithms = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["md5"] = 32,
        ["sha1"] = 40,
        ["sha256"] = 64,
        ["sha384"] = 96,
        ["sha512"] = 128,
    }.ToImmutableDictionary(StringComparer.Ordinal);

    public const string Syntax = "ALGO:HEX with ALGO one of md5, sha1, sha256, sha384, sha512 (e.g. sha256:9f86d0…)";

    public static bool TryParse(string? text, [NotNullWhen(true)] out Checksum? checksum, out string error)
    {
        checksum = null;
        error = "";
        var colon = text?.IndexOf(':', StringComparison.Ordinal) ?? -1;
        if (text is null || colon <= 0)
        {
            error = $"'{text}' is not a checksum; write " + Syntax;
            return false;
        }
        return TryCreate(text[..colon], text[(colon + 1)..], out checksum, out error);
    }

    /// <summary>From a catalog's separate <c>checksum_type</c> and <c>checksum</c>.</summary>
    public static bool TryCreate(string? algorithm, string? hex, [NotNullWhen(true)] out Checksum? checksum, out string error)
    {
        checksum = null;
        error = "";
        var algo = (algorithm ?? "").Trim().ToLowerInvariant();
        if (!Algorithms.TryGetValue(algo, out var length))
        {
            error = $"checksum algorithm '{algorithm}' is not one of md5, sha1, sha256, sha384, sha512";
            return false;
        }
        var digits = (hex ?? "").Trim().ToLowerInvariant();
        if (digits.Length != length || !digits.All(char.IsAsciiHexDigit))
        {
            error = $"a {algo} checksum is {length} hexadecimal digits, not '{hex}'";
            return false;
        }
        checksum = new Checksum(algo, digits);
        return true;
    }

    public static Checksum Parse(string text) =>
        TryParse(text, out var c, out var error) ? c : throw new FormatException(error);

    public override string ToString() => $"{Algorithm}:{Hex}";
}
