using System.Collections.Immutable;
using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Core.Net;
using LabRunner.Core.Planning;
using LabRunner.Core.Reconciliation;
using LabRunner.Providers.HyperV;

namespace LabRunner.Core.Tests.Reconciliation;

/// <summary>
/// The reconciler asks the provider's rules instead of assuming Hyper-V: names, the host's interface on a
/// switch, NAT per network, secure boot, what waits for a reload, disk formats. A Linux-like rule set here
/// stands for the QEMU provider's (which lives in its own project).
/// </summary>
public class HostRulesTests
{
    private const string Lab = """
        name: demo
        boxes: { debian: /boxes/debian.qcow2 }
        defaults: { box: debian }
        networks:
          - { name: front, type: nat, subnet: 10.188.7.0/24 }
          - { name: back, type: private, subnet: 192.168.77.0/24 }
        vms:
          - name: web
            networks: [front, back]
            forwarded_ports: [{ guest: 80, host: 8080 }]
        """;

    private static readonly LabIdentity Me = new("demo", "p1");

    /// <summary>Like the QEMU provider's: short bridge names that are their own host interface, a NAT per network.</summary>
    private sealed class LinuxLikeRules : HostRules
    {
        public static readonly LinuxLikeRules Instance = new();

        public override string Name => "linux-like";

        public override string SwitchName(string lab, NetworkDefinition network) => $"br-{network.Name}";

        public override string HostInterfaceName(string switchName) => switchName;

        public override NatModel Nat => NatModel.PerNetwork;

        public override bool SecureBootTemplates => false;

        public override bool AdaptersHotPlug(int generation) => false;

        public override bool SeedChangeWhileRunning => false;

        public override string OverlayExtension(string boxPath) => ".qcow2";

        public override StringComparer PathComparer => StringComparer.Ordinal;

        public override string ForwardedPortNote => "from this host, use the host's own address";

    }

    private static LabPlan Plan(HostRules rules, string labfile = Lab) =>
        LabfileLoader.LoadAndPlan(new SourceText("Labfile.yml", labfile), null, LabContext.For(rules)).Plan!;

    /// <summary>Names a VM with the lab's name last ("web.demo"), as no built-in provider does.</summary>
    private sealed class LabLastRules : HostRules
    {
        public static readonly LabLastRules Instance = new();

        public override string Name => "lab-last";

        public override string SwitchName(string lab, NetworkDefinition network) => LinuxLikeRules.Instance.SwitchName(lab, network);

        public override string VmName(string lab, string vm) => $"{vm}.{lab}";

        public override string? LabfileVmName(string lab, string hostName) =>
            hostName.EndsWith("." + lab, StringComparison.OrdinalIgnoreCase) && hostName.Length > lab.Length + 1 ? hostName[..^(lab.Length + 1)] : null;

        public override string HostInterfaceName(string switchName) => switchName;

        public override NatModel Nat => NatModel.PerNetwork;

        public override bool SecureBootTemplates => false;

        public override bool AdaptersHotPlug(int generation) => false;

        public override bool SeedChangeWhileRunning => false;

        public override string OverlayExtension(string boxPath) => ".qcow2";

        public override StringComparer PathComparer => StringComparer.Ordinal;

        public override string ForwardedPortNote => "";
    }

    private static Core.Reconciliation.Reconciliation Run(HostRules rules, HostInventory inventory, ReconcileMode mode = ReconcileMode.Up, string labfile = Lab,
        ImmutableHashSet<string>? targets = null)
    {
        var plan = Plan(rules, labfile);
        var files = plan.Vms.ToImmutableDictionary(v => v.Name, v => new VmFiles($"/p/.lab/vms/{v.Name}", $"/p/.lab/vms/{v.Name}/{v.Name}.qcow2",
            $"/p/.lab/vms/{v.Name}/seed-2.iso", plan.Vms[0].Box == "debian" ? "/boxes/debian.qcow2" : "/boxes/x"));
        return Reconciler.Reconcile(new ReconcileRequest(plan, inventory, Me, mode, files, "/p/.lab", targets ?? [], [], HostRules: rules));
    }

    private static HostInventory EmptyHost => HostInventory.Empty with
    {
        NetAdapters = [new HostNetAdapter("eth0", "uplink", true, [new HostIp(Ipv4Address.Parse("198.51.100.2"), 24)])],
        Files = ["/boxes/debian.qcow2"],
    };

    [Fact]
    public void Planning_names_switches_and_vms_by_the_host_rules()
    {
        var plan = Plan(LinuxLikeRules.Instance);

        Assert.Equal(["br-front", "br-back"], plan.Networks.Select(n => n.Switch));
        Assert.Equal(["br-front", "br-back"], plan.Vms[0].Adapters.Select(a => a.Switch));
        Assert.Equal("demo-web", plan.Vms[0].HostVmName);
    }

    [Fact]
    public void A_host_with_a_nat_per_network_gets_one_nat_per_nat_network_marked_as_the_labs()
    {
        var r = Run(LinuxLikeRules.Instance, EmptyHost);

        Assert.Empty(r.Conflicts);
        var nat = Assert.Single(r.Network.OfType<CreateNat>());
        Assert.Equal(new CreateNat("br-front", Ipv4Subnet.Parse("10.188.7.0/24"), Me.Mark), nat);
        var mapping = Assert.Single(r.Network.OfType<AddPortMapping>());
        Assert.Equal("br-front", mapping.NatName);
        // The NAT comes after the switch it translates for, and the mapping after the NAT.
        var order = r.Network.Select(o => o.GetType().Name).ToList();
        Assert.True(order.IndexOf(nameof(CreateSwitch)) < order.IndexOf(nameof(CreateNat)));
        Assert.True(order.IndexOf(nameof(CreateNat)) < order.IndexOf(nameof(AddPortMapping)));
    }

    [Fact]
    public void Without_secure_boot_templates_no_firmware_step_is_planned_and_the_disk_has_the_hosts_format()
    {
        var r = Run(LinuxLikeRules.Instance, EmptyHost);

        var ops = Assert.Single(r.Vms).Operations;
        Assert.DoesNotContain(ops, o => o is SetFirmware);
        Assert.Equal("/p/.lab/vms/web/web.qcow2", Assert.Single(ops.OfType<CreateDisk>()).Path);
    }

    [Fact]
    public void The_hosts_own_interface_on_a_switch_is_named_by_the_rules()
    {
        var plan = Plan(LinuxLikeRules.Instance);
        var built = EmptyHost with
        {
            NetAdapters = [.. EmptyHost.NetAdapters,
                new HostNetAdapter("br-front", "bridge", false, [new HostIp(Ipv4Address.Parse("10.188.7.1"), 24)]),
                new HostNetAdapter("br-back", "bridge", false, [new HostIp(Ipv4Address.Parse("192.168.77.1"), 24)])],
            Switches = [.. plan.Networks.Select(n => new HostSwitch(n.Switch, SwitchKind.Internal, null, Me.Mark))],
            Nats = [new HostNat("br-front", Ipv4Subnet.Parse("10.188.7.0/24"), Me.Mark)],
        };

        var r = Run(LinuxLikeRules.Instance, built);

        Assert.Empty(r.Conflicts);
        Assert.DoesNotContain(r.Network, o => o is AssignHostIp or CreateSwitch or CreateNat);
    }

    [Fact]
    public void A_nat_of_the_same_name_that_is_not_the_labs_is_a_conflict()
    {
        var host = EmptyHost with { Nats = [new HostNat("br-front", Ipv4Subnet.Parse("10.188.7.0/24"), "labrunner:v1 lab=other project=zz")] };

        var r = Run(LinuxLikeRules.Instance, host);

        Assert.Contains(r.Conflicts, c => c.Message.Contains("NAT named 'br-front'", StringComparison.Ordinal));
        Assert.True(r.IsEmpty);
    }

    [Fact]
    public void Down_removes_the_labs_own_nats_and_leaves_other_labs_nats()
    {
        var host = EmptyHost with
        {
            Switches = [new HostSwitch("br-front", SwitchKind.Internal, null, Me.Mark)],
            Nats = [new HostNat("br-front", Ipv4Subnet.Parse("10.188.7.0/24"), Me.Mark), new HostNat("br-other", Ipv4Subnet.Parse("10.188.9.0/24"), "labrunner:v1 lab=other project=zz")],
        };

        var r = Run(LinuxLikeRules.Instance, host, ReconcileMode.Down);

        Assert.Equal([new RemoveNat("br-front"), new RemoveSwitch("br-front")], r.Teardown.Where(o => o is RemoveNat or RemoveSwitch));
    }

    [Fact]
    public void Without_hot_plug_a_new_adapter_and_a_new_seed_wait_for_reload()
    {
        var plan = Plan(LinuxLikeRules.Instance);
        var web = plan.Vms[0];
        var vm = new HostVm(web.HostVmName, VmState.Running, Me.Mark, 2, web.MemoryBytes, web.Cpus,
            [new HostVmAdapter(web.Adapters[0].GuestInterfaceName, web.Adapters[0].Switch, web.Adapters[0].Mac)],
            ["/p/.lab/vms/web/web.qcow2"], [new HostDvdDrive(0, 0, "/p/.lab/vms/web/seed-1.iso")], false);
        var host = EmptyHost with { Vms = [vm] };

        var r = Run(LinuxLikeRules.Instance, host);

        Assert.DoesNotContain(r.Vms.SelectMany(v => v.Operations), o => o is AddVmAdapter or AttachSeed);
        var pending = Assert.Single(r.Pending);
        Assert.Contains(pending.Changes, c => c.Contains("add adapter", StringComparison.Ordinal));
        Assert.Contains(pending.Changes, c => c.Contains("insert seed", StringComparison.Ordinal));
    }

    [Fact]
    public void Hyper_v_refuses_a_box_that_is_not_vhdx_or_vhd_before_any_change()
    {
        var r = Run(HyperVRules.Instance, EmptyHost);

        Assert.Contains(r.Conflicts, c => c.Message.Contains("Hyper-V needs a .vhdx or .vhd box", StringComparison.Ordinal));
        Assert.True(r.IsEmpty);
    }

    [Theory]
    [InlineData("/boxes/base.vhd", ".vhd")]
    [InlineData("/boxes/base.VHD", ".vhd")]
    [InlineData(@"C:\boxes\base.vhdx", ".vhdx")]
    [InlineData("/boxes/base.qcow2", ".vhdx")]
    public void Hyper_v_gives_a_differencing_disk_its_parents_format(string box, string extension) =>
        Assert.Equal(extension, HyperVRules.Instance.OverlayExtension(box));

    /// <summary>The host's VMs "web.demo" (in the Labfile) and "old.demo" (no longer in it), both running and this lab's.</summary>
    private static HostInventory LabLastHost() => EmptyHost with
    {
        Vms = [.. new[] { "web.demo", "old.demo" }.Select(name => new HostVm(name, VmState.Running, Me.Mark, 2, 1L << 30, 1, [], [], [], false))],
    };

    [Fact]
    public void Halt_down_and_strays_map_vm_names_through_the_host_rules()
    {
        var haltOld = Run(LabLastRules.Instance, LabLastHost(), ReconcileMode.Halt, targets: ["old"]);
        var downWeb = Run(LabLastRules.Instance, LabLastHost(), ReconcileMode.Down, targets: ["web"]);
        var up = Run(LabLastRules.Instance, LabLastHost());

        Assert.Contains(haltOld.Vms.SelectMany(v => v.Operations), o => o is StopVm { VmName: "old.demo" });
        var removed = downWeb.Vms.SelectMany(v => v.Operations).OfType<RemoveVm>().Select(o => o.VmName);
        Assert.Equal(["web.demo"], removed);
        Assert.Contains(up.Notices, n => n.Contains("'lab down old'", StringComparison.Ordinal));
    }
}
