using System.Collections.Immutable;
using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Core.Net;
using LabRunner.Core.Planning;
using LabRunner.Core.Reconciliation;
using LabRunner.Providers.HyperV;

namespace LabRunner.Core.Tests.Reconciliation;

/// <summary>
/// 'snapshot_type' reaches the host when a VM is made or the value changes, on hosts with the choice; and a VM with
/// snapshots (its disk an .avhdx whose chain ends in its own disk) is reconciled and removed as any other.
/// </summary>
public class SnapshotReconcilerTests
{
    private const string Lab = """
        name: demo
        boxes: { ubuntu: /boxes/ubuntu.vhdx }
        defaults: { box: ubuntu, snapshot_type: production }
        networks:
          - { name: back, type: private, subnet: 192.168.77.0/24 }
        vms:
          - name: web
            networks: [back]
            snapshot_type: standard
          - name: db
            networks: [back]
        """;

    private const string OwnDisk = "/p/.lab/vms/web/web.vhdx";
    private const string Avhdx = "/p/.lab/vms/web/web_5B0C3D1E-2F4A-4B6C-8D9E-0A1B2C3D4E5F.avhdx";
    private static readonly LabIdentity Me = new("demo", "p1");

    private static LabPlan PlanOf(HostRules rules)
    {
        var r = LabfileLoader.LoadAndPlan(new SourceText("Labfile.yml", Lab), null, LabContext.For(rules));
        Assert.False(r.HasErrors, string.Join("\n", r.Diagnostics));
        return r.Plan!;
    }

    private static Core.Reconciliation.Reconciliation Run(HostInventory inventory, ReconcileMode mode = ReconcileMode.Up, HostRules? rules = null)
    {
        rules ??= HyperVRules.Instance;
        var plan = PlanOf(rules);
        var files = plan.Vms.ToImmutableDictionary(v => v.Name, v => new VmFiles($"/p/.lab/vms/{v.Name}", $"/p/.lab/vms/{v.Name}/{v.Name}.vhdx",
            $"/p/.lab/vms/{v.Name}/seed-1.iso", "/boxes/ubuntu.vhdx"));
        return Reconciler.Reconcile(new ReconcileRequest(plan, inventory, Me, mode, files, "/p/.lab", [], [], HostRules: rules));
    }

    private static HostInventory Host(params HostVm[] vms) => HostInventory.Empty with
    {
        NetAdapters =
        [
            new HostNetAdapter("Ethernet", "Intel", true, [new HostIp(Ipv4Address.Parse("192.168.1.50"), 24)]),
            new HostNetAdapter("vEthernet (LabRunner-demo-back)", "Hyper-V Virtual Ethernet Adapter", false, [new HostIp(Ipv4Address.Parse("192.168.77.1"), 24)]),
        ],
        Switches = [new HostSwitch("LabRunner-demo-back", SwitchKind.Internal, null, Me.Mark)],
        Vms = [.. vms],
        Files = ["/boxes/ubuntu.vhdx"],
    };

    /// <summary>The lab's VM as 'lab up' made it, on the host as the inventory reads it.</summary>
    private static HostVm Made(string name, SnapshotType? type, string disk, ImmutableArray<string> snapshotDisks = default, string template = "MicrosoftUEFICertificateAuthority", VmState state = VmState.Running)
    {
        var vm = PlanOf(HyperVRules.Instance).Vms.Single(v => v.Name == name);
        return new HostVm(vm.HostVmName, state, Me.Mark, 2, vm.MemoryBytes, vm.Cpus,
            [.. vm.Adapters.Select(a => new HostVmAdapter(a.GuestInterfaceName, a.Switch, a.Mac))], [disk],
            [new HostDvdDrive(0, 1, $"/p/.lab/vms/{name}/seed-1.iso")], true, template, SnapshotType: type, SnapshotDisks: snapshotDisks);
    }

    [Fact]
    public void A_new_vm_is_made_taking_the_kind_of_snapshot_its_entry_or_the_defaults_ask_for()
    {
        var r = Run(Host());

        var made = r.All.OfType<CreateVm>().ToDictionary(c => c.VmName, c => c.SnapshotType);
        Assert.Equal(SnapshotType.Standard, made["demo-web"]);
        Assert.Equal(SnapshotType.Production, made["demo-db"]);
    }

    [Fact]
    public void A_changed_snapshot_type_is_set_on_the_running_vm_and_an_unchanged_or_unknown_one_is_left_alone()
    {
        var r = Run(Host(Made("web", SnapshotType.Production, OwnDisk), Made("db", null, "/p/.lab/vms/db/db.vhdx")));
        var same = Run(Host(Made("web", SnapshotType.Standard, OwnDisk), Made("db", SnapshotType.Production, "/p/.lab/vms/db/db.vhdx")));

        Assert.Equal([new SetSnapshotType("demo-web", SnapshotType.Standard)], r.All.ToArray());
        Assert.Empty(r.Pending);
        Assert.Empty(same.All);
        Assert.Equal("make VM 'demo-web' take standard checkpoints", r.All.Single().Describe());
    }

    [Fact]
    public void A_host_without_the_choice_takes_standard_snapshots_and_says_so_instead_of_failing()
    {
        var r = Run(HostInventory.Empty with { Files = ["/boxes/ubuntu.vhdx"] }, rules: StandardOnlyRules.Instance);

        Assert.All(r.All.OfType<CreateVm>(), c => Assert.Null(c.SnapshotType));
        Assert.DoesNotContain(r.All, o => o is SetSnapshotType);
        Assert.Empty(r.Conflicts);
        var notice = Assert.Single(r.Notices, n => n.Contains("snapshot_type", StringComparison.Ordinal));
        Assert.Equal("VM 'db' asks for production snapshots ('snapshot_type'); the standard-only host takes standard ones only (with the VM's memory while it runs), so 'lab snapshot save' takes those.", notice);
    }

    [Fact]
    public void A_lab_whose_vms_run_on_checkpoint_disks_has_nothing_to_do()
    {
        var web = Made("web", SnapshotType.Standard, Avhdx, [OwnDisk]);
        var db = Made("db", SnapshotType.Production, "/p/.lab/vms/db/db_0F1E2D3C-4B5A-4978-8695-A4B3C2D1E0F9.avhdx", ["/p/.lab/vms/db/db.vhdx"]);

        var r = Run(Host(web, db));

        Assert.Empty(r.All);
        Assert.Empty(r.Conflicts);
    }

    [Fact]
    public void The_boot_disk_of_a_vm_with_checkpoints_is_the_avhdx_whose_chain_ends_in_its_own_disk()
    {
        var web = Made("web", SnapshotType.Standard, Avhdx, [OwnDisk], template: "MicrosoftWindows", state: VmState.Off);

        var r = Run(Host(web, Made("db", SnapshotType.Production, "/p/.lab/vms/db/db.vhdx")));

        var firmware = Assert.Single(r.All.OfType<SetFirmware>());
        Assert.Equal(Avhdx, firmware.BootDiskPath);
    }

    [Fact]
    public void Down_removes_every_disk_of_a_vms_checkpoint_chain_after_the_vm_and_never_a_disk_another_vm_holds()
    {
        var web = Made("web", SnapshotType.Standard, Avhdx, [OwnDisk, "/p/.lab/vms/web/web_6C1D4E2F-3A5B-4C7D-9E0F-1B2C3D4E5F60.avhdx"]);
        var db = Made("db", SnapshotType.Production, "/p/.lab/vms/db/db.vhdx");

        var r = Run(Host(web, db), ReconcileMode.Down);

        var ops = r.Vms.Single(v => v.Vm == "demo-web").Operations;
        var removed = ops.OfType<RemoveFile>().Select(f => f.Path).ToList();
        Assert.True(ops.IndexOf(ops.OfType<RemoveVm>().Single()) < ops.IndexOf(ops.OfType<RemoveFile>().First()));
        Assert.Contains(Avhdx, removed);
        Assert.Contains(OwnDisk, removed);
        Assert.Contains("/p/.lab/vms/web/web_6C1D4E2F-3A5B-4C7D-9E0F-1B2C3D4E5F60.avhdx", removed);
        Assert.DoesNotContain(r.Vms.Single(v => v.Vm == "demo-db").Operations.OfType<RemoveFile>(), f => f.Path.StartsWith("/p/.lab/vms/web/", StringComparison.Ordinal));
    }

    /// <summary>A host like QEMU's: one kind of snapshot.</summary>
    private sealed class StandardOnlyRules : HostRules
    {
        public static readonly StandardOnlyRules Instance = new();

        public override string Name => "standard-only";

        public override string SwitchName(string lab, NetworkDefinition network) => $"br-{network.Name}";

        public override string HostInterfaceName(string switchName) => switchName;

        public override NatModel Nat => NatModel.PerNetwork;

        public override bool SecureBootTemplates => false;

        public override bool AdaptersHotPlug(int generation) => false;

        public override bool SeedChangeWhileRunning => false;

        public override string OverlayExtension(string boxPath) => ".vhdx";

        public override StringComparer PathComparer => StringComparer.Ordinal;

        public override string ForwardedPortNote => "";
    }
}
