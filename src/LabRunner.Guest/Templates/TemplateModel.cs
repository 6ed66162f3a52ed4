using LabRunner.Core.Planning;
using Scriban.Runtime;

namespace LabRunner.Guest.Templates;

/// <summary>
/// What a template sees, built from the plan as <see cref="ScriptObject"/>s of strings, numbers,
/// booleans and lists only — no .NET objects for Scriban to reflect over, so rendering works under
/// Native AOT. Names are snake_case like Scriban's built-ins. Every member is always present (null
/// when it does not apply), so a strict template can test it without an error.
/// </summary>
/// <remarks>
/// <code>
/// lab                      the lab's name
/// vm.name / vm.hostname / vm.short_hostname / vm.fqdn (null without a dot) / vm.os ("linux"|"windows") / vm.user
/// vm.dns[]                 every adapter's DNS servers once, the default route's adapter first
/// vm.adapters[]            index, interface ("eth0"), network, network_type ("nat"|"private"|"bridged"|"isolated"),
///                          switch, mac ("02:ab:…"), mac_dash ("02-AB-…"), ip, prefix_length, cidr ("10.0.0.5/24"),
///                          gateway, default_route (the plan picked this adapter for the default route),
///                          route_via (the gateway when this adapter carries a static default route, else null),
///                          dhcp, dns[]
/// vm.virtiofs[]           the VM's 'type: virtiofs' synced folders: tag (the share's name on the host, "lab0"),
///                          guest (the absolute path it is mounted at)
/// secrets.ssh_public_key   one OpenSSH line
/// secrets.ssh_host_key_private, secrets.ssh_host_key_public   (Linux) the guest's ECDSA host key LabRunner
///                          made (PEM, OpenSSH line), or null
/// secrets.administrator_password_encoded, secrets.password_encoded   (Windows) unattend's hidden forms
/// user_data                the Labfile's user_data as YAML mapping entries ("" when none); without its
///                          bootcmd when the template writes user_bootcmd
/// user_bootcmd             the Labfile's user_data bootcmd items as YAML sequence entries under a
///                          "bootcmd:" key ("" when none)
/// instance_id              (meta-data and user-data) changes whenever network-config or the hostname does
/// smb[]                    (Linux) the VM's 'type: smb' synced folders: source ("//SERVER/SHARE"), target (the guest
///                          path, fstab-escaped), options (cifs mount options); empty when none
/// secrets.smb_credentials  (Linux, with smb) the credentials file's text: username=ACCOUNT, password=…
/// user_write_files, user_mounts, user_packages   with smb: the Labfile's user_data items of those keys as YAML
///                          sequence entries, which the template writes after its own ("" when none)
/// cloud_modules            (user-data) cloud_init_modules / cloud_config_modules / cloud_final_modules: the modules
///                          the rendered user-data's keys need (CloudInitModules); "" while user-data is first
///                          rendered to read its keys, and when cloud-init's defaults must stay
/// </code>
/// </remarks>
/// <summary>A Linux VM's SMB mounts for the template, and the user_data lists the template writes around them.</summary>
internal sealed record SmbModel(ScriptArray Mounts, IReadOnlyDictionary<string, string> UserLists);

internal static class TemplateModel
{
    /// <param name="instanceId">Null while network-config itself is rendered: the id is derived from it.</param>
    public static ScriptObject Create(string lab, VmPlan vm, ScriptObject secrets, string userDataYaml, string? instanceId, string userBootcmdYaml = "", string cloudModulesYaml = "",
        SmbModel? smb = null)
    {
        var adapters = new ScriptArray();
        foreach (var a in vm.Adapters)
        {
            var adapter = new ScriptObject
            {
                ["index"] = a.Index,
                ["interface"] = a.GuestInterfaceName,
                ["network"] = a.Network,
                ["network_type"] = a.NetworkType.ToString().ToLowerInvariant(),
                ["switch"] = a.Switch,
                ["mac"] = a.Mac.ToColonString(),
                ["mac_dash"] = a.Mac.ToString(),
                ["ip"] = a.Ip?.ToString(),
                ["prefix_length"] = a.PrefixLength,
                ["cidr"] = a.Cidr,
                ["gateway"] = a.Gateway?.ToString(),
                ["default_route"] = a.DefaultRoute,
                // A static default route needs both: the plan's choice and a router to send it to
                // (a DHCP adapter that owns the default route learns its router from DHCP).
                ["route_via"] = a.DefaultRoute && a.Ip is not null && a.Gateway is { } g ? g.ToString() : null,
                ["dhcp"] = a.Dhcp,
                ["dns"] = Array(a.Dns.Select(d => d.ToString())),
            };
            adapter.IsReadOnly = true;
            adapters.Add(adapter);
        }
        adapters.IsReadOnly = true;

        var dot = vm.Hostname.IndexOf('.', StringComparison.Ordinal);
        var vmObject = new ScriptObject
        {
            ["name"] = vm.Name,
            ["hostname"] = vm.Hostname,
            ["short_hostname"] = dot < 0 ? vm.Hostname : vm.Hostname[..dot],
            ["fqdn"] = dot < 0 ? null : vm.Hostname,
            ["os"] = vm.Os.ToString().ToLowerInvariant(),
            ["user"] = vm.User,
            ["adapters"] = adapters,
            ["dns"] = Array(ResolverOrder(vm)),
            ["virtiofs"] = Virtiofs(vm),
        };
        vmObject.IsReadOnly = true;
        secrets.IsReadOnly = true;

        var model = new ScriptObject
        {
            ["lab"] = lab,
            ["vm"] = vmObject,
            ["secrets"] = secrets,
            ["user_data"] = userDataYaml,
            ["user_bootcmd"] = userBootcmdYaml,
            ["cloud_modules"] = cloudModulesYaml,
            ["smb"] = smb?.Mounts ?? Array([]),
            ["user_write_files"] = smb?.UserLists.GetValueOrDefault("write_files") ?? "",
            ["user_mounts"] = smb?.UserLists.GetValueOrDefault("mounts") ?? "",
            ["user_packages"] = smb?.UserLists.GetValueOrDefault("packages") ?? "",
        };
        if (instanceId is not null) model["instance_id"] = instanceId;
        model.IsReadOnly = true;
        return model;
    }

    /// <summary>
    /// The servers a guest without a resolver manager gets in resolv.conf: those of the adapter with the
    /// default route first (the ones reachable from anywhere), then the others', each once.
    /// </summary>
    private static IEnumerable<string> ResolverOrder(VmPlan vm) =>
        vm.Adapters.OrderBy(a => a.DefaultRoute ? 0 : 1).SelectMany(a => a.Dns).Select(d => d.ToString()).Distinct(StringComparer.Ordinal);

    private static ScriptArray Virtiofs(VmPlan vm)
    {
        var shares = new ScriptArray();
        foreach (var f in vm.SyncedFolders.Where(f => f.Type == Core.Labfile.SyncedFolderType.Virtiofs))
        {
            var share = new ScriptObject { ["tag"] = f.Tag, ["guest"] = f.GuestPath };
            share.IsReadOnly = true;
            shares.Add(share);
        }
        shares.IsReadOnly = true;
        return shares;
    }

    private static ScriptArray Array(IEnumerable<string> items)
    {
        var array = new ScriptArray();
        foreach (var item in items) array.Add(item);
        array.IsReadOnly = true;
        return array;
    }
}
