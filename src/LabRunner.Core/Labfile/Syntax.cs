using System.Collections.Immutable;
using LabRunner.Core.Diagnostics;

namespace LabRunner.Core.Labfile;

/// <summary>
/// A YAML document as a tree that remembers where each node came from, so every diagnostic can
/// point at the exact line and column — in <c>Labfile.yml</c> or in <c>Labfile.local.yml</c>.
/// </summary>
public abstract record YamlNode(SourceSpan Span)
{
    public abstract string Kind { get; }
}

public sealed record YamlScalar(SourceSpan Span, string Value, bool IsPlain) : YamlNode(Span)
{
    /// <summary>A plain <c>~</c>, <c>null</c> or empty scalar: YAML's null.</summary>
    public bool IsNull => IsPlain && Value is "" or "~" or "null" or "Null" or "NULL";

    public override string Kind => IsNull ? "null" : "a scalar";
}

public sealed record YamlEntry(YamlScalar Key, YamlNode Value);

public sealed record YamlMapping(SourceSpan Span, ImmutableArray<YamlEntry> Entries) : YamlNode(Span)
{
    public YamlNode? this[string key] => Entries.FirstOrDefault(e => e.Key.Value == key)?.Value;

    public override string Kind => "a mapping";
}

public sealed record YamlSequence(SourceSpan Span, ImmutableArray<YamlNode> Items) : YamlNode(Span)
{
    public override string Kind => "a list";
}
