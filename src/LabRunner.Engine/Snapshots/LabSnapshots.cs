using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Globalization;
using LabRunner.Core.Errors;
using LabRunner.Core.Hosting;
using LabRunner.Core.Planning;
using LabRunner.Engine.Guests;
using LabRunner.Engine.Lifecycle;

namespace LabRunner.Engine.Snapshots;

/// <summary>How a restore waits for the guests that run afterwards: LabRunner's way in, and the view that shows the wait.</summary>
public sealed record SnapshotGuests(GuestAccess Access, ILifecycleView View);

/// <summary>
/// Snapshots of the whole lab, made out of the provider's per-VM <see cref="ISnapshots"/>, under the host lock:
/// <list type="bullet">
/// <item>save: every running VM whose snapshot keeps memory is paused, then each VM is saved, then every paused VM is
/// resumed — also after a failure or Ctrl+C — so the set is one moment across the VMs; VMs with production snapshots
/// freeze inside their guest instead. A save that fails on one VM deletes what it made on the others.</item>
/// <item>restore: refused before any change when a VM of the lab lacks the snapshot (unless the VMs are named);
/// each VM goes back, the project state kept with the snapshot goes back for it, VMs that ran when it was taken run
/// again (started when it kept no memory), and the running ones are waited for as 'lab up' waits.</item>
/// <item>push / pop: a stack of snapshots named by the stack, in <c>.lab/snapshots/stack.json</c>.</item>
/// </list>
/// </summary>
public sealed class LabSnapshots(LabEngine engine, TimeProvider time)
{
    private IHostProvider Provider => engine.Provider;
    private IEngineReporter Reporter => engine.Reporter;
    private SnapshotStore Store => new(engine.Project.StateDirectory);

    /// <summary>The provider's snapshots, or a usage error naming the provider.</summary>
    public ISnapshots Capability() => Provider.Capability<ISnapshots>()
        ?? throw new LabSnapshotException(ErrorCategory.Usage, $"{Provider.Description} keeps no snapshots of its VMs, so 'lab snapshot' has nothing to work with there");

    public async Task<SnapshotOutcome<SnapshotSaveResult>> SaveAsync(string name, IReadOnlyCollection<string> vms, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(vms);
        SnapshotName.Check(name, pushed: false);
        var snapshots = Capability();
        var (diagnostics, opened) = await engine.OpenSnapshotScopeAsync(locked: true, cancellationToken).ConfigureAwait(false);
        if (opened is not { } scope) return new(diagnostics, null);
        using (scope)
            return new(diagnostics, await SaveInScopeAsync(scope, snapshots, name, vms, pushed: false, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>'push': a snapshot of every VM under the stack's next name, put on top of the stack.</summary>
    public async Task<SnapshotOutcome<SnapshotSaveResult>> PushAsync(CancellationToken cancellationToken)
    {
        var snapshots = Capability();
        var (diagnostics, opened) = await engine.OpenSnapshotScopeAsync(locked: true, cancellationToken).ConfigureAwait(false);
        if (opened is not { } scope) return new(diagnostics, null);
        using (scope)
        {
            var onHost = await ListAllAsync(snapshots, LabVms(scope).Select(v => v.Host), cancellationToken).ConfigureAwait(false);
            var name = Store.NextPushName(onHost.Values.SelectMany(l => l).Select(s => s.Name));
            var saved = await SaveInScopeAsync(scope, snapshots, name, [], pushed: true, cancellationToken).ConfigureAwait(false);
            Store.Push(name);
            return new(diagnostics, saved);
        }
    }

    public async Task<SnapshotOutcome<SnapshotRestoreResult>> RestoreAsync(string name, IReadOnlyCollection<string> vms, SnapshotGuests? guests, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(vms);
        if (SnapshotName.Problem(name) is { } problem) throw new LabSnapshotException(ErrorCategory.Usage, problem);
        var snapshots = Capability();
        var (diagnostics, opened) = await engine.OpenSnapshotScopeAsync(locked: true, cancellationToken).ConfigureAwait(false);
        if (opened is not { } scope) return new(diagnostics, null);
        SnapshotRestoreResult restored;
        using (scope)
            restored = await RestoreInScopeAsync(scope, snapshots, name, vms, cancellationToken).ConfigureAwait(false);
        // The host lock is released before the guests are waited for, as after 'lab up'.
        return new(diagnostics, await WaitAsync(scope, restored, guests, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>'pop': restores the top of the stack, then deletes it and takes it off the stack.</summary>
    public async Task<SnapshotOutcome<SnapshotRestoreResult>> PopAsync(SnapshotGuests? guests, CancellationToken cancellationToken)
    {
        var snapshots = Capability();
        var (diagnostics, opened) = await engine.OpenSnapshotScopeAsync(locked: true, cancellationToken).ConfigureAwait(false);
        if (opened is not { } scope) return new(diagnostics, null);
        SnapshotRestoreResult restored;
        using (scope)
        {
            var top = Store.Stack().LastOrDefault()
                ?? throw new LabSnapshotException(ErrorCategory.Usage, "the snapshot stack is empty; 'lab snapshot push' puts a snapshot of the lab on it");
            restored = await RestoreInScopeAsync(scope, snapshots, top, [], cancellationToken).ConfigureAwait(false);
            await DeleteInScopeAsync(scope, snapshots, top, cancellationToken).ConfigureAwait(false);
            restored = restored with { Deleted = true };
        }
        return new(diagnostics, await WaitAsync(scope, restored, guests, cancellationToken).ConfigureAwait(false));
    }

    public async Task<SnapshotOutcome<SnapshotDeleteResult>> DeleteAsync(string name, CancellationToken cancellationToken)
    {
        if (SnapshotName.Problem(name) is { } problem) throw new LabSnapshotException(ErrorCategory.Usage, problem);
        var snapshots = Capability();
        var (diagnostics, opened) = await engine.OpenSnapshotScopeAsync(locked: true, cancellationToken).ConfigureAwait(false);
        if (opened is not { } scope) return new(diagnostics, null);
        using (scope)
            return new(diagnostics, await DeleteInScopeAsync(scope, snapshots, name, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Every snapshot the project recorded or the host has of the lab's VMs, oldest first, with the push stack.</summary>
    public async Task<SnapshotOutcome<SnapshotListResult>> ListAsync(CancellationToken cancellationToken)
    {
        var snapshots = Capability();
        var (diagnostics, opened) = await engine.OpenSnapshotScopeAsync(locked: false, cancellationToken).ConfigureAwait(false);
        if (opened is not { } scope) return new(diagnostics, null);
        using (scope)
        {
            var labVms = LabVms(scope);
            var onHost = await ListAllAsync(snapshots, labVms.Select(v => v.Host), cancellationToken).ConfigureAwait(false);
            var records = Store.All();
            var stack = Store.Stack();
            var infos = new List<SnapshotInfo>();
            foreach (var record in records)
            {
                var vms = record.Vms.Select(v => onHost.GetValueOrDefault(v.HostVm) is { } listed && Find(listed, record.Name) is { } s
                        ? new SnapshotVmInfo(v.Name, true, s.WithMemory, s.Type, s.SizeBytes)
                        : new SnapshotVmInfo(v.Name, false, v.WithMemory, v.Type, null)).ToImmutableArray();
                infos.Add(new SnapshotInfo(record.Name, record.Created, Recorded: true, record.Pushed, vms));
            }
            // Names the host has on the lab's VMs that the project has no record of.
            var unrecorded = labVms.SelectMany(v => onHost[v.Host].Select(s => (Vm: v.Name, Snapshot: s)))
                .Where(x => !records.Any(r => string.Equals(r.Name, x.Snapshot.Name, StringComparison.OrdinalIgnoreCase)))
                .GroupBy(x => x.Snapshot.Name, StringComparer.OrdinalIgnoreCase);
            foreach (var group in unrecorded)
                infos.Add(new SnapshotInfo(group.Key, group.Min(x => x.Snapshot.Created), Recorded: false, Pushed: false,
                    [.. group.Select(x => new SnapshotVmInfo(x.Vm, true, x.Snapshot.WithMemory, x.Snapshot.Type, x.Snapshot.SizeBytes))]));
            return new(diagnostics, new SnapshotListResult([.. infos.OrderBy(i => i.Created ?? DateTimeOffset.MaxValue).ThenBy(i => i.Name, StringComparer.Ordinal)], [.. stack]));
        }
    }

    private async Task<SnapshotSaveResult> SaveInScopeAsync(SnapshotScope scope, ISnapshots snapshots, string name, IReadOnlyCollection<string> names, bool pushed, CancellationToken ct)
    {
        var start = time.GetTimestamp();
        var targets = Resolve(scope, names);
        var notCreated = targets.Where(v => scope.Owned(v) is null).Select(v => v.Name).ToImmutableArray();
        if (names.Count > 0 && !notCreated.IsEmpty)
            throw new LabSnapshotException(ErrorCategory.Usage, $"{Listed(notCreated)} {(notCreated.Length == 1 ? "is" : "are")} not created, so there is nothing to snapshot; 'lab up' creates {(notCreated.Length == 1 ? "it" : "them")}");
        var present = targets.Where(v => scope.Owned(v) is not null).ToList();
        if (present.Count == 0)
            throw new LabSnapshotException(ErrorCategory.Usage, "no VM of this lab exists on the host, so there is nothing to snapshot; 'lab up' creates them");
        if (Store.Read(name) is { } existing)
            throw new LabSnapshotException(ErrorCategory.Conflict, string.Create(CultureInfo.InvariantCulture,
                $"the lab has a snapshot '{name}' already (taken {existing.Created.ToUniversalTime():yyyy-MM-dd HH:mm:ss} UTC); 'lab snapshot delete {name}' removes it, or choose another name"));
        var listed = await ListAllAsync(snapshots, present.Select(v => v.HostVmName), ct).ConfigureAwait(false);
        var taken = present.Where(v => Find(listed[v.HostVmName], name) is not null).Select(v => v.Name).ToList();
        if (taken.Count > 0)
            throw new LabSnapshotException(ErrorCategory.Conflict,
                $"{Listed(taken)} already {(taken.Count == 1 ? "has" : "have")} a snapshot named '{name}' on the host, which this project has no record of; 'lab snapshot delete {name}' removes it, or choose another name");

        Reporter.Info($"==> snapshot '{name}': {string.Join(", ", present.Select(v => v.Name))}");
        foreach (var vm in notCreated) Reporter.Info($"    {vm}: not created, so not in the snapshot");
        var stateCopy = SnapshotStateCopy.Of(ProjectState.LoadOrCreate(engine.Project.StateDirectory), [.. present.Select(v => v.Name)]);
        var created = time.GetUtcNow();
        var wasRunning = present.ToDictionary(v => v.Name, v => scope.Owned(v)!.State == VmState.Running, StringComparer.OrdinalIgnoreCase);
        // Production snapshots freeze the guest's file systems from inside: those VMs are not paused.
        var toPause = present.Where(v => wasRunning[v.Name] && scope.Definition(v).SnapshotType == SnapshotType.Standard).ToList();

        var paused = new ConcurrentBag<VmPlan>();
        var made = new ConcurrentDictionary<string, VmSnapshot>(StringComparer.OrdinalIgnoreCase);
        var failures = new ConcurrentQueue<(string Vm, Exception Error)>();
        var resumeFailures = new ConcurrentQueue<(string Vm, Exception Error)>();
        TimeSpan? window = null;
        var pauseStart = time.GetTimestamp();
        try
        {
            await EachAsync(toPause, async vm =>
            {
                await snapshots.PauseAsync(vm.HostVmName, ct).ConfigureAwait(false);
                paused.Add(vm);
                Reporter.Info($"    {vm.Name}: paused");
            }, failures).ConfigureAwait(false);
            if (failures.IsEmpty)
            {
                await EachAsync(present, async vm =>
                {
                    var snapshot = await snapshots.SaveAsync(vm.HostVmName, name, scope.Definition(vm).SnapshotType, ct).ConfigureAwait(false);
                    made[vm.Name] = snapshot;
                    Reporter.Info($"    {vm.Name}: saved ({(snapshot.WithMemory ? "with memory" : "disk only")}, {snapshot.Type})");
                }, failures).ConfigureAwait(false);
            }
        }
        finally
        {
            // Whatever happened (a failure, Ctrl+C), no VM is left paused.
            await EachAsync(paused, async vm =>
            {
                await snapshots.ResumeAsync(vm.HostVmName, CancellationToken.None).ConfigureAwait(false);
                Reporter.Info($"    {vm.Name}: resumed");
            }, resumeFailures).ConfigureAwait(false);
            if (!paused.IsEmpty) window = time.GetElapsedTime(pauseStart);
        }

        if (!failures.IsEmpty)
        {
            await RollBackAsync(snapshots, name, present.Where(v => made.ContainsKey(v.Name))).ConfigureAwait(false);
            throw Failed(failures.Concat(resumeFailures), ct, $"snapshot '{name}' was not taken: ", " Nothing of it was kept.");
        }
        var record = new LabSnapshotRecord
        {
            Name = name,
            Lab = scope.Lab.Name,
            Created = created,
            Pushed = pushed,
            Vms =
            [
                .. present.Select(v => new LabSnapshotVm
                {
                    Name = v.Name,
                    HostVm = v.HostVmName,
                    WasRunning = wasRunning[v.Name],
                    WithMemory = made[v.Name].WithMemory,
                    Requested = TypeName(scope.Definition(v).SnapshotType),
                    Type = made[v.Name].Type,
                    SizeBytes = made[v.Name].SizeBytes,
                    Seed = HeldSeed(scope.Owned(v)!),
                }),
            ],
        };
        try
        {
            Store.Write(record, stateCopy);
        }
        catch (LabRunnerException)
        {
            await RollBackAsync(snapshots, name, present).ConfigureAwait(false);
            throw;
        }
        if (!resumeFailures.IsEmpty)
            throw Failed(resumeFailures, CancellationToken.None, $"snapshot '{name}' was saved, but ", " 'lab up' resumes a paused VM.");
        return new SnapshotSaveResult(record, time.GetElapsedTime(start), window) { NotCreated = notCreated };
    }

    /// <summary>Deletes what a failed save made, so no half of a snapshot stays; what cannot be deleted is named.</summary>
    private async Task RollBackAsync(ISnapshots snapshots, string name, IEnumerable<VmPlan> made)
    {
        var left = new ConcurrentQueue<(string Vm, Exception Error)>();
        await EachAsync(made.ToList(), async vm =>
        {
            await snapshots.DeleteAsync(vm.HostVmName, name, CancellationToken.None).ConfigureAwait(false);
            Reporter.Info($"    {vm.Name}: snapshot '{name}' deleted again");
        }, left).ConfigureAwait(false);
        foreach (var (vm, error) in left)
            Reporter.Info($"    {vm}: snapshot '{name}' could not be deleted again ({error.Message}); 'lab snapshot delete {name}' removes it");
    }

    private async Task<SnapshotRestoreResult> RestoreInScopeAsync(SnapshotScope scope, ISnapshots snapshots, string name, IReadOnlyCollection<string> names, CancellationToken ct)
    {
        var record = Store.Read(name);
        var existing = scope.Plan.Vms.Where(v => scope.Owned(v) is not null).ToList();
        var listed = await ListAllAsync(snapshots, existing.Select(v => v.HostVmName), ct).ConfigureAwait(false);
        var has = existing.Where(v => Find(listed[v.HostVmName], name) is not null).ToList();
        if (record is null && has.Count == 0)
            throw new LabSnapshotException(ErrorCategory.Usage, $"the lab has no snapshot '{name}'; 'lab snapshot list' shows its snapshots");
        List<VmPlan> targets;
        if (names.Count > 0)
        {
            targets = Resolve(scope, names);
            var lacking = targets.Where(v => !has.Contains(v)).Select(v => v.Name).ToList();
            if (lacking.Count > 0)
                throw new LabSnapshotException(ErrorCategory.Conflict,
                    $"snapshot '{name}' has no {Listed(lacking)} ({(lacking.Count == 1 ? "it was" : "they were")} created after it was taken, or not created); nothing was changed");
        }
        else
        {
            // A VM added (or made anew) after the snapshot would be left as it is now, beside VMs gone back in time: refused
            // before anything changes, unless the user names the VMs to restore.
            var lacking = existing.Where(v => !has.Contains(v)).Select(v => v.Name).ToList();
            if (lacking.Count > 0)
                throw new LabSnapshotException(ErrorCategory.Conflict,
                    $"snapshot '{name}' has no {Listed(lacking)} ({(lacking.Count == 1 ? "it was" : "they were")} created after it was taken); nothing was changed. " +
                    (has.Count > 0 ? $"To restore only the VMs it has: lab snapshot restore {name} {string.Join(' ', has.Select(v => v.Name))}" : ""));
            targets = has;
        }
        if (record is not null)
            foreach (var gone in record.Vms.Where(r => !existing.Any(v => string.Equals(v.HostVmName, r.HostVm, StringComparison.OrdinalIgnoreCase))))
                Reporter.Info($"    {gone.Name}: no longer exists; its snapshot went with it");
        var stateCopy = record is null ? null : Store.ReadState(name);
        if (stateCopy is null) Reporter.Info($"Snapshot '{name}' has no project state recorded with it (it was not taken by 'lab snapshot'): provisioning records stay as they are.");

        Reporter.Info($"==> restore '{name}': {string.Join(", ", targets.Select(v => v.Name))}");
        var restored = new ConcurrentDictionary<string, VmPlan>(StringComparer.OrdinalIgnoreCase);
        var failures = new ConcurrentQueue<(string Vm, Exception Error)>();
        await EachAsync(targets, async vm =>
        {
            await snapshots.RestoreAsync(vm.HostVmName, name, ct).ConfigureAwait(false);
            restored[vm.Name] = vm;
            Reporter.Info($"    {vm.Name}: restored ({(Find(listed[vm.HostVmName], name)!.WithMemory ? "with memory" : "disk only")})");
        }, failures).ConfigureAwait(false);

        // The project state goes back with the VMs that went back, whatever happens next.
        var back = targets.Where(v => restored.ContainsKey(v.Name)).ToList();
        ProjectState.Update(engine.Project.StateDirectory, s => PutBack(s, back.Select(v => v.Name).ToList(), stateCopy));

        // VMs that ran when the snapshot was taken run again: resumed when paused, started when it kept no memory.
        var after = await Provider.GetInventoryAsync([], CancellationToken.None).ConfigureAwait(false);
        bool WasRunning(VmPlan v) => record?.Vm(v.Name) is { } r ? r.WasRunning : Find(listed[v.HostVmName], name)!.WithMemory;
        var toResume = back.Where(v => WasRunning(v) && after.Vm(v.HostVmName) is { State: VmState.Paused }).ToList();
        var toStart = back.Where(v => WasRunning(v) && after.Vm(v.HostVmName) is { State: VmState.Off or VmState.Saved }).ToList();
        await EachAsync(toResume, async vm =>
        {
            await snapshots.ResumeAsync(vm.HostVmName, ct).ConfigureAwait(false);
            Reporter.Info($"    {vm.Name}: resumed");
        }, failures).ConfigureAwait(false);
        var started = new List<VmPlan>();
        if (toStart.Count > 0 && !ct.IsCancellationRequested)
        {
            var batch = new OperationBatch($"{LabEngine.VmBatchPrefix}start", [.. toStart.Select(v => (HostOperation)new StartVm(v.HostVmName))]);
            var result = await Provider.ApplyAsync(batch, null, ct).ConfigureAwait(false);
            for (var i = 0; i < toStart.Count; i++)
            {
                if (result.Statuses[i] == OperationStatus.Done)
                {
                    started.Add(toStart[i]);
                    Reporter.Info($"    {toStart[i].Name}: started (the snapshot kept no memory)");
                }
                else if (result.Errors.FirstOrDefault(e => e.Index == i) is { } error)
                {
                    failures.Enqueue((toStart[i].Name, new HostUnavailableException(error.Error)));
                }
            }
            // A VM started from off booted with the seed it holds now.
            var booted = await Provider.GetInventoryAsync([], CancellationToken.None).ConfigureAwait(false);
            ProjectState.Update(engine.Project.StateDirectory, s =>
            {
                var changed = false;
                foreach (var vm in started)
                    if (booted.Vm(vm.HostVmName) is { } host && HeldSeed(host) is { } seed) { s.BootedSeeds[vm.Name] = seed; changed = true; }
                return changed;
            });
        }
        if (!failures.IsEmpty)
            throw Failed(failures, ct, $"snapshot '{name}' was not restored on every VM: ",
                back.Count > 0 ? $" Restored: {string.Join(", ", back.Select(v => v.Name))}." : " Nothing was changed.");
        var final = await Provider.GetInventoryAsync([], CancellationToken.None).ConfigureAwait(false);
        return new SnapshotRestoreResult(name,
            [.. back.Select(v => new RestoredVm(v.Name, Find(listed[v.HostVmName], name)!.WithMemory,
                final.Vm(v.HostVmName) is { State: VmState.Running }, started.Contains(v) || toResume.Contains(v)))],
            StateRestored: stateCopy is not null);
    }

    /// <summary>
    /// The project state of <paramref name="vms"/> as it was when the snapshot was taken: the <c>once</c> provisioners
    /// that had run (none recorded: none had), the seed each running VM had booted with. None is known ready: a
    /// restored VM is waited for. Without a copy, only that.
    /// </summary>
    private static bool PutBack(ProjectState state, IReadOnlyList<string> vms, SnapshotStateCopy? copy)
    {
        var changed = state.SetReady(vms, ready: false);
        if (copy is null) return changed;
        foreach (var vm in vms)
        {
            changed |= state.Provisioned.Remove(vm);
            if (copy.Provisioned.TryGetValue(vm, out var done)) state.Provisioned[vm] = new Dictionary<string, string>(done, StringComparer.Ordinal);
            changed |= state.BootedSeeds.Remove(vm);
            if (copy.BootedSeeds.TryGetValue(vm, out var seed)) state.BootedSeeds[vm] = seed;
        }
        return true;
    }

    private async Task<SnapshotRestoreResult> WaitAsync(SnapshotScope scope, SnapshotRestoreResult restored, SnapshotGuests? guests, CancellationToken ct)
    {
        if (guests is null || Provider.Capability<IGuestBoot>() is null) return restored;
        var requests = restored.Vms.Where(v => v.Running).Select(v => new GuestRequest(v.Vm, Provision: false)).ToList();
        var stage = await new GuestStage(engine.Project, Provider, guests.Access).RunAsync(scope.Plan, requests, guests.View, ct).ConfigureAwait(false);
        return restored with { Guests = stage };
    }

    private async Task<SnapshotDeleteResult> DeleteInScopeAsync(SnapshotScope scope, ISnapshots snapshots, string name, CancellationToken ct)
    {
        var record = Store.Read(name);
        var labVms = LabVms(scope);
        var listed = await ListAllAsync(snapshots, labVms.Select(v => v.Host), ct).ConfigureAwait(false);
        var has = labVms.Where(v => Find(listed[v.Host], name) is not null).ToList();
        if (record is null && has.Count == 0)
            throw new LabSnapshotException(ErrorCategory.Usage, $"the lab has no snapshot '{name}'; 'lab snapshot list' shows its snapshots");
        var failures = new ConcurrentQueue<(string Vm, Exception Error)>();
        var deleted = new ConcurrentBag<string>();
        await EachAsync(has, async vm =>
        {
            await snapshots.DeleteAsync(vm.Host, name, ct).ConfigureAwait(false);
            deleted.Add(vm.Name);
            Reporter.Info($"    {vm.Name}: snapshot '{name}' deleted");
        }, failures).ConfigureAwait(false);
        // The record stays until the host has none left, so a second 'delete' finishes the job.
        if (!failures.IsEmpty) throw Failed(failures, ct, $"snapshot '{name}' was not deleted on every VM: ", " Run 'lab snapshot delete' again to finish.");
        Store.Delete(name);
        return new SnapshotDeleteResult(name, [.. has.Select(v => v.Name).Where(deleted.Contains)]);
    }

    /// <summary>The lab's VMs on the host: those of the Labfile that exist as this lab's, then those no longer in it.</summary>
    private static List<(string Name, string Host)> LabVms(SnapshotScope scope) =>
        [.. scope.Plan.Vms.Where(v => scope.Owned(v) is not null).Select(v => (v.Name, v.HostVmName)), .. scope.Strays];

    /// <summary>The Labfile's VMs named (in the Labfile's order), or all of them; a name it does not have is a usage error.</summary>
    private static List<VmPlan> Resolve(SnapshotScope scope, IReadOnlyCollection<string> names)
    {
        if (names.Count == 0) return [.. scope.Plan.Vms];
        var unknown = names.Where(n => !scope.Plan.Vms.Any(v => string.Equals(v.Name, n, StringComparison.OrdinalIgnoreCase))).ToList();
        if (unknown.Count > 0)
            throw new UnknownVmException($"no VM named {string.Join(", ", unknown.Select(u => $"'{u}'"))} in the Labfile (it has {string.Join(", ", scope.Plan.Vms.Select(v => v.Name))})");
        return [.. scope.Plan.Vms.Where(v => names.Contains(v.Name, StringComparer.OrdinalIgnoreCase))];
    }

    /// <summary>Each VM's snapshots, asked of the host for all VMs at once (a host call may be a process of its own).</summary>
    internal static async Task<Dictionary<string, ImmutableArray<VmSnapshot>>> ListAllAsync(ISnapshots snapshots, IEnumerable<string> hostVms, CancellationToken ct)
    {
        var listed = await snapshots.ListManyAsync([.. hostVms], ct).ConfigureAwait(false);
        return new Dictionary<string, ImmutableArray<VmSnapshot>>(listed, StringComparer.OrdinalIgnoreCase);
    }

    private static VmSnapshot? Find(ImmutableArray<VmSnapshot> listed, string name) =>
        listed.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Runs <paramref name="step"/> for every item at once; each failure is kept with its VM, none stops the others.</summary>
    private static async Task EachAsync<T>(IReadOnlyCollection<T> items, Func<T, Task> step, ConcurrentQueue<(string Vm, Exception Error)> failures)
    {
        await Task.WhenAll(items.Select(async item =>
        {
            try
            {
                await step(item).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // Each VM's failure is collected and reported with the others; a bug is rethrown by Failed.
            catch (Exception e)
#pragma warning restore CA1031
            {
                failures.Enqueue((item switch { VmPlan v => v.Name, ValueTuple<string, string> t => t.Item1, _ => item?.ToString() ?? "" }, e));
            }
        })).ConfigureAwait(false);
    }

    /// <summary>
    /// One error for a lab-wide step that failed on some VMs: Ctrl+C stays a cancellation, a bug stays the bug it is,
    /// and the host's refusals are said together, each with its VM.
    /// </summary>
    private static Exception Failed(IEnumerable<(string Vm, Exception Error)> failures, CancellationToken ct, string prefix, string suffix)
    {
        var all = failures.ToList();
        if (all.Any(f => f.Error is OperationCanceledException) && ct.IsCancellationRequested) return new OperationCanceledException(ct);
        if (all.FirstOrDefault(f => f.Error is not (LabRunnerException or OperationCanceledException)) is { Error: { } bug }) return bug;
        var category = all.Select(f => f.Error).OfType<LabRunnerException>().All(e => e.Category == ErrorCategory.Conflict) ? ErrorCategory.Conflict : ErrorCategory.HostFailure;
        return new LabSnapshotException(category, prefix + string.Join("; ", all.Select(f => $"{f.Vm}: {f.Error.Message.TrimEnd('.')}")) + "." + suffix, all[0].Error);
    }

    private static string Listed(IEnumerable<string> vms) => string.Join(", ", vms.Select(v => $"'{v}'"));

    /// <summary>The Labfile's word for a snapshot type.</summary>
    public static string TypeName(SnapshotType type) => type switch
    {
        SnapshotType.Standard => "standard",
        SnapshotType.Production => "production",
        SnapshotType.ProductionOnly => "production_only",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    /// <summary>The seed a VM holds: the disc in a drive that is under the project's state folder.</summary>
    private string? HeldSeed(HostVm vm) =>
        vm.DvdDrives.FirstOrDefault(d => !d.IsEmpty && d.Path.StartsWith(engine.Project.StateDirectory, StringComparison.OrdinalIgnoreCase))?.Path;
}
