using System.Collections.Immutable;
using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Core.Planning;
using LabRunner.Core.Reconciliation;

namespace LabRunner.Engine;

/// <summary>After applying: pending VMs settled, state.json updated, stale seeds and folders removed.</summary>
public sealed partial class LabEngine
{
    /// <summary>
    /// After applying: a VM stays pending until its creation has finished — it carries the mark and was
    /// started, the last step — so that the next run knows an unmarked VM of that name as its own
    /// unfinished one. After down, the VMs' folders go.
    /// </summary>
    private async Task<HostInventory> SettleAsync(LabDefinition lab, LabIdentity identity, ReconcileMode mode, ImmutableHashSet<string> targets, CancellationToken ct)
    {
        var inventory = await provider.GetInventoryAsync([], ct).ConfigureAwait(false);
        UpdateState(mode, s =>
        {
            var settled = s.PendingVms.Where(n => inventory.Vm(n) is { } vm && (!identity.Owns(vm.Notes) || vm.State == VmState.Off)).ToList();
            if (settled.Count == s.PendingVms.Count) return false;
            s.PendingVms = settled;
            return true;
        });
        if (mode != ReconcileMode.Down)
        {
            await RemoveStaleSeedsAsync(lab, inventory, ct).ConfigureAwait(false);
            return inventory;
        }
        // The folders of the VMs that went (also those no longer in the Labfile), never one whose files a VM still holds.
        var names = targets.IsEmpty ? lab.Vms.Select(v => v.Name).ToList() : [.. targets];
        if (targets.IsEmpty)
            names.AddRange((await HostFilesOrNoneAsync(() => provider.Files.FoldersAsync(Path.Combine(project.StateDirectory, "vms"), ct)).ConfigureAwait(false)).Select(Path.GetFileName).OfType<string>());
        foreach (var name in names.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            var folder = VmFolder(name);
            if (inventory.Vm(provider.Rules.VmName(identity.Lab, name)) is not null || HeldByAnyVm(inventory, folder)) continue;
            try
            {
                await provider.Files.DeleteFolderAsync(folder, ct).ConfigureAwait(false);
            }
            catch (HostUnavailableException e)
            {
                // The lab is gone from the host; a folder left behind is only disk space.
                reporter.Info(e.Error.Message);
            }
        }
        return inventory;
    }

    /// <summary>
    /// One step's change of state.json, made under the project's lock on the file as it is now. For 'down' the
    /// state is a hint: when it cannot be written (a damaged .lab), the lab is still removed and that is said.
    /// </summary>
    private void UpdateState(ReconcileMode mode, Func<ProjectState, bool> change)
    {
        if (mode != ReconcileMode.Down)
        {
            ProjectState.Update(project.StateDirectory, change);
            return;
        }
        try
        {
            ProjectState.Update(project.StateDirectory, change, reporter.Info);
        }
        catch (HostUnavailableException e)
        {
            reporter.Info($"{e.Error.Message} Going on by the host's ownership marks alone.");
        }
    }

    private static bool HeldByAnyVm(HostInventory inventory, string folder)
    {
        var prefix = Path.TrimEndingDirectorySeparator(folder) + Path.DirectorySeparatorChar;
        return inventory.Vms.Any(v => v.Files.Any(f => f.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)));
    }

    /// <summary>
    /// Seeds a VM's DVD drive no longer holds (its network changed) are deleted once it holds the new one —
    /// never one any VM on the host holds (a VM of this lab under an earlier name, say), nor one a snapshot's VM held.
    /// </summary>
    private async Task RemoveStaleSeedsAsync(LabDefinition lab, HostInventory inventory, CancellationToken ct)
    {
        var held = inventory.Vms.SelectMany(v => v.DvdDrives.Select(d => d.Path)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        // A seed a snapshot's VM held comes back into its drive with a restore: it stays while the snapshot does.
        if (SeedsHeldBySnapshots() is not { } kept) return;
        held.UnionWith(kept);
        foreach (var vm in lab.Vms)
        {
            if (inventory.Vm(provider.Rules.VmName(lab.Name, vm.Name)) is null) continue;
            foreach (var seed in await HostFilesOrNoneAsync(() => provider.Files.FilesAsync(VmFolder(vm.Name), "seed-*.iso", ct)).ConfigureAwait(false))
            {
                if (held.Contains(seed)) continue;
                try
                {
                    await provider.Files.DeleteAsync(seed, ct).ConfigureAwait(false);
                }
                catch (HostUnavailableException)
                {
                    // Still open somewhere; the next run or 'lab down' takes it.
                }
            }
        }
    }

    /// <summary>What the host lists, or nothing when it cannot (said, and then there is nothing to remove).</summary>
    private async Task<ImmutableArray<string>> HostFilesOrNoneAsync(Func<Task<ImmutableArray<string>>> listing)
    {
        try
        {
            return await listing().ConfigureAwait(false);
        }
        catch (HostUnavailableException e)
        {
            reporter.Info(e.Error.Message);
            return [];
        }
    }
}
