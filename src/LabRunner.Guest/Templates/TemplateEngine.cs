using System.Collections.Concurrent;
using LabRunner.Core.Diagnostics;
using Scriban;
using Scriban.Parsing;
using Scriban.Runtime;
using Scriban.Syntax;
using ScribanSpan = Scriban.Parsing.SourceSpan;
using SourceSpan = LabRunner.Core.Diagnostics.SourceSpan;

namespace LabRunner.Guest.Templates;

/// <summary>
/// Parses templates once and renders them in a sandbox: strict variables and members (a typo is an
/// error, not an empty string), bounded loops and recursion, LF line endings. Every Scriban problem,
/// at parse or at run time, becomes LAB601 at the template's own path, line and column.
/// </summary>
internal sealed class TemplateEngine
{
    private readonly ConcurrentDictionary<string, (string Text, Template Template)> _parsed = new(StringComparer.Ordinal);

    public Template? Parse(TemplateText source, ICollection<Diagnostic> diagnostics)
    {
        // A template edited on Windows may have CRLF; the guest files are LF. Lines keep their numbers.
        var text = source.Text.Replace("\r\n", "\n", StringComparison.Ordinal);
        if (!_parsed.TryGetValue(source.DisplayPath, out var cached) || !string.Equals(cached.Text, text, StringComparison.Ordinal))
        {
            cached = (text, Template.Parse(text, source.DisplayPath));
            _parsed[source.DisplayPath] = cached;
        }
        var template = cached.Template;
        if (!template.HasErrors) return template;
        foreach (var message in template.Messages.Where(m => m.Type == ParserMessageType.Error))
            diagnostics.Add(DiagnosticBuilder.TemplateError(SpanOf(source, message.Span), message.Message));
        return null;
    }

    /// <param name="model">Read-only values the template sees; the template's own assignments go to a fresh scope above it.</param>
    /// <param name="scrub">Removes secrets from error messages before they become diagnostics.</param>
    public string? Render(TemplateText source, ScriptObject model, Func<string, string> scrub, ICollection<Diagnostic> diagnostics)
    {
        var template = Parse(source, diagnostics);
        if (template is null) return null;
        var context = new TemplateContext(TemplateFunctions.Builtins)
        {
            StrictVariables = true,
            EnableRelaxedMemberAccess = false,
            NewLine = "\n",
            LoopLimit = 10_000,
            RecursiveLimit = 64,
        };
        context.PushGlobal(TemplateFunctions.Functions);
        context.PushGlobal(model);
        context.PushGlobal(new ScriptObject());
        try
        {
            return template.Render(context).Replace("\r\n", "\n", StringComparison.Ordinal);
        }
        catch (ScriptRuntimeException ex)
        {
            diagnostics.Add(DiagnosticBuilder.TemplateError(SpanOf(source, ex.Span), scrub(ex.OriginalMessage)));
            return null;
        }
    }

    private static SourceSpan SpanOf(TemplateText source, ScribanSpan span) =>
        new(source.DisplayPath, Math.Max(1, span.Start.Line + 1), Math.Max(1, span.Start.Column + 1));
}
