using System.Collections.Immutable;
using LabRunner.Core.Diagnostics;
using LabRunner.Core.Planning;
using LabRunner.Core.Validation;

namespace LabRunner.Core.Labfile;

/// <summary>A source file's path (as the user should see it in diagnostics) and its text.</summary>
public sealed record SourceText(string Path, string Text);

public sealed record LoadResult(LabDefinition? Lab, ImmutableArray<Diagnostic> Diagnostics)
{
    public bool HasErrors => Diagnostics.Any(d => d.IsError);
}

public sealed record PlanResult(LabDefinition? Lab, LabPlan? Plan, ImmutableArray<Diagnostic> Diagnostics)
{
    public bool HasErrors => Diagnostics.Any(d => d.IsError);
}

/// <summary>The front door of the core: Labfile text in, a validated lab (and its plan) out.</summary>
public static class LabfileLoader
{
    /// <summary>Reads, merges the optional local override, binds and validates. Never throws on bad input.</summary>
    public static LoadResult Load(SourceText labfile, SourceText? local, LabContext context)
    {
        var diagnostics = new List<Diagnostic>();
        var root = YamlReader.Read(labfile.Path, labfile.Text, diagnostics);
        if (local is not null)
        {
            var localRoot = YamlReader.Read(local.Path, local.Text, diagnostics);
            // When the Labfile itself is not a mapping, the binder reports it; the local file is then moot.
            if (localRoot is YamlMapping && root is YamlMapping)
                root = LocalOverride.Merge(root, localRoot, null, diagnostics);
            else if (localRoot is not null and not YamlScalar { IsNull: true } and not YamlMapping)
                diagnostics.Add(DiagnosticBuilder.WrongType(localRoot.Span, "the local override", "a mapping that mirrors the Labfile", localRoot.Kind));
        }

        LabDefinition? lab = null;
        if (!diagnostics.Any(d => d.Code == DiagnosticCodes.YamlSyntax))
        {
            lab = new Binder(diagnostics).Bind(root, labfile.Path);
            if (lab is not null) LabValidator.Validate(lab, context, diagnostics);
        }
        return new LoadResult(lab, Sorted(diagnostics));
    }

    /// <summary>Load, then plan when the lab is valid.</summary>
    public static PlanResult LoadAndPlan(SourceText labfile, SourceText? local, LabContext context)
    {
        var loaded = Load(labfile, local, context);
        if (loaded.HasErrors || loaded.Lab is null)
            return new PlanResult(loaded.Lab, null, loaded.Diagnostics);
        var diagnostics = loaded.Diagnostics.ToList();
        var plan = Planner.Plan(loaded.Lab, context, diagnostics);
        return new PlanResult(loaded.Lab, plan, Sorted(diagnostics));
    }

    /// <summary>Diagnostics in file order, so output reads top to bottom like the Labfile.</summary>
    private static ImmutableArray<Diagnostic> Sorted(IEnumerable<Diagnostic> diagnostics) =>
        [.. diagnostics.Distinct().OrderBy(d => d.Span.File, StringComparer.Ordinal).ThenBy(d => d.Span.Line).ThenBy(d => d.Span.Column)];
}
