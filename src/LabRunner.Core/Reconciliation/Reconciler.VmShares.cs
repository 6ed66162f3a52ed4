using System.Collections.Immutable;
using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Core.Planning;

namespace LabRunner.Core.Reconciliation;

/// <summary>
/// A VM's <c>type: virtiofs</c> synced folders, as shares of the VM itself (<see cref="HostVmShare"/>): part of the
/// VM's definition like its adapters, so a new VM gets them before its first start and a share added, removed or
/// moved to another folder on a running VM is a change for <c>lab reload</c>, as a memory change is.
/// </summary>
public static partial class Reconciler
{
    private sealed partial class Converger
    {
        /// <summary>The shares the VM should have: each virtiofs folder's tag and full path on the host.</summary>
        private static ImmutableArray<HostVmShare> WantedShares(VmPlan vm, VmFiles files) =>
            [.. vm.SyncedFolders.Where(f => f.Type == SyncedFolderType.Virtiofs).Select(f => new HostVmShare(f.Tag,
                f.Index < files.SyncedFolderPaths.Length ? files.SyncedFolderPaths[f.Index]
                    : throw new InvalidOperationException($"VM '{vm.Name}' has a virtiofs synced folder, but its VmFiles give no host path for it.")))];

        /// <summary>What makes the VM's shares <paramref name="wanted"/>: a share whose folder changed is removed and added again.</summary>
        private static IEnumerable<HostOperation> ShareChanges(HostVm host, ImmutableArray<HostVmShare> wanted, StringComparison paths)
        {
            foreach (var extra in host.Shares.Where(h => !wanted.Any(w => w.Tag == h.Tag)))
                yield return new RemoveVmShare(host.Name, extra.Tag);
            foreach (var share in wanted)
            {
                var existing = host.Shares.FirstOrDefault(h => h.Tag == share.Tag);
                if (existing is not null && string.Equals(existing.Path, share.Path, paths)) continue;
                if (existing is not null) yield return new RemoveVmShare(host.Name, existing.Tag);
                yield return new AddVmShare(host.Name, share.Tag, share.Path);
            }
        }
    }
}
