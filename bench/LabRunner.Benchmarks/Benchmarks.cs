using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using LabRunner.Core.Diagnostics;
using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Core.Planning;
using LabRunner.Core.Reconciliation;
using LabRunner.Engine;
using LabRunner.Guest;
using LabRunner.HyperV.Emulation;
using LabRunner.HyperV.Emulation.Cim;
using LabRunner.Providers.HyperV;
using LabRunner.Simulation;

namespace LabRunner.Benchmarks;

/// <summary>BenchmarkDotNet in-process (no generated project to build), short: sized for 2 cores.</summary>
internal static class BenchmarkConfig
{
    public static IConfig Create() => ManualConfig.CreateMinimumViable()
        .AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(10))
        .AddDiagnoser(MemoryDiagnoser.Default)
        .AddExporter(MarkdownExporter.Console);
}

/// <summary>The Labfiles the benchmarks use.</summary>
internal static class BenchLabfiles
{
    /// <summary>
    /// <paramref name="vms"/> VMs on a NAT network and a private one; every tenth has a forwarded port — the
    /// same shape as bench/generate-labfile.sh.
    /// </summary>
    public static string Generated(int vms, string name = "big")
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"""
            name: {name}
            nat:
              prefix: 10.188.0.0/16
            defaults:
              box: ubuntu
              memory: 512MB
            boxes:
              ubuntu: boxes/ubuntu.vhdx
            networks:
              - name: lan
                type: nat
                subnet: 10.188.64.0/20
              - name: back
                type: private
                subnet: 172.30.0.0/20
            vms:

            """);
        for (var i = 1; i <= vms; i++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"  - name: vm-{i}\n    networks:\n      - lan\n      - back\n");
            if (i % 10 == 0) sb.Append(CultureInfo.InvariantCulture, $"    forwarded_ports:\n      - {{ guest: 22, host: {20000 + i} }}\n");
        }
        return sb.ToString();
    }

    public const string Key = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBM8qpjW0hqIR5kZbTn8m52oxAX33TdurPgmRs1OvzAbWsqdrup+/nVEdl/ttKRseDFqWEs5Kcgs2MZYfWJ1ZBz0= labrunner@bench";
}

/// <summary>'lab up' of 1, 10 and 50 VMs, through the Hyper-V provider's PowerShell path and through the simulated provider.</summary>
internal static class UpBenchmark
{
    private sealed record Measurement(TimeSpan Wall, int Batches, int PowerShellRuns, int Operations, long HostChanges);

    private sealed class QuietReporter : IEngineReporter
    {
        public void Info(string message)
        {
        }

        public void BatchStarted(OperationBatch batch)
        {
        }

        public void Progress(OperationProgress progress)
        {
        }
    }

    public static async Task RunAsync(TextWriter output)
    {
        output.WriteLine("Warming up (JIT, the PowerShell engine, the emulated modules)…");
        await UpOnceAsync(2, powerShell: true);
        await UpOnceAsync(2, powerShell: false);

        var table = new StringBuilder();
        table.AppendLine("| VMs | path | PowerShell runs (processes) | provider batches | operations | host changes | wall time, median | per VM |");
        table.AppendLine("|---:|---|---:|---:|---:|---:|---:|---:|");
        foreach (var vms in new[] { 1, 10, 50 })
        {
            foreach (var powerShell in new[] { true, false })
            {
                var repetitions = vms >= 50 ? 3 : 5;
                var runs = new List<Measurement>();
                for (var i = 0; i < repetitions; i++) runs.Add(await UpOnceAsync(vms, powerShell));
                var median = runs.OrderBy(r => r.Wall).ElementAt(repetitions / 2);
                var path = powerShell ? "Hyper-V provider → in-process PowerShell → emulated cmdlets" : "simulated provider";
                table.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {vms} | {path} | {(powerShell ? median.PowerShellRuns.ToString(CultureInfo.InvariantCulture) : "–")} | {median.Batches} | {median.Operations} | {median.HostChanges} | {median.Wall.TotalMilliseconds:0} ms (of {repetitions}) | {median.Wall.TotalMilliseconds / vms:0.0} ms |"));
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {vms} VMs, {path}: {string.Join(", ", runs.Select(r => $"{r.Wall.TotalMilliseconds:0} ms"))}"));
            }
        }
        output.WriteLine();
        output.WriteLine($"## lab up on the simulated host ({Environment.ProcessorCount} cores, .NET {Environment.Version})");
        output.WriteLine();
        output.Write(table);
        output.WriteLine();
        output.WriteLine("Wall time is the whole engine run: host lock, inventory, planning, seed ISOs, every batch.");
    }

    private static async Task<Measurement> UpOnceAsync(int vms, bool powerShell)
    {
        var directory = Path.Combine(Path.GetTempPath(), "labrunner-bench-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path.Combine(directory, "boxes"));
        try
        {
            File.WriteAllText(Path.Combine(directory, "boxes", "ubuntu.vhdx"), "a base image stands in here\n");
            File.WriteAllText(Path.Combine(directory, "Labfile.yml"), BenchLabfiles.Generated(vms));
            var host = SimulatedHost.InMemory();
            var runner = new InProcessPowerShellRunner(host);
            var simulated = new SimulatedProvider(host);
            IHostProvider provider = powerShell ? new HyperVProvider(runner, new SimulatedCimClient(host), "bench") : simulated;
            var project = LabProject.Open(null, directory, _ => null, HyperVRules.Instance);
            var seeds = new SeedBuilder(new GuestConfigRenderer(), (_, _) => new GuestSecrets(BenchLabfiles.Key, null), () => new byte[32]);
            var engine = new LabEngine(project, provider, Path.Combine(directory, "host.lock"), seeds, new QuietReporter());

            var clock = Stopwatch.StartNew();
            var result = await engine.RunAsync(ReconcileMode.Up, ImmutableHashSet<string>.Empty, EngineOptions.Default, CancellationToken.None);
            clock.Stop();

            if (result.Outcome != EngineOutcome.Done)
                throw new InvalidOperationException($"lab up of {vms} VMs ended {result.Outcome}: {string.Join("; ", result.Failures.Select(f => f.Error.Message))}");
            return new Measurement(clock.Elapsed, result.Batches.Length, runner.ProcessesStarted, result.Batches.Sum(b => b.Operations.Length), host.MutationCount);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}

/// <summary>Planning a generated 500-VM Labfile in-process: parse, validate, plan (no host).</summary>
public class PlanBenchmark
{
    private SourceText _labfile = new("Labfile.yml", "");
    private LabContext _context = LabContext.For(HyperVRules.Instance);

    [GlobalSetup]
    public void Setup()
    {
        _labfile = new SourceText("Labfile.yml", BenchLabfiles.Generated(500));
        _context = LabContext.For(HyperVRules.Instance) with { BoxesOnDisk = ["ubuntu"] };
        var check = LabfileLoader.LoadAndPlan(_labfile, null, _context);
        if (check.HasErrors || check.Plan?.Vms.Length != 500)
            throw new InvalidOperationException("the generated Labfile does not plan: " + string.Join("; ", check.Diagnostics));
    }

    [Benchmark(Description = "LabfileLoader.LoadAndPlan, 500 VMs")]
    public LabPlan? Plan500() => LabfileLoader.LoadAndPlan(_labfile, null, _context).Plan;
}

/// <summary>One VM's whole seed: cloud-init files rendered from the templates, packed into the ISO.</summary>
public class SeedBenchmark
{
    private LabPlan _plan = null!;
    private SeedBuilder _builder = null!;

    [GlobalSetup]
    public void Setup()
    {
        const string labfile = """
            name: seed
            boxes:
              ubuntu: boxes/ubuntu.vhdx
            networks:
              - name: front
                type: nat
                subnet: 10.188.7.0/24
              - name: back
                type: private
                subnet: 192.168.60.0/24
            vms:
              - name: web
                box: ubuntu
                networks:
                  - front
                  - network: back
                    ip: 192.168.60.10
                user_data:
                  packages: [nginx]
            """;
        _plan = LabfileLoader.LoadAndPlan(new SourceText("Labfile.yml", labfile), null, LabContext.For(HyperVRules.Instance) with { BoxesOnDisk = ["ubuntu"] }).Plan
            ?? throw new InvalidOperationException("the seed benchmark's Labfile does not plan");
        _builder = new SeedBuilder(new GuestConfigRenderer(), (_, _) => new GuestSecrets(BenchLabfiles.Key, null), () => new byte[32]);
        if (Build() is null) throw new InvalidOperationException("the seed does not build");
    }

    [Benchmark(Description = "SeedBuilder.Build, one VM (render + ISO)")]
    public SeedImage? Build() => _builder.Build(_plan, _plan.Vms[0], new List<Diagnostic>());
}
