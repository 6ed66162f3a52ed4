using LabRunner.Core.Hosting;
using LabRunner.Engine;
using LabRunner.Integration.Tests.Support;
using LabRunner.Simulation;

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
}
