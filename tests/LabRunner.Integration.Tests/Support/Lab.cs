using System.Collections.Immutable;
using System.Globalization;
using LabRunner.Core.Hosting;
using LabRunner.Core.Reconciliation;
using LabRunner.Engine;
using LabRunner.Guest;
using LabRunner.HyperV.Emulation;
using LabRunner.HyperV.Emulation.Cim;
using LabRunner.Providers.HyperV;
using LabRunner.Simulation;

namespace LabRunner.Integration.Tests.Support;

/// <summary>
/// A project folder (Labfile, a box file on disk, its .lab state) and the engine that runs it against a
/// host provider: the Hyper-V provider over the in-process PowerShell runner and the CIM view of a
/// simulated host, or the simulated provider directly.
/// </summary>
internal sealed class Lab : IDisposable
{
    /// <summary>A fixed public key, as in the guest tests, so seeds never depend on a generated one.</summary>
    public const string TestKey = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBM8qpjW0hqIR5kZbTn8m52oxAX33TdurPgmRs1OvzAbWsqdrup+/nVEdl/ttKRseDFqWEs5Kcgs2MZYfWJ1ZBz0= labrunner@integration";

    public Lab(string labfile, SimulatedHost host, bool throughPowerShell = true)
    {
        Directory = Path.Combine(Path.GetTempPath(), "labrunner-int-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(Path.Combine(Directory, "boxes"));
        File.WriteAllText(Path.Combine(Directory, "boxes", "ubuntu.vhdx"), "a base image stands in here\n");
        File.WriteAllText(Path.Combine(Directory, "Labfile.yml"), labfile);
        Host = host;
        Runner = new InProcessPowerShellRunner(host);
        Cim = new SimulatedCimClient(host);
        Provider = throughPowerShell ? new HyperVProvider(Runner, Cim, "test") : new SimulatedProvider(host);
    }

    public string Directory { get; }

    public string StateDirectory => Path.Combine(Directory, ".lab");

    public SimulatedHost Host { get; }

    public InProcessPowerShellRunner Runner { get; }

    public SimulatedCimClient Cim { get; }

    public IHostProvider Provider { get; }

    public RecordingReporter Reporter { get; } = new();

    public int Parallelism { get; init; } = EngineOptions.Default.Parallelism;

    /// <summary>The seeds' secrets; by default the fixed test key and nothing else.</summary>
    public Func<string, Core.Planning.VmPlan, GuestSecrets>? Secrets { get; set; }

    public string BoxPath => Path.Combine(Directory, "boxes", "ubuntu.vhdx");

    public string DiskPath(string vm) => Path.Combine(StateDirectory, "vms", vm, vm + ".vhdx");

    public void WriteLabfile(string text) => File.WriteAllText(Path.Combine(Directory, "Labfile.yml"), text);

    /// <summary>Runs one command the way 'lab up' (halt, reload, down) does: the project is read afresh each time.</summary>
    public Task<EngineResult> RunAsync(ReconcileMode mode, CancellationToken cancellationToken = default) => RunAsync(mode, o => o, cancellationToken);

    /// <summary>The same through another provider (one that observes or delays the batches).</summary>
    public Task<EngineResult> RunAsync(ReconcileMode mode, IHostProvider provider, CancellationToken cancellationToken = default) =>
        RunAsync(mode, o => o, cancellationToken, provider);

    /// <summary>The same with other options (<c>--adopt</c>, say).</summary>
    public Task<EngineResult> RunAsync(ReconcileMode mode, Func<EngineOptions, EngineOptions> with, CancellationToken cancellationToken = default, IHostProvider? provider = null)
    {
        var project = LabProject.Open(null, Directory, _ => null, HyperVRules.Instance);
        var seeds = new SeedBuilder(new GuestConfigRenderer(), Secrets ?? ((_, _) => new GuestSecrets(TestKey, null)), () => new byte[32]);
        var engine = new LabEngine(project, provider ?? Provider, Path.Combine(Directory, "host.lock"), seeds, Reporter);
        var options = EngineOptions.Default with { Parallelism = Parallelism, HaltTimeout = TimeSpan.FromSeconds(30) };
        return engine.RunAsync(mode, ImmutableHashSet<string>.Empty, with(options), cancellationToken);
    }

    public Task<EngineResult> UpAsync() => RunAsync(ReconcileMode.Up);

    public Task<EngineResult> DownAsync() => RunAsync(ReconcileMode.Down);

    /// <summary>The result, or a failure message that says what the host reported.</summary>
    public static string Describe(EngineResult result) =>
        $"{result.Outcome}: " + string.Join(" | ",
            result.Failures.Select(f => $"[{f.Batch}] {f.Operation.Describe()}: {f.Error.Kind} {f.Error.Message}")
                .Concat(result.Diagnostics.Select(d => d.ToString()))
                .Concat(result.Reconciliation?.Conflicts.Select(c => c.ToString()) ?? []));

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>What the engine told the user; the tests only keep it for failure messages.</summary>
internal sealed class RecordingReporter : IEngineReporter
{
    private readonly List<string> _lines = [];

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines) return [.. _lines];
        }
    }

    public void Info(string message)
    {
        lock (_lines) _lines.Add(message);
    }

    public void BatchStarted(OperationBatch batch)
    {
        lock (_lines) _lines.Add(string.Create(CultureInfo.InvariantCulture, $"batch '{batch.Label}' ({batch.Operations.Length} operations)"));
    }

    public void Progress(OperationProgress progress)
    {
    }
}
