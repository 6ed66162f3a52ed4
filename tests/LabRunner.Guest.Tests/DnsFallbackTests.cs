using System.Diagnostics;
using System.Runtime.Versioning;
using LabRunner.Guest.Tests.Iso;
using LabRunner.Guest.Tests.Tools;
using YamlDotNet.RepresentationModel;

namespace LabRunner.Guest.Tests;

/// <summary>
/// The planned DNS servers reach guests that no resolver manager looks after (ifupdown without
/// resolvconf, networkd without systemd-resolved), where network-config's nameservers are ignored:
/// user-data's first bootcmd, run at every boot, writes <c>/etc/resolv.conf</c> itself. The script
/// is taken from the rendered user-data and run with the real <c>sh</c>, against a scratch file and
/// fake <c>systemctl</c>/<c>resolvconf</c> commands.
/// </summary>
[UnsupportedOSPlatform("windows")] // the script tests are ToolFacts, skipped there
public class DnsFallbackTests
{
    [Fact]
    public void User_data_runs_the_dns_fallback_first_at_every_boot_with_the_planned_servers()
    {
        var (script, args) = Fallback(Labs.MultiNic);

        Assert.Contains("resolv.conf", script, StringComparison.Ordinal);
        // The default route's adapter first: its servers are the ones reachable from anywhere.
        Assert.Equal(["labrunner-dns", "1.1.1.1", "9.9.9.9"], args);
    }

    [Fact]
    public void Servers_of_every_adapter_follow_those_of_the_default_route_once_each()
    {
        var (_, args) = Fallback(Labs.BridgedStatic);

        var vm = Labs.Vm(Labs.BridgedStatic);
        var expected = vm.Adapters.OrderBy(a => a.DefaultRoute ? 0 : 1).SelectMany(a => a.Dns).Select(d => d.ToString()).Distinct();
        Assert.Equal(["labrunner-dns", .. expected], args);
    }

    [Fact]
    public void A_vm_without_planned_dns_servers_gets_no_fallback()
    {
        var bootcmd = (YamlSequenceNode)UserData(Labs.BridgedDhcp)["bootcmd"];

        // DHCP brings its own servers; nothing to write (the sshd entry of issue 16 is the only one).
        Assert.DoesNotContain(bootcmd.OfType<YamlSequenceNode>(), e => e.Any(n => n is YamlScalarNode { Value: "labrunner-dns" }));
        Assert.Single(bootcmd);
    }

    [Fact]
    public void The_users_bootcmd_entries_run_after_the_fallback()
    {
        var bootcmd = (YamlSequenceNode)UserData(UserDataTests.HostileLab)["bootcmd"];

        Assert.IsType<YamlSequenceNode>(bootcmd[0]);
        Assert.Contains(((YamlSequenceNode)bootcmd[1]).Children, n => n is YamlScalarNode { Value: "labrunner-sshd" });
        Assert.Equal(["- not a list item", "{ not: a mapping }", "@reboot", "*alias", "&anchor", "!!python/object:os.system", "%TAG"],
            bootcmd.Skip(2).Select(n => ((YamlScalarNode)n).Value));
    }

    [ToolFact("sh")]
    public void Without_a_resolver_manager_the_planned_servers_replace_the_images_and_its_search_line_stays()
    {
        using var root = new TempDirectory();
        var conf = root.File("resolv.conf");
        File.WriteAllText(conf, "# from the image\nnameserver 10.0.2.3\nsearch corp.example\noptions edns0\n");

        var run = RunFallback(Labs.MultiNic, root, conf, resolvedActive: false, resolvconf: false);

        Assert.True(run.ExitCode == 0, run.ToString());
        var lines = File.ReadAllLines(conf);
        Assert.Equal(["nameserver 1.1.1.1", "nameserver 9.9.9.9", "search corp.example", "options edns0"], lines.Where(l => !l.StartsWith('#')));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(conf));
        Assert.Equal(["resolv.conf"], Directory.GetFiles(root.Path).Select(Path.GetFileName));
    }

    [ToolFact("sh")]
    public void Without_a_resolver_manager_a_missing_resolv_conf_is_created()
    {
        using var root = new TempDirectory();
        var conf = root.File("resolv.conf");

        var run = RunFallback(Labs.MultiNic, root, conf, resolvedActive: false, resolvconf: false);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["nameserver 1.1.1.1", "nameserver 9.9.9.9"], File.ReadAllLines(conf).Where(l => !l.StartsWith('#')));
    }

    [ToolFact("sh")]
    public void An_active_systemd_resolved_stays_in_charge()
    {
        using var root = new TempDirectory();
        var conf = root.File("resolv.conf");
        File.WriteAllText(conf, "nameserver 127.0.0.53\n");

        var run = RunFallback(Labs.MultiNic, root, conf, resolvedActive: true, resolvconf: false);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("nameserver 127.0.0.53\n", File.ReadAllText(conf));
    }

    [ToolFact("sh")]
    public void Resolvconf_stays_in_charge()
    {
        using var root = new TempDirectory();
        var conf = root.File("resolv.conf");
        File.WriteAllText(conf, "nameserver 10.0.2.3\n");

        var run = RunFallback(Labs.MultiNic, root, conf, resolvedActive: false, resolvconf: true);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("nameserver 10.0.2.3\n", File.ReadAllText(conf));
    }

    [ToolFact("sh")]
    public void A_symlinked_resolv_conf_belongs_to_whatever_manages_its_target()
    {
        using var root = new TempDirectory();
        var target = root.File("stub-resolv.conf");
        File.WriteAllText(target, "nameserver 127.0.0.53\n");
        var conf = root.File("resolv.conf");
        File.CreateSymbolicLink(conf, target);

        var run = RunFallback(Labs.MultiNic, root, conf, resolvedActive: false, resolvconf: false);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.NotNull(new FileInfo(conf).LinkTarget);
        Assert.Equal("nameserver 127.0.0.53\n", File.ReadAllText(target));
    }

    [ToolFact("sh")]
    public void Only_ipv4_addresses_are_written_whatever_an_overriding_template_passes()
    {
        using var root = new TempDirectory();
        var conf = root.File("resolv.conf");
        var (script, _) = Fallback(Labs.MultiNic);

        var run = RunScript(script, ["labrunner-dns", "1.1.1.1", "x\nnameserver 6.6.6.6", "-n", "9.9.9.9"], root, conf, resolvedActive: false, resolvconf: false);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["nameserver 1.1.1.1", "nameserver 9.9.9.9"], File.ReadAllLines(conf).Where(l => !l.StartsWith('#')));
    }

    [ToolFact("sh", "/usr/bin/python3")]
    public void Cloud_inits_own_bootcmd_script_runs_the_fallback()
    {
        using var root = new TempDirectory();
        var conf = root.File("resolv.conf");
        var userData = root.File("user-data");
        File.WriteAllText(userData, Labs.Render(Labs.MultiNic)[GuestConfigRenderer.UserDataFile].Text);
        // cc_bootcmd turns the list into a script with cloudinit.util.shellify and runs it with /bin/sh.
        var shellify = ExternalTool.Run("/usr/bin/python3", "-c",
            "import sys, yaml; from cloudinit import util; sys.stdout.write(util.shellify(yaml.safe_load(open(sys.argv[1]))['bootcmd']))", userData)
            .EnsureSuccess("shellify");
        var bootcmd = root.File("bootcmd.sh");
        File.WriteAllText(bootcmd, shellify.StandardOutput);

        var run = RunSh([bootcmd], root, conf, resolvedActive: false, resolvconf: false);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["nameserver 1.1.1.1", "nameserver 9.9.9.9"], File.ReadAllLines(conf).Where(l => !l.StartsWith('#')));
    }

    private static YamlMappingNode UserData(string lab)
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(Labs.Render(lab)[GuestConfigRenderer.UserDataFile].Text));
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }

    /// <summary>The fallback's script and the arguments after it, from the first bootcmd entry <c>[sh, -c, script, name, ip…]</c>.</summary>
    private static (string Script, string[] Args) Fallback(string lab)
    {
        var entry = (YamlSequenceNode)((YamlSequenceNode)UserData(lab)["bootcmd"])[0];
        var items = entry.Select(n => ((YamlScalarNode)n).Value!).ToArray();
        Assert.Equal(["sh", "-c"], items[..2]);
        return (items[2], items[3..]);
    }

    private static ToolResult RunFallback(string lab, TempDirectory root, string conf, bool resolvedActive, bool resolvconf)
    {
        var (script, args) = Fallback(lab);
        return RunScript(script, args, root, conf, resolvedActive, resolvconf);
    }

    /// <summary>
    /// Runs <c>sh</c> (the script with <c>-c</c>, or cloud-init's bootcmd file), with a PATH holding only the
    /// coreutils a minimal image has plus fakes: <c>systemctl is-active</c> answers
    /// <paramref name="resolvedActive"/>, and <c>resolvconf</c> exists when <paramref name="resolvconf"/>.
    /// </summary>
    private static ToolResult RunScript(string script, string[] args, TempDirectory root, string conf, bool resolvedActive, bool resolvconf) =>
        RunSh(["-c", script, .. args], root, conf, resolvedActive, resolvconf);

    private static ToolResult RunSh(string[] shArgs, TempDirectory root, string conf, bool resolvedActive, bool resolvconf)
    {
        var bin = Directory.CreateDirectory(Path.Combine(root.Path, "..", Path.GetFileName(root.Path) + "-bin")).FullName;
        try
        {
            foreach (var tool in new[] { "sh", "mktemp", "chmod", "mv", "rm" })
                File.CreateSymbolicLink(Path.Combine(bin, tool), ExternalTool.Find(tool) ?? throw new InvalidOperationException(ExternalTool.MissingMessage(tool)));
            WriteExecutable(Path.Combine(bin, "systemctl"),
                $"#!/bin/sh\n[ \"$1 $2 $3\" = \"is-active --quiet systemd-resolved.service\" ] && exit {(resolvedActive ? 0 : 3)}\nexit 1\n");
            if (resolvconf) WriteExecutable(Path.Combine(bin, "resolvconf"), "#!/bin/sh\nexit 0\n");

            var startInfo = new ProcessStartInfo(ExternalTool.Find("sh")!)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in shArgs) startInfo.ArgumentList.Add(arg);
            startInfo.Environment.Clear();
            startInfo.Environment["PATH"] = bin;
            startInfo.Environment["LABRUNNER_RESOLV_CONF"] = conf;
            // The whole bootcmd script also holds the sshd entry: never the host's own sshd_config.
            startInfo.Environment["LABRUNNER_SSHD_CONFIG"] = Path.Combine(root.Path, "sshd_config");
            using var process = Process.Start(startInfo)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEnd();
            Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)), "the fallback script did not finish");
            return new ToolResult(process.ExitCode, stdout.Result, stderr, []);
        }
        finally
        {
            Directory.Delete(bin, recursive: true);
        }
    }

    private static void WriteExecutable(string path, string text)
    {
        File.WriteAllText(path, text);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}
