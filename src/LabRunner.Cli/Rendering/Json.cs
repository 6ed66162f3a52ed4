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
    /// The one JSON object of a command, in the one documented shape: <c>command</c> (its words after 'lab'),
    /// <c>outcome</c>, <c>exit_code</c>, <c>message</c> (null when there is nothing to say) and <c>diagnostics</c>,
    /// then what the command itself reports (<paramref name="body"/>). Only the first document of a run is written
    /// (see <see cref="JsonDocumentGate"/>).
    /// </summary>
    public static void Emit(CliEnvironment env, string command, string outcome, int exitCode, string? message,
        IEnumerable<LabRunner.Core.Diagnostics.Diagnostic> diagnostics, Action<Utf8JsonWriter>? body = null)
    {
        ArgumentNullException.ThrowIfNull(env);
        env.JsonDocument.TryWrite(env.Stdout, exitCode, Write(json =>
        {
            json.WriteString("command", command);
            json.WriteString("outcome", outcome);
            json.WriteNumber("exit_code", exitCode);
            json.WriteStringOrNull("message", message);
            DiagnosticPrinter.WriteJson(json, diagnostics);
            body?.Invoke(json);
        }));
    }

    /// <summary>
    /// The one JSON object a command prints when it cannot do what was asked: which command, the outcome
    /// (invalid_labfile, usage_error, host_failure, conflict, interrupted, internal_error, …), the exit code, one message, and every diagnostic.
    /// </summary>
    public static void WriteFailure(CliEnvironment env, string command, string outcome, int exitCode, string? message,
        IEnumerable<LabRunner.Core.Diagnostics.Diagnostic> diagnostics) =>
        Emit(env, command, outcome, exitCode, message, diagnostics);

    public static void WriteStringOrNull(this Utf8JsonWriter json, string name, string? value)
    {
        if (value is null) json.WriteNull(name);
        else json.WriteString(name, value);
    }
}

/// <summary>
/// With --json a run prints exactly one document, whatever happens: the first one written wins and is flushed at
/// once; any later one (a failure after the command's own document, an interruption racing the end) is dropped.
/// </summary>
public sealed class JsonDocumentGate
{
    private readonly Lock _gate = new();

    /// <summary>The exit code the written document states, or null while none was written.</summary>
    public int? ExitCode { get; private set; }

    public bool Written => ExitCode is not null;

    /// <summary>Writes <paramref name="document"/> unless one was written already; returns whether it was.</summary>
    public bool TryWrite(TextWriter stdout, int exitCode, string document)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        lock (_gate)
        {
            if (ExitCode is not null) return false;
            ExitCode = exitCode;
            stdout.WriteLine(document);
            stdout.Flush();
            return true;
        }
    }
}
