using System.Collections.Immutable;
using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Core.Net;
using LabRunner.Core.Planning;
using LabRunner.Core.Reconciliation;
using LabRunner.Providers.Qemu.Network;

namespace LabRunner.Providers.Qemu.Tests.Provider;

/// <summary>
/// Issue 14.10: on QEMU a bridged network needs an existing Linux bridge. Naming a physical adapter (or nothing the
/// host has) is a conflict before any change — what --what-if shows too — that says how to make a bridge.
/// </summary>
public class BridgedNetworkTests
{
    private static readonly LabIdentity Me = new("shop", "p1");

    private static string Labfile(string adapter) => $$"""
        name: shop
        boxes: { debian: /boxes/debian.qcow2 }
        defaults: { box: debian }
        networks:
          - { name: back, type: private, subnet: 192.168.77.0/24 }
          - { name: office, type: bridged, adapter: {{adapter}} }
        vms:
          - name: web
            networks: [back, office]
        """;

    private static readonly HostInventory Host = HostInventory.Empty with
    {
        NetAdapters =
        [
            new HostNetAdapter("eth0", "device", true, [new HostIp(Ipv4Address.Parse("198.51.100.2"), 24)]),
            new HostNetAdapter("br7", "bridge", false, []),
        ],
        Switches = [new HostSwitch("br7", SwitchKind.External, "br7", "")],
        Files = ["/boxes/debian.qcow2"],
    };

    private static Core.Reconciliation.Reconciliation Up(string adapter)
    {
        var plan = LabfileLoader.LoadAndPlan(new SourceText("Labfile.yml", Labfile(adapter)), null, LabContext.For(QemuRules.Instance)).Plan!;
        var files = plan.Vms.ToImmutableDictionary(v => v.Name, v => new VmFiles($"/p/.lab/vms/{v.Name}", $"/p/.lab/vms/{v.Name}/{v.Name}.qcow2", $"/p/.lab/vms/{v.Name}/seed.iso", "/boxes/debian.qcow2"));
        return Reconciler.Reconcile(new ReconcileRequest(plan, Host, Me, ReconcileMode.Up, files, "/p/.lab", [], [], HostRules: QemuRules.Instance));
    }

    [Fact]
    public void A_physical_adapter_is_a_conflict_that_says_a_linux_bridge_is_needed_and_how_to_make_one()
    {
        var result = Up("eth0");

        var conflict = Assert.Single(result.Conflicts).Message;
        Assert.Contains("bridged network 'office': 'eth0' is a network adapter, not a Linux bridge", conflict, StringComparison.Ordinal);
        Assert.Contains("ip link add br0 type bridge; ip link set eth0 master br0", conflict, StringComparison.Ordinal);
        Assert.Contains("nmcli", conflict, StringComparison.Ordinal);
        Assert.Contains("systemd-networkd", conflict, StringComparison.Ordinal);
        Assert.Contains("'br7'", conflict, StringComparison.Ordinal);
        Assert.DoesNotContain(result.Network, o => o is CreateSwitch { Kind: SwitchKind.External });
    }

    [Fact]
    public void A_name_the_host_does_not_have_lists_its_bridges_not_the_adapters_that_would_be_refused()
    {
        var result = Up("nosuch");

        var conflict = Assert.Single(result.Conflicts).Message;
        Assert.Contains("the host has no Linux bridge named 'nosuch'", conflict, StringComparison.Ordinal);
        Assert.Contains("Its Linux bridges: 'br7'", conflict, StringComparison.Ordinal);
        Assert.DoesNotContain("'eth0'", conflict, StringComparison.Ordinal);
        Assert.DoesNotContain("physical adapter named", conflict, StringComparison.Ordinal);
    }

    [Fact]
    public void A_foreign_interface_with_a_planned_bridge_name_is_called_a_bridge()
    {
        var back = InterfaceNames.Bridge("shop", "back");
        var plan = LabfileLoader.LoadAndPlan(new SourceText("Labfile.yml", Labfile("br7")), null, LabContext.For(QemuRules.Instance)).Plan!;
        var host = Host with { Switches = [.. Host.Switches, new HostSwitch(back, SwitchKind.External, back, "")] };
        var files = plan.Vms.ToImmutableDictionary(v => v.Name, v => new VmFiles($"/p/.lab/vms/{v.Name}", $"/p/.lab/vms/{v.Name}/{v.Name}.qcow2", $"/p/.lab/vms/{v.Name}/seed.iso", "/boxes/debian.qcow2"));

        var result = Reconciler.Reconcile(new ReconcileRequest(plan, host, Me, ReconcileMode.Up, files, "/p/.lab", [], [], HostRules: QemuRules.Instance));

        var conflict = Assert.Single(result.Conflicts).Message;
        Assert.Contains($"a bridge named '{back}' already exists and was not created by LabRunner", conflict, StringComparison.Ordinal);
    }

    [Fact]
    public void An_existing_linux_bridge_is_used_as_it_is()
    {
        var result = Up("br7");

        Assert.Empty(result.Conflicts);
        Assert.DoesNotContain(result.Network, o => o is CreateSwitch { Kind: SwitchKind.External });
    }
}
