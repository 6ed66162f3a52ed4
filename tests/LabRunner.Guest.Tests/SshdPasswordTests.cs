using System.Diagnostics;
using System.Runtime.Versioning;
using LabRunner.Guest.Tests.Iso;
using LabRunner.Guest.Tests.Tools;
using YamlDotNet.RepresentationModel;

namespace LabRunner.Guest.Tests;

/// <summary>
/// Issue 16.2: <c>ssh_pwauth: false</c> is applied by user-data's bootcmd entry "labrunner-sshd", before sshd
/// first starts, the way cloud-init's set_passwords would; then set_passwords finds nothing to change and does
/// not restart sshd. The entry is taken from the rendered user-data and run with the real <c>sh</c> on a scratch
/// sshd_config; cloud-init's own <c>update_ssh_config</c> (what set_passwords calls, Debian's cloud-init 22.4)
/// then reports no change, where on the untouched file it would have changed it.
/// </summary>
[UnsupportedOSPlatform("windows")] // ToolFacts, skipped there
public class SshdPasswordTests
{
    /// <summary>The lines of Debian 12's sshd_config about passwords (the default commented out), its Include naming <paramref name="conf"/>.d.</summary>
    private static string DebianDefault(string conf) =>
        $"Include {conf}.d/*.conf\n#PasswordAuthentication yes\n#PermitEmptyPasswords no\nKbdInteractiveAuthentication no\nUsePAM yes\n";

    [ToolFact("sh", "grep", "sed", "/usr/bin/python3")]
    public void Without_the_entry_cloud_init_would_change_debians_default_and_restart_sshd()
    {
        using var root = new TempDirectory();
        var conf = root.File("sshd_config");
        File.WriteAllText(conf, DebianDefault(conf));

        Assert.Equal("True", CloudInitUpdatesSshConfig(conf));
        Assert.Equal("PasswordAuthentication no\n", File.ReadAllText(conf + ".d/50-cloud-init.conf"));
    }

    [ToolFact("sh", "grep", "sed", "/usr/bin/python3")]
    public void On_debians_default_the_entry_writes_cloud_inits_drop_in_and_cloud_init_then_changes_nothing()
    {
        using var root = new TempDirectory();
        var conf = root.File("sshd_config");
        File.WriteAllText(conf, DebianDefault(conf));

        var run = RunEntry(conf);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(DebianDefault(conf), File.ReadAllText(conf));
        var dropIn = conf + ".d/50-cloud-init.conf";
        Assert.Equal("PasswordAuthentication no\n", File.ReadAllText(dropIn));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(dropIn));
        Assert.Equal("False", CloudInitUpdatesSshConfig(conf));
    }

    [ToolFact("sh", "grep", "sed", "/usr/bin/python3")]
    public void Without_an_include_every_line_that_allows_passwords_is_set_to_no_and_a_second_boot_changes_nothing()
    {
        using var root = new TempDirectory();
        var conf = root.File("sshd_config");
        File.WriteAllText(conf, "PasswordAuthentication yes\nPort 22\nMatch User deploy\n  passwordauthentication=yes\n");

        var first = RunEntry(conf);
        var afterFirst = File.ReadAllText(conf);
        var second = RunEntry(conf);

        Assert.True(first.ExitCode == 0 && second.ExitCode == 0, first + "\n" + second);
        Assert.Equal("PasswordAuthentication no\nPort 22\nMatch User deploy\n  PasswordAuthentication no\n", afterFirst);
        Assert.Equal(afterFirst, File.ReadAllText(conf));
        Assert.Equal("False", CloudInitUpdatesSshConfig(conf));
    }

    [ToolFact("sh")]
    public void Without_an_sshd_config_the_entry_does_nothing()
    {
        using var root = new TempDirectory();
        var conf = root.File("sshd_config");

        var run = RunEntry(conf);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.False(File.Exists(conf));
    }

    /// <summary>The entry <c>[sh, -c, script, labrunner-sshd]</c> of the rendered user-data's bootcmd.</summary>
    private static string Script()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(Labs.Render(Labs.MultiNic)[GuestConfigRenderer.UserDataFile].Text));
        var bootcmd = (YamlSequenceNode)((YamlMappingNode)yaml.Documents[0].RootNode)["bootcmd"];
        var entry = bootcmd.OfType<YamlSequenceNode>().Single(e => e.Children.Any(n => n is YamlScalarNode { Value: "labrunner-sshd" }));
        var items = entry.Select(n => ((YamlScalarNode)n).Value!).ToArray();
        Assert.Equal(["sh", "-c"], items[..2]);
        return items[2];
    }

    private static ToolResult RunEntry(string conf)
    {
        var startInfo = new ProcessStartInfo(ExternalTool.Find("sh")!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add("-c");
        startInfo.ArgumentList.Add(Script());
        startInfo.ArgumentList.Add("labrunner-sshd");
        startInfo.Environment["LABRUNNER_SSHD_CONFIG"] = conf;
        using var process = Process.Start(startInfo)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)), "the entry did not finish");
        return new ToolResult(process.ExitCode, stdout.Result, stderr, []);
    }

    /// <summary>What set_passwords' <c>update_ssh_config({"PasswordAuthentication": "no"})</c> answers: True when it changed the file (and would restart sshd).</summary>
    private static string CloudInitUpdatesSshConfig(string conf) =>
        ExternalTool.Run("/usr/bin/python3", "-c",
                "import sys; from cloudinit import ssh_util; print(ssh_util.update_ssh_config({'PasswordAuthentication': 'no'}, sys.argv[1]))", conf)
            .EnsureSuccess("update_ssh_config").StandardOutput.Trim();
}
