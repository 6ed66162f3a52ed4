using LabRunner.Core.Hosting;
using LabRunner.Engine;

namespace LabRunner.Cli.Rendering;

/// <summary>
/// Progress as plain lines, one per finished operation, prefixed by the VM (or "host") it concerns —
/// readable in a terminal and in a CI log alike, and safe when several batches report at once.
/// </summary>
public sealed class ConsoleReporter(CliEnvironment env, bool quiet) : IEngineReporter
{
    private readonly Lock _gate = new();

    public void Info(string message)
    {
        if (quiet) return;
        lock (_gate) env.Stdout.WriteLine(message);
    }

    public void BatchStarted(OperationBatch batch)
    {
        if (quiet) return;
        lock (_gate) env.Stdout.WriteLine($"==> {batch.Label}: {batch.Operations.Length} operation{(batch.Operations.Length == 1 ? "" : "s")}");
    }

    public void Progress(OperationProgress progress)
    {
        if (quiet || !progress.Done) return;
        var who = progress.Operation.Vm ?? "host";
        lock (_gate) env.Stdout.WriteLine($"    {who}: {progress.Operation.Describe()}");
    }
}
