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

    public static void WriteStringOrNull(this Utf8JsonWriter json, string name, string? value)
    {
        if (value is null) json.WriteNull(name);
        else json.WriteString(name, value);
    }
}
