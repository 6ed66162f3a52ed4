using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace LabRunner.Cli.Rendering;

/// <summary>
/// JSON for machines, written with <see cref="Utf8JsonWriter"/>: keys in a fixed order, no reflection
/// (the CLI is compiled ahead of time), indented, one object per command.
/// </summary>
public static class Json
{
    private static readonly JsonWriterOptions Options = new()
    {
        Indented = true,
        // Plain ASCII for '+', '<' and the like: this JSON is never embedded in HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Write(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, Options))
        {
            json.WriteStartObject();
            body(json);
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Whether --json was given: read from the tokens, so it is known even when parsing failed.</summary>
    public static bool Requested(System.CommandLine.ParseResult parse) =>
        parse.Tokens.Any(t => t.Type == System.CommandLine.Parsing.TokenType.Option && t.Value == "--json");

    /// <summary>
    /// The one JSON object a command prints when it cannot do what was asked: which command, the outcome
    /// (invalid_labfile, usage_error, interrupted, internal_error), the exit code, one message, and every diagnostic.
    /// </summary>
    public static void WriteFailure(CliEnvironment env, string command, string outcome, int exitCode, string? message,
        IEnumerable<LabRunner.Core.Diagnostics.Diagnostic> diagnostics)
    {
        env.Stdout.WriteLine(Write(json =>
        {
            json.WriteString("command", command);
            json.WriteString("outcome", outcome);
            json.WriteNumber("exit_code", exitCode);
            json.WriteStringOrNull("message", message);
            DiagnosticPrinter.WriteJson(json, diagnostics);
        }));
    }

    public static void WriteStringOrNull(this Utf8JsonWriter json, string name, string? value)
    {
        if (value is null) json.WriteNull(name);
        else json.WriteString(name, value);
    }
}
