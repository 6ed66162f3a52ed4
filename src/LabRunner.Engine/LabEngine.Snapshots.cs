using System.Collections.Immutable;
using LabRunner.Core.Diagnostics;
using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Core.Planning;
using LabRunner.Core.Reconciliation;
using LabRunner.Engine.Snapshots;

namespace LabRunner.Engine;

/// <summary>What the lab's snapshots need of the engine: the lab as planned against the host, under the host lock; and 'down' removing them first.</summary>
public sealed partial class LabEngine
{
    internal LabProject Project => project;

    internal IHostProvider Provider => provider;

    internal IEngineReporter Reporter => reporter;

    /// <summary>
    /// The lab planned against the host as it is now, for a snapshot command: under the host lock when
    /// <paramref name="locked"/> (the scope holds it until disposed). Null with the Labfile's errors when it has any.
    /// </summary>
    internal async Task<(ImmutableArray<Diagnostic> Diagnostics, SnapshotScope? Scope)> OpenSnapshotScopeAsync(bool locked, CancellationToken ct)
    {
        var loaded = project.Load();
        if (loaded.HasErrors || loaded.Lab is null) return (loaded.Diagnostics, null);
        var lab = loaded.Lab;
        var hostLock = locked ? await HostLock.AcquireAsync(hostLockPath, EngineOptions.Default.LockTimeout,
            () => reporter.Info("Waiting for another lab command on this host to finish…"), ct).ConfigureAwait(false) : null;
        try
        {
            var identity = new LabIdentity(lab.Name, project.ProjectId);
            var inventory = await provider.GetInventoryAsync([], ct).ConfigureAwait(false);
            var state = ProjectState.LoadOrCreate(project.StateDirectory);
            var planned = project.Plan(HostAwareContext(lab, identity, inventory) with { Allocations = AllocationState.Held(state, Exists(identity, inventory, state, adopt: false)) });
            if (planned.HasErrors || planned.Plan is null)
            {
                hostLock?.Dispose();
                return (planned.Diagnostics, null);
            }
            var strays = inventory.Vms.Where(v => identity.Owns(v.Notes) && !planned.Plan.Vms.Any(p => string.Equals(p.HostVmName, v.Name, StringComparison.OrdinalIgnoreCase)))
                .Select(v => (Name: provider.Rules.LabfileVmName(identity.Lab, v.Name) ?? v.Name, Host: v.Name)).ToImmutableArray();
            return (planned.Diagnostics, new SnapshotScope(lab, planned.Plan, identity, inventory, strays, hostLock));
        }
        catch
        {
            hostLock?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// 'down' removes every snapshot of the VMs it is about to remove, before anything else (Hyper-V merges a checkpoint's
    /// disk into its parent: the VM's files must still be there), and says so; after a whole lab's down its
    /// <c>.lab/snapshots/</c> goes, after a down of some VMs their part of each record. A provider without snapshots has none.
    /// </summary>
    private async Task DeleteSnapshotsBeforeDownAsync(Reconciliation reconciliation, HostInventory inventory, ImmutableHashSet<string> targets, LabIdentity identity, CancellationToken ct)
    {
        var store = new SnapshotStore(project.StateDirectory);
        // A VM the inventory already shows without snapshots is not asked again (on Hyper-V each listing is a process).
        var removing = reconciliation.All.OfType<RemoveVm>().Select(r => r.VmName).Distinct(StringComparer.OrdinalIgnoreCase)
            .Where(vm => !inventory.Vms.Any(v => string.Equals(v.Name, vm, StringComparison.OrdinalIgnoreCase) && v.HasNoSnapshots)).ToList();
        if (removing.Count > 0 && provider.Capability<ISnapshots>() is { } snapshots)
        {
            var all = await LabSnapshots.ListAllAsync(snapshots, removing, ct).ConfigureAwait(false);
            // The VMs at once; each VM's newest first: each one deleted is then a leaf, whose disk merges into its parent.
            await Task.WhenAll(all.Where(a => !a.Value.IsEmpty).Select(async a =>
            {
                var vm = provider.Rules.LabfileVmName(identity.Lab, a.Key) ?? a.Key;
                reporter.Info($"Deleting the {a.Value.Length} snapshot{(a.Value.Length == 1 ? "" : "s")} of '{vm}' first: {string.Join(", ", a.Value.Select(s => s.Name))}");
                foreach (var snapshot in a.Value.Reverse())
                    await snapshots.DeleteAsync(a.Key, snapshot.Name, ct).ConfigureAwait(false);
            })).ConfigureAwait(false);
        }
        if (targets.IsEmpty)
        {
            if (Directory.Exists(store.Folder)) reporter.Info($"Removing the lab's snapshot records ({Path.GetRelativePath(project.ProjectDirectory, store.Folder)}).");
            store.DeleteAll();
            return;
        }
        foreach (var record in store.All())
        {
            if (record.Vms.RemoveAll(v => removing.Contains(v.HostVm, StringComparer.OrdinalIgnoreCase)) == 0) continue;
            if (record.Vms.Count == 0) store.Delete(record.Name);
            else store.Rewrite(record);
        }
    }

    /// <summary>'down --what-if': which snapshots 'down' would delete first (nothing is deleted).</summary>
    private async Task PreviewSnapshotDeletionAsync(Reconciliation reconciliation, LabIdentity identity, CancellationToken ct)
    {
        if (provider.Capability<ISnapshots>() is not { } snapshots) return;
        var removing = reconciliation.All.OfType<RemoveVm>().Select(r => r.VmName);
        foreach (var (hostVm, listed) in await LabSnapshots.ListAllAsync(snapshots, removing, ct).ConfigureAwait(false))
        {
            if (listed.IsEmpty) continue;
            var vm = provider.Rules.LabfileVmName(identity.Lab, hostVm) ?? hostVm;
            reporter.Info($"Would delete the {listed.Length} snapshot{(listed.Length == 1 ? "" : "s")} of '{vm}' first: {string.Join(", ", listed.Select(s => s.Name))}");
        }
    }

    /// <summary>How many snapshots each of the lab's VMs on the host has (host VM name → count); empty without the capability.</summary>
    private async Task<ImmutableDictionary<string, int>> SnapshotCountsAsync(IEnumerable<string> hostVms, CancellationToken ct)
    {
        if (provider.Capability<ISnapshots>() is not { } snapshots) return ImmutableDictionary<string, int>.Empty;
        // One call for all VMs: on a host where each listing is a process of its own, status waits for one, not one per VM.
        try
        {
            var listed = await snapshots.ListManyAsync([.. hostVms], ct).ConfigureAwait(false);
            return listed.ToImmutableDictionary(p => p.Key, p => p.Value.Length, StringComparer.OrdinalIgnoreCase);
        }
        catch (SnapshotException e)
        {
            // Status shows what it can: when the snapshots cannot be listed, no VM has a count.
            reporter.Info(e.Message);
            return ImmutableDictionary<string, int>.Empty;
        }
    }

    /// <summary>Seeds a recorded snapshot's VMs held: a restore puts them back in the drives, so they are not stale while it exists.</summary>
    /// <returns>Null when a record cannot be read: then no seed is removed.</returns>
    private IReadOnlySet<string>? SeedsHeldBySnapshots()
    {
        try
        {
            return new SnapshotStore(project.StateDirectory).HeldSeeds();
        }
        catch (LabSnapshotException e)
        {
            reporter.Info($"{e.Message} No seed is removed until it is readable.");
            return null;
        }
    }
}

/// <summary>
/// A snapshot command's view of the lab: the Labfile, the plan against the host, the host's inventory read under the
/// lock, and this lab's VMs on the host no longer in the Labfile. Disposing releases the host lock.
/// </summary>
internal sealed record SnapshotScope(LabDefinition Lab, LabPlan Plan, LabIdentity Identity, HostInventory Inventory,
    ImmutableArray<(string Name, string Host)> Strays, IDisposable? Lock) : IDisposable
{
    /// <summary>The lab's VM on the host of that Labfile VM, when it exists and is this lab's.</summary>
    public HostVm? Owned(VmPlan vm) => Inventory.Vm(vm.HostVmName) is { } host && Identity.Owns(host.Notes) ? host : null;

    public VmDefinition Definition(VmPlan vm) => Lab.Vms.First(v => string.Equals(v.Name, vm.Name, StringComparison.OrdinalIgnoreCase));

    public void Dispose() => Lock?.Dispose();
}
