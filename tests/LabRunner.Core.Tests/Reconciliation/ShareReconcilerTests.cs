using System.Collections.Immutable;
using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Core.Net;
using LabRunner.Core.Planning;
using LabRunner.Core.Reconciliation;
using LabRunner.Providers.HyperV;

namespace LabRunner.Core.Tests.Reconciliation;

/// <summary>Issue 19: 'type: smb' synced folders as host operations — account, firewall rule, share — and their removal.</summary>
public class ShareReconcilerTests
{
    private const string Lab = """
        name: demo
        boxes: { ubuntu: /boxes/ubuntu.vhdx }
        defaults: { box: ubuntu }
        networks:
          - { name: iso, type: isolated }
          - { name: lan, type: nat, subnet: 10.188.5.0/24 }
        vms:
          - name: web
            networks: [iso, lan]
          - name: db
            networks: [lan]
        """;

    private const string Password = "Pa55wordThatMustNeverBePrinted";
    private const string LanSwitch = "LabRunner-demo-lan";
    private const string SitePath = @"C:\src\demo\site";
    private static readonly LabIdentity Me = new("demo", "p1");
    private static readonly HostNetAdapter Ethernet = new("Ethernet", "Intel", true, [new HostIp(Ipv4Address.Parse("192.168.1.50"), 24)]);

    private static LabPlan PlanOf(string text = Lab, bool smb = true, GuestOs os = GuestOs.Linux)
    {
        var r = LabfileLoader.LoadAndPlan(new SourceText("Labfile.yml", text), null, LabContext.For(HyperVRules.Instance));
        Assert.False(r.HasErrors, string.Join("\n", r.Diagnostics));
        var plan = r.Plan!;
        if (!smb) return plan;
        var web = plan.Vms[0] with
        {
            Os = os,
            SyncedFolders = [new SyncedFolderPlan(0, "./site", "/var/www", SyncedFolderType.Smb, [], "web", "web"),
                             new SyncedFolderPlan(1, ".", "/srv/app", SyncedFolderType.Push, [], "web", "web")],
        };
        return plan with { Vms = [web, .. plan.Vms.Skip(1)] };
    }

    private static Core.Reconciliation.Reconciliation Run(HostInventory inventory, LabPlan plan, ReconcileMode mode = ReconcileMode.Up,
        bool passwordIsNew = false, HostRules? rules = null, ImmutableHashSet<string>? targets = null)
    {
        var files = plan.Vms.ToImmutableDictionary(v => v.Name, v => new VmFiles($"/p/.lab/vms/{v.Name}", $"/p/.lab/vms/{v.Name}/{v.Name}.vhdx",
            $"/p/.lab/vms/{v.Name}/seed-1.iso", "/boxes/ubuntu.vhdx"));
        return Reconciler.Reconcile(new ReconcileRequest(plan, inventory, Me, mode, files, "/p/.lab", targets ?? [], [], HostRules: rules ?? HyperVRules.Instance)
        {
            Shares = new ShareRequest(new HostSecret(Password), passwordIsNew,
                ImmutableDictionary<string, string>.Empty.Add("./site", SitePath).Add(".", @"C:\src\demo")),
        });
    }

    private static HostInventory Host() =>
        HostInventory.Empty with { NetAdapters = [Ethernet], Files = ["/boxes/ubuntu.vhdx"] };

    /// <summary>The host after a first 'up' made the lab's shares (networks and VMs too, so nothing else is planned).</summary>
    private static HostInventory Shared(LabPlan plan)
    {
        var host = Host();
        var first = Run(host, plan);
        Assert.Empty(first.Conflicts);
        var vnic = new HostNetAdapter(HyperVRules.VnicName(LanSwitch), "Hyper-V Virtual Ethernet Adapter", false, [new HostIp(Ipv4Address.Parse("10.188.5.1"), 24)]);
        return host with
        {
            NetAdapters = [Ethernet, vnic],
            Switches = [.. first.Network.OfType<CreateSwitch>().Select(s => new HostSwitch(s.Name, s.Kind, null, s.Notes))],
            Nats = [new HostNat(PlanRules.NatName, Ipv4Subnet.Parse("10.188.0.0/16"))],
            Vms = [.. plan.Vms.Select(v => new HostVm(v.HostVmName, VmState.Running, Me.Mark, v.Generation, v.MemoryBytes, v.Cpus,
                [.. v.Adapters.Select(a => new HostVmAdapter(a.GuestInterfaceName, a.Switch, a.Mac))], [$"/p/.lab/vms/{v.Name}/{v.Name}.vhdx"],
                [new HostDvdDrive(0, 1, $"/p/.lab/vms/{v.Name}/seed-1.iso")], true, Reconciler.SecureBootTemplate(v.Os)))],
            Shares = [.. first.Network.OfType<CreateShare>().Select(s => new HostShare(s.Name, s.Path, s.Description))],
            FirewallRules = [.. first.Network.OfType<AllowShareTraffic>().Select(r => new HostFirewallRule(r.RuleName, r.Description))],
            Accounts = [.. first.Network.OfType<CreateShareAccount>().Select(a => new HostAccount(a.Account, a.FullName))],
        };
    }

    [Fact]
    public void Up_makes_the_account_then_a_rule_on_the_vms_nat_network_then_the_share_each_marked_as_the_labs()
    {
        var r = Run(Host(), PlanOf());

        Assert.Empty(r.Conflicts);
        var shareOps = r.Network.Where(o => o is CreateShareAccount or AllowShareTraffic or CreateShare).ToList();
        Assert.Equal(["CreateShareAccount", "AllowShareTraffic", "CreateShare"], shareOps.Select(o => o.GetType().Name));
        var account = Assert.IsType<CreateShareAccount>(shareOps[0]);
        Assert.Equal(ShareNames.Account(Me), account.Account);
        Assert.Equal(Me.Mark, account.FullName);
        Assert.Equal(Password, account.Password.Reveal());
        var rule = Assert.IsType<AllowShareTraffic>(shareOps[1]);
        // The first network with the host on it: 'iso' is isolated, so 'lan' (the host is 10.188.5.1 there).
        Assert.Equal((LanSwitch, Ipv4Address.Parse("10.188.5.1"), Ipv4Subnet.Parse("10.188.5.0/24"), Me.Mark),
            (rule.SwitchName, rule.LocalAddress, rule.RemoteSubnet, rule.Description));
        var share = Assert.IsType<CreateShare>(shareOps[2]);
        Assert.Equal(("demo-web-lab0", SitePath, account.Account, Me.Mark), (share.Name, share.Path, share.Account, share.Description));
        // Only the smb folder is shared: the push folder is not the host's business.
        Assert.Single(r.Network.OfType<CreateShare>());
    }

    [Fact]
    public void The_password_is_in_no_operations_text()
    {
        var r = Run(Host(), PlanOf(), passwordIsNew: true);

        Assert.All(r.All, o =>
        {
            Assert.DoesNotContain(Password, o.Describe(), StringComparison.Ordinal);
            Assert.DoesNotContain(Password, o.ToString(), StringComparison.Ordinal);
        });
        Assert.Contains(r.All, o => o is CreateShareAccount);
    }

    [Fact]
    public void A_second_up_finds_nothing_to_do_for_the_shares()
    {
        var plan = PlanOf();
        var r = Run(Shared(plan), plan);

        Assert.Empty(r.Conflicts);
        Assert.DoesNotContain(r.All, o => o is CreateShareAccount or SetShareAccountPassword or AllowShareTraffic or CreateShare
            or RemoveShare or RemoveShareTraffic or RemoveShareAccount);
    }

    [Fact]
    public void A_password_made_again_because_the_projects_copy_was_lost_is_set_on_the_existing_account()
    {
        var plan = PlanOf();
        var r = Run(Shared(plan), plan, passwordIsNew: true);

        var set = Assert.Single(r.All.OfType<SetShareAccountPassword>());
        Assert.Equal(ShareNames.Account(Me), set.Account);
        Assert.DoesNotContain(r.All, o => o is CreateShareAccount);
    }

    [Fact]
    public void A_share_whose_folder_changed_moves_to_the_new_folder()
    {
        var plan = PlanOf();
        var host = Shared(plan);
        host = host with { Shares = [new HostShare("demo-web-lab0", @"C:\src\demo\old", Me.Mark)] };

        var r = Run(host, plan);

        Assert.Equal(["RemoveShare", "CreateShare"], r.Network.Where(o => o is RemoveShare or CreateShare).Select(o => o.GetType().Name));
    }

    [Fact]
    public void Down_removes_the_labs_shares_rules_and_account_and_nothing_it_did_not_make()
    {
        var plan = PlanOf();
        var other = new LabIdentity("other", "p2");
        var host = Shared(plan);
        host = host with
        {
            Shares = [.. host.Shares, new HostShare("Users", @"C:\Users", ""), new HostShare("other-web-lab0", @"C:\other", other.Mark)],
            FirewallRules = [.. host.FirewallRules, new HostFirewallRule("FPS-SMB-In-TCP", "File and Printer Sharing"), new HostFirewallRule("LabRunner SMB other-lan", other.Mark)],
            Accounts = [.. host.Accounts, new HostAccount("dev", "Developer"), new HostAccount(ShareNames.Account(other), other.Mark)],
        };

        var r = Run(host, plan, ReconcileMode.Down);

        Assert.Empty(r.Conflicts);
        Assert.Equal([new RemoveShare("demo-web-lab0", SitePath, ShareNames.Account(Me))], r.Teardown.OfType<RemoveShare>());
        Assert.Equal([new RemoveShareTraffic(ShareNames.FirewallRule(LanSwitch))], r.Teardown.OfType<RemoveShareTraffic>());
        Assert.Equal([new RemoveShareAccount(ShareNames.Account(Me))], r.Teardown.OfType<RemoveShareAccount>());
        // Shares go before the account they are granted to.
        Assert.True(r.Teardown.IndexOf(r.Teardown.OfType<RemoveShare>().Single()) < r.Teardown.IndexOf(r.Teardown.OfType<RemoveShareAccount>().Single()));
    }

    [Fact]
    public void An_account_of_the_same_name_without_the_labs_mark_is_a_conflict_and_is_never_removed()
    {
        var plan = PlanOf();
        var host = Host() with { Accounts = [new HostAccount(ShareNames.Account(Me), "Somebody")] };

        Assert.Contains(Run(host, plan).Conflicts, c => c.Message.Contains("local account", StringComparison.Ordinal));
        Assert.DoesNotContain(Run(host, plan, ReconcileMode.Down).All, o => o is RemoveShareAccount);
    }

    [Fact]
    public void A_share_of_the_same_name_that_is_not_the_labs_is_a_conflict()
    {
        var host = Host() with { Shares = [new HostShare("demo-web-lab0", @"D:\data", "")] };

        var r = Run(host, PlanOf());

        Assert.Contains(r.Conflicts, c => c.Message.Contains("share named 'demo-web-lab0'", StringComparison.Ordinal));
        Assert.True(r.IsEmpty);
    }

    [Fact]
    public void A_whole_lab_up_without_smb_folders_removes_the_ones_left_from_before()
    {
        var withShares = PlanOf();
        var host = Shared(withShares);

        var r = Run(host, PlanOf(smb: false));

        Assert.Equal(["RemoveShare", "RemoveShareTraffic", "RemoveShareAccount"],
            r.Teardown.Where(o => o is RemoveShare or RemoveShareTraffic or RemoveShareAccount).Select(o => o.GetType().Name));
    }

    [Fact]
    public void An_up_of_other_vms_leaves_the_shares_alone()
    {
        var plan = PlanOf();
        var r = Run(Shared(plan), plan with { Vms = [plan.Vms[0] with { SyncedFolders = [] }, .. plan.Vms.Skip(1)] }, targets: ["db"]);

        Assert.DoesNotContain(r.All, o => o is RemoveShare or RemoveShareTraffic or RemoveShareAccount);
    }

    [Fact]
    public void A_vm_without_a_network_the_host_is_on_cannot_have_an_smb_folder()
    {
        const string isolatedOnly = """
            name: demo
            boxes: { ubuntu: /boxes/ubuntu.vhdx }
            defaults: { box: ubuntu }
            networks:
              - { name: iso, type: isolated }
            vms:
              - name: web
                networks: [iso]
            """;

        var r = Run(Host(), PlanOf(isolatedOnly));

        Assert.Contains(r.Conflicts, c => c.Message.Contains("private or nat network", StringComparison.Ordinal));
    }

    [Fact]
    public void A_windows_guest_cannot_have_an_smb_folder()
    {
        var r = Run(Host(), PlanOf(os: GuestOs.Windows));

        Assert.Contains(r.Conflicts, c => c.Message.Contains("runs Windows", StringComparison.Ordinal));
    }

    [Fact]
    public void A_host_that_does_not_share_over_smb_refuses_smb_folders()
    {
        var r = Run(Host(), PlanOf(), rules: new NoSmbRules());

        Assert.Contains(r.Conflicts, c => c.Message.Contains("cannot share them", StringComparison.Ordinal));
    }

    private sealed class NoSmbRules : HostRules
    {
        public override string Name => "nosmb";
        public override string SwitchName(string lab, NetworkDefinition network) => HyperVRules.Instance.SwitchName(lab, network);
        public override string HostInterfaceName(string switchName) => HyperVRules.VnicName(switchName);
        public override NatModel Nat => NatModel.SharedHostPrefix;
        public override bool SecureBootTemplates => true;
        public override bool AdaptersHotPlug(int generation) => true;
        public override bool SeedChangeWhileRunning => true;
        public override string OverlayExtension(string boxPath) => ".vhdx";
        public override StringComparer PathComparer => StringComparer.OrdinalIgnoreCase;
        public override string ForwardedPortNote => "";
    }
}
