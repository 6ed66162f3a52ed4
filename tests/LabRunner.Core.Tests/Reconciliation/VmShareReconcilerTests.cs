using System.Collections.Immutable;
using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Core.Planning;
using LabRunner.Core.Reconciliation;
using LabRunner.Providers.HyperV;

namespace LabRunner.Core.Tests.Reconciliation;

/// <summary>
/// 'type: virtiofs' synced folders are shares of the VM itself: a new VM gets them before its first start, and a share
/// added, removed or moved on a running VM waits for 'lab reload', as a memory change does. Push folders are no share.
/// </summary>
public class VmShareReconcilerTests
{
    private const string Lab = """
        name: demo
        boxes: { debian: /boxes/debian.vhdx }
        defaults: { box: debian }
        networks:
          - { name: lan, type: nat, subnet: 10.188.5.0/24 }
        vms:
          - name: web
            networks: [lan]
        """;

    private static readonly LabIdentity Me = new("demo", "p1");

    private static LabPlan PlanWith(params SyncedFolderPlan[] folders)
    {
        var r = LabfileLoader.LoadAndPlan(new SourceText("Labfile.yml", Lab), null, LabContext.For(HyperVRules.Instance));
        Assert.False(r.HasErrors, string.Join("\n", r.Diagnostics));
        var plan = r.Plan!;
        return plan with { Vms = [plan.Vms[0] with { SyncedFolders = [.. folders] }] };
    }

    private static SyncedFolderPlan Folder(int index, string host, SyncedFolderType type = SyncedFolderType.Virtiofs) =>
        new(index, host, "/srv/" + index, type, [], "debian", "debian");

    private static Core.Reconciliation.Reconciliation Run(LabPlan plan, HostInventory inventory, ReconcileMode mode = ReconcileMode.Up)
    {
        var files = plan.Vms.ToImmutableDictionary(v => v.Name, v => new VmFiles($"/p/.lab/vms/{v.Name}", $"/p/.lab/vms/{v.Name}/{v.Name}.vhdx",
            $"/p/.lab/vms/{v.Name}/seed-1.iso", "/boxes/debian.vhdx")
        {
            SyncedFolderPaths = [.. v.SyncedFolders.Select(f => "/p/" + f.HostPath.TrimStart('.', '/'))],
        });
        return Reconciler.Reconcile(new ReconcileRequest(plan, inventory, Me, mode, files, "/p/.lab", [], [], HostRules: HyperVRules.Instance));
    }

    private static HostInventory Host(params HostVm[] vms) => HostInventory.Empty with { Files = ["/boxes/debian.vhdx"], Vms = [.. vms] };

    private static HostVm RunningWeb(LabPlan plan, params HostVmShare[] shares)
    {
        var web = plan.Vms[0];
        var adapters = web.Adapters.Select(a => new HostVmAdapter(a.GuestInterfaceName, a.Switch, a.Mac)).ToImmutableArray();
        return new HostVm("demo-web", VmState.Running, Me.Mark, 2, web.MemoryBytes, web.Cpus, adapters, ["/p/.lab/vms/web/web.vhdx"],
            [new HostDvdDrive(0, 1, "/p/.lab/vms/web/seed-1.iso")], true, "MicrosoftUEFICertificateAuthority") { Shares = [.. shares] };
    }

    [Fact]
    public void A_new_vm_gets_its_virtiofs_folders_as_shares_by_full_host_path_before_it_starts_and_push_folders_are_none()
    {
        var plan = PlanWith(Folder(0, "./site"), Folder(1, "./data", SyncedFolderType.Push), Folder(2, "./logs"));

        var r = Run(plan, Host());

        Assert.Empty(r.Conflicts);
        var ops = r.Vms.Single().Operations;

        var shares = ops.OfType<AddVmShare>().ToList();
        Assert.Equal([new AddVmShare("demo-web", "lab0", "/p/site"), new AddVmShare("demo-web", "lab2", "/p/logs")], shares);
        Assert.True(ops.IndexOf(shares[^1]) < ops.IndexOf(ops.OfType<StartVm>().Single()));
    }

    [Fact]
    public void A_running_vm_with_the_same_shares_has_nothing_to_do()
    {
        var plan = PlanWith(Folder(0, "./site"));

        var up = Run(plan, Host(RunningWeb(plan, new HostVmShare("lab0", "/p/site"))));

        Assert.Empty(up.Vms.SelectMany(v => v.Operations));
        Assert.Empty(up.Pending);
    }

    [Fact]
    public void A_share_added_removed_or_moved_on_a_running_vm_is_a_pending_change_that_reload_applies_while_it_is_off()
    {
        var plan = PlanWith(Folder(0, "./site2"), Folder(1, "./new"));
        var host = Host(RunningWeb(plan, new HostVmShare("lab0", "/p/site"), new HostVmShare("lab5", "/p/old")));

        var up = Run(plan, host);
        var reload = Run(plan, host, ReconcileMode.Reload);

        Assert.DoesNotContain(up.All, o => o is AddVmShare or RemoveVmShare);
        var pending = Assert.Single(up.Pending);
        Assert.Equal("lab reload web", pending.Command);
        Assert.Contains("share folder '/p/new' with VM 'demo-web' as 'lab1'", pending.Changes);
        var ops = reload.Vms.Single().Operations;
        Assert.IsType<StopVm>(ops[0]);
        Assert.Equal(
            [new RemoveVmShare("demo-web", "lab5"), new RemoveVmShare("demo-web", "lab0"), new AddVmShare("demo-web", "lab0", "/p/site2"), new AddVmShare("demo-web", "lab1", "/p/new")],
            ops.Where(o => o is AddVmShare or RemoveVmShare));
        Assert.IsType<StartVm>(ops[^1]);
    }
}
