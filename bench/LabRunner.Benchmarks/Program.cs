// LabRunner benchmarks. One command each, from the repository root (Release builds only):
//   dotnet run -c Release --project bench/LabRunner.Benchmarks -- up     # 'lab up' of 1, 10, 50 VMs: PowerShell processes, operations, wall time
//   dotnet run -c Release --project bench/LabRunner.Benchmarks -- plan   # BenchmarkDotNet: plan a generated 500-VM Labfile in-process
//   dotnet run -c Release --project bench/LabRunner.Benchmarks -- seed   # BenchmarkDotNet: one VM's whole seed (render + ISO)
//   dotnet run -c Release --project bench/LabRunner.Benchmarks -- all    # all three
//   sudo dotnet run -c Release --project bench/LabRunner.Benchmarks -- sync  # a synced folder's push: 100 MiB, 5,000 files (bench/sync-push.sh)
// 'up' is a plain timed loop (each run needs a fresh host and project, which BenchmarkDotNet's iteration
// model does not fit); 'plan' and 'seed' are BenchmarkDotNet benchmarks run in-process (short job: 3 warmups,
// 10 iterations), sized for a 2-core machine. Every table is printed as markdown.
using BenchmarkDotNet.Running;
using LabRunner.Benchmarks;

var what = args.Length > 0 ? args[0] : "";
switch (what)
{
    case "up":
        await UpBenchmark.RunAsync(Console.Out);
        return 0;
    case "plan":
        BenchmarkRunner.Run<PlanBenchmark>(BenchmarkConfig.Create());
        return 0;
    case "seed":
        BenchmarkRunner.Run<SeedBenchmark>(BenchmarkConfig.Create());
        return 0;
    case "sync":
        if (OperatingSystem.IsWindows()) { Console.Error.WriteLine("sync: needs Linux (sshd, GNU tar)"); return 2; }
        await SyncBenchmark.RunAsync(Console.Out);
        return 0;
    case "all":
        await UpBenchmark.RunAsync(Console.Out);
        BenchmarkRunner.Run([typeof(PlanBenchmark), typeof(SeedBenchmark)], BenchmarkConfig.Create());
        return 0;
    default:
        Console.Error.WriteLine("usage: dotnet run -c Release --project bench/LabRunner.Benchmarks -- up|plan|seed|all|sync");
        return 2;
}
