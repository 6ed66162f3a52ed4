using System.Collections.Immutable;
using LabRunner.Core.Diagnostics;
using LabRunner.Core.Labfile;
using LabRunner.Core.Planning;
using LabRunner.Providers.HyperV;

namespace LabRunner.Core.Tests;

/// <summary>Loads Labfile text the way the CLI does, under the names a user would see.</summary>
internal static class Labfiles
{
    public const string MainPath = "Labfile.yml";
    public const string LocalPath = "Labfile.local.yml";

    public static LoadResult Load(string yaml, string? local = null, LabContext? context = null) =>
        LabfileLoader.Load(MainText(yaml), LocalText(local), context ?? LabContext.For(HyperVRules.Instance));

    public static PlanResult Plan(string yaml, string? local = null, LabContext? context = null) =>
        LabfileLoader.LoadAndPlan(MainText(yaml), LocalText(local), context ?? LabContext.For(HyperVRules.Instance));

    /// <summary>A plan for a Labfile the test means to be valid; fails with every diagnostic otherwise.</summary>
    public static LabPlan ValidPlan(string yaml, string? local = null, LabContext? context = null)
    {
        var result = Plan(yaml, local, context);
        Assert.False(result.HasErrors, "expected a valid Labfile, got:\n" + string.Join("\n", result.Diagnostics));
        Assert.NotNull(result.Plan);
        return result.Plan;
    }

    private static SourceText MainText(string yaml) => new(MainPath, yaml);

    private static SourceText? LocalText(string? yaml) => yaml is null ? null : new SourceText(LocalPath, yaml);
}

/// <summary>Positions computed from the test's own input, never copied from the program's output.</summary>
internal static class Where
{
    /// <summary>The 1-based line and column at which the <paramref name="occurrence"/>-th <paramref name="needle"/> starts.</summary>
    public static (int Line, int Column) Is(string text, string needle, int occurrence = 1)
    {
        var index = -1;
        for (var i = 0; i < occurrence; i++)
        {
            index = text.IndexOf(needle, index + 1, StringComparison.Ordinal);
            Assert.True(index >= 0, $"test bug: occurrence {occurrence} of '{needle}' is not in the text");
        }
        var line = 1 + text[..index].Count(c => c == '\n');
        var lineStart = text.LastIndexOf('\n', Math.Max(0, index - 1)) + 1;
        if (index == 0) lineStart = 0;
        return (line, index - lineStart + 1);
    }

    /// <summary>The position just past the end of the text: where "expected more" errors point.</summary>
    public static (int Line, int Column) End(string text)
    {
        var line = 1 + text.Count(c => c == '\n');
        return (line, text.Length - (text.LastIndexOf('\n') + 1) + 1);
    }
}

internal static class Expect
{
    /// <summary>Asserts one diagnostic with <paramref name="code"/> at the position of <paramref name="needle"/> in <paramref name="text"/>.</summary>
    public static Diagnostic At(IEnumerable<Diagnostic> diagnostics, string code, string text, string needle, int occurrence = 1, string file = Labfiles.MainPath, int skip = 0)
    {
        var (line, column) = Where.Is(text, needle, occurrence);
        return At(diagnostics, code, line, column + skip, file);
    }

    public static Diagnostic At(IEnumerable<Diagnostic> diagnostics, string code, int line, int column, string file = Labfiles.MainPath)
    {
        var list = diagnostics.ToList();
        var match = list.Where(d => d.Code == code && d.Span == new SourceSpan(file, line, column)).ToList();
        Assert.True(match.Count == 1,
            $"expected exactly one {code} at {file}:{line}:{column}, got {match.Count}; all diagnostics:\n" + string.Join("\n", list));
        // Every message is one line: it is printed as PATH:LINE:COL: error CODE: message.
        Assert.DoesNotContain(match[0].Message, c => char.IsControl(c));
        return match[0];
    }

    /// <summary>The only error is <paramref name="code"/> at the needle; any other error fails the test.</summary>
    public static Diagnostic OnlyError(IEnumerable<Diagnostic> diagnostics, string code, string text, string needle, int occurrence = 1, string file = Labfiles.MainPath, int skip = 0)
    {
        var list = diagnostics.ToList();
        var d = At(list, code, text, needle, occurrence, file, skip);
        var errors = list.Where(x => x.IsError).ToList();
        Assert.True(errors.Count == 1, "expected a single error, got:\n" + string.Join("\n", list));
        return d;
    }

    public static void NoErrors(IEnumerable<Diagnostic> diagnostics)
    {
        var errors = diagnostics.Where(d => d.IsError).ToList();
        Assert.True(errors.Count == 0, "expected no errors, got:\n" + string.Join("\n", errors));
    }

    public static void None(IEnumerable<Diagnostic> diagnostics, string code)
    {
        var list = diagnostics.ToList();
        Assert.True(list.All(d => d.Code != code), $"expected no {code}, got:\n" + string.Join("\n", list));
    }

    public static ImmutableArray<string> Codes(IEnumerable<Diagnostic> diagnostics) => [.. diagnostics.Select(d => d.Code)];
}
