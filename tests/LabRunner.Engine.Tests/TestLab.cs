using System.Collections.Immutable;
using LabRunner.Core.Hosting;
using LabRunner.Core.Reconciliation;
using LabRunner.Engine;
using LabRunner.Guest;
using LabRunner.Providers.HyperV;
using LabRunner.Simulation;

namespace LabRunner.Engine.Tests;

/// <summary>A project folder with a Labfile and a box, and a simulated host file, all in a temp folder.</summary>
internal sealed class TestLab : IDisposable
{
    public const string Key = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBM8qpjW0hqIR5kZbTn8m52oxAX33TdurPgmRs1OvzAbWsqdrup+/nVEdl/ttKRseDFqWEs5Kcgs2MZYfWJ1ZBz0= labrunner@test";

    public const string ThreeVms = """
        name: {NAME}
        defaults: { box: ubuntu, memory: 1GB }
        networks:
          - { name: lan, type: nat }
          - { name: back, type: private, subnet: {BACK} }
          - { name: store, type: isolated, subnet: 172.31.9.0/24 }
        vms:
          - name: web
            networks: [lan, back]
            forwarded_ports:
              - { guest: 80, host: {PORT} }
          - name: app
            networks: [lan, back, store]
          - name: db
            networks: [{ network: back, ip: {DBIP} }, store]
        """;

    private readonly string _root;

    public TestLab(string labfile, string? hostFile = null, string name = "demo")
    {
        _root = Path.Combine(Path.GetTempPath(), "labrunner-engine-" + Guid.NewGuid().ToString("N")[..8]);
        ProjectDirectory = Path.Combine(_root, name);
        Directory.CreateDirectory(Path.Combine(ProjectDirectory, "boxes"));
        File.WriteAllBytes(Path.Combine(ProjectDirectory, "boxes", "ubuntu.vhdx"), new byte[4096]);
        WriteLabfile(labfile);
        HostFile = hostFile ?? Path.Combine(_root, "host.json");
    }

    public string ProjectDirectory { get; }
    public string HostFile { get; }

    public static string Three(string name = "demo", string back = "192.168.60.0/24", string dbIp = "192.168.60.10", int port = 8080) =>
        ThreeVms.Replace("{NAME}", name, StringComparison.Ordinal).Replace("{BACK}", back, StringComparison.Ordinal)
            .Replace("{DBIP}", dbIp, StringComparison.Ordinal).Replace("{PORT}", port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

    public void WriteLabfile(string text) => File.WriteAllText(Path.Combine(ProjectDirectory, "Labfile.yml"), text);

    public SimulatedHost Host() => new(HostFile);

    public LabEngine Engine(SimulatedHost? host = null, IEngineReporter? reporter = null) =>
        Engine(new SimulatedProvider(host ?? Host()), reporter);

    /// <summary>The engine over any provider (a wrapper around the simulated one, to observe or delay batches).</summary>
    public LabEngine Engine(IHostProvider provider, IEngineReporter? reporter = null) => Engine(provider, p => p, reporter);

    /// <summary>The engine over a project that <paramref name="project"/> changes (gives it a box store).</summary>
    public LabEngine Engine(IHostProvider provider, Func<LabProject, LabProject> project, IEngineReporter? reporter = null)
    {
        var opened = project(Project());
        var seeds = new SeedBuilder(new GuestConfigRenderer(), (_, _) => new GuestSecrets(Key, null), () => new byte[32]);
        return new LabEngine(opened, provider, HostFile + ".engine.lock", seeds, reporter ?? new NullReporter());
    }

    public LabProject Project() => LabProject.Open(null, ProjectDirectory, _ => null, HyperVRules.Instance);

    /// <summary>The project with its state folder made, its Labfile and its plan (which must have no errors).</summary>
    public (LabProject Project, Core.Labfile.LabDefinition Lab, Core.Planning.LabPlan Plan) Planned()
    {
        var project = Project();
        Directory.CreateDirectory(project.StateDirectory);
        var planned = project.Plan();
        Xunit.Assert.False(planned.HasErrors, string.Join('\n', planned.Diagnostics));
        return (project, planned.Lab!, planned.Plan!);
    }

    public Task<EngineResult> Run(ReconcileMode mode, SimulatedHost? host = null, EngineOptions? options = null, CancellationToken ct = default) =>
        Engine(host).RunAsync(mode, [], options ?? EngineOptions.Default, ct);

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private sealed class NullReporter : IEngineReporter
    {
        public void Info(string message) { }
        public void BatchStarted(OperationBatch batch) { }
        public void Progress(OperationProgress progress) { }
    }
}

internal static class InventoryExtensions
{
    /// <summary>Everything on the host carrying a LabRunner mark, plus its NetNat and mappings: what must be gone after down.</summary>
    public static ImmutableArray<string> LabRunnerObjects(this HostInventory inventory) =>
    [
        .. inventory.Switches.Where(s => LabIdentity.IsLabRunner(s.Notes)).Select(s => "switch " + s.Name),
        .. inventory.Vms.Where(v => LabIdentity.IsLabRunner(v.Notes) || v.Notes.Length == 0).Select(v => "vm " + v.Name),
        .. inventory.Nats.Where(n => n.Name == "LabRunnerNAT").Select(n => "nat " + n.Name),
        .. inventory.PortMappings.Select(m => $"mapping {m.ExternalPort}"),
    ];
}
