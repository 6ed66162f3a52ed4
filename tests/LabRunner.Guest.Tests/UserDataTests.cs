using LabRunner.Guest.Templates;
using LabRunner.Guest.Tests.Tools;
using YamlDotNet.RepresentationModel;

namespace LabRunner.Guest.Tests;

/// <summary>
/// The Labfile's <c>user_data</c> reaches the guest as data: added after the generated keys, every
/// string quoted, YAML 1.1 booleans and numbers the user wrote unquoted kept as such, and a key the
/// template already writes refused with LAB602.
/// </summary>
public class UserDataTests
{
    public const string Hostile = "\"; rm -rf / #\n$(reboot)";

    public const string HostileLab = """
        name: hostile
        boxes:
          ubuntu: boxes/ubuntu.vhdx
        networks:
          - name: lan
            type: nat
            subnet: 10.188.11.0/24
        vms:
          - name: box
            box: ubuntu
            networks: [lan]
            user_data:
              package_upgrade: true
              package_reboot_if_required: on
              packages: [nginx, "yes"]
              runcmd:
                - "\"; rm -rf / #\n$(reboot)"
                - [sh, -c, "echo `id` $HOME > /tmp/x && echo 'it''s'"]
                - "key: value"
              write_files:
                - path: /etc/motd
                  content: "line1\nhostname: evil\n# not a comment\n\ttab\u0007bell \u2028 é ☃ 😀"
                  permissions: '0644'
              bootcmd:
                - '- not a list item'
                - '{ not: a mapping }'
                - '@reboot'
                - '*alias'
                - '&anchor'
                - '!!python/object:os.system'
                - '%TAG'
        """;

    [Fact]
    public void Hostile_strings_from_user_data_read_back_unchanged()
    {
        var root = ParseUserData(HostileLab);

        var runcmd = (YamlSequenceNode)root["runcmd"];
        Assert.Equal(Hostile, ((YamlScalarNode)runcmd[0]).Value);
        Assert.Equal(["sh", "-c", "echo `id` $HOME > /tmp/x && echo 'it''s'"], ((YamlSequenceNode)runcmd[1]).Select(n => ((YamlScalarNode)n).Value));
        Assert.Equal("key: value", ((YamlScalarNode)runcmd[2]).Value);
        var file = (YamlMappingNode)((YamlSequenceNode)root["write_files"])[0];
        Assert.Equal("line1\nhostname: evil\n# not a comment\n\ttab\u0007bell \u2028 é ☃ 😀", ((YamlScalarNode)file["content"]).Value);
        Assert.Equal(["- not a list item", "{ not: a mapping }", "@reboot", "*alias", "&anchor", "!!python/object:os.system", "%TAG"],
            ((YamlSequenceNode)root["bootcmd"]).Skip(2).Select(n => ((YamlScalarNode)n).Value)); // after LabRunner's DNS fallback and sshd entries
        // The hostile text did not become a key of its own.
        Assert.Equal("box", ((YamlScalarNode)root["hostname"]).Value);
    }

    [Fact]
    public void Every_string_from_user_data_is_double_quoted_and_unquoted_booleans_stay_booleans()
    {
        var text = Labs.Render(HostileLab)[GuestConfigRenderer.UserDataFile].Text;
        Assert.Contains("package_upgrade: true\n", text, StringComparison.Ordinal);
        Assert.Contains("- \"nginx\"\n", text, StringComparison.Ordinal);
        // Quoted in the Labfile, so a string; unquoted 'on' is what YAML 1.1 calls a boolean, as the user wrote it.
        Assert.Contains("- \"yes\"\n", text, StringComparison.Ordinal);
        Assert.Contains("package_reboot_if_required: on\n", text, StringComparison.Ordinal);
        Assert.Contains("permissions: \"0644\"\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\n$(reboot)", text, StringComparison.Ordinal);
    }

    // Debian's interpreter, the one cloud-init runs under: its PyYAML comes with the cloud-init package.
    [ToolFact(DebianPython)]
    public void Pyyaml_the_reader_cloud_init_uses_reads_the_same_values()
    {
        using var folder = new Iso.TempDirectory();
        var seed = CloudInit.WriteSeed(Labs.Render(HostileLab), folder);
        var run = ExternalTool.Run(DebianPython, "-c",
            "import json, sys, yaml; d = yaml.safe_load(open(sys.argv[1], encoding='utf-8')); " +
            "print(json.dumps([d['runcmd'][0], d['packages'], d['package_reboot_if_required'], d['write_files'][0]['content'], d['write_files'][0]['permissions'], d['bootcmd'][2:]]))",
            Path.Combine(seed.FullName, GuestConfigRenderer.UserDataFile));
        Assert.True(run.ExitCode == 0, run.ToString());
        var expected = System.Text.Json.JsonSerializer.Serialize(new object[]
        {
            Hostile, new object[] { "nginx", "yes" }, true, "line1\nhostname: evil\n# not a comment\n\ttab\u0007bell \u2028 é ☃ 😀", "0644",
            new[] { "- not a list item", "{ not: a mapping }", "@reboot", "*alias", "&anchor", "!!python/object:os.system", "%TAG" },
        });
        Assert.Equal(Normalize(expected), Normalize(run.StandardOutput.Trim()));
    }

    private const string DebianPython = "/usr/bin/python3";

    [Fact]
    public void User_data_keys_follow_the_generated_keys()
    {
        var text = Labs.Render(HostileLab)[GuestConfigRenderer.UserDataFile].Text;
        Assert.StartsWith("#cloud-config\n", text, StringComparison.Ordinal);
        Assert.True(text.IndexOf("\nssh_pwauth:", StringComparison.Ordinal) < text.IndexOf("\npackage_upgrade:", StringComparison.Ordinal));
    }

    [Fact]
    public void A_user_data_key_the_template_writes_is_an_error_at_that_key()
    {
        const string lab = """
            name: clash
            boxes:
              ubuntu: boxes/ubuntu.vhdx
            vms:
              - name: web
                box: ubuntu
                user_data:
                  packages: [git]
                  hostname: other
            """;
        var plan = Labs.Plan(lab);

        var result = new GuestConfigRenderer().Render(plan.Lab, plan.Vms[0], Labs.Secrets);

        var error = Assert.Single(result.Diagnostics);
        Assert.Equal("LAB602", error.Code);
        Assert.Equal(Labs.SpanOf(lab, "hostname: other"), error.Span);
        Assert.Contains("'hostname'", error.Message, StringComparison.Ordinal);
        Assert.Contains("set 'hostname' on the VM", error.Message, StringComparison.Ordinal);
        Assert.Empty(result.Files);
    }

    [Fact]
    public void A_vm_without_user_data_gets_only_the_generated_keys()
    {
        var root = ParseUserData(Labs.SingleNat);
        Assert.Equal(["hostname", "preserve_hostname", "manage_etc_hosts", "users", "ssh_pwauth", "bootcmd",
                "cloud_init_modules", "cloud_config_modules", "cloud_final_modules"],
            root.Children.Keys.Select(k => ((YamlScalarNode)k).Value));
    }

    [Fact]
    public void The_login_user_gets_the_lab_key_passwordless_sudo_and_a_locked_password()
    {
        var user = (YamlMappingNode)((YamlSequenceNode)ParseUserData(Labs.SingleNat)["users"])[0];
        Assert.Equal("lab", ((YamlScalarNode)user["name"]).Value);
        Assert.Equal("ALL=(ALL) NOPASSWD:ALL", ((YamlScalarNode)user["sudo"]).Value);
        Assert.Equal("/bin/bash", ((YamlScalarNode)user["shell"]).Value);
        Assert.Equal("true", ((YamlScalarNode)user["lock_passwd"]).Value);
        Assert.Equal([Labs.TestKey], ((YamlSequenceNode)user["ssh_authorized_keys"]).Select(n => ((YamlScalarNode)n).Value));
    }

    [Theory]
    [InlineData("")]
    [InlineData("plain")]
    [InlineData("\"; rm -rf / #\n$(reboot)")]
    [InlineData("back\\slash \\n not a newline")]
    [InlineData("\0\u0001\u001f\u007f\u0085\u00a0\u2028\u2029\ufeff\ufffe")]
    [InlineData("emoji 😀 and CJK 日本")]
    [InlineData("\ud800 lone surrogate")]
    [InlineData("  leading and trailing  ")]
    [InlineData("02:12:34:56:78:90")]
    [InlineData("yes")]
    public void A_double_quoted_yaml_string_reads_back_as_the_same_text(string value)
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader("v: " + YamlText.DoubleQuoted(value) + "\n"));
        var read = ((YamlScalarNode)((YamlMappingNode)yaml.Documents[0].RootNode)["v"]).Value;
        // A lone surrogate has no UTF-8 form; it becomes U+FFFD rather than breaking the file.
        Assert.Equal(value.Replace("\ud800", "\ufffd", StringComparison.Ordinal), read);
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("on", true)]
    [InlineData("0644", true)]
    [InlineData("52:54:00:12:34:56", true)]
    [InlineData("1.5", true)]
    [InlineData("~", true)]
    [InlineData("02:12:34:56:78:90", false)]
    [InlineData("nginx", false)]
    [InlineData("y", false)]
    [InlineData("08", false)]
    public void Yaml_1_1_typing_of_unquoted_text_follows_pyyaml(string plain, bool nonString) =>
        Assert.Equal(nonString, YamlText.IsYaml11NonString(plain));

    private static YamlMappingNode ParseUserData(string lab)
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(Labs.Render(lab)[GuestConfigRenderer.UserDataFile].Text));
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }

    private static string Normalize(string json) =>
        System.Text.Json.JsonSerializer.Serialize(System.Text.Json.JsonDocument.Parse(json).RootElement);
}
