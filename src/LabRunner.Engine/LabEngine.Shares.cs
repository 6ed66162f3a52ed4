using System.Collections.Immutable;
using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Core.Planning;
using LabRunner.Core.Reconciliation;

namespace LabRunner.Engine;

public sealed partial class LabEngine
{
    /// <summary>
    /// What 'type: smb' synced folders need besides the plan, when the lab has any and the host shares over SMB: the
    /// project's account password (made now unless it was there: <paramref name="passwordKept"/>; in memory only for
    /// --what-if) and each folder's full path on the host, the Labfile's folder being the base of a relative one.
    /// </summary>
    private ShareRequest? ShareRequestFor(ReconcileMode mode, LabPlan plan, bool whatIf, bool passwordKept)
    {
        if (mode is not (ReconcileMode.Up or ReconcileMode.Reload) || !provider.Rules.SyncedFolderTypes.Contains(SyncedFolderType.Smb)) return null;
        var folders = plan.Vms.SelectMany(v => v.SyncedFolders).Where(f => f.Type == SyncedFolderType.Smb).Select(f => f.HostPath)
            .Distinct(StringComparer.Ordinal).ToList();
        if (folders.Count == 0) return null;
        var password = ShareSecrets.LoadOrCreate(project.StateDirectory, save: !whatIf);
        var paths = folders.ToImmutableDictionary(f => f, f => Path.TrimEndingDirectorySeparator(Path.GetFullPath(Path.Combine(project.ProjectDirectory, f))), StringComparer.Ordinal);
        return new ShareRequest(new HostSecret(password), !passwordKept, paths);
    }
}
