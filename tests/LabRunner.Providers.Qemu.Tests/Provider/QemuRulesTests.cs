using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Core.Planning;
using LabRunner.Providers.Qemu.Network;

namespace LabRunner.Providers.Qemu.Tests.Provider;

/// <summary>The QEMU host's rules, through the planner: names Linux accepts, the bridge as the host's interface, a NAT per network.</summary>
public class QemuRulesTests
{
    private const string Lab = """
        name: a-lab-with-a-rather-long-name
        boxes: { debian: /boxes/debian.img }
        defaults: { box: debian }
        networks:
          - { name: frontend-network, type: nat, subnet: 10.188.7.0/24 }
          - { name: backend, type: isolated, subnet: 192.168.77.0/24 }
          - { name: lan, type: bridged, adapter: br0 }
        vms:
          - name: web
            networks: [frontend-network, backend, lan]
        """;

    [Fact]
    public void Planned_switches_are_linux_interface_names_and_a_bridged_network_uses_the_named_bridge()
    {
        var plan = LabfileLoader.LoadAndPlan(new SourceText("Labfile.yml", Lab), null, LabContext.For(QemuRules.Instance)).Plan!;

        Assert.Equal(
            [InterfaceNames.Bridge("a-lab-with-a-rather-long-name", "frontend-network"), InterfaceNames.Bridge("a-lab-with-a-rather-long-name", "backend"), "br0"],
            plan.Networks.Select(n => n.Switch));
        Assert.All(plan.Networks, n => Assert.True(InterfaceNames.IsValid(n.Switch), n.Switch));
        Assert.Equal("a-lab-with-a-rather-long-name-web", plan.Vms[0].HostVmName);
    }

    [Fact]
    public void A_loopback_host_ip_is_a_labfile_error_on_qemu_with_why_and_what_to_use()
    {
        var labfile = Lab.Replace("networks: [frontend-network, backend, lan]",
            "networks: [frontend-network, backend, lan]\n    forwarded_ports: [{ guest: 80, host: 8080, host_ip: 127.0.0.1 }]", StringComparison.Ordinal);

        var result = LabfileLoader.LoadAndPlan(new SourceText("Labfile.yml", labfile), null, LabContext.For(QemuRules.Instance));

        var error = Assert.Single(result.Diagnostics, d => d.Code == "LAB404");
        Assert.Contains("nftables DNAT cannot forward 127.0.0.1", error.Message, StringComparison.Ordinal);
        Assert.Contains("connect to the guest's own address", error.Message, StringComparison.Ordinal);
        Assert.Null(QemuRules.Instance.UnreachableHostIp(Core.Net.Ipv4Address.Parse("192.168.1.5")));
    }

    [Fact]
    public void The_rules_say_what_qemu_can_do()
    {
        var rules = QemuRules.Instance;

        Assert.Equal(("qemu", NatModel.PerNetwork, false, false, false), (rules.Name, rules.Nat, rules.SecureBootTemplates, rules.AdaptersHotPlug(2), rules.SeedChangeWhileRunning));
        Assert.Equal("lr12345678", rules.HostInterfaceName("lr12345678"));
        Assert.Equal(".qcow2", rules.OverlayExtension("/boxes/debian.vhdx"));
        Assert.Null(rules.RefuseBox("/boxes/debian.raw"));
        Assert.Same(StringComparer.Ordinal, rules.PathComparer);
    }
}
