using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using LabRunner.Core.Labfile;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace LabRunner.Guest.Templates;

/// <summary>
/// Writes YAML that cloud-init reads back exactly as data. cloud-init parses with PyYAML, a YAML 1.1
/// reader: unquoted text can turn into booleans (<c>on</c>, <c>no</c>), base-60 numbers
/// (<c>52:54:00:12:34:56</c>) or YAML syntax (<c>#</c>, <c>: </c>, newlines). So every string is
/// written double-quoted with escapes, and only scalars the user wrote unquoted that YAML 1.1 reads
/// as a boolean, number or null stay unquoted — they mean what they would mean in a cloud-config.
/// </summary>
internal static partial class YamlText
{
    /// <summary>A double-quoted YAML scalar that reads back as exactly <paramref name="value"/>.</summary>
    public static string DoubleQuoted(string value)
    {
        var sb = new StringBuilder(value.Length + 2);
        sb.Append('"');
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\0': sb.Append("\\0"); break;
                case '\a': sb.Append("\\a"); break;
                case '\b': sb.Append("\\b"); break;
                case '\t': sb.Append("\\t"); break;
                case '\n': sb.Append("\\n"); break;
                case '\v': sb.Append("\\v"); break;
                case '\f': sb.Append("\\f"); break;
                case '\r': sb.Append("\\r"); break;
                case '\u001B': sb.Append("\\e"); break;
                case '\u0085': sb.Append("\\N"); break;
                case '\u2028': sb.Append("\\L"); break;
                case '\u2029': sb.Append("\\P"); break;
                default:
                    if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
                    {
                        sb.Append(c).Append(value[++i]);
                    }
                    else if (!IsPrintable(c))
                    {
                        // PyYAML refuses these characters raw in a stream; a lone surrogate has no UTF-8 form at all.
                        var code = char.IsSurrogate(c) ? '\uFFFD' : c;
                        sb.Append(code <= 0xFF ? "\\x" + ((int)code).ToString("X2", CultureInfo.InvariantCulture)
                                               : "\\u" + ((int)code).ToString("X4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }
                    break;
            }
        }
        sb.Append('"');
        return sb.ToString();
    }

    /// <summary>The characters PyYAML's reader accepts unescaped (its <c>NON_PRINTABLE</c> complement).</summary>
    private static bool IsPrintable(char c) =>
        c is '\t' or '\n' or '\r' or (>= '\u0020' and <= '\u007E') or '\u0085' or (>= '\u00A0' and <= '\uD7FF') or (>= '\uE000' and <= '\uFFFD');

    /// <summary>True when YAML 1.1 (PyYAML's resolver) reads this unquoted text as a boolean, integer, float or null.</summary>
    public static bool IsYaml11NonString(string plain) =>
        plain.Length == 0 || Yaml11Bool().IsMatch(plain) || Yaml11Int().IsMatch(plain) || Yaml11Float().IsMatch(plain) || Yaml11Null().IsMatch(plain);

    /// <summary>
    /// The entries of <paramref name="mapping"/> as a top-level block mapping, one key per line, ending
    /// with a newline (empty text for an empty mapping). Written through YamlDotNet's emitter, not by
    /// reflection-based serialization, so it works under Native AOT.
    /// </summary>
    public static string EmitMappingEntries(YamlMapping mapping)
    {
        if (mapping.Entries.IsEmpty) return "";
        using var writer = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        var settings = new EmitterSettings().WithBestWidth(int.MaxValue).WithIndentedSequences().WithNewLine("\n");
        var emitter = new Emitter(writer, settings);
        emitter.Emit(new StreamStart());
        emitter.Emit(new DocumentStart(null, null, isImplicit: true));
        Emit(emitter, mapping);
        emitter.Emit(new DocumentEnd(isImplicit: true));
        emitter.Emit(new StreamEnd());
        var text = writer.ToString();
        return text.EndsWith('\n') ? text : text + "\n";
    }

    private static void Emit(IEmitter emitter, YamlNode node)
    {
        switch (node)
        {
            case YamlScalar scalar:
                emitter.Emit(ValueScalar(scalar));
                break;
            case YamlSequence sequence:
                emitter.Emit(new SequenceStart(AnchorName.Empty, TagName.Empty, true, sequence.Items.IsEmpty ? SequenceStyle.Flow : SequenceStyle.Block));
                foreach (var item in sequence.Items) Emit(emitter, item);
                emitter.Emit(new SequenceEnd());
                break;
            case YamlMapping map:
                emitter.Emit(new MappingStart(AnchorName.Empty, TagName.Empty, true, map.Entries.IsEmpty ? MappingStyle.Flow : MappingStyle.Block));
                foreach (var entry in map.Entries)
                {
                    emitter.Emit(KeyScalar(entry.Key));
                    Emit(emitter, entry.Value);
                }
                emitter.Emit(new MappingEnd());
                break;
        }
    }

    private static Scalar ValueScalar(YamlScalar scalar)
    {
        if (scalar.IsPlain && IsYaml11NonString(scalar.Value))
            return Plain(scalar.Value.Length == 0 ? "null" : scalar.Value);
        return Quoted(scalar.Value);
    }

    /// <summary>Keys stay readable (<c>packages:</c>) when they are simple names; anything else is quoted like a value.</summary>
    private static Scalar KeyScalar(YamlScalar key) =>
        key.IsPlain && (SimpleKey().IsMatch(key.Value) || IsYaml11NonString(key.Value)) && key.Value.Length > 0
            ? Plain(key.Value)
            : Quoted(key.Value);

    private static Scalar Plain(string value) => new(AnchorName.Empty, TagName.Empty, value, ScalarStyle.Plain, true, false);

    private static Scalar Quoted(string value) => new(AnchorName.Empty, TagName.Empty, value, ScalarStyle.DoubleQuoted, false, true);

    // The patterns of PyYAML's implicit resolvers (resolver.py), which cloud-init's YAML loading uses.
    [GeneratedRegex(@"^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)\z")]
    private static partial Regex Yaml11Bool();

    [GeneratedRegex(@"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)\z")]
    private static partial Regex Yaml11Int();

    [GeneratedRegex(@"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))\z")]
    private static partial Regex Yaml11Float();

    [GeneratedRegex(@"^(?:~|null|Null|NULL)\z")]
    private static partial Regex Yaml11Null();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_-]*\z")]
    private static partial Regex SimpleKey();
}
