using LabRunner.Core.Diagnostics;
using LabRunner.Core.Labfile;
using LabRunner.Core.Planning;
using LabRunner.Providers.HyperV;

namespace LabRunner.Core.Tests;

/// <summary>LAB8xx: 'synced_folders' under 'defaults' and per VM — every key, its checks and where they point.</summary>
public class SyncedFolderTests
{
    private static LabContext Context(Hosting.HostRules? rules = null) =>
        LabContext.For(rules ?? HyperVRules.Instance) with { BoxesOnDisk = ["debian"] };

    private static List<Diagnostic> Problems(string text, LabContext? context = null) =>
        [.. Labfiles.Plan(text, context: context ?? Context()).Diagnostics];

    [Fact]
    public void Defaults_folders_come_first_then_the_vms_own_with_every_key_read()
    {
        var text = """
            name: demo
            defaults:
              box: debian
              synced_folders:
                - { host: ., guest: /srv/app/, exclude: [.git, .lab, node_modules] }
            vms:
              - name: web
                synced_folders:
                  - host: ./site
                    guest: //var//www
                    type: smb
                    owner: www-data
                    group: www
                  - { host: ../shared, guest: /opt/shared, type: push, exclude: "*.log" }
            """;

        var plan = Labfiles.ValidPlan(text, context: Context());
        var vm = plan.Vms.Single();

        Assert.Collection(vm.SyncedFolders,
            f => Assert.Equal((0, ".", "/srv/app", SyncedFolderType.Push, "lab", "lab", ".git|.lab|node_modules"),
                (f.Index, f.HostPath, f.GuestPath, f.Type, f.Owner, f.Group, string.Join('|', f.Exclude))),
            f => Assert.Equal((1, "./site", "/var/www", SyncedFolderType.Smb, "www-data", "www", ""),
                (f.Index, f.HostPath, f.GuestPath, f.Type, f.Owner, f.Group, string.Join('|', f.Exclude))),
            f => Assert.Equal((2, "../shared", "/opt/shared", SyncedFolderType.Push, "lab", "lab", "*.log"),
                (f.Index, f.HostPath, f.GuestPath, f.Type, f.Owner, f.Group, string.Join('|', f.Exclude))));
    }

    [Fact]
    public void Nothing_is_synced_unless_the_Labfile_asks()
    {
        var plan = Labfiles.ValidPlan("name: demo\nvms:\n  - { name: web, box: debian }\n", context: Context());

        Assert.Empty(plan.Vms.Single().SyncedFolders);
    }

    [Fact]
    public void Shape_problems_point_at_their_values()
    {
        var text = """
            name: demo
            defaults: { box: debian }
            vms:
              - name: web
                synced_folders:
                  - { host: ., guest: /srv, type: nfs }
                  - { guest: /a }
                  - { host: ., guest: /b, owner: Root, group: "x y" }
                  - { host: ., guest: /c, exclude: ["!keep", "../up", "ok", "/"] }
                  - { host: ., guest: /d, colour: blue }
                  - just-a-string
            """;

        var d = Problems(text);

        Expect.At(d, "LAB006", text, "nfs");
        Expect.At(d, "LAB004", text, "{ guest: /a }");
        Expect.At(d, "LAB101", text, "Root");
        Expect.At(d, "LAB101", text, "\"x y\"");
        Expect.At(d, "LAB806", text, "\"!keep\"");
        Expect.At(d, "LAB806", text, "\"../up\"");
        Expect.At(d, "LAB806", text, "\"/\"");
        Expect.At(d, "LAB002", text, "colour");
        Expect.At(d, "LAB003", text, "just-a-string");
        Assert.DoesNotContain(d, x => x.Code == "LAB806" && x.Message.Contains("'ok'", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("srv/app")]
    [InlineData("/")]
    [InlineData("///")]
    [InlineData("/srv/../etc")]
    [InlineData("/srv/./app")]
    [InlineData("C:\\\\app")]
    public void A_linux_guest_needs_an_absolute_posix_path(string guest)
    {
        var text = $"name: demo\nvms:\n  - name: web\n    box: debian\n    synced_folders: [{{ host: ., guest: \"{guest}\" }}]\n";

        var d = Problems(text);

        Expect.At(d, "LAB803", text, $"\"{guest}\"");
    }

    [Theory]
    [InlineData("/srv/app", false)]
    [InlineData("C:", false)]
    [InlineData("C:\\\\", false)]
    [InlineData("C:\\\\app\\\\..\\\\x", false)]
    [InlineData("C:\\\\a|b", false)]
    [InlineData("c:/work/app", true)]
    [InlineData("D:\\\\Work\\\\App\\\\", true)]
    public void A_windows_guest_needs_an_absolute_drive_path(string guest, bool valid)
    {
        var text = $"name: demo\nvms:\n  - name: dc\n    box: debian\n    os: windows\n    synced_folders: [{{ host: ., guest: \"{guest}\" }}]\n";

        var d = Problems(text, Context(HyperVRules.Instance));

        if (valid) Assert.DoesNotContain(d, x => x.IsError);
        else Expect.At(d, "LAB803", text, $"\"{guest}\"");
    }

    [Fact]
    public void A_windows_guests_folder_is_planned_in_its_own_spelling()
    {
        var text = "name: demo\nvms:\n  - { name: dc, box: debian, os: windows, synced_folders: [{ host: ., guest: \"c:/work//app/\" }] }\n";

        var plan = Labfiles.ValidPlan(text, context: Context(HyperVRules.Instance));

        Assert.Equal(@"C:\work\app", plan.Vms.Single().SyncedFolders.Single().GuestPath);
    }

    [Fact]
    public void Owner_and_group_do_not_apply_to_windows_guests()
    {
        var text = "name: demo\nvms:\n  - { name: dc, box: debian, os: windows, synced_folders: [{ host: ., guest: \"C:\\\\app\", owner: lab, group: staff }] }\n";

        var d = Problems(text, Context(HyperVRules.Instance));

        Expect.At(d, "LAB009", text, "lab,");
        Expect.At(d, "LAB009", text, "staff");
    }

    [Fact]
    public void Two_folders_of_a_vm_on_or_under_one_guest_path_are_refused_once_each()
    {
        var text = """
            name: demo
            defaults:
              box: debian
              synced_folders:
                - { host: ., guest: /srv/app }
            vms:
              - name: web
                count: 2
                synced_folders:
                  - { host: ., guest: /srv/app/ }
                  - { host: ., guest: /srv/app/site }
                  - { host: ., guest: /srv/application }
                  - { host: ., guest: /srv }
            """;

        var d = Problems(text);

        Expect.At(d, "LAB804", text, "/srv/app/ }");
        Expect.At(d, "LAB804", text, "/srv/app/site");
        Expect.At(d, "LAB804", text, "/srv }");
        Assert.Equal(3, d.Count(x => x.Code == "LAB804"));
        Assert.Contains("(at Labfile.yml:5:", d.First(x => x.Code == "LAB804").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_vms_may_use_the_same_guest_path()
    {
        var text = "name: demo\ndefaults: { box: debian, synced_folders: [{ host: ., guest: /srv }] }\nvms:\n  - { name: a }\n  - { name: b }\n";

        Assert.DoesNotContain(Problems(text), x => x.IsError);
    }

    [Theory]
    [InlineData("hyperv", "virtiofs", false)]
    [InlineData("hyperv", "smb", true)]
    [InlineData("hyperv", "push", true)]
    [InlineData("push-only", "smb", false)]
    [InlineData("push-only", "virtiofs", false)]
    [InlineData("push-only", "auto", true)]
    [InlineData("push-only", "push", true)]
    public void A_kind_the_provider_cannot_give_is_an_error_at_the_folder(string provider, string type, bool offered)
    {
        var rules = provider == "hyperv" ? (Hosting.HostRules)HyperVRules.Instance : new PushOnlyRules();
        var text = $"name: demo\nvms:\n  - name: web\n    box: debian\n    synced_folders:\n      - {{ host: ., guest: /srv, type: {type} }}\n";

        var d = Problems(text, Context(rules));

        if (offered)
        {
            Assert.DoesNotContain(d, x => x.IsError);
        }
        else
        {
            var problem = Expect.At(d, "LAB805", text, "{ host: .");
            Assert.Contains($"'{provider}'", problem.Message, StringComparison.Ordinal);
        }
    }

    /// <summary>A host with only what every host has: push.</summary>
    private sealed class PushOnlyRules : Hosting.HostRules
    {
        public override string Name => "push-only";
        public override string SwitchName(string lab, NetworkDefinition network) => HyperVRules.Instance.SwitchName(lab, network);
        public override string HostInterfaceName(string switchName) => switchName;
        public override Hosting.NatModel Nat => Hosting.NatModel.PerNetwork;
        public override bool SecureBootTemplates => false;
        public override bool AdaptersHotPlug(int generation) => false;
        public override bool SeedChangeWhileRunning => false;
        public override string OverlayExtension(string boxPath) => ".qcow2";
        public override StringComparer PathComparer => StringComparer.Ordinal;
        public override string ForwardedPortNote => "";
    }

    [Fact]
    public void Exclude_applies_only_to_a_push()
    {
        var text = "name: demo\nvms:\n  - name: web\n    box: debian\n    synced_folders:\n      - { host: ., guest: /srv, type: smb, exclude: [.git] }\n";

        Expect.At(Problems(text), "LAB009", text, "[.git]");
    }

    [Fact]
    public void A_host_folder_the_caller_found_missing_is_an_error_at_its_path_once()
    {
        var text = """
            name: demo
            defaults:
              box: debian
              synced_folders: [{ host: ./gone, guest: /srv }]
            vms:
              - name: web
                count: 3
                synced_folders: [{ host: ./here, guest: /opt }]
            """;

        var d = Problems(text, Context() with { MissingSyncedFolders = ["./gone"] });

        Expect.At(d, DiagnosticCodes.SyncedFolderMissing, text, "./gone");
        Assert.Single(d, x => x.Code == DiagnosticCodes.SyncedFolderMissing);
    }

    [Fact]
    public void An_unusable_host_path_is_refused()
    {
        var text = "name: demo\nvms:\n  - { name: web, box: debian, synced_folders: [{ host: \" spaced \", guest: /srv }] }\n";

        Expect.At(Problems(text), "LAB801", text, "\" spaced \"");
    }
}
