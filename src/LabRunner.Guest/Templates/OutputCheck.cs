using System.Xml;
using System.Xml.Linq;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace LabRunner.Guest.Templates;

/// <summary>
/// Reads rendered output back before it reaches a guest, so a broken override template is reported
/// here instead of being discovered as a VM that boots without its network.
/// </summary>
internal static class OutputCheck
{
    /// <summary>The keys of the top-level mapping in document order (repeats kept), or an error.</summary>
    public static List<string>? TopLevelYamlKeys(string yaml, out string? error)
    {
        error = null;
        var keys = new List<string>();
        try
        {
            var parser = new Parser(new StringReader(yaml));
            // For each open collection: is it a mapping, and is its next node a key?
            var open = new Stack<(bool Mapping, bool ExpectKey)>();
            while (parser.MoveNext())
            {
                var e = parser.Current!;
                if (e is Scalar or AnchorAlias or SequenceStart or MappingStart && open.Count > 0)
                {
                    var (isMapping, expectKey) = open.Pop();
                    if (isMapping && expectKey && open.Count == 0 && e is Scalar key) keys.Add(key.Value);
                    open.Push((isMapping, isMapping && !expectKey));
                }
                if (e is SequenceStart) open.Push((false, false));
                else if (e is MappingStart) open.Push((true, true));
                else if (e is SequenceEnd or MappingEnd) open.Pop();
            }
        }
        catch (YamlException ex)
        {
            error = $"line {ex.Start.Line}, column {ex.Start.Column} of the output: {ex.Message}";
            return null;
        }
        return keys;
    }

    public static bool IsWellFormedXml(string xml, out string? error)
    {
        try
        {
            XDocument.Parse(xml);
            error = null;
            return true;
        }
        catch (XmlException ex)
        {
            // XmlException repeats the position at the end of its message; it is said once, up front.
            var message = ex.Message;
            var repeat = message.LastIndexOf(" Line ", StringComparison.Ordinal);
            if (repeat > 0) message = message[..repeat];
            error = $"line {ex.LineNumber}, column {ex.LinePosition} of the output: {message}";
            return false;
        }
    }
}
