using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using LabRunner.Core.Diagnostics;

namespace LabRunner.Cli.Rendering;

public static class DiagnosticPrinter
{
    /// <summary>One line per diagnostic on stderr, in the compiler form editors and CI parse.</summary>
    public static void Print(IEnumerable<Diagnostic> diagnostics, TextWriter error)
    {
        foreach (var d in diagnostics)
            error.WriteLine(d.ToString());
    }

    /// <summary>
    /// Prints the diagnostics; when there is no <paramref name="result"/> (the Labfile has errors), also
    /// the closing count, and says the command failed.
    /// </summary>
    public static bool Failed<T>(IEnumerable<Diagnostic> diagnostics, [NotNullWhen(false)] T? result, TextWriter error) where T : class
    {
        var list = diagnostics.ToList();
        Print(list, error);
        if (result is not null) return false;
        error.WriteLine(Summary.Errors(list));
        return true;
    }

    /// <summary>
    /// As <see cref="Failed{T}(IEnumerable{Diagnostic}, T, TextWriter)"/>; with --json the failure is also
    /// the one JSON object on stdout, with every diagnostic.
    /// </summary>
    public static bool Failed<T>(IEnumerable<Diagnostic> diagnostics, [NotNullWhen(false)] T? result, CliEnvironment env, System.CommandLine.ParseResult parse) where T : class
    {
        var list = diagnostics.ToList();
        if (!Failed(list, result, env.Error)) return false;
        if (Json.Requested(parse))
            Json.WriteFailure(env, Commands.OptionValues.CommandName(parse.CommandResult), "invalid_labfile", ExitCodes.InvalidLabfile, Summary.Errors(list), list);
        return true;
    }

    public static void WriteJson(Utf8JsonWriter json, IEnumerable<Diagnostic> diagnostics)
    {
        json.WriteStartArray("diagnostics");
        foreach (var d in diagnostics)
        {
            json.WriteStartObject();
            json.WriteString("file", d.Span.File);
            json.WriteNumber("line", d.Span.Line);
            json.WriteNumber("column", d.Span.Column);
            json.WriteString("level", d.IsError ? "error" : "warning");
            json.WriteString("code", d.Code);
            json.WriteString("message", d.Message);
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }
}
