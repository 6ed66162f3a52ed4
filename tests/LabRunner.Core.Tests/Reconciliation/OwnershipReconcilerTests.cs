using System.Collections.Immutable;
using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Core.Net;
using LabRunner.Core.Planning;
using LabRunner.Core.Reconciliation;

namespace LabRunner.Core.Tests.Reconciliation;

/// <summary>Issue 7, points 2–7 at the reconciler: whose lab it is, before any change.</summary>
public class OwnershipReconcilerTests
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
          - name: db
            networks: [back]
        """;

    private static readonly LabIdentity Me = new("demo", "p1");
    private static readonly LabIdentity Copy = new("demo", "p2");
    private static readonly LabPlan Plan = PlanOf(Lab);

    private static LabPlan PlanOf(string text)
    {
        var r = LabfileLoader.LoadAndPlan(new SourceText("Labfile.yml", text), null, LabContext.Default);
        Assert.False(r.HasErrors, string.Join("\n", r.Diagnostics));
        return r.Plan!;
    }

    private static VmFiles FilesOf(string vm) => new($"/p/.lab/vms/{vm}", $"/p/.lab/vms/{vm}/{vm}.vhdx", $"/p/.lab/vms/{vm}/seed-1.iso", "/boxes/ubuntu.vhdx");

    private static Core.Reconciliation.Reconciliation Run(HostInventory inventory, ReconcileMode mode = ReconcileMode.Up, LabIdentity? identity = null,
        ImmutableHashSet<string>? targets = null, bool adopt = false, ImmutableHashSet<string>? missingSeeds = null)
    {
        var files = Plan.Vms.ToImmutableDictionary(v => v.Name, v => FilesOf(v.Name));
        return Reconciler.Reconcile(new ReconcileRequest(Plan, inventory, identity ?? Me, mode, files, "/p/.lab",
            targets ?? [], [], adopt, missingSeeds));
    }

    private static HostInventory Host() => HostInventory.Empty with { Files = ["/boxes/ubuntu.vhdx"] };

    /// <summary>The lab as 'lab up' left it, marked with <paramref name="mark"/>.</summary>
    private static HostInventory BuiltLab(string mark, VmState state = VmState.Running)
    {
        var switches = Plan.Networks.Select(n => new HostSwitch(n.Switch, SwitchKind.Internal, null, mark)).ToImmutableArray();
        var vnics = Plan.Networks.Select(n => new HostNetAdapter(HyperVRules.VnicName(n.Switch), "Hyper-V Virtual Ethernet Adapter", false,
            [new HostIp(n.Gateway!.Value, n.Subnet!.Value.PrefixLength)])).ToImmutableArray();
        var vms = Plan.Vms.Select(v => new HostVm(v.HostVmName, state, mark, 2, v.MemoryBytes, v.Cpus,
            [.. v.Adapters.Select(a => new HostVmAdapter(a.GuestInterfaceName, a.Switch, a.Mac))],
            [FilesOf(v.Name).DiskPath], [new HostDvdDrive(0, 1, FilesOf(v.Name).SeedPath)], true)).ToImmutableArray();
        return Host() with
        {
            Switches = switches,
            NetAdapters = vnics,
            Nats = [new HostNat("LabRunnerNAT", Ipv4Subnet.Parse("10.188.0.0/16"))],
            Vms = vms,
            Files = ["/boxes/ubuntu.vhdx", .. Plan.Vms.Select(v => FilesOf(v.Name).DiskPath)],
        };
    }

    [Fact]
    public void The_lab_as_built_is_nothing_to_do()
    {
        Assert.True(Run(BuiltLab(Me.Mark)).IsEmpty);
    }

    // 2+3: another project folder's mark

    [Theory]
    [InlineData(ReconcileMode.Up, "lab up --adopt")]
    [InlineData(ReconcileMode.Reload, "lab up --adopt")]
    [InlineData(ReconcileMode.Down, "lab down --adopt")]
    public void This_lab_marked_by_another_project_folder_is_one_conflict_that_explains_copy_and_adopt(ReconcileMode mode, string command)
    {
        var r = Run(BuiltLab(Copy.Mark), mode);

        var conflict = Assert.Single(r.Conflicts);
        Assert.Contains("another project folder", conflict.Message, StringComparison.Ordinal);
        Assert.Contains("'demo-web'", conflict.Message, StringComparison.Ordinal);
        Assert.Contains("'LabRunner-demo-back'", conflict.Message, StringComparison.Ordinal);
        Assert.Contains("rename the lab in this copy", conflict.Message, StringComparison.Ordinal);
        Assert.Contains(command, conflict.Message, StringComparison.Ordinal);
        Assert.True(r.IsEmpty);
    }

    [Fact]
    public void Up_adopt_marks_every_switch_and_vm_first_and_changes_nothing_else()
    {
        var r = Run(BuiltLab(Copy.Mark), adopt: true);

        Assert.Empty(r.Conflicts);
        Assert.Equal(Plan.Networks.Select(n => n.Switch).Order(), r.Network.OfType<SetSwitchNotes>().Select(s => s.Name).Order());
        Assert.All(r.Network, o => Assert.Equal(Me.Mark, Assert.IsType<SetSwitchNotes>(o).Notes));
        Assert.Equal(["db", "web"], r.Vms.Select(v => v.Vm).Order());
        Assert.All(r.Vms, v => Assert.Equal(new SetVmNotes(Plan.Vms.Single(p => p.Name == v.Vm).HostVmName, Me.Mark), Assert.Single(v.Operations)));
    }

    [Fact]
    public void Down_adopt_removes_the_lab_marked_by_another_project_folder()
    {
        var r = Run(BuiltLab(Copy.Mark), ReconcileMode.Down, adopt: true);

        Assert.Empty(r.Conflicts);
        Assert.Equal(["demo-db", "demo-web"], r.All.OfType<RemoveVm>().Select(v => v.VmName).Order());
        Assert.Equal(2, r.Teardown.OfType<RemoveSwitch>().Count());
    }

    // 4: a renamed lab, a renamed network, a missing seed

    [Fact]
    public void Up_after_renaming_the_lab_explains_the_earlier_name_and_how_to_move_over()
    {
        var r = Run(BuiltLab(new LabIdentity("webshop", Me.ProjectId).Mark));

        var conflict = Assert.Single(r.Conflicts);
        Assert.Contains("earlier name 'webshop'", conflict.Message, StringComparison.Ordinal);
        Assert.Contains("name: webshop", conflict.Message, StringComparison.Ordinal);
        Assert.Contains("lab down --lab webshop", conflict.Message, StringComparison.Ordinal);
        Assert.True(r.IsEmpty);
    }

    [Fact]
    public void Down_after_renaming_the_lab_removes_nothing_held_and_says_how_to_remove_the_old_one()
    {
        var r = Run(BuiltLab(new LabIdentity("webshop", Me.ProjectId).Mark), ReconcileMode.Down);

        Assert.Empty(r.Conflicts);
        Assert.True(r.IsEmpty, string.Join("; ", r.All.Select(o => o.Describe())));
        Assert.Contains(r.Notices, n => n.Contains("lab down --lab webshop", StringComparison.Ordinal));
    }

    [Fact]
    public void A_seed_file_missing_under_a_vm_that_holds_it_is_attached_again()
    {
        var r = Run(BuiltLab(Me.Mark), missingSeeds: ["/p/.lab/vms/db/seed-1.iso"]);

        var ops = Assert.Single(r.Vms, v => v.Vm == "db").Operations;
        Assert.Equal(new AttachSeed("demo-db", "/p/.lab/vms/db/seed-1.iso", new SeedDrive.Holding("/p/.lab/vms/db/seed-1.iso")), Assert.Single(ops));
        Assert.DoesNotContain(r.Notices, n => n.Contains("new seed", StringComparison.Ordinal));
    }

    // 5: a foreign VM on a lab switch

    [Fact]
    public void Down_refuses_when_a_foreign_vm_is_connected_to_a_lab_switch()
    {
        var built = BuiltLab(Me.Mark);
        var dc = new HostVm("dc01", VmState.Off, "", 2, 1L << 30, 2, [new HostVmAdapter("Network Adapter", "LabRunner-demo-lan", null)], [], [], true);

        var r = Run(built with { Vms = [.. built.Vms, dc] }, ReconcileMode.Down);

        var conflict = Assert.Single(r.Conflicts);
        Assert.Contains("'dc01'", conflict.Message, StringComparison.Ordinal);
        Assert.Contains("'LabRunner-demo-lan'", conflict.Message, StringComparison.Ordinal);
        Assert.True(r.IsEmpty);
    }

    // 6: VMs named on the command line, and VMs no longer in the Labfile

    [Fact]
    public void Down_with_target_vms_removes_those_and_keeps_switches_and_the_other_vms()
    {
        var r = Run(BuiltLab(Me.Mark), ReconcileMode.Down, targets: ImmutableHashSet.Create(StringComparer.OrdinalIgnoreCase, "db"));

        Assert.Equal(["demo-db"], r.Vms.Select(v => v.Vm));
        Assert.Empty(r.Teardown);
        Assert.Contains(r.All, o => o is RemoveFile { Path: "/p/.lab/vms/db/db.vhdx" });
    }

    [Fact]
    public void Up_names_a_vm_no_longer_in_the_labfile_and_halt_and_down_take_it_by_its_labfile_name()
    {
        var built = BuiltLab(Me.Mark);
        var old = new HostVm("demo-cache", VmState.Running, Me.Mark, 2, 1L << 30, 2, [], ["/p/.lab/vms/cache/cache.vhdx"], [], true);
        var host = built with { Vms = [.. built.Vms, old] };
        var cache = ImmutableHashSet.Create(StringComparer.OrdinalIgnoreCase, "cache");

        var up = Run(host);
        var halt = Run(host, ReconcileMode.Halt, targets: cache);
        var down = Run(host, ReconcileMode.Down, targets: cache);

        Assert.Contains(up.Notices, n => n.Contains("'cache'", StringComparison.Ordinal) && n.Contains("lab down cache", StringComparison.Ordinal));
        Assert.Equal(new StopVm("demo-cache", TurnOff: false), Assert.Single(halt.All));
        Assert.Equal(["demo-cache"], down.All.OfType<RemoveVm>().Select(v => v.VmName));
        Assert.Empty(down.Teardown);
    }

    // 7: a MAC in use elsewhere

    [Fact]
    public void A_planned_mac_on_a_foreign_vm_is_a_conflict_naming_the_vm_before_any_change()
    {
        var mac = Plan.Vms.Single(v => v.Name == "db").Adapters[0].Mac;
        var other = new HostVm("build01", VmState.Running, "", 2, 1L << 30, 2, [new HostVmAdapter("Network Adapter", null, mac)], [], [], true);

        var r = Run(Host() with { Vms = [other] });

        var conflict = Assert.Single(r.Conflicts);
        Assert.Contains("'build01'", conflict.Message, StringComparison.Ordinal);
        Assert.Contains(mac.ToString(), conflict.Message, StringComparison.Ordinal);
        Assert.Contains("VM 'db'", conflict.Message, StringComparison.Ordinal);
        Assert.Contains("mac:", conflict.Message, StringComparison.Ordinal);
        Assert.True(r.IsEmpty);
    }

    [Fact]
    public void A_vm_keeping_its_own_mac_is_no_conflict()
    {
        Assert.Empty(Run(BuiltLab(Me.Mark), ReconcileMode.Reload).Conflicts);
    }
}
