using System.Text;
using LabRunner.Core.Labfile;
using LabRunner.Core.Net;
using LabRunner.Guest.Access;
using LabRunner.Guest.Ssh;
using LabRunner.Guest.Tests.Tools;

namespace LabRunner.Guest.Tests;

/// <summary>
/// What reaches the guest's shell and the host's OpenSSH: quoting checked by a real /bin/sh, the
/// ssh_config read back by the real <c>ssh -G</c>, known_hosts by <c>ssh-keygen -F</c>, the host key in
/// user-data by cloud-init's schema.
/// </summary>
public sealed class GuestAccessTests : IDisposable
{
    /// <summary>The private TMPDIRs of the shell runs, removed after each test.</summary>
    private readonly List<DirectoryInfo> _scratch = [];

    public void Dispose()
    {
        foreach (var folder in _scratch) folder.Delete(recursive: true);
    }

    private static readonly string[] HostileValues =
    [
        "plain", "", " ", "two words", "it's", "'", "''", "\"double\"", "$HOME", "${PATH}", "$(id)", "`id`", "a;b", "a|b", "a&b",
        "x\ny", "tab\there", "*", "?", "[a]", "~", "-n", "--", "\\", "back\\slash'quote", "é ü 中文", "!event", "#comment", "a=b", "%d",
    ];

    [ToolFact("sh")]
    public void Quote_makes_one_shell_word_that_reads_back_as_the_value()
    {
        // printf %s\0 prints each argument it receives: every value, exactly, one word each.
        var run = ExternalTool.Run("sh", "-c", "printf '%s\\0' " + PosixShell.Join(HostileValues));

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(Encoding.UTF8.GetBytes(string.Concat(HostileValues.Select(v => v + "\0"))), run.StandardOutputBytes);
    }

    [Fact]
    public void Quote_refuses_a_nul_character()
    {
        Assert.Throws<ArgumentException>(() => PosixShell.Quote("a\0b"));
    }

    [ToolFact("sh")]
    public void A_shell_provisioner_gets_its_args_and_env_exactly_and_its_exit_code_is_the_scripts()
    {
        var hostile = new[] { "it's", "$(id)", "a b", "x\ny", "--" };
        var shell = new ShellProvisionerDefinition(null, "s.sh", null, [.. hostile], [new("ROLE", "web's $HOME"), new("EMPTY", "")], Privileged: false, ProvisionRun.Once, default);
        var script = "#!/bin/sh\nprintf '%s\\0' \"$@\" \"$ROLE\" \"${EMPTY-unset}\"\nexit 7\n";

        var run = RunWithInput(ProvisionCommands.Shell(shell), script);

        Assert.Equal(7, run.ExitCode);
        Assert.Equal(string.Join("\0", [.. hostile, "web's $HOME", ""]) + "\0", run.Stdout);
        Assert.Empty(Directory.EnumerateFiles(run.Tmp));
    }

    [ToolFact("sh")]
    public void An_inline_script_without_a_shebang_runs_under_sh()
    {
        var shell = new ShellProvisionerDefinition("echo hi; exit 0", null, null, [], [], Privileged: false, ProvisionRun.Once, default);

        var run = RunWithInput(ProvisionCommands.Shell(shell), "echo \"hello from $0\" | cut -c1-10\n");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("hello from\n", run.Stdout);
    }

    [Fact]
    public void A_privileged_provisioner_runs_through_sudo_without_a_prompt()
    {
        var shell = new ShellProvisionerDefinition("id", null, null, [], [], Privileged: true, ProvisionRun.Once, default);

        Assert.Contains("sudo -n -H -- env --", ProvisionCommands.Shell(shell), StringComparison.Ordinal);
    }

    [Fact]
    public void Ssh_arguments_pin_the_host_key_and_quote_the_remote_command_as_one_word()
    {
        var target = new SshTarget("web", Ipv4Address.Parse("10.10.0.5"), "lab", "/p/My Lab/.lab/id_ecdsa", "/p/My Lab/.lab/known_hosts");

        var args = OpenSsh.Arguments(target, ["echo", "it's $HOME"], terminal: false);

        Assert.Contains("-oStrictHostKeyChecking=yes", args);
        Assert.Contains("-oUserKnownHostsFile=\"/p/My Lab/.lab/known_hosts\"", args);
        Assert.Contains("-oIdentitiesOnly=yes", args);
        Assert.Equal(["-T", "--", "10.10.0.5", "echo 'it'\\''s $HOME'"], args.TakeLast(4));
        Assert.Equal(["--", "10.10.0.5"], OpenSsh.Arguments(target, [], terminal: false).TakeLast(2));
        Assert.DoesNotContain(args, a => a.StartsWith("-oControl", StringComparison.Ordinal));
    }

    [Fact]
    public void Ssh_arguments_share_one_connection_through_the_control_socket_when_there_is_one()
    {
        var target = new SshTarget("web", Ipv4Address.Parse("10.10.0.5"), "lab", "/p/My Lab/.lab/id_ecdsa", "/p/My Lab/.lab/known_hosts")
        {
            ControlPath = "/p/My Lab/.lab/cm/0a1b2c3d4e5f",
        };

        var args = OpenSsh.Arguments(target, ["hostname"], terminal: false);

        Assert.Contains("-oControlMaster=auto", args);
        Assert.Contains("-oControlPath=\"/p/My Lab/.lab/cm/0a1b2c3d4e5f\"", args);
        Assert.Contains("-oControlPersist=" + OpenSsh.ControlPersist, args);
        Assert.Contains("-oServerAliveInterval=10", args);
        // Options stay before the '--' that ends them.
        Assert.True(args.ToList().IndexOf("-oControlMaster=auto") < args.ToList().IndexOf("--"));
    }

    [Fact]
    public void The_master_arguments_go_to_the_background_with_no_command_and_no_input_and_need_a_control_socket()
    {
        var plain = new SshTarget("web", Ipv4Address.Parse("10.10.0.5"), "lab", "/p/.lab/id_ecdsa", "/p/.lab/known_hosts");
        var shared = plain with { ControlPath = "/p/.lab/cm/0a1b2c3d4e5f" };

        var args = OpenSsh.MasterArguments(shared);

        Assert.Equal(["-f", "-N", "-n", "--", "10.10.0.5"], args.TakeLast(5));
        Assert.Contains("-oControlMaster=auto", args);   // joins a master already there instead of a second one
        Assert.Contains("-oControlPersist=" + OpenSsh.ControlPersist, args);
        Assert.Equal(OpenSsh.Arguments(shared, [], terminal: false).SkipLast(2), args.SkipLast(5));
        Assert.Throws<ArgumentException>(() => OpenSsh.MasterArguments(plain));
    }

    [ToolFact("ssh")]
    public void Ssh_config_resolves_in_the_real_ssh_to_the_pinned_options()
    {
        var folder = Directory.CreateTempSubdirectory("lab ssh %config");
        try
        {
            var identity = Path.Combine(folder.FullName, "id_ecdsa");
            var knownHosts = Path.Combine(folder.FullName, "known_hosts");
            var config = Path.Combine(folder.FullName, "config");
            File.WriteAllText(config, OpenSsh.Config([
                new SshTarget("web", Ipv4Address.Parse("10.10.0.5"), "lab", identity, knownHosts) { ControlPath = Path.Combine(folder.FullName, "cm", "0a1b2c3d4e5f") },
                new SshTarget("db", Ipv4Address.Parse("10.10.0.6"), "admin", identity, knownHosts),
            ]));

            var run = ExternalTool.Run("ssh", "-G", "-F", config, "web");

            Assert.True(run.ExitCode == 0, run.ToString());
            var options = run.StandardOutput.Split('\n').Where(l => l.Contains(' ', StringComparison.Ordinal))
                .GroupBy(l => l[..l.IndexOf(' ', StringComparison.Ordinal)]).ToDictionary(g => g.Key, g => g.First()[(g.Key.Length + 1)..]);
            Assert.Equal("10.10.0.5", options["hostname"]);
            Assert.Equal("lab", options["user"]);
            Assert.Equal("22", options["port"]);
            // ssh -G expands tokens in UserKnownHostsFile, and shows IdentityFile before expansion (where '%' is '%%').
            Assert.Equal(identity.Replace("%", "%%", StringComparison.Ordinal), options["identityfile"]);
            Assert.Equal(knownHosts, options["userknownhostsfile"]);
            Assert.Equal("true", options["stricthostkeychecking"]);
            Assert.Equal("yes", options["identitiesonly"]);
            Assert.Equal("auto", options["controlmaster"]);
            Assert.Equal("600", options["controlpersist"]);
            // ssh -G expands tokens in ControlPath: the '%%' written for the folder's '%' reads back as the folder.
            Assert.Equal(Path.Combine(folder.FullName, "cm", "0a1b2c3d4e5f"), options["controlpath"]);
            var db = ExternalTool.Run("ssh", "-G", "-F", config, "db");
            Assert.Contains("user admin\n", db.StandardOutput, StringComparison.Ordinal);
            Assert.Contains("controlmaster false\n", db.StandardOutput, StringComparison.Ordinal);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [ToolFact("ssh-keygen")]
    public void Known_hosts_lines_are_found_by_ssh_keygen_under_every_address_with_the_vms_key()
    {
        var key = SshKeys.Generate("demo");
        var other = SshKeys.Generate("demo");
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, OpenSsh.KnownHostsLine([Ipv4Address.Parse("10.10.0.5"), Ipv4Address.Parse("192.168.50.5")], key.PublicKey) + "\n" +
                OpenSsh.KnownHostsLine([Ipv4Address.Parse("10.10.0.6")], other.PublicKey) + "\n");

            foreach (var (ip, expected) in new[] { ("10.10.0.5", key), ("192.168.50.5", key), ("10.10.0.6", other) })
            {
                var run = ExternalTool.Run("ssh-keygen", "-F", ip, "-f", file);
                Assert.True(run.ExitCode == 0, run.ToString());
                Assert.Contains(string.Join(' ', expected.PublicKey.Split(' ')[..2]), run.StandardOutput, StringComparison.Ordinal);
            }
            Assert.Equal(1, ExternalTool.Run("ssh-keygen", "-F", "10.10.0.7", "-f", file).ExitCode);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [ToolFact("cloud-init")]
    public void User_data_with_the_vms_host_key_passes_the_schema_and_carries_the_key()
    {
        var hostKey = SshKeys.Generate("demo");
        var plan = Labs.Plan(Labs.SingleNat);
        var rendered = new GuestConfigRenderer().Render(plan.Lab, plan.Vms[0], Labs.Secrets with { SshHostKey = hostKey });
        using var folder = new Iso.TempDirectory();
        var seed = CloudInit.WriteSeed(rendered, folder);

        var run = ExternalTool.Run("cloud-init", "schema", "--config-file", Path.Combine(seed.FullName, GuestConfigRenderer.UserDataFile));

        Assert.True(run.ExitCode == 0, run.ToString());
        var userData = new YamlDotNet.RepresentationModel.YamlStream();
        userData.Load(new StringReader(rendered[GuestConfigRenderer.UserDataFile].Text));
        var root = (YamlDotNet.RepresentationModel.YamlMappingNode)userData.Documents[0].RootNode;
        var keys = (YamlDotNet.RepresentationModel.YamlMappingNode)root["ssh_keys"];
        Assert.Equal(hostKey.PrivateKeyPem, keys["ecdsa_private"].ToString());
        Assert.Equal(hostKey.PublicKey, keys["ecdsa_public"].ToString());
        Assert.Equal("true", root["ssh_deletekeys"].ToString());
    }

    [Fact]
    public void The_address_is_the_first_static_ip_the_host_can_reach_and_otherwise_says_why()
    {
        var multi = Labs.Vm(Labs.MultiNic);
        var endpoint = GuestEndpoint.Of(multi);
        var expected = multi.Adapters.First(a => a.Ip is not null && a.NetworkType != NetworkType.Isolated).Ip;
        Assert.Equal(expected, endpoint.Address);

        var dhcp = GuestEndpoint.Of(Labs.Vm(Labs.BridgedDhcp));
        Assert.Null(dhcp.Address);
        Assert.Contains("bridged without a static IP", dhcp.Unreachable, StringComparison.Ordinal);
    }

    private sealed record ShellRun(int ExitCode, string Stdout, string Tmp);

    /// <summary>Runs a provisioner command in the local /bin/sh with the content on its standard input and a private TMPDIR.</summary>
    private ShellRun RunWithInput(string command, string input)
    {
        var tmp = Directory.CreateTempSubdirectory("labrunner-prov");
        _scratch.Add(tmp);
        var start = new System.Diagnostics.ProcessStartInfo("/bin/sh") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        start.Environment["TMPDIR"] = tmp.FullName;
        using var p = System.Diagnostics.Process.Start(start)!;
        p.StandardInput.Write(input);
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return new ShellRun(p.ExitCode, stdout, tmp.FullName);
    }
}
