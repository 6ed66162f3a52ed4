using LabRunner.Core.Labfile;
using LabRunner.Core.Planning;
using LabRunner.Providers.HyperV;

namespace LabRunner.Core.Tests;

/// <summary>LAB7xx: the 'provision' list and 'boot_timeout', per VM and in defaults.</summary>
public class ProvisionTests
{
    private static string Lab(string vm, string defaults = "  box: ubuntu") => $"""
        name: demo
        defaults:
        {defaults}
        vms:
          - name: web
        {vm}
        """;

    private static VmDefinition Web(string text, LabContext? context = null)
    {
        var loaded = Labfiles.Load(text, context: context ?? LabContext.For(HyperVRules.Instance) with { BoxesOnDisk = ["ubuntu"] });
        Expect.NoErrors(loaded.Diagnostics);
        return loaded.Lab!.Vms.Single();
    }

    [Fact]
    public void Defaults_provisioners_come_first_then_the_vms_own_in_order()
    {
        var text = Lab("""
                provision:
                  - shell: { path: scripts/setup.sh, args: [--fast, 2], env: { ROLE: web }, privileged: false }
                  - file: { source: conf/app.ini, destination: /etc/app.ini }
                  - shell: { inline: "systemctl restart app", run: always }
            """, """
              box: ubuntu
              provision:
                - shell: { inline: "apt-get install -y nginx" }
            """);

        var vm = Web(text);

        Assert.Collection(vm.Provisioners,
            p =>
            {
                var s = Assert.IsType<ShellProvisionerDefinition>(p);
                Assert.Equal(("apt-get install -y nginx", true, ProvisionRun.Once, "defaults.provision[0]"), (s.Inline, s.Privileged, s.Run, s.Key));
            },
            p =>
            {
                var s = Assert.IsType<ShellProvisionerDefinition>(p);
                Assert.Equal("scripts/setup.sh", s.Path);
                Assert.Equal(["--fast", "2"], s.Args.ToArray());
                Assert.Equal([new("ROLE", "web")], s.Env.ToArray());
                Assert.False(s.Privileged);
                Assert.Equal("vm.provision[0]", s.Key);
            },
            p =>
            {
                var f = Assert.IsType<FileProvisionerDefinition>(p);
                Assert.Equal(("conf/app.ini", "/etc/app.ini", ProvisionRun.Once), (f.Source, f.Destination, f.Run));
            },
            p => Assert.Equal(ProvisionRun.Always, p.Run));
    }

    [Fact]
    public void Boot_timeout_defaults_to_300_seconds_and_the_vm_overrides_the_defaults()
    {
        Assert.Equal(300, Web(Lab("    cpus: 1")).BootTimeoutSeconds);
        Assert.Equal(60, Web(Lab("    cpus: 1", "  box: ubuntu\n  boot_timeout: 60")).BootTimeoutSeconds);
        Assert.Equal(900, Web(Lab("    boot_timeout: 900", "  box: ubuntu\n  boot_timeout: 60")).BootTimeoutSeconds);
    }

    [Fact]
    public void A_boot_timeout_out_of_range_is_reported_at_its_value()
    {
        var text = Lab("    boot_timeout: 5");

        var d = Expect.OnlyError(Labfiles.Load(text, context: LabContext.For(HyperVRules.Instance) with { BoxesOnDisk = ["ubuntu"] }).Diagnostics, "LAB304", text, "5");

        Assert.Contains("boot_timeout", d.Message);
    }

    [Fact]
    public void An_item_with_both_or_neither_of_shell_and_file_is_reported_at_the_item()
    {
        var text = Lab("""
                provision:
                  - { shell: { inline: x }, file: { source: a, destination: /b } }
                  - {}
            """);

        var diagnostics = Labfiles.Load(text).Diagnostics;

        Expect.At(diagnostics, "LAB701", text, "{ shell");
        Expect.At(diagnostics, "LAB701", text, "{}");
    }

    [Fact]
    public void A_shell_with_both_inline_and_path_or_neither_is_reported()
    {
        var text = Lab("""
                provision:
                  - shell: { inline: x, path: y.sh }
                  - shell: { args: [a] }
            """);

        var diagnostics = Labfiles.Load(text).Diagnostics;

        Expect.At(diagnostics, "LAB702", text, "{ inline");
        Expect.At(diagnostics, "LAB702", text, "{ args");
    }

    [Fact]
    public void Unknown_keys_bad_run_values_and_env_names_are_reported_at_their_positions()
    {
        var text = Lab("""
                provision:
                  - shell: { inline: x, sudo: true, run: sometimes, env: { 1BAD: v } }
                  - file: { source: a }
            """);

        var diagnostics = Labfiles.Load(text).Diagnostics;

        Expect.At(diagnostics, "LAB002", text, "sudo");
        Expect.At(diagnostics, "LAB006", text, "sometimes");
        Expect.At(diagnostics, "LAB704", text, "1BAD");
        Expect.At(diagnostics, "LAB004", text, "{ source");
    }

    [Fact]
    public void A_missing_script_or_source_file_is_reported_at_its_path_once_for_all_copies()
    {
        var text = """
            name: demo
            defaults:
              box: ubuntu
              provision:
                - shell: { path: scripts/missing.sh }
            vms:
              - name: web
                count: 2
                provision:
                  - file: { source: conf/gone.ini, destination: /etc/gone.ini }
                  - shell: { path: scripts/there.sh }
            """;
        var context = LabContext.For(HyperVRules.Instance) with { BoxesOnDisk = ["ubuntu"], MissingProvisionFiles = ["scripts/missing.sh", "conf/gone.ini"] };

        var diagnostics = Labfiles.Load(text, context: context).Diagnostics;

        Expect.At(diagnostics, "LAB703", text, "scripts/missing.sh");
        Expect.At(diagnostics, "LAB703", text, "conf/gone.ini");
        Assert.Equal(2, diagnostics.Count(d => d.IsError));
    }
}
