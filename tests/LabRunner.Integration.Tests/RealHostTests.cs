using LabRunner.Core.Hosting;
using LabRunner.Engine;
using LabRunner.Integration.Tests.Support;
using LabRunner.Simulation;
using LabRunner.Simulation.Model;

namespace LabRunner.Integration.Tests;

/// <summary>
/// What a real Hyper-V host does differently from a tidy one (found by checking the scripts against
/// Microsoft's documentation), through the real provider's scripts run by the PowerShell engine.
/// </summary>
public class RealHostTests
{
    private const string OneVm = """
        name: real
        boxes:
          ubuntu: boxes/ubuntu.vhdx
        networks:
          - name: front
            type: nat
            subnet: 10.188.12.0/24
        vms:
          - name: web
            box: ubuntu
            memory: 512MB
            networks: [front]
            forwarded_ports:
              - guest: 80
                host: 18080
        """;

    [Fact]
    public async Task Up_gives_a_vhd_box_a_vhd_differencing_disk_and_down_removes_it()
    {
        using var lab = new Lab(OneVm.Replace("boxes/ubuntu.vhdx", "boxes/legacy.vhd", StringComparison.Ordinal), SimulatedHost.InMemory());
        File.WriteAllText(Path.Combine(lab.Directory, "boxes", "legacy.vhd"), "a VHD base image stands in here\n");

        var up = await lab.UpAsync();

        Assert.True(up.Outcome == EngineOutcome.Done, Lab.Describe(up));
        var disk = Path.Combine(lab.StateDirectory, "vms", "web", "web.vhd");
        Assert.Equal(disk, Assert.Single(Assert.Single(lab.Host.Snapshot().Vms).HardDisks).Path);
        Assert.True(File.Exists(disk));

        var down = await lab.DownAsync();

        Assert.True(down.Outcome == EngineOutcome.Done, Lab.Describe(down));
        Assert.False(File.Exists(disk));
        Assert.Empty(lab.Host.Snapshot().Vhds);
    }

    [Fact]
    public async Task Up_stops_forwarding_a_port_that_WinNAT_reads_back_with_a_prefixed_external_address()
    {
        using var lab = new Lab(OneVm, SimulatedHost.InMemory());
        Assert.Equal(EngineOutcome.Done, (await lab.UpAsync()).Outcome);
        // WinNAT may keep 0.0.0.0 as 0.0.0.0/24 (the form Microsoft's own examples pass).
        lab.Host.Mutate(m => m.State.StaticMappings.ForEach(s => s.ExternalPrefixLength = 24));
        lab.WriteLabfile(OneVm[..OneVm.IndexOf("    forwarded_ports:", StringComparison.Ordinal)]);

        var up = await lab.UpAsync();

        Assert.True(up.Outcome == EngineOutcome.Done, Lab.Describe(up));
        Assert.Empty(lab.Host.Snapshot().StaticMappings);
        Assert.Equal(EngineOutcome.NothingToDo, (await lab.UpAsync()).Outcome);
    }

    [Fact]
    public async Task Up_turns_automatic_checkpoints_off_so_the_vm_keeps_its_planned_disk_and_down_leaves_nothing()
    {
        // The default simulated host is a Windows 10/11 client: New-VM turns automatic checkpoints on.
        var host = SimulatedHost.InMemory();
        Assert.True(host.Snapshot().NewVmsTakeAutomaticCheckpoints);
        using var lab = new Lab(OneVm, host);

        var up = await lab.UpAsync();

        Assert.True(up.Outcome == EngineOutcome.Done, Lab.Describe(up));
        var vm = Assert.Single(host.Snapshot().Vms);
        Assert.False(vm.AutomaticCheckpointsEnabled);
        Assert.Equal(lab.DiskPath("web"), Assert.Single(vm.HardDisks).Path);
        Assert.DoesNotContain(host.Snapshot().Vhds, v => v.Path.EndsWith(".avhdx", StringComparison.OrdinalIgnoreCase));
        Assert.False((await lab.Provider.GetInventoryAsync([], CancellationToken.None)).Vm("real-web")!.AutomaticCheckpoints);

        // Someone turns them on again: 'up' sees it in the inventory and turns them off, the VM still running.
        host.Mutate(m => m.SetVm(m.GetVm("real-web"), automaticCheckpoints: true));
        Assert.True((await lab.Provider.GetInventoryAsync([], CancellationToken.None)).Vm("real-web")!.AutomaticCheckpoints);
        var again = await lab.UpAsync();

        Assert.True(again.Outcome == EngineOutcome.Done, Lab.Describe(again));
        Assert.False(Assert.Single(host.Snapshot().Vms).AutomaticCheckpointsEnabled);
        Assert.Equal(VmState.Running, Assert.Single(host.Snapshot().Vms).State);

        var down = await lab.DownAsync();

        Assert.True(down.Outcome == EngineOutcome.Done, Lab.Describe(down));
        Assert.Empty(host.Snapshot().Vhds);
        Assert.False(Directory.Exists(Path.Combine(lab.StateDirectory, "vms", "web")) && Directory.EnumerateFiles(Path.Combine(lab.StateDirectory, "vms", "web"), "*.*vhd*").Any());
    }

    [Fact]
    public async Task A_generation_1_vm_gets_its_seed_in_the_dvd_drive_new_vm_made_and_a_new_seed_goes_only_there()
    {
        var labfile = OneVm.Replace("    memory: 512MB", "    memory: 512MB\n    generation: 1", StringComparison.Ordinal);
        var host = SimulatedHost.InMemory();
        using var lab = new Lab(labfile, host);

        var up = await lab.UpAsync();

        Assert.True(up.Outcome == EngineOutcome.Done, Lab.Describe(up));
        var drive = Assert.Single(Assert.Single(host.Snapshot().Vms).DvdDrives);
        Assert.Equal((1, 0), (drive.ControllerNumber, drive.ControllerLocation));
        var firstSeed = drive.Path!;
        Assert.StartsWith(Path.Combine(lab.StateDirectory, "vms", "web"), firstSeed, StringComparison.Ordinal);

        // The user puts a tools disc in a second drive; a changed hostname makes a new seed.
        var tools = Path.Combine(lab.Directory, "tools.iso");
        File.WriteAllText(tools, "tools");
        host.Mutate(m => m.GetVm("real-web").DvdDrives.Add(new SimDrive { ControllerType = SimControllerType.Ide, ControllerNumber = 0, ControllerLocation = 1, Path = tools }));
        lab.WriteLabfile(labfile.Replace("    generation: 1", "    generation: 1\n    hostname: web-two", StringComparison.Ordinal));

        var reload = await lab.RunAsync(Core.Reconciliation.ReconcileMode.Reload);

        Assert.True(reload.Outcome == EngineOutcome.Done, Lab.Describe(reload));
        var drives = Assert.Single(host.Snapshot().Vms).DvdDrives.OrderBy(d => d.ControllerNumber).ToList();
        Assert.Equal(2, drives.Count);
        Assert.Equal(tools, drives[0].Path);
        Assert.NotEqual(firstSeed, drives[1].Path);
        Assert.StartsWith(Path.Combine(lab.StateDirectory, "vms", "web"), drives[1].Path!, StringComparison.Ordinal);
        Assert.Equal(EngineOutcome.NothingToDo, (await lab.UpAsync()).Outcome);
    }
}
