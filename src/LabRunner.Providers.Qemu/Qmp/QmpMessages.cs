using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace LabRunner.Providers.Qemu.Qmp;

/// <summary>A command as sent: <c>{"execute": …, "arguments": {…}, "id": N}</c>.</summary>
internal sealed record QmpCommandMessage(
    [property: JsonPropertyName("execute")] string Execute,
    [property: JsonPropertyName("arguments")] JsonObject? Arguments,
    [property: JsonPropertyName("id")] long Id);

/// <summary>QEMU's version from the greeting (the shape of <c>query-version</c>).</summary>
public sealed record QmpVersion(
    [property: JsonPropertyName("qemu")] QmpVersionTriple Qemu,
    [property: JsonPropertyName("package")] string? Package);

public sealed record QmpVersionTriple(
    [property: JsonPropertyName("major")] int Major,
    [property: JsonPropertyName("minor")] int Minor,
    [property: JsonPropertyName("micro")] int Micro)
{
    public override string ToString() => $"{Major}.{Minor}.{Micro}";
}

/// <summary>The server's greeting: its version and the capabilities it offers (none are enabled by LabRunner).</summary>
public sealed record QmpGreeting(QmpVersion? Version, IReadOnlyList<string> Capabilities);

/// <summary>The answer of <c>query-status</c>: whether the CPUs run and QEMU's run state (<c>running</c>, <c>paused</c>, <c>prelaunch</c>, <c>shutdown</c>, …).</summary>
public sealed record QmpStatus(
    [property: JsonPropertyName("running")] bool Running,
    [property: JsonPropertyName("status")] string Status);

/// <summary>An asynchronous event (<c>SHUTDOWN</c>, <c>POWERDOWN</c>, <c>STOP</c>, <c>RESUME</c>, …) with its data and QEMU's timestamp.</summary>
public sealed record QmpEvent(string Name, JsonElement? Data, DateTimeOffset? Timestamp);

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(QmpCommandMessage))]
[JsonSerializable(typeof(QmpVersion))]
[JsonSerializable(typeof(QmpStatus))]
internal sealed partial class QmpJsonContext : JsonSerializerContext;
