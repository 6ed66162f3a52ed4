using System.Globalization;
using LabRunner.Core.Diagnostics;
using LabRunner.Core.Net;

namespace LabRunner.Core.Labfile;

/// <summary>
/// Typed access to one YAML mapping. Reports unknown keys (with the closest valid key) when created,
/// and a diagnostic at the value's position for every value of the wrong type or form. A getter that
/// reports a problem returns null, so later checks do not pile more errors on the same mistake.
/// </summary>
internal sealed class MappingReader
{
    private readonly YamlMapping _map;
    private readonly string _where;
    private readonly ICollection<Diagnostic> _diagnostics;

    public MappingReader(YamlMapping map, string where, IReadOnlyCollection<string> keys, ICollection<Diagnostic> diagnostics)
    {
        _map = map;
        _where = where;
        _diagnostics = diagnostics;
        foreach (var entry in map.Entries)
            if (!keys.Contains(entry.Key.Value))
                diagnostics.Add(DiagnosticBuilder.UnknownKey(entry.Key.Span, entry.Key.Value, where, Suggest.Closest(entry.Key.Value, keys)));
    }

    public SourceSpan Span => _map.Span;

    public bool Has(string key) => Node(key) is not null;

    /// <summary>The value node, or null when the key is absent or its value is YAML null.</summary>
    public YamlNode? Node(string key) => _map[key] is { } n && !(n is YamlScalar { IsNull: true }) ? n : null;

    public SourceSpan? SpanOf(string key) => Node(key)?.Span;

    public SourceSpan KeySpanOrMap(string key) =>
        _map.Entries.FirstOrDefault(e => e.Key.Value == key)?.Key.Span ?? _map.Span;

    public YamlScalar? Scalar(string key, string expected, bool required = false)
    {
        var node = Node(key);
        if (node is null)
        {
            if (required) _diagnostics.Add(DiagnosticBuilder.MissingKey(KeySpanOrMap(key), key, _where));
            return null;
        }
        if (node is YamlScalar s) return s;
        _diagnostics.Add(DiagnosticBuilder.WrongType(node.Span, $"'{key}'", expected, node.Kind));
        return null;
    }

    public string? String(string key, bool required = false) => Scalar(key, "text", required)?.Value;

    public long? Integer(string key, string what, long min, long max)
    {
        var s = Scalar(key, "a whole number");
        if (s is null) return null;
        if (!long.TryParse(s.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            _diagnostics.Add(DiagnosticBuilder.NumberOutOfRange(s.Span, what, s.Value, min, max));
            return null;
        }
        return value;
    }

    public bool? Boolean(string key)
    {
        var s = Scalar(key, "true or false");
        if (s is null) return null;
        switch (s.Value.ToLowerInvariant())
        {
            case "true" or "yes" or "on": return true;
            case "false" or "no" or "off": return false;
            default:
                _diagnostics.Add(DiagnosticBuilder.WrongType(s.Span, $"'{key}'", "true or false", $"'{DiagnosticBuilder.Printable(s.Value)}'"));
                return null;
        }
    }

    public T? Choice<T>(string key, string what, bool required = false) where T : struct, Enum
    {
        var s = Scalar(key, "text", required);
        if (s is null) return null;
        if (TryChoice<T>(s.Value, out var value)) return value;
        _diagnostics.Add(DiagnosticBuilder.InvalidChoice(s.Span, what, DiagnosticBuilder.Printable(s.Value), ChoicesOf<T>()));
        return null;
    }

    public long? Size(string key, string what, long min, long max, long multipleOf)
    {
        var s = Scalar(key, "a size such as 2GB");
        if (s is null) return null;
        if (!ByteSize.TryParse(s.Value, out var bytes))
        {
            _diagnostics.Add(DiagnosticBuilder.InvalidSize(s.Span, s.Value));
            return null;
        }
        if (bytes < min || bytes > max)
        {
            _diagnostics.Add(DiagnosticBuilder.SizeOutOfRange(s.Span, what, s.Value,
                $"Hyper-V accepts {ByteSize.Format(min)} to {ByteSize.Format(max)}"));
            return null;
        }
        if (bytes % multipleOf != 0)
        {
            _diagnostics.Add(DiagnosticBuilder.SizeOutOfRange(s.Span, what, s.Value,
                $"Hyper-V needs a multiple of {ByteSize.Format(multipleOf)}"));
            return null;
        }
        return bytes;
    }

    public Ipv4Address? Ip(string key)
    {
        var s = Scalar(key, "an IPv4 address");
        if (s is null) return null;
        if (Ipv4Address.TryParse(s.Value, out var ip)) return ip;
        _diagnostics.Add(DiagnosticBuilder.InvalidIp(s.Span, s.Value));
        return null;
    }

    public Ipv4Subnet? Subnet(string key)
    {
        var s = Scalar(key, "a subnet such as 10.10.0.0/24");
        if (s is null) return null;
        if (!Ipv4Subnet.TryParse(s.Value, out var subnet, out var hostBits))
        {
            _diagnostics.Add(DiagnosticBuilder.InvalidCidr(s.Span, s.Value));
            return null;
        }
        if (hostBits) _diagnostics.Add(DiagnosticBuilder.SubnetHostBits(s.Span, s.Value, subnet.ToString()));
        return subnet;
    }

    public IReadOnlyList<YamlNode> List(string key, string expected)
    {
        var node = Node(key);
        switch (node)
        {
            case null: return [];
            case YamlSequence seq: return seq.Items;
            default:
                _diagnostics.Add(DiagnosticBuilder.WrongType(node.Span, $"'{key}'", expected, node.Kind));
                return [];
        }
    }

    public YamlMapping? Mapping(string key, string expected)
    {
        var node = Node(key);
        switch (node)
        {
            case null: return null;
            case YamlMapping map: return map;
            default:
                _diagnostics.Add(DiagnosticBuilder.WrongType(node.Span, $"'{key}'", expected, node.Kind));
                return null;
        }
    }

    /// <summary>
    /// Exactly one of the enum's names, ignoring case. Not <see cref="Enum.TryParse{TEnum}(string, bool, out TEnum)"/>:
    /// it trims spaces, reads numbers and ORs comma lists ("bridged, nat" is Bridged|Nat, which is Isolated).
    /// </summary>
    public static bool TryChoice<T>(string text, out T value) where T : struct, Enum
    {
        var name = Enum.GetNames<T>().FirstOrDefault(n => string.Equals(n, text, StringComparison.OrdinalIgnoreCase));
        value = name is null ? default : Enum.Parse<T>(name);
        return name is not null;
    }

    public static IEnumerable<string> ChoicesOf<T>() where T : struct, Enum =>
        Enum.GetNames<T>().Select(n => n.ToLowerInvariant());
}
