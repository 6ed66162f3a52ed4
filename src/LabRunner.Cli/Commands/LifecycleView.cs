using System.Collections.Immutable;
using LabRunner.Cli.Rendering;
using LabRunner.Engine;
using LabRunner.Engine.Guests;
using LabRunner.Engine.Lifecycle;

namespace LabRunner.Cli.Commands;

/// <summary>
/// How 'up', 'halt', 'reload', 'down' and 'provision' show a lifecycle run as it goes: live rows on a terminal,
/// lines otherwise, nothing but errors with --json (<paramref name="quiet"/>).
/// </summary>
/// <param name="liveHost">Whether the host stage shows live rows (a terminal, and not a preview).</param>
/// <param name="renderHost">Renders the host stage's summary before the guests are waited for; its exit code is kept.</param>
internal sealed class LifecycleView(CliEnvironment env, TimeProvider time, bool quiet, bool liveHost, Func<EngineResult, int>? renderHost = null) : ILifecycleView
{
    /// <summary>The exit code of the host summary shown before the guests, if it was.</summary>
    public int? HostExit { get; private set; }

    public Task<EngineResult> WatchHostAsync(Func<IEngineReporter?, Task<EngineResult>> run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return liveHost ? LiveReporter.RunAsync(env, reporter => run(reporter)) : run(null);
    }

    public void HostDone(EngineResult result)
    {
        // With --json the one document comes at the end and includes the guests.
        if (!quiet && renderHost is not null) HostExit = renderHost(result);
    }

    public Task<ImmutableArray<GuestOutcome>> WatchGuestsAsync(IReadOnlyList<GuestRequest> requests, Func<IGuestReporter, Task<ImmutableArray<GuestOutcome>>> work)
    {
        ArgumentNullException.ThrowIfNull(requests);
        if (!quiet) env.Stdout.WriteLine($"==> guests: waiting for {string.Join(", ", requests.Select(r => r.Vm))}");
        return !quiet && LiveReporter.Suits(env)
            ? LiveGuestReporter.RunAsync(env, time, requests.Select(r => r.Vm), work)
            : work(new GuestLineReporter(env, quiet));
    }
}
