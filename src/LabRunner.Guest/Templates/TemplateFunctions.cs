using System.Text;
using Scriban.Functions;
using Scriban.Runtime;

namespace LabRunner.Guest.Templates;

/// <summary>
/// The functions templates use to write values safely, each for one target language:
/// <c>yaml.quote</c>, <c>xml.escape</c> and <c>powershell.quote</c>. Registered as typed delegates,
/// which Scriban binds without reflection (Native AOT).
/// </summary>
internal static class TemplateFunctions
{
    /// <summary>Scriban's built-in functions, created once and frozen so no template can change them for the next.</summary>
    public static ScriptObject Builtins { get; } = CreateBuiltins();

    /// <summary>Our own functions, under their own names, also frozen.</summary>
    public static ScriptObject Functions { get; } = CreateFunctions();

    private static ScriptObject CreateBuiltins()
    {
        var builtins = new BuiltinFunctions();
        foreach (var value in builtins.Values)
            if (value is ScriptObject nested) nested.IsReadOnly = true;
        builtins.IsReadOnly = true;
        return builtins;
    }

    private static ScriptObject CreateFunctions()
    {
        var yaml = new ScriptObject { ["quote"] = DelegateCustomFunction.CreateFunc<string?, string>(s => YamlText.DoubleQuoted(s ?? "")) };
        var xml = new ScriptObject { ["escape"] = DelegateCustomFunction.CreateFunc<string?, string>(s => XmlEscape(s ?? "")) };
        var powershell = new ScriptObject { ["quote"] = DelegateCustomFunction.CreateFunc<string?, string>(s => PowerShellQuote(s ?? "")) };
        yaml.IsReadOnly = xml.IsReadOnly = powershell.IsReadOnly = true;
        var functions = new ScriptObject { ["yaml"] = yaml, ["xml"] = xml, ["powershell"] = powershell };
        functions.IsReadOnly = true;
        return functions;
    }

    /// <summary>
    /// Escapes <c>&amp; &lt; &gt; "</c>, so the result is safe in element text and in double-quoted
    /// attribute values (the only kind the templates use; an apostrophe stays readable, as in the
    /// PowerShell command lines). Tab and line breaks become character references, which attribute
    /// normalization keeps; characters XML 1.0 cannot carry at all become U+FFFD.
    /// </summary>
    public static string XmlEscape(string value)
    {
        var sb = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            switch (c)
            {
                case '&': sb.Append("&amp;"); break;
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                case '"': sb.Append("&quot;"); break;
                case '\t': sb.Append("&#x9;"); break;
                case '\n': sb.Append("&#xA;"); break;
                case '\r': sb.Append("&#xD;"); break;
                default:
                    if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
                        sb.Append(c).Append(value[++i]);
                    else if (c < '\u0020' || char.IsSurrogate(c) || c is '\uFFFE' or '\uFFFF')
                        sb.Append('\uFFFD');
                    else
                        sb.Append(c);
                    break;
            }
        }
        return sb.ToString();
    }

    /// <summary>
    /// A PowerShell single-quoted string: nothing inside is expanded. PowerShell also ends such a
    /// string at the typographic single quotes (U+2018..U+201B), so those are doubled too.
    /// </summary>
    public static string PowerShellQuote(string value)
    {
        var sb = new StringBuilder(value.Length + 2).Append('\'');
        foreach (var c in value)
        {
            if (c is '\'' or '\u2018' or '\u2019' or '\u201A' or '\u201B') sb.Append(c);
            sb.Append(c);
        }
        return sb.Append('\'').ToString();
    }
}
