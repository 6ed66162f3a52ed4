using LabRunner.Core.Hosting;
using LabRunner.Core.Reconciliation;
using LabRunner.Simulation.Model;

namespace LabRunner.Engine.Tests;

/// <summary>Issue 14.5: 'up' removes the networks no VM of the lab uses any more, under the same rules as 'down'.</summary>
public sealed class RemovedNetworkTests
{
    private const string Both = """
        name: demo
        defaults: { box: ubuntu, memory: 1GB }
        networks:
          - { name: lan, type: nat }
          - { name: back, type: private, subnet: 192.168.61.0/24 }
        vms:
          - name: web
            networks: [lan, back]
            forwarded_ports:
              - { guest: 80, host: 8080 }
          - name: db
            networks: [back]
        """;

    private const string LanOnly = """
        name: demo
        defaults: { box: ubuntu, memory: 1GB }
        networks:
          - { name: lan, type: nat }
        vms:
          - name: web
            networks: [lan]
            forwarded_ports:
              - { guest: 80, host: 8080 }
          - name: db
            networks: [lan]
        """;

    [Fact]
    public async Task Up_removes_a_network_the_Labfile_dropped_with_its_switch_and_host_address()
    {
        using var lab = new TestLab(Both);
        var host = lab.Host();
        Assert.Equal(EngineOutcome.Done, (await lab.Run(ReconcileMode.Up, host)).Outcome);
        Assert.NotNull(host.GetInventory([]).Switch("LabRunner-demo-back"));

        lab.WriteLabfile(LanOnly);
        var up = await lab.Run(ReconcileMode.Up, host);
        var again = await lab.Run(ReconcileMode.Up, host);

        Assert.True(up.Outcome == EngineOutcome.Done, string.Join("; ", up.Failures.Select(f => f.Error.Message)));
        var inventory = host.GetInventory([]);
        Assert.Null(inventory.Switch("LabRunner-demo-back"));
        Assert.DoesNotContain(inventory.NetAdapters, a => a.Addresses.Any(ip => ip.Address.ToString() == "192.168.61.1"));
        Assert.NotNull(inventory.Switch("LabRunner-demo-lan"));
        Assert.Single(inventory.PortMappings);
        Assert.All(inventory.Vms, vm => Assert.DoesNotContain(vm.Adapters, a => a.SwitchName == "LabRunner-demo-back"));
        Assert.DoesNotContain(up.Reconciliation!.Notices, n => n.Contains("LabRunner-demo-back", StringComparison.Ordinal));
        Assert.Equal(EngineOutcome.NothingToDo, again.Outcome);
    }

    [Fact]
    public async Task Up_keeps_a_dropped_network_a_VM_it_did_not_create_is_connected_to_and_says_so()
    {
        using var lab = new TestLab(Both);
        var host = lab.Host();
        await lab.Run(ReconcileMode.Up, host);
        host.Mutate(m => m.State.Vms.Add(new SimVm
        {
            Name = "dc01", Id = Guid.NewGuid(), Notes = "domain controller", State = VmState.Running,
            NetworkAdapters = [new SimVmAdapter { Name = "Network Adapter", Id = Guid.NewGuid(), SwitchName = "LabRunner-demo-back" }],
        }));

        lab.WriteLabfile(LanOnly);
        var up = await lab.Run(ReconcileMode.Up, host);

        Assert.Equal(EngineOutcome.Done, up.Outcome);
        Assert.NotNull(host.GetInventory([]).Switch("LabRunner-demo-back"));
        Assert.DoesNotContain(up.Reconciliation!.Teardown, o => o is RemoveSwitch);
        Assert.Contains(up.Reconciliation.Notices, n => n.Contains("'dc01'", StringComparison.Ordinal) && n.Contains("LabRunner-demo-back", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Up_of_some_VMs_leaves_the_networks_alone()
    {
        using var lab = new TestLab(Both);
        var host = lab.Host();
        await lab.Run(ReconcileMode.Up, host);

        lab.WriteLabfile(LanOnly);
        var up = await lab.Engine(host).RunAsync(ReconcileMode.Up, ["web"], EngineOptions.Default, CancellationToken.None);

        Assert.Empty(up.Reconciliation!.Teardown);
        Assert.NotNull(host.GetInventory([]).Switch("LabRunner-demo-back"));
    }
}
