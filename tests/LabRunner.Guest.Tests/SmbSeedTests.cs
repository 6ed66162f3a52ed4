using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Core.Planning;
using LabRunner.Guest.CloudInit;
using LabRunner.Guest.Tests.Tools;
using YamlDotNet.RepresentationModel;

namespace LabRunner.Guest.Tests;

/// <summary>Issue 19.2: a Linux guest's seed mounts its 'type: smb' synced folders with the lab's account, and keeps the password root's alone.</summary>
public class SmbSeedTests
{
    private const string Password = "Qw3rtyUiop0Asdfghjkl9Zxcvbnm8Lk";
    private const string Lab = """
        name: shop
        boxes:
          ubuntu: boxes/ubuntu.vhdx
        networks:
          - name: iso
            type: isolated
          - name: lan
            type: nat
            subnet: 10.188.7.0/24
        vms:
          - name: web
            box: ubuntu
            networks: [iso, lan]
            user_data:
              packages: [nginx]
              write_files:
                - { path: /etc/motd, content: "hello" }
              runcmd: [["true"]]
        """;

    private static (LabPlan Plan, VmPlan Vm) PlanWithSmb()
    {
        var plan = Labs.Plan(Lab);
        var vm = plan.Vms[0] with
        {
            SyncedFolders =
            [
                new SyncedFolderPlan(0, "./site", "/var/www/my site", SyncedFolderType.Smb, [], "www-data", "www-data"),
                new SyncedFolderPlan(1, ".", "/srv/app", SyncedFolderType.Push, [], "dev", "dev"),
            ],
        };
        return (plan with { Vms = [vm] }, vm);
    }

    private static GuestRenderResult Render()
    {
        var (plan, vm) = PlanWithSmb();
        var server = ShareNames.Server(plan, vm)!.Value.ToString();
        var result = new GuestConfigRenderer().Render(plan.Lab, vm, Labs.Secrets with { Smb = new SmbCredentials("lab1a2b3c4d", Password, server) });
        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics));
        return result;
    }

    private static YamlMappingNode UserData(GuestRenderResult result)
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(result.Files.Single(f => f.Name == GuestConfigRenderer.UserDataFile).Text));
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }

    private static IEnumerable<string> Strings(YamlDotNet.RepresentationModel.YamlNode node) => ((YamlSequenceNode)node).Children.Select(c => ((YamlScalarNode)c).Value!);

    [Fact]
    public void The_share_is_mounted_from_the_hosts_address_on_the_vms_nat_network_with_the_folders_owner_and_symlinks_kept()
    {
        var root = UserData(Render());

        var mounts = ((YamlSequenceNode)root["mounts"]).Children;
        var mount = Strings(Assert.Single(mounts)).ToList();
        // 'iso' is isolated: the host is on 'lan' only, at its gateway.
        Assert.Equal("//10.188.7.1/shop-web-lab0", mount[0]);
        Assert.Equal(@"/var/www/my\040site", mount[1]);
        Assert.Equal("cifs", mount[2]);
        var options = mount[3].Split(',');
        Assert.Contains($"credentials={GuestConfigRenderer.SmbCredentialsPath}", options);
        Assert.Contains("uid=www-data", options);
        Assert.Contains("gid=www-data", options);
        Assert.Contains("mfsymlinks", options);
        Assert.Contains("nofail", options);
        Assert.Contains("vers=3.0", options);
    }

    [Fact]
    public void The_credentials_file_is_root_only_and_holds_the_account_and_password()
    {
        var root = UserData(Render());

        var files = ((YamlSequenceNode)root["write_files"]).Children.Cast<YamlMappingNode>().ToList();
        var credentials = files.Single(f => ((YamlScalarNode)f["path"]).Value == GuestConfigRenderer.SmbCredentialsPath);
        Assert.Equal("0600", ((YamlScalarNode)credentials["permissions"]).Value);
        Assert.Equal("root:root", ((YamlScalarNode)credentials["owner"]).Value);
        Assert.Equal($"username=lab1a2b3c4d\npassword={Password}\n", ((YamlScalarNode)credentials["content"]).Value);
        // The Labfile's own write_files and packages follow LabRunner's under the same keys.
        Assert.Contains(files, f => ((YamlScalarNode)f["path"]).Value == "/etc/motd");
        Assert.Equal(["cifs-utils", "nginx"], Strings(root["packages"]));
    }

    [Fact]
    public void The_cloud_init_modules_cover_the_keys_the_smb_part_adds()
    {
        var text = Render().Files.Single(f => f.Name == GuestConfigRenderer.UserDataFile).Text;
        var root = UserData(Render());

        var init = Strings(root[CloudInitModules.InitKey]).ToList();
        var final = Strings(root[CloudInitModules.FinalKey]).ToList();
        Assert.Contains("write_files", init);
        Assert.Contains("mounts", init);
        Assert.Contains("package_update_upgrade_install", final);
        Assert.Contains("runcmd", Strings(root[CloudInitModules.ConfigKey]));
        Assert.DoesNotContain("smb", text.Split('\n').Where(l => !l.StartsWith('#')).Select(l => l.Split(':')[0]), StringComparer.Ordinal);
    }

    [Fact]
    public void A_vm_without_smb_folders_gets_no_credentials_mounts_or_cifs_utils()
    {
        var plan = Labs.Plan(Lab);
        var result = new GuestConfigRenderer().Render(plan.Lab, plan.Vms[0], Labs.Secrets with { Smb = new SmbCredentials("lab1a2b3c4d", Password, "10.188.7.1") });
        var text = result.Files.Single(f => f.Name == GuestConfigRenderer.UserDataFile).Text;

        Assert.DoesNotContain(Password, text, StringComparison.Ordinal);
        Assert.DoesNotContain("cifs", text, StringComparison.Ordinal);
        Assert.DoesNotContain("mounts:", text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_password_is_not_in_the_record_printed_in_logs()
    {
        var secrets = Labs.Secrets with { Smb = new SmbCredentials("lab1a2b3c4d", Password, "10.188.7.1") };

        Assert.DoesNotContain(Password, secrets.Smb!.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Password, secrets.ToString(), StringComparison.Ordinal);
    }

    [ToolFact("cloud-init")]
    public void The_user_data_passes_cloud_inits_own_schema()
    {
        using var folder = new Iso.TempDirectory();
        var seed = CloudInit.WriteSeed(Render(), folder);

        var run = ExternalTool.Run("cloud-init", "schema", "--config-file", Path.Combine(seed.FullName, GuestConfigRenderer.UserDataFile));

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("Valid cloud-config", run.StandardOutput, StringComparison.Ordinal);
    }
}
