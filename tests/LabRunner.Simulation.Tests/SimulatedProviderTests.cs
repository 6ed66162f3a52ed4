using System.Collections.Immutable;
using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Simulation.Model;
using static LabRunner.Simulation.Tests.TestHost;

namespace LabRunner.Simulation.Tests;

public class SimulatedProviderTests
{
    private const string Mark = "labrunner:v1 lab=demo project=p1";

    /// <summary>What `lab up` of a one-VM NAT lab asks of a host, in order.</summary>
    private static ImmutableArray<HostOperation> LabUp(string seed) =>
    [
        new CreateSwitch("demo-nat", SwitchKind.Internal, null, Mark),
        new AssignHostIp("demo-nat", Ip("10.188.1.1"), 24),
        new CreateNat("LabRunnerNAT", Prefix("10.188.0.0/16")),
        new AddPortMapping("LabRunnerNAT", PortProtocol.Tcp, Ip("0.0.0.0"), 8080, Ip("10.188.1.10"), 80),
        new CreateDisk("web", @"C:\lab\.lab\web.vhdx", @"C:\boxes\ubuntu.vhdx"),
        new CreateVm("web", 2, 2L * 1024 * 1024 * 1024, @"C:\lab\.lab", @"C:\lab\.lab\web.vhdx", Mark),
        new SetVmHardware("web", 2, 2L * 1024 * 1024 * 1024),
        new AddVmAdapter("web", "nat", "demo-nat", Mac("02-4C-52-00-00-10")),
        new AttachSeed("web", seed),
        new SetFirmware("web", true, "MicrosoftUEFICertificateAuthority", @"C:\lab\.lab\web.vhdx"),
        new StartVm("web"),
    ];

    [Theory]
    [InlineData("Ethernet [2]")]
    [InlineData("Ethernet*")]
    public async Task An_external_switch_on_an_adapter_name_with_wildcard_characters_is_refused_as_the_HyperV_provider_does(string adapter)
    {
        var host = SimulatedHost.InMemory();
        host.Mutate(m => m.State.NetAdapters.Add(new SimNetAdapter { Name = adapter, InterfaceDescription = "USB NIC", Kind = SimAdapterKind.Physical }));
        var provider = new SimulatedProvider(host);

        var result = await provider.ApplyAsync(new OperationBatch("net",
            [new CreateSwitch("LabRunner-Bridge-" + adapter, SwitchKind.External, adapter, Mark)]), null, CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.Contains("wildcard", result.Error!.Message, StringComparison.Ordinal);
        Assert.Null(host.GetInventory([]).Switch("LabRunner-Bridge-" + adapter));
    }

    [Fact]
    public async Task A_lab_up_batch_builds_the_lab_on_the_host()
    {
        using var folder = new TempFolder();
        var seed = folder.File("web-seed.iso");
        File.WriteAllText(seed, "seed");
        var provider = new SimulatedProvider(WithBaseImage());
        var progress = new List<OperationProgress>();

        var result = await provider.ApplyAsync(new OperationBatch("up", LabUp(seed)), new SyncProgress(progress), CancellationToken.None);
        var inventory = await provider.GetInventoryAsync([@"C:\lab\.lab\web.vhdx", seed, @"C:\lab\.lab\db.vhdx"], CancellationToken.None);

        Assert.Equal(ApplyResult.AllDone(11), result);
        var web = inventory.Vm("web")!;
        Assert.Equal(VmState.Running, web.State);
        Assert.Equal(Mark, web.Notes);
        Assert.Equal((2, 2L * 1024 * 1024 * 1024), (web.Cpus, web.MemoryBytes));
        Assert.Equal([new HostVmAdapter("nat", "demo-nat", Mac("02-4C-52-00-00-10"))], web.Adapters.ToArray());
        Assert.Equal([seed], web.DvdDrives.Select(d => d.Path).ToArray());
        Assert.True(web.SecureBoot);
        Assert.Equal("10.188.1.1/24", inventory.HostInterfaceOf(HyperVRules.Instance, "demo-nat")!.Addresses.Single().ToString());
        Assert.Equal([@"C:\lab\.lab\web.vhdx", seed], inventory.Files.ToArray());
        Assert.Equal(22, progress.Count);
        Assert.Equal((10, true), (progress[^1].Index, progress[^1].Done));
        Assert.Equal((11, 1), (provider.OperationsApplied, provider.Batches));
    }

    [Fact]
    public async Task A_batch_stops_at_the_first_refusal_and_says_how_far_it_got()
    {
        var host = SimulatedHost.InMemory();
        host.Mutate(m => m.NewNat("DockerNAT", Prefix("172.20.0.0/16")));
        var provider = new SimulatedProvider(host);

        var result = await provider.ApplyAsync(new OperationBatch("up", LabUp("seed.iso")), null, CancellationToken.None);

        Assert.Equal(2, result.Completed);
        Assert.Equal(HostErrorKind.Conflict, result.Error!.Kind);
        Assert.StartsWith("The parameter is incorrect.", result.Error.Message, StringComparison.Ordinal);
        Assert.NotNull(host.GetInventory([]).Switch("demo-nat"));
    }

    [Fact]
    public async Task A_failed_vm_skips_only_its_own_remaining_operations_and_the_next_vm_is_built()
    {
        var host = WithBaseImage();
        host.Mutate(m => m.NewSwitch("demo-nat", SwitchKind.Internal, null, false, Mark));
        // A foreign VM already holds web's MAC: Hyper-V refuses web's adapter.
        host.Mutate(m => m.AddVmNetworkAdapter(m.NewVm("foreign"), "x", null, Mac("02-4C-52-00-00-10")));
        HostOperation[] Vm(string name, string mac) =>
        [
            new CreateDisk(name, $@"C:\lab\.lab\{name}.vhdx", @"C:\boxes\ubuntu.vhdx"),
            new CreateVm(name, 2, 1L << 30, @"C:\lab\.lab", $@"C:\lab\.lab\{name}.vhdx", Mark),
            new AddVmAdapter(name, "nat", "demo-nat", Mac(mac)),
            new StartVm(name),
        ];
        var batch = new OperationBatch("VMs 1/1", [.. Vm("web", "02-4C-52-00-00-10"), .. Vm("db", "02-4C-52-00-00-11")]);

        var result = await new SimulatedProvider(host).ApplyAsync(batch, null, CancellationToken.None);

        Assert.Equal(
            [OperationStatus.Done, OperationStatus.Done, OperationStatus.Failed, OperationStatus.NotRun,
             OperationStatus.Done, OperationStatus.Done, OperationStatus.Done, OperationStatus.Done],
            result.Statuses.ToArray());
        Assert.Equal(2, Assert.Single(result.Errors).Index);
        Assert.Equal(HostErrorKind.Conflict, result.Error!.Kind);
        var inventory = host.GetInventory([]);
        Assert.Equal(VmState.Running, inventory.Vm("db")!.State);
        Assert.Equal(VmState.Off, inventory.Vm("web")!.State);
    }

    [Fact]
    public async Task An_injected_fault_fails_the_nth_operation()
    {
        var host = WithBaseImage();
        host.FailAtOperation = 3;

        var result = await new SimulatedProvider(host).ApplyAsync(new OperationBatch("up", LabUp("seed.iso")), null, CancellationToken.None);

        Assert.Equal(2, result.Completed);
        Assert.Equal(HostErrorKind.Failed, result.Error!.Kind);
        Assert.Empty(host.GetInventory([]).Nats);
    }

    [Fact]
    public async Task Cancellation_is_honoured_between_operations()
    {
        var provider = new SimulatedProvider(WithBaseImage());
        using var cancel = new CancellationTokenSource();
        var progress = new SyncProgress([], onReport: p =>
        {
            if (p.Index == 1 && p.Done) cancel.Cancel();
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => provider.ApplyAsync(new OperationBatch("up", LabUp("seed.iso")), progress, cancel.Token));

        var inventory = provider.Host.GetInventory([]);
        Assert.Single(inventory.HostInterfaceOf(HyperVRules.Instance, "demo-nat")!.Addresses);
        Assert.Empty(inventory.Nats);
    }

    [Fact]
    public async Task Lab_down_removes_what_lab_up_made_and_leaves_the_base_image()
    {
        using var folder = new TempFolder();
        var seed = folder.File("web-seed.iso");
        File.WriteAllText(seed, "seed");
        var provider = new SimulatedProvider(WithBaseImage());
        await provider.ApplyAsync(new OperationBatch("up", LabUp(seed)), null, CancellationToken.None);

        var result = await provider.ApplyAsync(new OperationBatch("down",
        [
            new StopVm("web", TurnOff: false),
            new RemoveVm("web"),
            new RemoveFile("web", @"C:\lab\.lab\web.vhdx"),
            new RemoveFile("web", seed),
            new RemovePortMapping("LabRunnerNAT", PortProtocol.Tcp, Ip("0.0.0.0"), 8080, Ip("10.188.1.10"), 80),
            new RemoveNat("LabRunnerNAT"),
            new RemoveSwitch("demo-nat"),
        ]), null, CancellationToken.None);

        Assert.True(result.Succeeded, result.Error?.Message);
        var inventory = provider.Host.GetInventory([@"C:\boxes\ubuntu.vhdx", @"C:\lab\.lab\web.vhdx"]);
        Assert.Empty(inventory.Vms);
        Assert.Empty(inventory.Nats);
        Assert.Empty(inventory.PortMappings);
        Assert.Equal(["Default Switch"], inventory.Switches.Select(s => s.Name));
        Assert.Equal([@"C:\boxes\ubuntu.vhdx"], inventory.Files.ToArray());
        Assert.False(File.Exists(seed));
    }

    [Fact]
    public async Task Replacing_a_seed_changes_the_media_of_a_running_vm()
    {
        using var folder = new TempFolder();
        var seed = folder.File("web-seed.iso");
        var newSeed = folder.File("web-seed-2.iso");
        File.WriteAllText(seed, "seed");
        File.WriteAllText(newSeed, "seed");
        var provider = new SimulatedProvider(WithBaseImage());
        await provider.ApplyAsync(new OperationBatch("up", LabUp(seed)), null, CancellationToken.None);

        var result = await provider.ApplyAsync(new OperationBatch("reload", [new AttachSeed("web", newSeed, new SeedDrive.Holding(seed))]), null, CancellationToken.None);

        Assert.True(result.Succeeded);
        Assert.Equal([newSeed], provider.Host.GetInventory([]).Vm("web")!.DvdDrives.Select(d => d.Path).ToArray());
    }

    [Fact]
    public async Task Parallel_batches_of_different_vms_all_land()
    {
        var provider = new SimulatedProvider(WithBaseImage());
        await provider.ApplyAsync(new OperationBatch("net", [new CreateSwitch("lab", SwitchKind.Private, null, Mark)]), null, CancellationToken.None);

        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => provider.ApplyAsync(new OperationBatch($"vm{i}",
        [
            new CreateVm($"vm{i}", 2, 512L * 1024 * 1024, @"C:\lab", null!, Mark),
            new AddVmAdapter($"vm{i}", "lan", "lab", Mac($"02-00-00-00-00-{i + 1:X2}")),
            new StartVm($"vm{i}"),
        ]), null, CancellationToken.None)));

        Assert.All(results, r => Assert.True(r.Succeeded, r.Error?.Message));
        Assert.Equal(6, provider.Host.GetInventory([]).Vms.Count(v => v.State == VmState.Running));
    }

    [Fact]
    public void The_description_names_the_file()
    {
        using var folder = new TempFolder();

        Assert.Equal($"simulated host at {folder.File("h.json")}", new SimulatedProvider(new SimulatedHost(folder.File("h.json"))).Description);
    }

    /// <summary>Progress&lt;T&gt; posts to the thread pool; tests need the reports in order and at once.</summary>
    private sealed class SyncProgress(List<OperationProgress> reports, Action<OperationProgress>? onReport = null) : IProgress<OperationProgress>
    {
        public void Report(OperationProgress value)
        {
            lock (reports) reports.Add(value);
            onReport?.Invoke(value);
        }
    }
}
