using System.Text;
using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Core.Planning;
using LabRunner.Guest.Templates;
using Scriban.Runtime;

namespace LabRunner.Guest;

/// <summary>
/// 'type: smb' synced folders in a Linux guest's user-data: the lab's account in a root-only credentials file
/// (write_files, 0600), an fstab entry per folder (mounts: cifs, <c>credentials=</c>, the folder's owner and group,
/// <c>mfsymlinks</c> so symlinks stay links, SMB 3, <c>nofail</c>), mounted on first use (<c>x-systemd.automount</c>)
/// so that neither the owner's account (made after cloud-init's mounts module) nor mount.cifs (packages: cifs-utils,
/// installed in the final stage) has to exist when fstab is written; and cifs-utils. The Labfile's own write_files,
/// mounts and packages items follow LabRunner's under the same keys.
/// </summary>
public sealed partial class GuestConfigRenderer
{
    /// <summary>Where the credentials file goes in the guest: root's alone.</summary>
    public const string SmbCredentialsPath = "/etc/labrunner/smb-credentials";

    /// <summary>The keys the template writes for SMB, whose user_data items it takes over.</summary>
    private static readonly string[] SmbListKeys = ["write_files", "mounts", "packages"];

    /// <summary>The model's SMB part; null (nothing written) for a VM without smb folders or without credentials.</summary>
    private static SmbModel? SmbMounts(VmPlan vm, GuestSecrets secrets, ScriptObject secretObject, TemplateText template, bool bootcmdSplit, ref string userData)
    {
        var folders = vm.SyncedFolders.Where(f => f.Type == SyncedFolderType.Smb).ToList();
        if (folders.Count == 0 || secrets.Smb is not { Server.Length: > 0 } smb) return null;
        secretObject["smb_credentials"] = $"username={smb.Account}\npassword={smb.Password}\n";
        var mounts = new ScriptArray();
        foreach (var folder in folders)
        {
            var mount = new ScriptObject
            {
                ["source"] = $"//{smb.Server}/{ShareNames.Share(vm, folder)}",
                ["target"] = FstabEscape(folder.GuestPath),
                ["options"] = $"credentials={SmbCredentialsPath},uid={folder.Owner},gid={folder.Group},mfsymlinks,vers=3.0,noauto,x-systemd.automount,x-systemd.mount-timeout=30,_netdev,nofail",
            };
            mount.IsReadOnly = true;
            mounts.Add(mount);
        }
        mounts.IsReadOnly = true;

        // The Labfile's items of the keys the template now writes go after LabRunner's, as user_bootcmd does.
        var lists = new Dictionary<string, string>(StringComparer.Ordinal);
        if (vm.UserData is { } mapping && template.Text.Contains("user_write_files", StringComparison.Ordinal))
        {
            var entries = mapping.Entries;
            foreach (var key in SmbListKeys)
            {
                var entry = entries.FirstOrDefault(e => e.Key.Value == key);
                if (entry is not { Value: YamlSequence { Items.IsEmpty: false } }) continue;
                var items = YamlText.EmitMappingEntries(new YamlMapping(mapping.Span, [entry]));
                lists[key] = items[(items.IndexOf('\n', StringComparison.Ordinal) + 1)..];
                entries = entries.Remove(entry);
            }
            // bootcmd stays where SplitUserData left it: taken out when the template writes user_bootcmd.
            if (bootcmdSplit) entries = [.. entries.Where(e => e.Key.Value != "bootcmd")];
            if (lists.Count > 0) userData = YamlText.EmitMappingEntries(mapping with { Entries = entries });
        }
        return new SmbModel(mounts, lists);
    }

    /// <summary>A path as an fstab field: space, tab, newline and backslash written as octal escapes.</summary>
    private static string FstabEscape(string path)
    {
        var sb = new StringBuilder(path.Length);
        foreach (var c in path)
            sb.Append(c switch { ' ' => "\\040", '\t' => "\\011", '\n' => "\\012", '\\' => "\\134", _ => c.ToString() });
        return sb.ToString();
    }
}
