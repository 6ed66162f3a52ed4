using System.Text.Json;
using LabRunner.Guest.CloudInit;
using LabRunner.Guest.Templates;
using LabRunner.Guest.Tests.Tools;
using YamlDotNet.RepresentationModel;

namespace LabRunner.Guest.Tests;

/// <summary>
/// Issue 16.2: user-data lists only the cloud-init modules its keys need, derived from the rendered keys;
/// a key LabRunner does not map, or a module list of the user's own, keeps cloud-init's defaults. The map
/// itself is checked against the installed cloud-init 22.4: its modules exist, and every key a module
/// declares it is activated by is mapped to that module.
/// </summary>
public class CloudInitModuleTests
{
    private const string WithUserData = """
        name: mods
        boxes:
          debian: boxes/debian.qcow2
        networks:
          - name: lan
            type: nat
            subnet: 10.188.7.0/24
        vms:
          - name: web
            box: debian
            networks: [lan]
            user_data:
        """;

    [Fact]
    public void The_seed_alone_lists_its_own_modules_and_none_of_the_work_nothing_asked_for()
    {
        var root = UserData(Labs.Render(Labs.SingleNat));

        var all = Modules(root, CloudInitModules.InitKey).Concat(Modules(root, CloudInitModules.ConfigKey)).Concat(Modules(root, CloudInitModules.FinalKey)).ToList();
        // What LabRunner's own keys and meta-data need: the DNS fallback, hostname, /etc/hosts, the user, host keys, no passwords.
        foreach (var needed in new[] { "bootcmd", "set_hostname", "update_hostname", "update_etc_hosts", "users_groups", "ssh", "set_passwords", "scripts_user", "final_message" })
            Assert.Contains(needed, all);
        // Work no key of this seed asks for.
        foreach (var skipped in new[] { "growpart", "resizefs", "locale", "apt_configure", "keys_to_console", "ssh_authkey_fingerprints", "runcmd", "package_update_upgrade_install", "migrator" })
            Assert.DoesNotContain(skipped, all);
    }

    [Fact]
    public void Each_stage_keeps_cloud_inits_own_order()
    {
        var root = UserData(Labs.Render(WithUserData + "\n      runcmd: [true]\n      packages: [curl]\n      write_files: [{ path: /etc/x, content: y }]\n"));

        foreach (var (key, defaults) in new[] { (CloudInitModules.InitKey, CloudInitModules.Defaults.Init), (CloudInitModules.ConfigKey, CloudInitModules.Defaults.Config), (CloudInitModules.FinalKey, CloudInitModules.Defaults.Final) })
        {
            var listed = Modules(root, key);
            Assert.NotEmpty(listed);
            Assert.Equal(defaults.Where(listed.Contains), listed);
        }
    }

    [Theory]
    [InlineData("runcmd: [\"true\"]", new[] { "runcmd", "scripts_user" })]
    [InlineData("packages: [curl]", new[] { "package_update_upgrade_install", "apt_configure" })]
    [InlineData("package_update: true", new[] { "package_update_upgrade_install", "apt_configure" })]
    [InlineData("write_files: [{ path: /etc/x, content: y }]", new[] { "write_files", "write_files_deferred" })]
    [InlineData("bootcmd: [\"true\"]", new[] { "bootcmd" })]
    [InlineData("timezone: Europe/Paris", new[] { "timezone" })]
    [InlineData("locale: de_DE.UTF-8", new[] { "locale" })]
    [InlineData("power_state: { mode: reboot }", new[] { "power_state_change" })]
    [InlineData("mounts: [[tmpfs, /mnt, tmpfs]]", new[] { "mounts" })]
    [InlineData("growpart: { mode: auto }", new[] { "growpart" })]
    public void A_user_data_key_keeps_the_modules_that_handle_it(string entry, string[] modules)
    {
        var root = UserData(Labs.Render(WithUserData + "\n      " + entry + "\n"));

        var all = Modules(root, CloudInitModules.InitKey).Concat(Modules(root, CloudInitModules.ConfigKey)).Concat(Modules(root, CloudInitModules.FinalKey)).ToList();
        foreach (var module in modules) Assert.Contains(module, all);
    }

    [Theory]
    [InlineData("ansible: { install_method: distro }")]
    [InlineData("some_future_key: 1")]
    [InlineData("wireguard: { interfaces: [] }")]
    public void A_key_labrunner_does_not_map_keeps_cloud_inits_default_lists(string entry)
    {
        var root = UserData(Labs.Render(WithUserData + "\n      " + entry + "\n"));

        Assert.False(root.Children.ContainsKey(CloudInitModules.InitKey));
        Assert.False(root.Children.ContainsKey(CloudInitModules.ConfigKey));
        Assert.False(root.Children.ContainsKey(CloudInitModules.FinalKey));
    }

    [Fact]
    public void A_module_list_of_the_users_own_is_kept_and_no_other_list_is_added()
    {
        var root = UserData(Labs.Render(WithUserData + "\n      cloud_final_modules: [scripts_user, phone_home]\n"));

        Assert.Equal(["scripts_user", "phone_home"], Modules(root, CloudInitModules.FinalKey));
        Assert.False(root.Children.ContainsKey(CloudInitModules.InitKey));
        Assert.False(root.Children.ContainsKey(CloudInitModules.ConfigKey));
    }

    [Fact]
    public void A_users_ssh_import_id_in_a_projects_template_keeps_that_module()
    {
        var template = EmbeddedTemplateSource.Instance.Find(TemplateNames.UserData)!.Text
            .Replace("    lock_passwd: true\n", "    lock_passwd: true\n    ssh_import_id: [\"gh:someone\"]\n", StringComparison.Ordinal);
        Assert.Contains("ssh_import_id", template, StringComparison.Ordinal);
        var renderer = new GuestConfigRenderer(new InMemoryTemplateSource([new(TemplateNames.UserData, template)]));

        var root = UserData(Labs.Render(Labs.SingleNat, renderer: renderer));

        Assert.Contains("ssh_import_id", Modules(root, CloudInitModules.ConfigKey));
    }

    [Fact]
    public void A_projects_template_that_does_not_write_cloud_modules_gets_no_lists()
    {
        var template = EmbeddedTemplateSource.Instance.Find(TemplateNames.UserData)!.Text
            .Replace("{{ cloud_modules ~}}\n", "", StringComparison.Ordinal);
        var renderer = new GuestConfigRenderer(new InMemoryTemplateSource([new(TemplateNames.UserData, template)]));

        var root = UserData(Labs.Render(Labs.SingleNat, renderer: renderer));

        Assert.False(root.Children.ContainsKey(CloudInitModules.InitKey));
    }

    [Fact]
    public void Every_mapped_module_is_one_of_cloud_inits_defaults_and_only_modules_without_a_key_fall_out()
    {
        var defaults = CloudInitModules.Defaults.Init.Concat(CloudInitModules.Defaults.Config).Concat(CloudInitModules.Defaults.Final).ToHashSet(StringComparer.Ordinal);
        foreach (var (key, modules) in CloudInitModules.ModulesByKey)
            foreach (var module in modules)
                Assert.True(defaults.Contains(module), $"key '{key}' maps to '{module}', which is not in cloud-init's default lists");
        Assert.Subset(defaults, CloudInitModules.Always.ToHashSet(StringComparer.Ordinal));

        // Every key at once: only the modules that no key reaches are left out.
        var everything = CloudInitModules.Derive(CloudInitModules.ModulesByKey.Keys, "ssh_import_id")!;
        var left = defaults.Except(everything.Init).Except(everything.Config).Except(everything.Final).Order(StringComparer.Ordinal);
        Assert.Equal(["migrator", "refresh_rmc_and_interface", "reset_rmc", "rightscale_userdata"], left);
    }

    /// <summary>
    /// From cloud-init's own code: each module LabRunner lists exists, and every key in its
    /// <c>activate_by_schema_keys</c> (what makes cloud-init 22.4 run it) maps to it here, so no key that
    /// activates a module can lose it. And every key of the map is one cloud-init's schema knows.
    /// </summary>
    [ToolFact("cloud-init", "/usr/bin/python3")]
    public void The_map_covers_every_key_the_installed_cloud_init_activates_a_module_by()
    {
        var modules = CloudInitModules.Defaults.Init.Concat(CloudInitModules.Defaults.Config).Concat(CloudInitModules.Defaults.Final).ToList();
        const string Script = """
            import importlib, json, sys, glob, os
            import cloudinit.config as c
            out = {}
            for name in sys.argv[1:]:
                m = importlib.import_module("cloudinit.config.cc_" + name)
                out[name] = list(m.meta.get("activate_by_schema_keys", []))
            schema = json.load(open(os.path.join(os.path.dirname(c.__file__), "schemas", "schema-cloud-config-v1.json")))
            keys = set()
            for d in schema.get("$defs", {}).values():
                keys.update(d.get("properties", {}).keys())
            keys.update(schema.get("properties", {}).keys())
            print(json.dumps({"activate": out, "schema_keys": sorted(keys)}))
            """;
        // Debian's python3, the one cloud-init's package runs on (not necessarily the first python3 on PATH).
        var run = ExternalTool.Run("/usr/bin/python3", ["-c", Script, .. modules]);
        Assert.True(run.ExitCode == 0, run.ToString());
        using var doc = JsonDocument.Parse(run.StandardOutput);

        foreach (var module in doc.RootElement.GetProperty("activate").EnumerateObject())
            foreach (var key in module.Value.EnumerateArray().Select(k => k.GetString()!))
                Assert.True(CloudInitModules.ModulesByKey.TryGetValue(key, out var mapped) && mapped.Contains(module.Name),
                    $"cloud-init runs '{module.Name}' for key '{key}', which LabRunner does not map to it");

        var schemaKeys = doc.RootElement.GetProperty("schema_keys").EnumerateArray().Select(k => k.GetString()!).ToHashSet(StringComparer.Ordinal);
        foreach (var key in CloudInitModules.ModulesByKey.Keys)
            Assert.True(schemaKeys.Contains(key), $"'{key}' is not a key of cloud-init's schema");
    }

    private static YamlMappingNode UserData(GuestRenderResult rendered)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(rendered[GuestConfigRenderer.UserDataFile].Text));
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    private static List<string> Modules(YamlMappingNode root, string key) =>
        root.Children.TryGetValue(key, out var list) ? [.. ((YamlSequenceNode)list).Select(n => ((YamlScalarNode)n).Value!)] : [];
}
