using System.Collections.Immutable;
using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Core.Net;
using LabRunner.Core.Planning;
using LabRunner.Core.Reconciliation;
using LabRunner.Providers.HyperV;

namespace LabRunner.Core.Tests.Reconciliation;

public class ReconcilerTests
{
    private const string Lab = """
        name: demo
        boxes: { ubuntu: /boxes/ubuntu.vhdx }
        defaults: { box: ubuntu }
        networks:
          - { name: lan, type: nat, subnet: 10.188.5.0/24 }
          - { name: back, type: private, subnet: 192.168.77.0/24 }
        vms:
          - name: web
            networks: [lan, back]
            forwarded_ports:
              - { guest: 80, host: 8080 }
          - name: db
            networks: [back]
        """;

    private static readonly LabIdentity Me = new("demo", "p1");
    private static readonly HostNetAdapter Ethernet = new("Ethernet", "Intel", true, [new HostIp(Ipv4Address.Parse("192.168.1.50"), 24)]);

    private static LabPlan PlanOf(string text)
    {
        var r = LabfileLoader.LoadAndPlan(new SourceText("Labfile.yml", text), null, LabContext.For(HyperVRules.Instance));
        Assert.False(r.HasErrors, string.Join("\n", r.Diagnostics));
        return r.Plan!;
    }

    private static Core.Reconciliation.Reconciliation Run(HostInventory inventory, ReconcileMode mode = ReconcileMode.Up, string text = Lab, LabIdentity? identity = null)
    {
        var plan = PlanOf(text);
        var files = plan.Vms.ToImmutableDictionary(v => v.Name, v => new VmFiles($"/p/.lab/vms/{v.Name}", $"/p/.lab/vms/{v.Name}/{v.Name}.vhdx",
            $"/p/.lab/vms/{v.Name}/seed-1.iso", "/boxes/ubuntu.vhdx"));
        return Reconciler.Reconcile(new ReconcileRequest(plan, inventory, identity ?? Me, mode, files, "/p/.lab", [], [], HostRules: HyperVRules.Instance));
    }

    private static HostInventory Host(params HostNetAdapter[] adapters) =>
        HostInventory.Empty with { NetAdapters = [Ethernet, .. adapters], Files = ["/boxes/ubuntu.vhdx"] };

    [Fact]
    public void An_operation_in_another_hosts_words_is_the_same_operation_to_a_set_of_done_ones()
    {
        // The engine records what a provider reports done in a set; QEMU reports each operation in its own words.
        var words = new HostWords("bridge", "isolated bridge", "existing bridge", "bridge", "nftables masquerade");
        var r = Run(Host());
        var all = r.All.ToList();
        Assert.NotEmpty(all);
        var done = all.ToHashSet();

        Assert.All(all, o => Assert.Equal(o, o.In(words)));
        Assert.All(all, o => Assert.Equal(o.GetHashCode(), o.In(words).GetHashCode()));
        Assert.All(all, o => Assert.Contains(o.In(words), done));
    }

    [Fact]
    public void An_empty_host_gets_switches_then_addresses_then_the_nat_then_mappings_and_one_list_per_vm()
    {
        var r = Run(Host());

        Assert.Empty(r.Conflicts);
        var kinds = r.Network.Select(o => o.GetType().Name).ToList();
        Assert.Equal(["CreateSwitch", "AssignHostIp", "CreateSwitch", "AssignHostIp", "CreateNat", "AddPortMapping"], kinds);
        Assert.All(r.Network.OfType<CreateSwitch>(), s => Assert.Equal(Me.Mark, s.Notes));
        Assert.Equal(["web", "db"], r.Vms.Select(v => v.Vm));
        var web = r.Vms[0].Operations;
        Assert.IsType<CreateDisk>(web[0]);
        Assert.IsType<CreateVm>(web[1]);
        Assert.IsType<StartVm>(web[^1]);
        Assert.Equal(2, web.OfType<AddVmAdapter>().Count());
    }

    [Fact]
    public void A_foreign_netnat_that_does_not_cover_the_lab_stops_up_with_choices_and_no_operations()
    {
        var docker = new HostNat("DockerNAT", Ipv4Subnet.Parse("172.17.0.0/16"));

        var r = Run(Host() with { Nats = [docker] });

        var conflict = Assert.Single(r.Conflicts);
        Assert.Contains("DockerNAT", conflict.Message);
        Assert.Contains("172.17.0.0/16", conflict.Message);
        Assert.Contains("never removes or replaces", conflict.Message);
        Assert.True(r.IsEmpty);
    }

    [Fact]
    public void A_foreign_netnat_that_covers_the_lab_is_used_as_it_is()
    {
        var shared = new HostNat("SharedNAT", Ipv4Subnet.Parse("10.188.0.0/16"));

        var r = Run(Host() with { Nats = [shared] });

        Assert.Empty(r.Conflicts);
        Assert.DoesNotContain(r.Network, o => o is CreateNat);
        Assert.Equal("SharedNAT", Assert.Single(r.Network.OfType<AddPortMapping>()).NatName);
    }

    [Fact]
    public void Two_netnats_on_a_host_are_an_undefined_state_that_stops_up()
    {
        var r = Run(Host() with { Nats = [new HostNat("A", Ipv4Subnet.Parse("10.188.0.0/16")), new HostNat("B", Ipv4Subnet.Parse("10.189.0.0/16"))] });

        Assert.Contains(r.Conflicts, c => c.Message.Contains("2 NetNats", StringComparison.Ordinal));
        Assert.True(r.IsEmpty);
    }

    [Fact]
    public void A_nat_prefix_overlapping_a_host_adapter_stops_up_before_creating_anything()
    {
        var vpn = new HostNetAdapter("VPN", "WireGuard", true, [new HostIp(Ipv4Address.Parse("10.188.200.7"), 24)]);

        var r = Run(Host(vpn));

        Assert.Contains(r.Conflicts, c => c.Message.Contains("'VPN'", StringComparison.Ordinal) && c.Message.Contains("10.188.0.0/16", StringComparison.Ordinal));
        Assert.True(r.IsEmpty);
    }

    [Fact]
    public void A_private_subnet_overlapping_a_host_adapter_is_a_conflict()
    {
        var wifi = new HostNetAdapter("Wi-Fi", "Realtek", true, [new HostIp(Ipv4Address.Parse("192.168.77.20"), 24)]);

        var r = Run(Host(wifi));

        Assert.Contains(r.Conflicts, c => c.Message.Contains("192.168.77.0/24", StringComparison.Ordinal) && c.Message.Contains("Wi-Fi", StringComparison.Ordinal));
    }

    [Fact]
    public void A_switch_with_the_labs_name_but_not_its_mark_is_never_touched()
    {
        var users = new HostSwitch("LabRunner-demo-lan", SwitchKind.Internal, null, "made by hand");

        var r = Run(Host() with { Switches = [users] });

        Assert.Contains(r.Conflicts, c => c.Message.Contains("not created by LabRunner", StringComparison.Ordinal));
        Assert.True(r.IsEmpty);
    }

    [Fact]
    public void Another_copy_of_the_lab_on_the_host_is_named_in_the_conflict()
    {
        var other = new HostSwitch("LabRunner-demo-lan", SwitchKind.Internal, null, new LabIdentity("demo", "p2").Mark);

        var r = Run(Host() with { Switches = [other] });

        Assert.Contains(r.Conflicts, c => c.Message.Contains("another project folder (project p2;", StringComparison.Ordinal));
    }

    [Fact]
    public void A_foreign_vm_with_a_labs_vm_name_is_a_conflict()
    {
        var vm = new HostVm("demo-web", VmState.Running, "", 2, 1L << 30, 1, [], [], [], true);

        var r = Run(Host() with { Vms = [vm] });

        Assert.Contains(r.Conflicts, c => c.Message.Contains("VM named 'demo-web'", StringComparison.Ordinal));
    }

    [Fact]
    public void A_host_port_taken_by_another_mapping_is_a_conflict_without_auto_correct()
    {
        var mapping = new HostPortMapping("LabRunnerNAT", PortProtocol.Tcp, new Ipv4Address(0), 8080, Ipv4Address.Parse("10.188.9.9"), 80);
        var nat = new HostNat("LabRunnerNAT", Ipv4Subnet.Parse("10.188.0.0/16"));

        var r = Run(Host() with { Nats = [nat], PortMappings = [mapping] });

        Assert.Contains(r.Conflicts, c => c.Message.Contains("tcp/8080", StringComparison.Ordinal) && c.Message.Contains("auto_correct", StringComparison.Ordinal));
    }

    [Fact]
    public void A_host_ip_the_host_does_not_have_is_a_conflict_before_any_change_that_lists_its_addresses()
    {
        var text = Lab.Replace("{ guest: 80, host: 8080 }", "{ guest: 80, host: 8080, host_ip: 192.168.1.99 }", StringComparison.Ordinal);

        var r = Run(Host(), text: text);

        var conflict = Assert.Single(r.Conflicts).Message;
        Assert.Contains("host_ip 192.168.1.99 of forwarded port tcp/8080 of VM 'web' is not an address of this host", conflict, StringComparison.Ordinal);
        Assert.Contains("192.168.1.50", conflict, StringComparison.Ordinal);
        Assert.Empty(r.Network.OfType<AddPortMapping>());
    }

    [Theory]
    [InlineData("192.168.1.50")]
    [InlineData("10.188.5.1")] // the lab's own NAT gateway, which this run puts on the host
    public void A_host_ip_the_host_has_is_mapped(string hostIp)
    {
        var text = Lab.Replace("{ guest: 80, host: 8080 }", $"{{ guest: 80, host: 8080, host_ip: {hostIp} }}", StringComparison.Ordinal);

        var r = Run(Host(), text: text);

        Assert.Empty(r.Conflicts);
        Assert.Equal(Ipv4Address.Parse(hostIp), Assert.Single(r.Network.OfType<AddPortMapping>()).ExternalIp);
    }

    [Fact]
    public void Auto_correct_picks_the_next_free_host_port_and_says_so()
    {
        var text = Lab.Replace("{ guest: 80, host: 8080 }", "{ guest: 80, host: 8080, auto_correct: true }", StringComparison.Ordinal);
        var nat = new HostNat("LabRunnerNAT", Ipv4Subnet.Parse("10.188.0.0/16"));
        var taken = new[] { 8080, 8081 }.Select(p => new HostPortMapping("LabRunnerNAT", PortProtocol.Tcp, new Ipv4Address(0), p, Ipv4Address.Parse("10.188.9.9"), p)).ToImmutableArray();

        var r = Run(Host() with { Nats = [nat], PortMappings = taken }, text: text);

        Assert.Empty(r.Conflicts);
        var add = Assert.Single(r.Network.OfType<AddPortMapping>());
        Assert.Equal(8082, add.ExternalPort);
        Assert.Equal(8082, Assert.Single(r.Ports).HostPort);
        Assert.Contains(r.Notices, n => n.Contains("auto_correct chose 8082", StringComparison.Ordinal));
    }

    [Fact]
    public void A_udp_mapping_does_not_block_the_same_tcp_port()
    {
        var nat = new HostNat("LabRunnerNAT", Ipv4Subnet.Parse("10.188.0.0/16"));
        var udp = new HostPortMapping("LabRunnerNAT", PortProtocol.Udp, new Ipv4Address(0), 8080, Ipv4Address.Parse("10.188.9.9"), 53);

        var r = Run(Host() with { Nats = [nat], PortMappings = [udp] });

        Assert.Empty(r.Conflicts);
        Assert.Single(r.Network.OfType<AddPortMapping>());
    }

    [Fact]
    public void A_missing_box_is_a_conflict_naming_the_path()
    {
        var r = Run(Host() with { Files = [] });

        Assert.Contains(r.Conflicts, c => c.Message.Contains("/boxes/ubuntu.vhdx", StringComparison.Ordinal));
    }

    [Fact]
    public void A_bridged_network_reuses_any_external_switch_on_its_adapter()
    {
        const string text = """
            name: demo
            boxes: { ubuntu: /boxes/ubuntu.vhdx }
            defaults: { box: ubuntu }
            networks:
              - { name: office, type: bridged, adapter: Ethernet }
            vms:
              - { name: web, networks: [office] }
            """;
        var external = new HostSwitch("Corp LAN", SwitchKind.External, "Ethernet", "");

        var r = Run(Host() with { Switches = [external] }, text: text);

        Assert.Empty(r.Conflicts);
        Assert.DoesNotContain(r.Network, o => o is CreateSwitch);
        Assert.Equal("Corp LAN", Assert.Single(r.Vms[0].Operations.OfType<AddVmAdapter>()).SwitchName);
    }

    [Fact]
    public void A_bridged_network_on_an_adapter_the_host_lacks_is_a_conflict_listing_the_adapters()
    {
        const string text = """
            name: demo
            boxes: { ubuntu: /boxes/ubuntu.vhdx }
            defaults: { box: ubuntu }
            networks:
              - { name: office, type: bridged, adapter: Ethernet 7 }
            vms:
              - { name: web, networks: [office] }
            """;

        var r = Run(Host(), text: text);

        Assert.Contains(r.Conflicts, c => c.Message.Contains("'Ethernet 7'", StringComparison.Ordinal) && c.Message.Contains("'Ethernet'", StringComparison.Ordinal));
    }

    [Fact]
    public void Down_removes_only_what_carries_the_labs_mark_and_keeps_a_nat_another_lab_uses()
    {
        var nat = new HostNat("LabRunnerNAT", Ipv4Subnet.Parse("10.188.0.0/16"));
        var mine = new HostSwitch("LabRunner-demo-lan", SwitchKind.Internal, null, Me.Mark);
        var theirs = new HostSwitch("LabRunner-other-lan", SwitchKind.Internal, null, new LabIdentity("other", "p9").Mark);
        var foreign = new HostSwitch("My switch", SwitchKind.Internal, null, "");
        var vnics = new[]
        {
            new HostNetAdapter("vEthernet (LabRunner-demo-lan)", "Hyper-V", false, [new HostIp(Ipv4Address.Parse("10.188.5.1"), 24)]),
            new HostNetAdapter("vEthernet (LabRunner-other-lan)", "Hyper-V", false, [new HostIp(Ipv4Address.Parse("10.188.6.1"), 24)]),
        };
        var myVm = new HostVm("demo-web", VmState.Running, Me.Mark, 2, 1L << 30, 2, [], ["/p/.lab/vms/web/web.vhdx"], [new HostDvdDrive(0, 1, "/p/.lab/vms/web/seed-1.iso")], true, "MicrosoftUEFICertificateAuthority");
        var foreignVm = new HostVm("dc01", VmState.Running, "", 2, 1L << 30, 2, [], ["C:/VMs/dc01.vhdx"], [], true);
        var myMapping = new HostPortMapping("LabRunnerNAT", PortProtocol.Tcp, new Ipv4Address(0), 8080, Ipv4Address.Parse("10.188.5.2"), 80);
        var theirMapping = new HostPortMapping("LabRunnerNAT", PortProtocol.Tcp, new Ipv4Address(0), 9090, Ipv4Address.Parse("10.188.6.2"), 80);
        var host = Host(vnics) with { Nats = [nat], Switches = [mine, theirs, foreign], Vms = [myVm, foreignVm], PortMappings = [myMapping, theirMapping] };

        var r = Run(host, ReconcileMode.Down);

        var all = r.All.ToList();
        Assert.Contains(all, o => o is RemoveVm { VmName: "demo-web" });
        Assert.DoesNotContain(all, o => o is RemoveVm { VmName: "dc01" } || o is StopVm { VmName: "dc01" });
        Assert.Contains(all, o => o is RemoveSwitch { Name: "LabRunner-demo-lan" });
        Assert.DoesNotContain(all, o => o is RemoveSwitch { Name: "LabRunner-other-lan" } || o is RemoveSwitch { Name: "My switch" });
        Assert.Contains(all, o => o is RemovePortMapping { ExternalPort: 8080 });
        Assert.DoesNotContain(all, o => o is RemovePortMapping { ExternalPort: 9090 });
        Assert.DoesNotContain(all, o => o is RemoveNat);
        Assert.Equal(["/p/.lab/vms/web/web.vhdx", "/p/.lab/vms/web/seed-1.iso"], all.OfType<RemoveFile>().Select(f => f.Path));
    }

    [Fact]
    public void Down_of_the_last_lab_removes_labrunners_own_nat_but_never_a_foreign_one()
    {
        var ours = Run(Host() with { Nats = [new HostNat("LabRunnerNAT", Ipv4Subnet.Parse("10.188.0.0/16"))] }, ReconcileMode.Down);
        var docker = Run(Host() with { Nats = [new HostNat("DockerNAT", Ipv4Subnet.Parse("10.188.0.0/16"))] }, ReconcileMode.Down);

        Assert.Contains(ours.All, o => o is RemoveNat { Name: "LabRunnerNAT" });
        Assert.DoesNotContain(docker.All, o => o is RemoveNat);
    }

    [Fact]
    public void A_running_vm_with_new_memory_is_left_for_reload_and_up_says_so()
    {
        var plan = PlanOf(Lab);
        var web = plan.Vms[0];
        var adapters = web.Adapters.Select(a => new HostVmAdapter(a.GuestInterfaceName, a.Switch, a.Mac)).ToImmutableArray();
        var vm = new HostVm("demo-web", VmState.Running, Me.Mark, 2, 1L << 30, web.Cpus, adapters, ["/p/.lab/vms/web/web.vhdx"], [new HostDvdDrive(0, 1, "/p/.lab/vms/web/seed-1.iso")], true, "MicrosoftUEFICertificateAuthority");

        var up = Run(Host() with { Vms = [vm] });
        var reload = Run(Host() with { Vms = [vm] }, ReconcileMode.Reload);

        Assert.DoesNotContain(up.All, o => o.Vm == "demo-web");
        Assert.Contains(up.Notices, n => n.Contains("lab reload web", StringComparison.Ordinal));
        var ops = reload.Vms.Single(v => v.Vm == "web").Operations;
        Assert.IsType<StopVm>(ops[0]);
        Assert.Contains(ops, o => o is SetVmHardware { MemoryBytes: 2L << 30 });
        Assert.IsType<StartVm>(ops[^1]);
    }

    private static HostVm MarkedWeb(VmState state, string? template, bool automaticCheckpoints = false, params HostDvdDrive[] dvds)
    {
        var web = PlanOf(Lab).Vms[0];
        var adapters = web.Adapters.Select(a => new HostVmAdapter(a.GuestInterfaceName, a.Switch, a.Mac)).ToImmutableArray();
        return new HostVm("demo-web", state, Me.Mark, 2, web.MemoryBytes, web.Cpus, adapters, ["/p/.lab/vms/web/web.vhdx"],
            dvds.Length == 0 ? [new HostDvdDrive(0, 1, "/p/.lab/vms/web/seed-1.iso")] : [.. dvds], true, template, automaticCheckpoints);
    }

    private static Core.Reconciliation.Reconciliation RunWith(HostVm vm, ReconcileMode mode = ReconcileMode.Up, params string[] pending)
    {
        var plan = PlanOf(Lab);
        var files = plan.Vms.ToImmutableDictionary(v => v.Name, v => new VmFiles($"/p/.lab/vms/{v.Name}", $"/p/.lab/vms/{v.Name}/{v.Name}.vhdx",
            $"/p/.lab/vms/{v.Name}/seed-1.iso", "/boxes/ubuntu.vhdx"));
        return Reconciler.Reconcile(new ReconcileRequest(plan, Host() with { Vms = [vm] }, Me, mode, files, "/p/.lab", [], [.. pending], HostRules: HyperVRules.Instance));
    }

    private static IEnumerable<HostOperation> WebOps(Core.Reconciliation.Reconciliation r) =>
        r.Vms.Where(v => v.Vm == "web").SelectMany(v => v.Operations);

    [Fact]
    public void A_vm_with_the_wrong_secure_boot_template_gets_its_firmware_set_again_without_any_pending_state()
    {
        // Interrupted before its firmware step: New-VM's default template, and the project state lost.
        var vm = MarkedWeb(VmState.Off, "MicrosoftWindows");

        var ops = RunWith(vm).Vms.Single(v => v.Vm == "web").Operations;

        var firmware = Assert.Single(ops.OfType<SetFirmware>());
        Assert.Equal("MicrosoftUEFICertificateAuthority", firmware.SecureBootTemplate);
        Assert.IsType<StartVm>(ops[^1]);
    }

    [Fact]
    public void A_pending_vm_whose_template_reads_back_as_planned_needs_no_firmware_step()
    {
        var vm = MarkedWeb(VmState.Off, "MicrosoftUEFICertificateAuthority");

        var r = RunWith(vm, ReconcileMode.Up, "demo-web");

        Assert.DoesNotContain(WebOps(r), o => o is SetFirmware);
    }

    [Fact]
    public void A_running_vm_with_the_wrong_template_is_left_for_reload_which_sets_it()
    {
        var vm = MarkedWeb(VmState.Running, "MicrosoftWindows");

        var up = RunWith(vm);
        var reload = RunWith(vm, ReconcileMode.Reload);

        Assert.DoesNotContain(WebOps(up), o => o is SetFirmware);
        Assert.Contains(up.Notices, n => n.Contains("secure boot on (MicrosoftUEFICertificateAuthority)", StringComparison.Ordinal));
        Assert.Contains(WebOps(reload), o => o is SetFirmware { SecureBootTemplate: "MicrosoftUEFICertificateAuthority" });
    }

    [Fact]
    public void A_host_that_does_not_report_the_template_is_not_asked_to_set_it_on_every_up()
    {
        var vm = MarkedWeb(VmState.Running, template: null);

        Assert.DoesNotContain(WebOps(RunWith(vm)), o => o is SetFirmware);
    }

    [Fact]
    public void An_unmarked_vm_left_by_an_interrupted_up_is_recreated_not_refused()
    {
        var half = new HostVm("demo-web", VmState.Off, "", 2, 1L << 30, 1, [], ["/p/.lab/vms/web/web.vhdx"], [], false);
        var plan = PlanOf(Lab);
        var files = plan.Vms.ToImmutableDictionary(v => v.Name, v => new VmFiles($"/p/.lab/vms/{v.Name}", $"/p/.lab/vms/{v.Name}/{v.Name}.vhdx",
            $"/p/.lab/vms/{v.Name}/seed-1.iso", "/boxes/ubuntu.vhdx"));
        var inventory = Host() with { Vms = [half], Files = ["/boxes/ubuntu.vhdx", "/p/.lab/vms/web/web.vhdx"] };

        var r = Reconciler.Reconcile(new ReconcileRequest(plan, inventory, Me, ReconcileMode.Up, files, "/p/.lab", [], ["demo-web"], HostRules: HyperVRules.Instance));

        Assert.Empty(r.Conflicts);
        var ops = r.Vms.Single(v => v.Vm == "web").Operations;
        Assert.IsType<RemoveVm>(ops[0]);
        Assert.DoesNotContain(ops, o => o is CreateDisk);
        Assert.Contains(ops, o => o is CreateVm);
    }
}

public class NatStaticIpTests
{
    [Fact]
    public void A_static_ip_on_a_nat_network_without_subnet_is_reported_at_the_ip()
    {
        const string text = """
            name: demo
            boxes: { ubuntu: u.vhdx }
            defaults: { box: ubuntu }
            networks:
              - { name: lan, type: nat }
            vms:
              - name: web
                networks:
                  - { network: lan, ip: 10.188.5.10/24 }
            """;

        var r = LabfileLoader.Load(new SourceText("Labfile.yml", text), null, LabContext.For(HyperVRules.Instance));

        var d = Assert.Single(r.Diagnostics, d => d.IsError);
        Assert.Equal("LAB221", d.Code);
        var lines = text.Split('\n');
        var line = Array.FindIndex(lines, l => l.Contains("10.188.5.10", StringComparison.Ordinal));
        Assert.Equal((line + 1, lines[line].IndexOf("10.188.5.10", StringComparison.Ordinal) + 1), (d.Span.Line, d.Span.Column));
    }
}
