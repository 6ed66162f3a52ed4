using System.Text.Json;
using System.Text.Json.Nodes;

namespace LabRunner.Providers.Qemu.Qmp;

/// <summary>
/// One QMP connection held for a sequence of commands whose answers and events matter (a snapshot job: start it,
/// follow its <c>JOB_STATUS_CHANGE</c> events and <c>query-jobs</c>, dismiss it). <see cref="QmpClient"/> is one.
/// </summary>
public interface IQmpSession : IAsyncDisposable
{
    /// <summary>Executes <paramref name="command"/> with <paramref name="arguments"/> and returns its <c>return</c> value.</summary>
    /// <exception cref="QmpException">QEMU refused it (<see cref="QmpCommandException"/>), or the connection failed.</exception>
    Task<JsonElement> ExecuteAsync(string command, JsonObject? arguments, CancellationToken cancellationToken);

    /// <summary>The next event named <paramref name="name"/> (queued since the connection opened), or null when the connection closed.</summary>
    Task<QmpEvent?> WaitForEventAsync(string name, CancellationToken cancellationToken);
}
