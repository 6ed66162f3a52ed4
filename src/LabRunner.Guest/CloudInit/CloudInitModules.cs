using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Text;

namespace LabRunner.Guest.CloudInit;

/// <summary>The three module lists cloud-init runs, one per boot stage, in cloud-init's own order.</summary>
public sealed record CloudInitModuleLists(ImmutableArray<string> Init, ImmutableArray<string> Config, ImmutableArray<string> Final)
{
    /// <summary>As user-data keys (<c>cloud_init_modules</c>, …), each list in flow style: one line a stage.</summary>
    public string ToYaml()
    {
        var text = new StringBuilder();
        Append(CloudInitModules.InitKey, Init);
        Append(CloudInitModules.ConfigKey, Config);
        Append(CloudInitModules.FinalKey, Final);
        return text.ToString();

        void Append(string key, ImmutableArray<string> modules) =>
            text.Append(key).Append(": [").AppendJoin(", ", modules).Append("]\n");
    }
}

/// <summary>
/// Which cloud-init modules a seed needs, derived from the top-level keys of its user-data. cloud-init
/// (22.4, Debian 12's) starts four Python stages and, in them, imports and runs every module of its default
/// lists; many run whether or not the seed asks anything of them (locale generation, apt sources, partition
/// growth, key fingerprints to the console). Listing only the modules that handle the seed's keys skips
/// that work. The mapping is explicit and conservative:
/// <list type="bullet">
/// <item>every key is mapped to each module that reads it (a list such as <c>packages</c> needs apt's
/// configuration as well as the installer);</item>
/// <item>a key not in the map — anything LabRunner does not know, a key of a newer cloud-init, a
/// typo — keeps cloud-init's full default lists (nothing is written, the image decides);</item>
/// <item>user-data that sets any module list itself keeps its own lists (nothing is added);</item>
/// <item>modules that act on the seed without a key are always kept: <c>set_hostname</c>/<c>update_hostname</c>
/// (meta-data's <c>local-hostname</c>), <c>users_groups</c>, <c>ssh</c> (host keys sshd needs),
/// the <c>scripts_*</c> runners (scripts an image ships in <c>/var/lib/cloud/scripts</c>, user-data shell
/// parts) and <c>final_message</c> (it writes <c>boot-finished</c>, which tools wait for).</item>
/// </list>
/// What a trimmed seed gives up: work no key asked for — growing the root partition to a disk larger than
/// the box (the Labfile has no disk size), writing the image's locale and apt sources again, printing host
/// key fingerprints to the console (the host key is pinned), migrating an older cloud-init's state.
/// </summary>
public static class CloudInitModules
{
    public const string InitKey = "cloud_init_modules";
    public const string ConfigKey = "cloud_config_modules";
    public const string FinalKey = "cloud_final_modules";

    /// <summary>cloud-init 22.4's default lists for Debian (<c>/etc/cloud/cloud.cfg</c>), in order.</summary>
    public static readonly CloudInitModuleLists Defaults = new(
        [
            "migrator", "seed_random", "bootcmd", "write_files", "growpart", "resizefs", "disk_setup", "mounts",
            "set_hostname", "update_hostname", "update_etc_hosts", "ca_certs", "rsyslog", "users_groups", "ssh",
        ],
        [
            "snap", "ssh_import_id", "keyboard", "locale", "set_passwords", "grub_dpkg", "apt_pipelining", "apt_configure",
            "ntp", "timezone", "disable_ec2_metadata", "runcmd", "byobu",
        ],
        [
            "package_update_upgrade_install", "fan", "landscape", "lxd", "write_files_deferred", "puppet", "chef",
            "mcollective", "salt_minion", "reset_rmc", "refresh_rmc_and_interface", "rightscale_userdata", "scripts_vendor",
            "scripts_per_once", "scripts_per_boot", "scripts_per_instance", "scripts_user", "ssh_authkey_fingerprints",
            "keys_to_console", "install_hotplug", "phone_home", "final_message", "power_state_change",
        ]);

    /// <summary>Kept whatever the keys: they act on the seed (or the image) without a key of their own.</summary>
    public static readonly FrozenSet<string> Always = FrozenSet.Create(StringComparer.Ordinal,
        "set_hostname", "update_hostname", "users_groups", "ssh",
        "scripts_per_once", "scripts_per_boot", "scripts_per_instance", "scripts_user", "final_message");

    /// <summary>
    /// Each top-level cloud-config key cloud-init 22.4 reads (its schema and the modules' own
    /// <c>activate_by_schema_keys</c>) to the modules of <see cref="Defaults"/> that read it.
    /// </summary>
    public static readonly FrozenDictionary<string, ImmutableArray<string>> ModulesByKey = new Dictionary<string, ImmutableArray<string>>(StringComparer.Ordinal)
    {
        ["random_seed"] = ["seed_random"],
        ["bootcmd"] = ["bootcmd"],
        ["write_files"] = ["write_files", "write_files_deferred"],
        ["growpart"] = ["growpart"],
        ["resize_rootfs"] = ["resizefs"],
        ["disk_setup"] = ["disk_setup"],
        ["fs_setup"] = ["disk_setup"],
        ["device_aliases"] = ["disk_setup"],
        ["mounts"] = ["mounts"],
        ["mount_default_fields"] = ["mounts"],
        ["swap"] = ["mounts"],
        ["hostname"] = ["set_hostname", "update_hostname", "update_etc_hosts"],
        ["fqdn"] = ["set_hostname", "update_hostname", "update_etc_hosts"],
        ["prefer_fqdn_over_hostname"] = ["set_hostname", "update_hostname", "update_etc_hosts"],
        ["preserve_hostname"] = ["set_hostname", "update_hostname", "update_etc_hosts"],
        ["manage_etc_hosts"] = ["update_etc_hosts"],
        ["ca_certs"] = ["ca_certs"],
        ["ca-certs"] = ["ca_certs"],
        ["rsyslog"] = ["rsyslog"],
        ["users"] = ["users_groups"],
        ["user"] = ["users_groups"],
        ["groups"] = ["users_groups"],
        ["ssh_keys"] = ["ssh"],
        ["ssh_authorized_keys"] = ["ssh"],
        ["ssh_deletekeys"] = ["ssh"],
        ["ssh_genkeytypes"] = ["ssh"],
        ["ssh_quiet_keygen"] = ["ssh"],
        ["ssh_publish_hostkeys"] = ["ssh"],
        ["disable_root"] = ["ssh"],
        ["disable_root_opts"] = ["ssh"],
        ["allow_public_ssh_keys"] = ["ssh"],
        ["snap"] = ["snap"],
        ["ssh_import_id"] = ["ssh_import_id"],
        ["keyboard"] = ["keyboard"],
        ["locale"] = ["locale"],
        ["locale_configfile"] = ["locale"],
        ["ssh_pwauth"] = ["set_passwords"],
        ["chpasswd"] = ["set_passwords"],
        ["password"] = ["set_passwords"],
        ["grub_dpkg"] = ["grub_dpkg"],
        ["grub-dpkg"] = ["grub_dpkg"],
        ["apt_pipelining"] = ["apt_pipelining"],
        ["apt"] = ["apt_configure"],
        ["ntp"] = ["ntp"],
        ["timezone"] = ["timezone"],
        ["disable_ec2_metadata"] = ["disable_ec2_metadata"],
        ["runcmd"] = ["runcmd"],
        ["byobu_by_default"] = ["byobu"],
        // Installing packages reads apt's configuration (proxy, mirrors, sources) as well.
        ["packages"] = ["package_update_upgrade_install", "apt_configure", "apt_pipelining"],
        ["package_update"] = ["package_update_upgrade_install", "apt_configure", "apt_pipelining"],
        ["package_upgrade"] = ["package_update_upgrade_install", "apt_configure", "apt_pipelining"],
        ["package_reboot_if_required"] = ["package_update_upgrade_install"],
        ["apt_update"] = ["package_update_upgrade_install", "apt_configure", "apt_pipelining"],
        ["apt_upgrade"] = ["package_update_upgrade_install", "apt_configure", "apt_pipelining"],
        ["apt_reboot_if_required"] = ["package_update_upgrade_install"],
        ["fan"] = ["fan"],
        ["landscape"] = ["landscape"],
        ["lxd"] = ["lxd"],
        ["puppet"] = ["puppet"],
        ["chef"] = ["chef"],
        ["mcollective"] = ["mcollective"],
        ["salt_minion"] = ["salt_minion"],
        ["vendor_data"] = ["scripts_vendor"],
        ["no_ssh_fingerprints"] = ["ssh_authkey_fingerprints"],
        ["authkey_hash"] = ["ssh_authkey_fingerprints"],
        ["ssh_fp_console_blacklist"] = ["keys_to_console"],
        ["ssh_key_console_blacklist"] = ["keys_to_console"],
        ["updates"] = ["install_hotplug"],
        ["phone_home"] = ["phone_home"],
        ["final_message"] = ["final_message"],
        ["power_state"] = ["power_state_change"],
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>
    /// The lists for user-data whose top-level keys are <paramref name="keys"/>; null when cloud-init's
    /// defaults must stay: a key not in <see cref="ModulesByKey"/>, or a module list set by the user-data itself.
    /// <paramref name="userData"/>, the whole text, is searched for <c>ssh_import_id</c>, which a user entry may hold.
    /// </summary>
    public static CloudInitModuleLists? Derive(IEnumerable<string> keys, string userData = "")
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(userData);
        var needed = new HashSet<string>(Always, StringComparer.Ordinal);
        if (userData.Contains("ssh_import_id", StringComparison.Ordinal)) needed.Add("ssh_import_id");
        foreach (var key in keys)
        {
            if (!ModulesByKey.TryGetValue(key, out var modules)) return null;
            needed.UnionWith(modules);
        }
        return new CloudInitModuleLists(Keep(Defaults.Init), Keep(Defaults.Config), Keep(Defaults.Final));

        ImmutableArray<string> Keep(ImmutableArray<string> stage) => [.. stage.Where(needed.Contains)];
    }
}
