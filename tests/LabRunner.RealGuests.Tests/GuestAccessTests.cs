using System.Globalization;
using LabRunner.RealGuests.Tests.Support;

namespace LabRunner.RealGuests.Tests;

/// <summary>
/// Issue 9 on the same real lab (see <see cref="RealLab"/>): <c>lab up</c>'s readiness wait, <c>lab ssh</c>,
/// <c>lab ssh-config</c> with the system's ssh, provisioners and pinned host keys — all as a user runs them.
/// These steps come after the read-only network checks and before the steps that change the lab.
/// </summary>
public sealed partial class RealGuestLabTests
{
    private static readonly TimeSpan GuestCommandTimeout = TimeSpan.FromMinutes(5);

    [RealGuestFact(10)]
    public void Up_returned_only_when_every_guest_was_ready_with_cloud_init_done()
    {
        lab.Require();
        var guests = lab.FirstUp["guests"]!.AsArray();

        foreach (var g in guests)
        {
            var vm = (string)g!["vm"]!;
            var (after, error) = lab.ReadyAfterCloudInit[vm];
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{vm}: SSH answered after {(double?)g["reachable_after_s"]:0.0} s, ready after {(double?)g["ready_after_s"]:0.0} s; LabRunner knew it ready {after:0.00} s (± {error:0.00} s) after the guest's cloud-init finished"));
        }
        Assert.Equal(["db", "web-1", "web-2"], guests.Select(g => (string)g!["vm"]!).Order(StringComparer.Ordinal));
        Assert.All(guests, g =>
        {
            Assert.Equal("ready", (string?)g!["state"]);
            Assert.True((double)g["ready_after_s"]! >= (double)g["reachable_after_s"]!, g.ToJsonString());
        });
        Assert.All(lab.CloudInitRightAfterUp, p => Assert.Equal("status: done", p.Value));
        // LabRunner called each guest ready only after its cloud-init finished (within the clock mapping's error).
        Assert.All(lab.ReadyAfterCloudInit, p => Assert.True(p.Value.Seconds > -p.Value.Error, $"{p.Key}: {p.Value}"));
    }

    [RealGuestFact(18)]
    public async Task A_guest_rebooted_by_its_user_data_during_cloud_init_ended_ready_after_its_second_boot()
    {
        lab.Require();
        var db = lab.FirstUp["guests"]!.AsArray().Single(g => (string?)g!["vm"] == "db")!;

        // The marker was written by runcmd on a boot before the current one: db went down in the middle of cloud-init.
        var check = await lab.Guests.RunAsync(Plan.SshIp(Plan.Vm("db")),
            $"m=$(stat -c %Y {RealLab.RebootMarker}); b=$(date -d \"$(uptime -s)\" +%s); echo marker=$m boot=$b; cloud-init status");

        output.WriteLine($"db: {db.ToJsonString()}\n{check}");
        Assert.Equal("ready", (string?)db["state"]);
        Assert.Null((string?)db["error"]);
        var values = System.Text.RegularExpressions.Regex.Match(check, @"marker=(\d+) boot=(\d+)");
        Assert.True(values.Success, check);
        Assert.True(long.Parse(values.Groups[1].Value, CultureInfo.InvariantCulture) < long.Parse(values.Groups[2].Value, CultureInfo.InvariantCulture),
            $"db did not reboot after its runcmd began: {check}");
        Assert.Contains("status: done", check, StringComparison.Ordinal);
    }

    [RealGuestFact(11)]
    public async Task Lab_ssh_runs_a_command_and_exits_with_its_exit_code_and_its_output_unchanged()
    {
        lab.Require();

        var hostname = await lab.Cli.RunAsync(GuestCommandTimeout, "ssh", "web-1", "--", "hostname");
        // 'up' left a shared connection (issue 16.4); both 'lab ssh' run over it: the same master answers.
        var socket = lab.ControlSocket("web-1") ?? throw new Xunit.Sdk.XunitException("web-1 has no control socket in .lab/cm");
        var master = await lab.Host.RunAsync(GuestCommandTimeout, "ssh", "-O", "check", "-o", "ControlPath=" + socket, "web-1");
        var warm = await lab.Cli.RunAsync(GuestCommandTimeout, "ssh", "web-1", "--", "hostname");
        var sameMaster = await lab.Host.RunAsync(GuestCommandTimeout, "ssh", "-O", "check", "-o", "ControlPath=" + socket, "web-1");
        output.WriteLine($"lab ssh web-1 -- hostname: first {hostname.Elapsed.TotalSeconds:0.000} s, warm {warm.Elapsed.TotalSeconds:0.000} s; {master.Stderr.Trim()}");
        var failing = await lab.Cli.RunAsync(GuestCommandTimeout, "ssh", "db", "--", "false");
        var mixed = await lab.Cli.RunAsync(GuestCommandTimeout, "ssh", "web-2", "--", "sh", "-c", "printf 'a\\tb  c'; echo to-stderr >&2; exit 42");
        var unnamed = await lab.Cli.RunAsync(GuestCommandTimeout, "ssh", "--", "true");

        Assert.True(hostname.Succeeded, hostname.ToString());
        Assert.Equal(Plan.Vm("web-1").Hostname + "\n", hostname.Stdout);
        Assert.True(master.Succeeded && master.Stderr.StartsWith("Master running (pid=", StringComparison.Ordinal), master.ToString());
        Assert.Equal(hostname.Stdout, warm.Stdout);
        Assert.Equal(master.Stderr, sameMaster.Stderr);
        Assert.Equal(1, failing.ExitCode);
        Assert.Equal(42, mixed.ExitCode);
        Assert.Equal("a\tb  c", mixed.Stdout);
        Assert.Equal("to-stderr\n", mixed.Stderr);
        Assert.Equal(2, unnamed.ExitCode);
        Assert.Contains("name one", unnamed.Stderr, StringComparison.Ordinal);
    }

    [RealGuestFact(12)]
    public async Task Ssh_config_output_works_with_the_systems_ssh_and_scp()
    {
        lab.Require();
        var config = Path.Combine(lab.WorkDirectory, "ssh_config");
        var copied = Path.Combine(lab.WorkDirectory, "web-2-hostname");

        var printed = await lab.Cli.RunAsync(GuestCommandTimeout, "ssh-config");
        await File.WriteAllTextAsync(config, printed.Stdout);
        var ssh = await lab.Host.RunAsync(GuestCommandTimeout, "ssh", "-F", config, "-o", "BatchMode=yes", "web-2", "hostname");
        var scp = await lab.Host.RunAsync(GuestCommandTimeout, "scp", "-F", config, "-o", "BatchMode=yes", "db:/etc/hostname", copied);

        output.WriteLine(printed.Stdout);
        Assert.True(printed.Succeeded, printed.ToString());
        Assert.True(ssh.Succeeded, ssh.ToString());
        Assert.Equal(Plan.Vm("web-2").Hostname, ssh.Stdout.Trim());
        Assert.True(scp.Succeeded, scp.ToString());
        Assert.Equal(Plan.Vm("db").Hostname, (await File.ReadAllTextAsync(copied)).Trim());
    }

    [RealGuestFact(13)]
    public async Task The_first_up_ran_the_defaults_then_each_vms_provisioners_in_order_with_values_unchanged()
    {
        lab.Require();
        foreach (var name in new[] { "web-1", "web-2" })
        {
            var vm = Plan.Vm(name);
            var ip = Plan.SshIp(vm);

            var provisionLog = await lab.Guests.RunAsync(ip, "cat /var/tmp/lab-provision.log");
            var setupLog = await lab.Guests.RunAsync(ip, "cat /var/tmp/lab-setup.log");
            var ini = await lab.Guests.RunAsync(ip, "cat /etc/lab-app.ini");
            var iniOwner = await lab.Guests.RunAsync(ip, "stat -c %U /etc/lab-app.ini");
            var always = await AlwaysRunsAsync(name);
            var pwned = await lab.Guests.TryAsync(ip, "test -e /tmp/pwned");

            Assert.Equal($"defaults on {vm.Hostname}\n", provisionLog);
            Assert.Equal($"user=lab role=web\narg=[--fast]\narg=[{RealLab.HostileArgument}]\n", setupLog);
            Assert.Equal(RealLab.AppIni, ini);
            Assert.Equal("root\n", iniOwner); // file: runs privileged unless told otherwise
            Assert.Equal(1, always);
            Assert.Equal(1, pwned.ExitCode);
        }
        var db = Plan.SshIp(Plan.Vm("db"));
        Assert.Equal($"defaults on {Plan.Vm("db").Hostname}\n", await lab.Guests.RunAsync(db, "cat /var/tmp/lab-provision.log"));
        Assert.Equal(1, (await lab.Guests.TryAsync(db, "test -e /var/tmp/lab-setup.log")).ExitCode);
    }

    [RealGuestFact(14)]
    public async Task Lab_provision_reruns_always_provisioners_and_an_edited_one_but_no_other_once_provisioner()
    {
        lab.Require();
        var web1 = Plan.SshIp(Plan.Vm("web-1"));
        var setupBefore = await lab.Guests.RunAsync(web1, "cat /var/tmp/lab-setup.log");

        var all = await lab.Cli.RunAsync(GuestCommandTimeout, "provision");
        var alwaysAfterAll = await AlwaysRunsAsync("web-1");
        var setupAfterAll = await lab.Guests.RunAsync(web1, "cat /var/tmp/lab-setup.log");
        lab.WriteProvisionerFiles(RealLab.SetupScript + "\necho edited >> /var/tmp/lab-setup.log\n");
        var edited = await lab.Cli.RunAsync(GuestCommandTimeout, "provision", "web-1");
        var setupAfterEdit = await lab.Guests.RunAsync(web1, "cat /var/tmp/lab-setup.log");
        var web2Setup = await lab.Guests.RunAsync(Plan.SshIp(Plan.Vm("web-2")), "cat /var/tmp/lab-setup.log");

        output.WriteLine($"lab provision: {all.Elapsed.TotalSeconds:0.0} s\n{all.Stdout}\nlab provision web-1 (edited script): {edited.Elapsed.TotalSeconds:0.0} s\n{edited.Stdout}");
        Assert.True(all.Succeeded, all.ToString());
        Assert.Equal(2, alwaysAfterAll);
        Assert.Equal(setupBefore, setupAfterAll);
        Assert.Equal($"defaults on {Plan.Vm("web-1").Hostname}\n", await lab.Guests.RunAsync(web1, "cat /var/tmp/lab-provision.log"));
        Assert.True(edited.Succeeded, edited.ToString());
        Assert.Equal(setupBefore + setupBefore + "edited\n", setupAfterEdit);
        Assert.Equal(3, await AlwaysRunsAsync("web-1"));
        Assert.Equal(setupBefore, web2Setup);
        Assert.Contains("web-1| ", edited.Stdout, StringComparison.Ordinal);
    }

    [RealGuestFact(15)]
    public async Task A_failing_provisioner_fails_only_its_vm_with_its_exit_code_and_position()
    {
        lab.Require();
        var web2Before = await AlwaysRunsAsync("web-2");
        await lab.WriteLabfileAsync(failingDbProvisioner: true);
        try
        {
            var run = await lab.Cli.RunAsync(GuestCommandTimeout, "provision");

            output.WriteLine(run.ToString());
            Assert.Equal(3, run.ExitCode);
            Assert.Contains("db| db provisioning broke", run.Stderr, StringComparison.Ordinal);
            Assert.Matches(@"lab: db: provisioner .* at Labfile\.yml:\d+:\d+ failed with exit code 7", run.Stderr);
            Assert.DoesNotContain("lab: web-", run.Stderr, StringComparison.Ordinal);
            Assert.Equal(web2Before + 1, await AlwaysRunsAsync("web-2"));
        }
        finally
        {
            await lab.WriteLabfileAsync();
        }
    }

    [RealGuestFact(16)]
    public async Task A_swapped_pinned_host_key_makes_lab_ssh_and_provision_refuse_the_guest()
    {
        lab.Require();
        var web1Key = Path.Combine(lab.ProjectDirectory, ".lab", "vms", "web-1", "ssh_host_ecdsa_key");
        var dbKey = Path.Combine(lab.ProjectDirectory, ".lab", "vms", "db", "ssh_host_ecdsa_key");
        Swap(web1Key, dbKey);
        Swap(web1Key + ".pub", dbKey + ".pub");
        ProcResult ssh, provision;
        try
        {
            ssh = await lab.Cli.RunAsync(GuestCommandTimeout, "ssh", "web-1", "--", "true");
            provision = await lab.Cli.RunAsync(GuestCommandTimeout, "provision", "web-1");
        }
        finally
        {
            Swap(web1Key, dbKey);
            Swap(web1Key + ".pub", dbKey + ".pub");
        }
        var again = await lab.Cli.RunAsync(GuestCommandTimeout, "ssh", "web-1", "--", "true");
        // LabRunner saw web-1 as not ready while the keys were swapped; with them back it is ready again.
        var provisionAgain = await lab.Cli.RunAsync(GuestCommandTimeout, "provision", "web-1");

        output.WriteLine($"{ssh}\n{provision}");
        Assert.Equal(255, ssh.ExitCode);
        Assert.Contains("REMOTE HOST IDENTIFICATION HAS CHANGED", ssh.Stderr, StringComparison.Ordinal);
        Assert.Equal(3, provision.ExitCode);
        Assert.Contains("refusing to log in", provision.Stderr, StringComparison.Ordinal);
        Assert.True(again.Succeeded, again.ToString());
        Assert.True(provisionAgain.Succeeded, provisionAgain.ToString());
    }

    [RealGuestFact(17)]
    public async Task Every_guest_booted_from_the_box_lab_box_add_put_in_the_store_and_up_downloaded_nothing()
    {
        lab.Require();
        var storeDisk = Directory.EnumerateFiles(Path.Combine(lab.HomeDirectory, "boxes", "debian-12", RealLab.BoxVersion), "*", SearchOption.AllDirectories)
            .Single(f => !f.EndsWith(".json", StringComparison.Ordinal));
        var vmDisks = new[] { lab.ProjectDirectory, lab.StateDirectory }
            .SelectMany(d => Directory.EnumerateFiles(d, "*.qcow2", SearchOption.AllDirectories))
            .Where(f => Path.GetFileName(f) != "OVMF_VARS.qcow2").ToList(); // the UEFI variables are qcow2 too, for snapshots
        var backing = new List<string>();
        foreach (var disk in vmDisks)
        {
            var info = await Proc.CheckedAsync("qemu-img", ["info", "-U", "--output=json", disk]);
            backing.Add((string?)System.Text.Json.Nodes.JsonNode.Parse(info.Stdout)!["full-backing-filename"] ?? $"(none: {disk})");
        }
        var list = await lab.Cli.RunAsync(GuestCommandTimeout, "box", "list", "--json");
        var boxGets = lab.Topology.UpstreamLog.Count(l => l.Contains($"GET /{RealLab.BoxFileName}", StringComparison.Ordinal));

        output.WriteLine($"{lab.BoxAdd}\nstore disk {storeDisk}\nVM disks: {string.Join(", ", vmDisks)}\nbacking: {string.Join(", ", backing)}\n{list.Stdout}");
        Assert.Equal(3, vmDisks.Count);
        Assert.All(backing, b => Assert.Equal(storeDisk, b));
        Assert.Equal(1, boxGets); // lab box add's download; lab up found the box in the store
        Assert.True(list.Succeeded, list.ToString());
        Assert.Contains("\"debian-12\"", list.Stdout, StringComparison.Ordinal);
        Assert.Contains(RealLab.BoxVersion, list.Stdout, StringComparison.Ordinal);
        Assert.Contains("e2e", list.Stdout, StringComparison.Ordinal); // in use by this lab
    }

    private async Task<int> AlwaysRunsAsync(string vm) =>
        (await lab.Guests.RunAsync(Plan.SshIp(Plan.Vm(vm)), "cat /var/tmp/lab-always.log")).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;

    private static void Swap(string a, string b)
    {
        var temp = a + ".swap";
        File.Move(a, temp);
        File.Move(b, a);
        File.Move(temp, b);
    }
}
