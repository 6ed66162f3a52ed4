using System.Collections.Immutable;
using LabRunner.Core.Diagnostics;
using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Core.Net;
using LabRunner.Core.Planning;
using LabRunner.Core.Reconciliation;

namespace LabRunner.Engine;

public enum EngineOutcome
{
    Done,
    NothingToDo,
    WhatIf,
    InvalidLabfile,
    Conflict,
    HostFailure,
    Interrupted,
}

/// <summary>A failed operation: which batch, which operation, what the host said.</summary>
public sealed record OperationFailure(string Batch, HostOperation Operation, HostError Error);

public sealed record EngineResult(
    EngineOutcome Outcome,
    ImmutableArray<Diagnostic> Diagnostics,
    LabPlan? Plan,
    Reconciliation? Reconciliation,
    ImmutableArray<OperationBatch> Batches,
    ImmutableArray<OperationFailure> Failures)
{
    /// <summary>What became of each VM the run concerned, in the reconciliation's order (empty when nothing was applied).</summary>
    public ImmutableArray<VmOutcome> VmOutcomes { get; init; } = [];

    /// <summary>The forwarded ports of the run's VMs that the host maps once it is over (after a failure or Ctrl+C, only those that exist).</summary>
    public ImmutableArray<EffectivePortMapping> ForwardedPorts { get; init; } = [];
}

public enum VmOutcomeKind
{
    /// <summary>Every operation of the VM succeeded.</summary>
    Done,
    /// <summary>An operation of the VM failed; the VM's later operations did not run.</summary>
    Failed,
    /// <summary>Some of the VM's operations did not run: host networking failed first, or the run was interrupted.</summary>
    Skipped,
    /// <summary>The VM was already as the Labfile says.</summary>
    NothingToDo,
}

/// <summary>One VM's outcome; <see cref="Failure"/> says which operation failed and what the host said.</summary>
public sealed record VmOutcome(string Vm, VmOutcomeKind Kind, OperationFailure? Failure = null);

public sealed record EngineOptions(int Parallelism, TimeSpan HaltTimeout, bool WhatIf, TimeSpan LockTimeout)
{
    /// <summary>
    /// Take over this lab's VMs and switches that carry the mark of another project folder (a moved
    /// folder, or a lab made by an older LabRunner whose project ids were random): they are marked as
    /// this project's before anything else happens.
    /// </summary>
    public bool Adopt { get; init; }

    /// <summary>For <c>down</c>: remove this project's lab under an earlier name (after 'name:' in the Labfile changed).</summary>
    public string? LabName { get; init; }

    public static EngineOptions Default { get; } = new(2, TimeSpan.FromSeconds(60), false, TimeSpan.FromMinutes(10));
}

/// <summary>What the engine tells the person running it, as it happens.</summary>
public interface IEngineReporter
{
    void Info(string message);
    void BatchStarted(OperationBatch batch);
    void Progress(OperationProgress progress);
}

/// <summary>
/// A VM as it is on the host, with the adapters the plan gives it and the forwarded ports the host
/// actually maps to it (a planned port not mapped yet is not listed).
/// </summary>
public sealed record VmStatus(string Name, string State, ImmutableArray<AdapterPlan> Adapters, ImmutableArray<EffectivePortMapping> Ports)
{
    /// <summary>The VM's CPUs and memory on the host; null when it does not exist.</summary>
    public int? Cpus { get; init; }

    public long? MemoryBytes { get; init; }

    /// <summary>What 'lab up' leaves for another command on this VM, if anything.</summary>
    public PendingChange? Pending { get; init; }

    /// <summary>The store box (name and version) the VM was created on; null for a 'path' box.</summary>
    public VmBox? Box { get; init; }

    /// <summary>Why <see cref="State"/> is <c>unknown</c> (the host could not tell, e.g. the VM's monitor did not answer); null otherwise.</summary>
    public string? StateReason { get; init; }
}

/// <summary>What 'lab status' shows; <see cref="Strays"/> are this lab's VMs on the host no longer in the Labfile, by their Labfile names.</summary>
public sealed record StatusResult(ImmutableArray<Diagnostic> Diagnostics, LabPlan? Plan, ImmutableArray<VmStatus> Vms, ImmutableArray<string> Strays);

/// <summary>
/// Runs <c>up</c>, <c>halt</c>, <c>reload</c> and <c>down</c>: under the host-wide lock it reads the
/// inventory once, plans against it, reconciles, and applies the operations — host networking in one
/// batch, the VMs in at most <see cref="EngineOptions.Parallelism"/> batches running at once, teardown
/// last. Each batch is one provider call (one PowerShell process on Hyper-V).
/// </summary>
public sealed class LabEngine(LabProject project, IHostProvider provider, string hostLockPath, ISeedBuilder seeds, IEngineReporter reporter)
{
    /// <summary>The same engine reporting elsewhere (a live terminal view instead of lines).</summary>
    public LabEngine WithReporter(IEngineReporter other) => new(project, provider, hostLockPath, seeds, other);

    public async Task<EngineResult> RunAsync(ReconcileMode mode, ImmutableHashSet<string> targets, EngineOptions options, CancellationToken cancellationToken)
    {
        var loaded = project.Load();
        if (loaded.HasErrors || loaded.Lab is null)
            return Result(EngineOutcome.InvalidLabfile, loaded.Diagnostics);
        var lab = loaded.Lab;

        using var hostLock = options.WhatIf ? null : await HostLock.AcquireAsync(hostLockPath, options.LockTimeout,
            () => reporter.Info("Waiting for another lab command on this host to finish…"), cancellationToken).ConfigureAwait(false);

        // Read once, for what it tells (pending creations, where the folder came from); every write below
        // re-reads it under the project's lock and applies only its own step. 'down' goes by the host's marks
        // when the state is damaged; --what-if changes nothing, not even a damaged file's place.
        var state = options.WhatIf ? ProjectState.Read(project.StateDirectory)
            : mode == ReconcileMode.Down ? ProjectState.LoadOrCreate(project.StateDirectory, reporter.Info)
            : ProjectState.LoadOrCreate(project.StateDirectory);
        var identity = new LabIdentity(mode == ReconcileMode.Down && !string.IsNullOrEmpty(options.LabName) ? options.LabName : lab.Name, project.ProjectId);
        var inventory = await provider.GetInventoryAsync(FilesOfInterest(lab), cancellationToken).ConfigureAwait(false);
        targets = ResolveTargets(lab, identity, inventory, mode, targets);

        var context = HostAwareContext(lab, identity, inventory, options.Adopt) with { Allocations = AllocationState.Held(state, Exists(identity, inventory, state, options.Adopt)) };
        // A box file the host does not have, or a store box the store does not have, is the Labfile's problem
        // (LAB308, LAB301, LAB313) when VMs may be created; halt and down never need one.
        if (mode is ReconcileMode.Up or ReconcileMode.Reload)
            context = project.WithRefusedBoxFiles(project.WithMissingStoreBoxes(project.WithMissingBoxFiles(context, lab, inventory.FileExists), lab), lab);
        var planned = project.Plan(context);
        if (planned.HasErrors || planned.Plan is null)
            return Result(EngineOutcome.InvalidLabfile, planned.Diagnostics);
        var plan = planned.Plan;
        var diagnostics = planned.Diagnostics.ToList();

        var seedImages = new Dictionary<string, SeedImage>(StringComparer.OrdinalIgnoreCase);
        if (mode is ReconcileMode.Up or ReconcileMode.Reload)
        {
            // --what-if changes nothing: keys are only read, and one not made yet is described as such.
            var builder = options.WhatIf ? seeds.ForPreview() : seeds;
            if (options.WhatIf && ProjectSecrets.NotYetMade(project.StateDirectory) is { Count: > 0 } missing)
                reporter.Info($"Not made yet, so 'lab up' will make them in {project.StateDirectory} (seed names shown here will differ): {string.Join(", ", missing)}.");
            foreach (var vm in plan.Vms.Where(v => targets.IsEmpty || targets.Contains(v.Name, StringComparer.OrdinalIgnoreCase)))
            {
                var seed = builder.Build(plan, vm, diagnostics);
                if (seed is not null) seedImages[vm.Name] = seed;
            }
            if (diagnostics.Any(d => d.IsError))
                return Result(EngineOutcome.InvalidLabfile, [.. diagnostics], plan);
        }

        var files = plan.Vms.ToImmutableDictionary(v => v.Name, v => FilesOf(lab, v, seedImages.GetValueOrDefault(v.Name)), StringComparer.OrdinalIgnoreCase);
        // Seeds are this project's own local files: whether each is still there is read here.
        var missingSeeds = files.Values.Select(f => f.SeedPath).Where(p => p.Length > 0 && !File.Exists(p)).ToImmutableHashSet(StringComparer.OrdinalIgnoreCase);
        var reconciliation = Reconciler.Reconcile(new ReconcileRequest(plan, inventory, identity, mode, files, project.StateDirectory,
            targets.WithComparer(StringComparer.OrdinalIgnoreCase), [.. state.PendingVms], options.Adopt, missingSeeds, provider.Rules,
            BootedSeeds.Of(state, plan, inventory)));

        var batches = Batches(reconciliation, options.Parallelism);
        if (!reconciliation.Conflicts.IsEmpty)
        {
            if (OwnershipHint(identity, inventory, state, mode) is { } hint)
                reconciliation = reconciliation with { Conflicts = reconciliation.Conflicts.Add(new Conflict(hint)) };
            return Result(EngineOutcome.Conflict, [.. diagnostics], plan, reconciliation, batches);
        }
        if (options.WhatIf)
            return Result(EngineOutcome.WhatIf, [.. diagnostics], plan, reconciliation, batches);
        if (reconciliation.IsEmpty)
        {
            // A lab made before allocations were recorded gets its record here, before any edit could move it.
            RecordAllocations(mode, lab, plan, identity, inventory, options.Adopt);
            return Result(EngineOutcome.NothingToDo, [.. diagnostics], plan, reconciliation, batches) with { ForwardedPorts = reconciliation.Ports };
        }

        // Seeds first (local files the VMs will mount), then the intent to create, then the host.
        foreach (var (vm, ops) in reconciliation.Vms)
        {
            if (seedImages.TryGetValue(vm, out var seed) && ops.Any(o => o is AttachSeed))
                AtomicFile.WriteAllBytes(files[vm].SeedPath, seed.Iso, seed.ContainsSecret);
        }
        var creating = reconciliation.All.OfType<CreateVm>().Select(c => c.VmName).ToList();
        // The box version a new VM's disk is made on, so the team can see who runs which (issue 10).
        var boxes = new Dictionary<string, VmBox>(StringComparer.OrdinalIgnoreCase);
        foreach (var (vm, ops) in reconciliation.Vms)
            if (ops.Any(o => o is CreateVm) && project.StoreBoxOf(lab, lab.Vms.FirstOrDefault(v => string.Equals(v.Name, vm, StringComparison.OrdinalIgnoreCase))?.Box) is { } box)
                boxes[vm] = new VmBox(box.Name, box.Version, box.Provider);
        UpdateState(mode, s =>
        {
            s.PendingVms = [.. s.PendingVms.Union(creating, StringComparer.OrdinalIgnoreCase)];
            foreach (var (vm, box) in boxes) s.Boxes[vm] = box;
            s.ProjectId = identity.ProjectId;
            s.ProjectPath = project.ProjectDirectory;
            BootedSeeds.Assume(s, plan, inventory, identity, project.StateDirectory);
            return true;
        });

        var log = new RunLog();
        var failures = log.Failures;
        var nothingToDo = mode == ReconcileMode.Down ? []
            : plan.Vms.Where(v => (targets.IsEmpty || targets.Contains(v.Name)) && !reconciliation.Vms.Any(r => string.Equals(r.Vm, v.Name, StringComparison.OrdinalIgnoreCase)))
                .Select(v => v.Name).ToList();
        try
        {
            await ApplyAllAsync(mode, batches, options, log, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            var interrupted = await SettleAsync(lab, identity, mode, targets, CancellationToken.None).ConfigureAwait(false);
            RecordAllocations(mode, lab, plan, identity, interrupted, options.Adopt);
            RecordBoots(mode, plan, inventory, interrupted, log, reconciliation);
            return Result(EngineOutcome.Interrupted, [.. diagnostics], plan, reconciliation, batches, failures)
                with { VmOutcomes = log.Outcomes(reconciliation, nothingToDo), ForwardedPorts = Mapped(reconciliation, interrupted) };
        }
        var after = await SettleAsync(lab, identity, mode, targets, CancellationToken.None).ConfigureAwait(false);
        RecordAllocations(mode, lab, plan, identity, after, options.Adopt);
        RecordBoots(mode, plan, inventory, after, log, reconciliation);
        return Result(failures.Count > 0 ? EngineOutcome.HostFailure : EngineOutcome.Done, [.. diagnostics], plan, reconciliation, batches, failures)
            with { VmOutcomes = log.Outcomes(reconciliation, nothingToDo), ForwardedPorts = Mapped(reconciliation, after) };
    }

    /// <summary>A Labfile VM name of this lab is on the host as this project's (or one whose creation it started, or one being adopted).</summary>
    private Func<string, bool> Exists(LabIdentity identity, HostInventory inventory, ProjectState state, bool adopt) => name =>
    {
        var hostName = provider.Rules.VmName(identity.Lab, name);
        return inventory.Vm(hostName) is { } vm && (identity.Owns(vm.Notes) || adopt || state.PendingVms.Contains(hostName, StringComparer.OrdinalIgnoreCase));
    };

    /// <summary>What the lab's VMs on the host now hold, for the next plan (see <see cref="AllocationState"/>); not for a lab under an earlier name.</summary>
    private void RecordAllocations(ReconcileMode mode, LabDefinition lab, LabPlan plan, LabIdentity identity, HostInventory inventory, bool adopt)
    {
        if (!string.Equals(identity.Lab, lab.Name, StringComparison.Ordinal)) return;
        UpdateState(mode, s => AllocationState.Record(s, lab, plan, Exists(identity, inventory, s, adopt)));
    }

    /// <summary>Which seed each VM that booted in this run booted with (see <see cref="BootedSeeds"/>).</summary>
    private void RecordBoots(ReconcileMode mode, LabPlan plan, HostInventory before, HostInventory after, RunLog log, Reconciliation reconciliation) =>
        UpdateState(mode, s => BootedSeeds.Record(s, plan, before, after, log.Succeeded, reconciliation, project.StateDirectory));

    private static ImmutableArray<EffectivePortMapping> Mapped(Reconciliation reconciliation, HostInventory inventory) =>
        [.. reconciliation.Ports.Where(p => inventory.PortMappings.Any(m =>
            m.Protocol == p.Protocol && m.ExternalPort == p.HostPort && m.InternalIp == p.GuestIp && m.InternalPort == p.GuestPort))];

    /// <summary>What became of every operation applied so far, by reference: done (null) or its failure.</summary>
    private sealed class RunLog
    {
        private readonly Dictionary<HostOperation, OperationFailure?> _operations = new(ReferenceEqualityComparer.Instance);

        public List<OperationFailure> Failures { get; } = [];

        public void Done(HostOperation operation)
        {
            lock (_operations) _operations[operation] = null;
        }

        public bool Succeeded(HostOperation operation)
        {
            lock (_operations) return _operations.TryGetValue(operation, out var failure) && failure is null;
        }

        public void Failed(OperationFailure failure, bool report)
        {
            lock (_operations)
            {
                _operations[failure.Operation] = failure;
                if (report) Failures.Add(failure);
            }
        }

        /// <summary>A VM failed when one of its operations failed, is done when all of them are, and was skipped otherwise.</summary>
        public ImmutableArray<VmOutcome> Outcomes(Reconciliation reconciliation, IEnumerable<string> nothingToDo)
        {
            lock (_operations)
            {
                var outcomes = reconciliation.Vms.Select(v =>
                {
                    var failure = v.Operations.Select(o => _operations.GetValueOrDefault(o)).FirstOrDefault(f => f is not null);
                    if (failure is not null) return new VmOutcome(v.Vm, VmOutcomeKind.Failed, failure);
                    return new VmOutcome(v.Vm, v.Operations.All(_operations.ContainsKey) ? VmOutcomeKind.Done : VmOutcomeKind.Skipped);
                });
                return [.. outcomes, .. nothingToDo.Select(n => new VmOutcome(n, VmOutcomeKind.NothingToDo))];
            }
        }
    }

    private async Task ApplyAllAsync(ReconcileMode mode, ImmutableArray<OperationBatch> batches, EngineOptions options, RunLog log, CancellationToken ct)
    {
        var network = batches.Where(b => b.Label == NetworkBatch).ToList();
        var vms = batches.Where(b => b.Label.StartsWith(VmBatchPrefix, StringComparison.Ordinal)).ToList();
        var teardown = batches.Where(b => b.Label == TeardownBatch).ToList();

        foreach (var batch in network)
            if (!await ApplyAsync(batch, log, ct).ConfigureAwait(false)) return;

        if (mode == ReconcileMode.Halt)
        {
            // A guest shutdown first; whatever is still running after the timeout is turned off.
            using var graceful = CancellationTokenSource.CreateLinkedTokenSource(ct);
            graceful.CancelAfter(options.HaltTimeout);
            try
            {
                await Task.WhenAll(vms.Select(b => ApplyAsync(b, log, graceful.Token, report: false))).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                reporter.Info($"Some VMs did not shut down within {options.HaltTimeout.TotalSeconds:0} s; turning them off.");
            }
            // Whatever failed or timed out shows in the host's state: every VM asked to stop that is not off.
            var inventory = await provider.GetInventoryAsync([], ct).ConfigureAwait(false);
            var asked = vms.SelectMany(b => b.Operations).OfType<StopVm>().ToList();
            var turnOff = asked.Where(s => inventory.Vm(s.VmName) is { State: not VmState.Off })
                .Select(s => (HostOperation)new StopVm(s.VmName, TurnOff: true)).ToImmutableArray();
            // A VM that is off now was halted, whichever way: the turn-off's outcome stands for its shutdown.
            foreach (var stop in asked.Where(s => inventory.Vm(s.VmName) is { State: VmState.Off }))
                log.Done(stop);
            if (!turnOff.IsEmpty)
            {
                var batch = new OperationBatch($"{VmBatchPrefix}turn off", turnOff);
                await ApplyAsync(batch, log, ct).ConfigureAwait(false);
                var after = await provider.GetInventoryAsync([], ct).ConfigureAwait(false);
                foreach (var stop in asked.Where(s => after.Vm(s.VmName) is { State: VmState.Off }))
                    log.Done(stop);
                foreach (var failure in log.Failures.Where(f => f.Batch == batch.Label).ToList())
                    log.Failed(failure with { Operation = asked.First(s => s.VmName == failure.Operation.Vm) }, report: false);
            }
        }
        else
        {
            await Task.WhenAll(vms.Select(b => ApplyAsync(b, log, ct))).ConfigureAwait(false);
        }
        ct.ThrowIfCancellationRequested();

        // Teardown only after every VM batch succeeded: a switch in use by a half-removed VM stays.
        if (log.Failures.Count == 0)
            foreach (var batch in teardown)
                if (!await ApplyAsync(batch, log, ct).ConfigureAwait(false)) return;
    }

    /// <summary>One provider call; every failure of the batch is logged (and reported unless <paramref name="report"/> is false).</summary>
    private async Task<bool> ApplyAsync(OperationBatch batch, RunLog log, CancellationToken ct, bool report = true)
    {
        reporter.BatchStarted(batch);
        var progress = new Progress(reporter, log);
        var result = await provider.ApplyAsync(batch, progress, ct).ConfigureAwait(false);
        foreach (var error in result.Errors)
            log.Failed(new OperationFailure(batch.Label, batch.Operations[error.Index], error.Error), report);
        return result.Succeeded;
    }

    /// <summary>Progress reported synchronously (IProgress&lt;T&gt; would post to the thread pool and reorder lines).</summary>
    private sealed class Progress(IEngineReporter reporter, RunLog log) : IProgress<OperationProgress>
    {
        public void Report(OperationProgress value)
        {
            // Recorded as the batch's own operation: a provider may report a copy (in its host's words), and the
            // log tells operations apart by instance (two VMs may hold equal ones).
            if (value.Done) log.Done(value.Batch.Operations[value.Index]);
            reporter.Progress(value);
        }
    }

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
            RemoveStaleSeeds(lab, inventory);
            return inventory;
        }
        // The folders of the VMs that went (also those no longer in the Labfile), never one whose files a VM still holds.
        var names = targets.IsEmpty ? lab.Vms.Select(v => v.Name).ToList() : [.. targets];
        if (targets.IsEmpty && Directory.Exists(Path.Combine(project.StateDirectory, "vms")))
            names.AddRange(Directory.EnumerateDirectories(Path.Combine(project.StateDirectory, "vms")).Select(Path.GetFileName).OfType<string>());
        foreach (var name in names.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            var folder = VmFolder(name);
            if (inventory.Vm(provider.Rules.VmName(identity.Lab, name)) is null && Directory.Exists(folder) && !HeldByAnyVm(inventory, folder))
            {
                try
                {
                    Directory.Delete(folder, recursive: true);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // The lab is gone from the host; a folder left behind is only disk space.
                    reporter.Info($"The folder '{folder}' could not be removed: {FileFailure.Reason(e)}.");
                }
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
    /// never one any VM on the host holds (a VM of this lab under an earlier name, say).
    /// </summary>
    private void RemoveStaleSeeds(LabDefinition lab, HostInventory inventory)
    {
        var held = inventory.Vms.SelectMany(v => v.DvdDrives.Select(d => d.Path)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var vm in lab.Vms)
        {
            var folder = VmFolder(vm.Name);
            if (inventory.Vm(provider.Rules.VmName(lab.Name, vm.Name)) is not { } host || !Directory.Exists(folder)) continue;
            foreach (var seed in Directory.EnumerateFiles(folder, "seed-*.iso"))
            {
                if (held.Contains(seed)) continue;
                try
                {
                    File.Delete(seed);
                }
                catch (IOException)
                {
                    // Still open somewhere; the next run or 'lab down' takes it.
                }
            }
        }
    }

    public async Task<StatusResult> StatusAsync(CancellationToken cancellationToken)
    {
        var loaded = project.Load();
        if (loaded.HasErrors || loaded.Lab is null)
            return new StatusResult(loaded.Diagnostics, null, [], []);
        var lab = loaded.Lab;
        var identity = new LabIdentity(lab.Name, project.ProjectId);
        var inventory = await provider.GetInventoryAsync([], cancellationToken).ConfigureAwait(false);
        var savedState = ProjectState.LoadOrCreate(project.StateDirectory);
        var planned = project.Plan(HostAwareContext(lab, identity, inventory) with { Allocations = AllocationState.Held(savedState, Exists(identity, inventory, savedState, adopt: false)) });
        if (planned.Plan is null)
            return new StatusResult(planned.Diagnostics, null, [], []);

        // What 'lab up' would leave pending: the reconciler in Up mode, changing nothing. Seeds are not
        // rendered here (a Windows seed could ask for a password): each VM's current seed counts as current.
        var files = planned.Plan.Vms.ToImmutableDictionary(v => v.Name,
            v => FilesOf(lab, v, null) with { SeedPath = inventory.Vm(v.HostVmName)?.DvdDrives.FirstOrDefault(d => !d.IsEmpty)?.Path ?? "" }, StringComparer.OrdinalIgnoreCase);
        var pendingVms = savedState.PendingVms;
        var pending = Reconciler.Reconcile(new ReconcileRequest(planned.Plan, inventory, identity, ReconcileMode.Up, files, project.StateDirectory,
            [], [.. pendingVms], HostRules: provider.Rules, BootedSeeds: BootedSeeds.Of(savedState, planned.Plan, inventory))).Pending;

        var vms = planned.Plan.Vms.Select(vm =>
        {
            var host = inventory.Vm(vm.HostVmName);
            var stateName = host is null ? "not_created"
                : !identity.Owns(host.Notes) ? "foreign"
                : host.UnknownStateReason is not null ? "unknown"
                : host.State switch
                {
                    VmState.Running => "running",
                    VmState.Off => "off",
                    VmState.Paused => "paused",
                    VmState.Saved => "saved",
                    VmState.Starting => "starting",
                    VmState.Stopping => "stopping",
                    _ => "other",
                };
            // What the host maps, not what the Labfile asks for: a port of a VM not up yet is not forwarded.
            var ports = vm.ForwardedPorts.SelectMany(p => inventory.PortMappings
                .Where(m => m.Protocol == p.Protocol && m.InternalIp == p.GuestIp && m.InternalPort == p.GuestPort).Take(1)
                .Select(m => new EffectivePortMapping(vm.Name, p.Protocol, p.HostIp, p.HostPort, m.ExternalPort, p.GuestIp, p.GuestPort)))
                .ToImmutableArray();
            var owned = host is not null && identity.Owns(host.Notes);
            return new VmStatus(vm.Name, stateName, vm.Adapters, ports)
            {
                Cpus = owned ? host!.Cpus : null,
                MemoryBytes = owned ? host!.MemoryBytes : null,
                Pending = pending.FirstOrDefault(c => string.Equals(c.Vm, vm.Name, StringComparison.OrdinalIgnoreCase)),
                Box = host is null ? null : savedState.Boxes.GetValueOrDefault(vm.Name),
                StateReason = owned ? host!.UnknownStateReason : null,
            };
        }).ToImmutableArray();
        var strays = inventory.Vms.Where(v => identity.Owns(v.Notes) && !planned.Plan.Vms.Any(p => string.Equals(p.HostVmName, v.Name, StringComparison.OrdinalIgnoreCase)))
            .Select(v => PlanRules.LabfileVmName(identity.Lab, v.Name) ?? v.Name).ToImmutableArray();
        return new StatusResult(planned.Diagnostics, planned.Plan, vms, strays);
    }

    /// <summary>
    /// VM names from the command line, resolved once to the Labfile's spelling (Windows and the Labfile
    /// match names without regard to case; seeds and files are keyed by the Labfile's spelling). For halt
    /// and down a name may also be a VM of this lab that is no longer in the Labfile.
    /// </summary>
    private static ImmutableHashSet<string> ResolveTargets(LabDefinition lab, LabIdentity identity, HostInventory inventory, ReconcileMode mode, ImmutableHashSet<string> targets)
    {
        var strays = inventory.Vms.Where(v => identity.Owns(v.Notes))
            .Select(v => PlanRules.LabfileVmName(identity.Lab, v.Name)).OfType<string>()
            .Where(n => !lab.Vms.Any(v => string.Equals(v.Name, n, StringComparison.OrdinalIgnoreCase))).ToList();
        var resolved = ImmutableHashSet.CreateBuilder<string>(StringComparer.OrdinalIgnoreCase);
        var unknown = new List<string>();
        foreach (var target in targets)
        {
            if (lab.Vms.FirstOrDefault(v => string.Equals(v.Name, target, StringComparison.OrdinalIgnoreCase)) is { } vm)
            {
                resolved.Add(vm.Name);
                continue;
            }
            var stray = strays.FirstOrDefault(s => string.Equals(s, target, StringComparison.OrdinalIgnoreCase));
            if (stray is null)
                unknown.Add(target);
            else if (mode is ReconcileMode.Halt or ReconcileMode.Down)
                resolved.Add(stray);
            else
                throw new UsageException($"VM '{stray}' of this lab is no longer in the Labfile; 'lab down {stray}' removes it");
        }
        if (unknown.Count > 0)
            throw new UsageException($"no VM named {string.Join(", ", unknown.Select(u => $"'{u}'"))} in the Labfile (it has {string.Join(", ", lab.Vms.Select(v => v.Name))})" +
                (strays.Count > 0 ? $", nor in this lab on the host (it also has {string.Join(", ", strays)}, no longer in the Labfile)" : ""));
        return resolved.ToImmutable();
    }

    /// <summary>
    /// When this lab's objects carry another project folder's mark, what the state file this folder
    /// carries says about where it came from: a copy of a folder that still exists, a folder that moved,
    /// or a project of an older LabRunner (random ids).
    /// </summary>
    private string? OwnershipHint(LabIdentity identity, HostInventory inventory, ProjectState state, ReconcileMode mode)
    {
        var others = inventory.Vms.Select(v => v.Notes).Concat(inventory.Switches.Select(s => s.Notes))
            .Select(LabIdentity.Parse).OfType<LabIdentity>()
            .Where(o => string.Equals(o.Lab, identity.Lab, StringComparison.OrdinalIgnoreCase) && o.ProjectId != identity.ProjectId)
            .Select(o => o.ProjectId).ToHashSet(StringComparer.Ordinal);
        if (others.Count == 0) return null;
        if (state.ProjectPath is { Length: > 0 } recorded && others.Contains(ProjectIdentity.Of(recorded)))
        {
            return Directory.Exists(recorded)
                ? $"This folder looks like a copy of '{recorded}' (its .lab folder came from there), which still exists and owns lab '{identity.Lab}': use the lab from there, or rename the lab in this copy to run a second one."
                : $"This folder seems to have been moved from '{recorded}', which no longer exists. The lab's VMs still use their disks at the old place: 'lab down --adopt' removes that lab, and 'lab up' then builds it here.";
        }
        if (state.ProjectPath is null && others.Contains(state.ProjectId))
        {
            return $"This folder's .lab/state.json holds project id {state.ProjectId}, the random id an older LabRunner gave the project that made the lab: " +
                $"if this is that folder (not a copy of it), 'lab {(mode == ReconcileMode.Down ? "down" : "up")} --adopt' takes the lab over.";
        }
        return null;
    }

    /// <summary>
    /// Planning with the host in view: subnets of every adapter not belonging to this lab are taken
    /// (other labs' slices, the LAN, Docker, WSL), and this lab keeps the NAT slices it already has.
    /// </summary>
    private LabContext HostAwareContext(LabDefinition lab, LabIdentity identity, HostInventory inventory, bool adopt = false)
    {
        // Switches being adopted are this lab's already as far as planning goes.
        bool Ours(string notes) => identity.Owns(notes) || (adopt && LabIdentity.Parse(notes) is { } other && string.Equals(other.Lab, identity.Lab, StringComparison.OrdinalIgnoreCase));
        var ourVnics = inventory.Switches.Where(s => Ours(s.Notes))
            .Select(s => provider.Rules.HostInterfaceName(s.Name)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var taken = inventory.NetAdapters.Where(a => !ourVnics.Contains(a.Name))
            .SelectMany(a => a.Addresses.Select(ip => ip.Subnet)).ToImmutableArray();
        var current = ImmutableDictionary.CreateBuilder<string, Ipv4Subnet>(StringComparer.OrdinalIgnoreCase);
        foreach (var network in lab.Networks.Where(n => n.Type == NetworkType.Nat))
        {
            var vnic = inventory.HostInterfaceOf(provider.Rules, provider.Rules.SwitchName(lab.Name, network));
            if (vnic is not null && ourVnics.Contains(vnic.Name) && vnic.Addresses.FirstOrDefault() is { } ip)
                current[network.Name] = ip.Subnet;
        }
        return project.Context with { TakenSubnets = project.Context.TakenSubnets.AddRange(taken), CurrentSlices = current.ToImmutable(), Rules = provider.Rules };
    }

    private ImmutableArray<string> FilesOfInterest(LabDefinition lab) =>
        [.. lab.Vms.Select(v => v.Box).OfType<string>().Distinct(StringComparer.OrdinalIgnoreCase).Select(b => project.BoxPath(lab, b)),
         .. lab.Vms.Select(v => DiskPath(v.Name, v.Box is null ? null : project.BoxPath(lab, v.Box)))];

    private VmFiles FilesOf(LabDefinition lab, VmPlan vm, SeedImage? seed) => new(
        VmFolder(vm.Name),
        DiskPath(vm.Name, project.BoxPath(lab, vm.Box)),
        seed is null ? "" : Path.Combine(VmFolder(vm.Name), seed.FileName),
        project.BoxPath(lab, vm.Box));

    private string VmFolder(string vm) => Path.Combine(project.StateDirectory, "vms", vm);

    /// <summary>The VM's disk on top of its box, in the format the host wants for it (a .vhd box on Hyper-V gets a .vhd disk).</summary>
    private string DiskPath(string vm, string? boxPath) =>
        Path.Combine(VmFolder(vm), vm + provider.Rules.OverlayExtension(boxPath ?? ""));

    public const string NetworkBatch = "host networking";
    public const string VmBatchPrefix = "VMs ";
    public const string TeardownBatch = "teardown";

    /// <summary>
    /// Host networking in one batch; VMs dealt round-robin into at most <paramref name="parallelism"/>
    /// batches so that few processes do the work of many VMs; teardown last.
    /// </summary>
    public static ImmutableArray<OperationBatch> Batches(Reconciliation r, int parallelism)
    {
        var batches = ImmutableArray.CreateBuilder<OperationBatch>();
        if (!r.Network.IsEmpty) batches.Add(new OperationBatch(NetworkBatch, r.Network));
        var lanes = Math.Max(1, Math.Min(parallelism, r.Vms.Length));
        for (var lane = 0; lane < lanes; lane++)
        {
            var ops = r.Vms.Where((_, i) => i % lanes == lane).SelectMany(v => v.Operations).ToImmutableArray();
            if (!ops.IsEmpty) batches.Add(new OperationBatch($"{VmBatchPrefix}{lane + 1}/{lanes}", ops));
        }
        if (!r.Teardown.IsEmpty) batches.Add(new OperationBatch(TeardownBatch, r.Teardown));
        return batches.ToImmutable();
    }

    private static EngineResult Result(EngineOutcome outcome, ImmutableArray<Diagnostic> diagnostics, LabPlan? plan = null,
        Reconciliation? reconciliation = null, ImmutableArray<OperationBatch> batches = default, IEnumerable<OperationFailure>? failures = null) =>
        new(outcome, diagnostics, plan, reconciliation, batches.IsDefault ? [] : batches, [.. failures ?? []]);
}
