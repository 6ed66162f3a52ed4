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
    /// <summary>
    /// Guards against "billion laughs" documents whose aliases expand without bound: an alias counts
    /// as every node it stands for, so the limit holds for the tree as later layers walk it.
    /// </summary>
    private const int MaxNodes = 200_000;

    /// <summary>Nodes are read recursively; a limit keeps <c>[[[[…</c> from overflowing the stack.</summary>
    private const int MaxDepth = 100;

    public static YamlNode? Read(string file, string text, ICollection<Diagnostic> diagnostics)
    {
        try
        {
            // Not YamlDotNet's MergingParser: it turns '<<' into repeated keys (so an override of a merged
            // key reads as a duplicate) and buffers the whole event stream. '<<' is resolved below.
            var parser = new Parser(new StringReader(text));
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
            diagnostics.Add(DiagnosticBuilder.YamlSyntax(TabIndentation(file, text, ex) ?? SpanOf(file, ex.Start), Describe(ex)));
            return null;
        }
        catch (TooLargeException tooLarge)
        {
            diagnostics.Add(DiagnosticBuilder.YamlSyntax(tooLarge.Span, tooLarge.Message));
            return null;
        }
#pragma warning disable CA1031 // YamlDotNet throws more than YamlException on some malformed input (e.g. InvalidOperationException for "[a, b\nc: d").
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or IndexOutOfRangeException or NullReferenceException or FormatException or OverflowException)
#pragma warning restore CA1031
        {
            diagnostics.Add(DiagnosticBuilder.YamlSyntax(LastReadablePosition(file, text),
                "malformed YAML: the parser cannot read past this point (an unclosed '[', '{' or quote?)"));
            return null;
        }
    }

    /// <summary>
    /// YamlDotNet reports some tab errors at the start of the enclosing mapping (even line 1); the
    /// user needs the line with the tab, so point at the first tab used as indentation from there on.
    /// </summary>
    private static SourceSpan? TabIndentation(string file, string text, YamlException ex)
    {
        if (!ex.Message.Contains("tab", StringComparison.OrdinalIgnoreCase)) return null;
        var lines = text.Split('\n');
        for (var i = (int)Math.Max(0, ex.Start.Line - 1); i < lines.Length; i++)
        {
            for (var j = 0; j < lines[i].Length && lines[i][j] is ' ' or '\t'; j++)
                if (lines[i][j] == '\t') return new SourceSpan(file, i + 1, j + 1);
        }
        return null;
    }

    /// <summary>Where a plain parser gets to before it fails: the end of the last event it could read.</summary>
    private static SourceSpan LastReadablePosition(string file, string text)
    {
        var parser = new Parser(new StringReader(text));
        var last = Mark.Empty;
        try
        {
            while (parser.MoveNext())
                last = parser.Current!.End;
        }
#pragma warning disable CA1031 // Only the position matters here; the failure itself is already being reported.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
        return SpanOf(file, last);
    }

    private static string Describe(YamlException ex)
    {
        // YamlDotNet prefixes messages with "(Line: 3, Col: 5, Idx: 20) - (…): "; the span says that already.
        var message = ex.InnerException is YamlException inner ? inner.Message : ex.Message;
        var marker = message.LastIndexOf("): ", StringComparison.Ordinal);
        if (message.StartsWith("(Line:", StringComparison.Ordinal) && marker >= 0)
            message = message[(marker + 3)..];
        message = message.Trim().TrimEnd('.');
        if (message.Length == 0) return "malformed YAML";
        message = "malformed YAML: " + char.ToLowerInvariant(message[0]) + message[1..];
        // '{ name: web-{n} }': inside braces or brackets, '{', '}', '[', ']' and ',' end or open a value, so the parser's
        // own words point at the wrong thing. Say what to do.
        if (message.Contains("did not find expected ','", StringComparison.Ordinal) || message.Contains("did not find expected '}'", StringComparison.Ordinal)
            || message.Contains("did not find expected ']'", StringComparison.Ordinal))
            message += "; inside { … } or [ … ] a value containing '{', '}', '[', ']' or ',' must be quoted, e.g. { name: \"web-{n}\" }";
        return message;
    }

    private sealed class ReadState(string file, ICollection<Diagnostic> diagnostics)
    {
        public string File { get; } = file;
        public ICollection<Diagnostic> Diagnostics { get; } = diagnostics;
        public Dictionary<string, YamlNode> Anchors { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, int> AnchorSizes { get; } = new(StringComparer.Ordinal);
        public int Count;
    }

    private static YamlNode ReadNode(IParser parser, ReadState state, int depth = 0)
    {
        var start = parser.Current!.Start;
        if (++state.Count > MaxNodes)
            throw new TooLargeException(SpanOf(state.File, start), $"the document expands to more than {MaxNodes} nodes (aliases?); a Labfile is far smaller");
        if (depth > MaxDepth)
            throw new TooLargeException(SpanOf(state.File, start), $"malformed YAML: values are nested more than {MaxDepth} levels deep; a Labfile is far flatter");
        var countBefore = state.Count;

        if (parser.TryConsume<AnchorAlias>(out var alias))
        {
            if (state.Anchors.TryGetValue(alias.Value.Value, out var target))
            {
                // The alias stands for the whole anchored value: count it as such.
                state.Count += state.AnchorSizes[alias.Value.Value];
                if (state.Count > MaxNodes)
                    throw new TooLargeException(SpanOf(state.File, alias.Start), $"the document expands to more than {MaxNodes} nodes (aliases?); a Labfile is far smaller");
                return target;
            }
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
                items.Add(ReadNode(parser, state, depth + 1));
            node = new YamlSequence(SpanOf(state.File, seqStart.Start), items.ToImmutable());
        }
        else if (parser.TryConsume<MappingStart>(out var mapStart))
        {
            anchor = mapStart.Anchor;
            var entries = ImmutableArray.CreateBuilder<YamlEntry>();
            var seen = new Dictionary<string, YamlScalar>(StringComparer.Ordinal);
            var merged = new List<YamlEntry>();
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                var keyNode = ReadNode(parser, state, depth + 1);
                var value = ReadNode(parser, state, depth + 1);
                if (keyNode is not YamlScalar key)
                {
                    state.Diagnostics.Add(DiagnosticBuilder.ComplexKey(keyNode.Span));
                    continue;
                }
                if (key is { IsPlain: true, Value: "<<" })
                {
                    Merge(value, merged, state);
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
            // YAML merge keys: keys written in the mapping win over merged ones; earlier merges win over later ones.
            foreach (var entry in merged)
            {
                if (seen.TryAdd(entry.Key.Value, entry.Key))
                    entries.Add(entry);
            }
            node = new YamlMapping(SpanOf(state.File, mapStart.Start), entries.ToImmutable());
        }
        else
        {
            var current = parser.Current!;
            throw new YamlException(current.Start, current.End, $"unexpected {current.GetType().Name}");
        }

        if (!anchor.IsEmpty)
        {
            state.Anchors[anchor.Value] = node;
            state.AnchorSizes[anchor.Value] = state.Count - countBefore;
        }
        return node;
    }

    private static void Merge(YamlNode value, List<YamlEntry> merged, ReadState state)
    {
        var sources = value switch
        {
            YamlMapping m => [m],
            YamlSequence seq when seq.Items.All(i => i is YamlMapping) => seq.Items.Cast<YamlMapping>().ToList(),
            _ => null,
        };
        if (sources is null)
        {
            state.Diagnostics.Add(DiagnosticBuilder.WrongType(value.Span, "a '<<' merge", "a mapping or a list of mappings", value.Kind));
            return;
        }
        var keys = merged.Select(m => m.Key.Value).ToHashSet(StringComparer.Ordinal);
        foreach (var source in sources)
            merged.AddRange(source.Entries.Where(e => keys.Add(e.Key.Value)));
    }

    internal static SourceSpan SpanOf(string file, Mark mark) =>
        new(file, (int)Math.Max(1, mark.Line), (int)Math.Max(1, mark.Column));

    private sealed class TooLargeException(SourceSpan span, string message) : Exception(message)
    {
        public SourceSpan Span { get; } = span;
    }
}
