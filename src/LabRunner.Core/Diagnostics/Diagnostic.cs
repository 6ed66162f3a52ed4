using System.Globalization;

namespace LabRunner.Core.Diagnostics;

/// <summary>A position in a source file; line and column are 1-based as editors show them.</summary>
public readonly record struct SourceSpan(string File, int Line, int Column)
{
    public static SourceSpan None(string file) => new(file, 1, 1);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{File}:{Line}:{Column}");
}

public enum DiagnosticLevel
{
    Error,
    Warning,
}

/// <summary>One problem found in user input. Every code is created in <see cref="DiagnosticBuilder"/>.</summary>
public sealed record Diagnostic(SourceSpan Span, DiagnosticLevel Level, string Code, string Message)
{
    public bool IsError => Level == DiagnosticLevel.Error;

    /// <summary>The form compilers use, which editors and CI log parsers understand: <c>PATH:LINE:COL: error LABnnn: message</c>.</summary>
    public override string ToString() =>
        $"{Span}: {(IsError ? "error" : "warning")} {Code}: {Message}";
}
