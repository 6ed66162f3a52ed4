using System.Collections.Immutable;
using LabRunner.Core.Diagnostics;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace LabRunner.Core.Labfile;

/// <summary>
/// Reads YAML text into <see cref="YamlNode"/>s with positions. Works from the event stream rather
/// than YamlDotNet's representation model so that duplicate keys are reported, not thrown, and a
/// syntax error becomes a diagnostic at the place YamlDotNet found it.
/// </summary>
public static class YamlReader
{
    /// <summary>Guards against "billion laughs" documents whose aliases expand without bound.</summary>
    private const int MaxNodes = 200_000;

    public static YamlNode? Read(string file, string text, ICollection<Diagnostic> diagnostics)
    {
        try
        {
            var parser = new MergingParser(new Parser(new StringReader(text)));
            var state = new ReadState(file, diagnostics);
            parser.Consume<StreamStart>();
            if (parser.Accept<StreamEnd>(out _))
                return null;
            parser.Consume<DocumentStart>();
            var root = ReadNode(parser, state);
            parser.Consume<DocumentEnd>();
            if (!parser.Accept<StreamEnd>(out _))
            {
                diagnostics.Add(DiagnosticBuilder.YamlSyntax(SpanOf(file, parser.Current!.Start),
                    "the Labfile must hold one YAML document; remove the extra '---' documents"));
                return null;
            }
            return root;
        }
        catch (YamlException ex)
        {
            diagnostics.Add(DiagnosticBuilder.YamlSyntax(SpanOf(file, ex.Start), Describe(ex)));
            return null;
        }
        catch (TooLargeException tooLarge)
        {
            diagnostics.Add(DiagnosticBuilder.YamlSyntax(tooLarge.Span,
                $"the document expands to more than {MaxNodes} nodes (aliases?); a Labfile is far smaller"));
            return null;
        }
    }

    private static string Describe(YamlException ex)
    {
        // YamlDotNet prefixes messages with "(Line: 3, Col: 5, Idx: 20) - (…): "; the span says that already.
        var message = ex.InnerException is YamlException inner ? inner.Message : ex.Message;
        var marker = message.LastIndexOf("): ", StringComparison.Ordinal);
        if (message.StartsWith("(Line:", StringComparison.Ordinal) && marker >= 0)
            message = message[(marker + 3)..];
        message = message.Trim().TrimEnd('.');
        return message.Length == 0 ? "malformed YAML" : "malformed YAML: " + char.ToLowerInvariant(message[0]) + message[1..];
    }

    private sealed class ReadState(string file, ICollection<Diagnostic> diagnostics)
    {
        public string File { get; } = file;
        public ICollection<Diagnostic> Diagnostics { get; } = diagnostics;
        public Dictionary<string, YamlNode> Anchors { get; } = new(StringComparer.Ordinal);
        public int Count;
    }

    private static YamlNode ReadNode(IParser parser, ReadState state)
    {
        if (++state.Count > MaxNodes)
            throw new TooLargeException(SpanOf(state.File, parser.Current!.Start));

        if (parser.TryConsume<AnchorAlias>(out var alias))
        {
            if (state.Anchors.TryGetValue(alias.Value.Value, out var target))
                return target;
            throw new YamlException(alias.Start, alias.End, $"the alias *{alias.Value} names no anchor");
        }

        YamlNode node;
        AnchorName anchor;
        if (parser.TryConsume<Scalar>(out var scalar))
        {
            anchor = scalar.Anchor;
            node = new YamlScalar(SpanOf(state.File, scalar.Start), scalar.Value, scalar.Style == ScalarStyle.Plain);
        }
        else if (parser.TryConsume<SequenceStart>(out var seqStart))
        {
            anchor = seqStart.Anchor;
            var items = ImmutableArray.CreateBuilder<YamlNode>();
            while (!parser.TryConsume<SequenceEnd>(out _))
                items.Add(ReadNode(parser, state));
            node = new YamlSequence(SpanOf(state.File, seqStart.Start), items.ToImmutable());
        }
        else if (parser.TryConsume<MappingStart>(out var mapStart))
        {
            anchor = mapStart.Anchor;
            var entries = ImmutableArray.CreateBuilder<YamlEntry>();
            var seen = new Dictionary<string, YamlScalar>(StringComparer.Ordinal);
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                var keyNode = ReadNode(parser, state);
                var value = ReadNode(parser, state);
                if (keyNode is not YamlScalar key)
                {
                    state.Diagnostics.Add(DiagnosticBuilder.ComplexKey(keyNode.Span));
                    continue;
                }
                if (seen.TryGetValue(key.Value, out var first))
                {
                    state.Diagnostics.Add(DiagnosticBuilder.DuplicateKey(key.Span, key.Value, first.Span));
                    continue;
                }
                seen.Add(key.Value, key);
                entries.Add(new YamlEntry(key, value));
            }
            node = new YamlMapping(SpanOf(state.File, mapStart.Start), entries.ToImmutable());
        }
        else
        {
            var current = parser.Current!;
            throw new YamlException(current.Start, current.End, $"unexpected {current.GetType().Name}");
        }

        if (!anchor.IsEmpty)
            state.Anchors[anchor.Value] = node;
        return node;
    }

    internal static SourceSpan SpanOf(string file, Mark mark) =>
        new(file, (int)Math.Max(1, mark.Line), (int)Math.Max(1, mark.Column));

    private sealed class TooLargeException(SourceSpan span) : Exception
    {
        public SourceSpan Span { get; } = span;
    }
}
