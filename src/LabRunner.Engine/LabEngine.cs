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
    ImmutableArray<OperationFailure> Failures);

public sealed record EngineOptions(int Parallelism, TimeSpan HaltTimeout, bool WhatIf, TimeSpan LockTimeout)
{
    public static EngineOptions Default { get; } = new(2, TimeSpan.FromSeconds(60), false, TimeSpan.FromMinutes(10));
}

/// <summary>What the engine tells the person running it, as it happens.</summary>
public interface IEngineReporter
{
    void Info(string message);
    void BatchStarted(OperationBatch batch);
    void Progress(OperationProgress progress);
}

/// <summary>A VM as it is on the host, with the adapters and forwarded ports the plan gives it.</summary>
public sealed record VmStatus(string Name, string State, ImmutableArray<AdapterPlan> Adapters, ImmutableArray<EffectivePortMapping> Ports);

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
        var unknown = targets.Where(t => !lab.Vms.Any(v => string.Equals(v.Name, t, StringComparison.OrdinalIgnoreCase))).ToList();
        if (unknown.Count > 0)
            throw new UsageException($"no VM named {string.Join(", ", unknown.Select(u => $"'{u}'"))} in the Labfile (it has {string.Join(", ", lab.Vms.Select(v => v.Name))})");

        using var hostLock = options.WhatIf ? null : await HostLock.AcquireAsync(hostLockPath, options.LockTimeout,
            () => reporter.Info("Waiting for another lab command on this host to finish…"), cancellationToken).ConfigureAwait(false);

        var state = ProjectState.LoadOrCreate(project.StateDirectory);
        var identity = new LabIdentity(lab.Name, state.ProjectId);
        var inventory = await provider.GetInventoryAsync(FilesOfInterest(lab), cancellationToken).ConfigureAwait(false);

        var context = HostAwareContext(lab, identity, inventory);
        // A box file the host does not have is the Labfile's problem (LAB308) when VMs may be created;
        // halt and down never need one.
        if (mode is ReconcileMode.Up or ReconcileMode.Reload)
            context = project.WithMissingBoxFiles(context, lab, inventory.FileExists);
        var planned = project.Plan(context);
        if (planned.HasErrors || planned.Plan is null)
            return Result(EngineOutcome.InvalidLabfile, planned.Diagnostics);
        var plan = planned.Plan;
        var diagnostics = planned.Diagnostics.ToList();

        var seedImages = new Dictionary<string, SeedImage>(StringComparer.OrdinalIgnoreCase);
        if (mode is ReconcileMode.Up or ReconcileMode.Reload)
        {
            foreach (var vm in plan.Vms.Where(v => targets.IsEmpty || targets.Contains(v.Name)))
            {
                var seed = seeds.Build(plan, vm, diagnostics);
                if (seed is not null) seedImages[vm.Name] = seed;
            }
            if (diagnostics.Any(d => d.IsError))
                return Result(EngineOutcome.InvalidLabfile, [.. diagnostics], plan);
        }

        var files = plan.Vms.ToImmutableDictionary(v => v.Name, v => FilesOf(lab, v, seedImages.GetValueOrDefault(v.Name)), StringComparer.OrdinalIgnoreCase);
        var reconciliation = Reconciler.Reconcile(new ReconcileRequest(plan, inventory, identity, mode, files, project.StateDirectory,
            targets.WithComparer(StringComparer.OrdinalIgnoreCase), [.. state.PendingVms]));

        var batches = Batches(reconciliation, options.Parallelism);
        if (!reconciliation.Conflicts.IsEmpty)
            return Result(EngineOutcome.Conflict, [.. diagnostics], plan, reconciliation, batches);
        if (options.WhatIf)
            return Result(EngineOutcome.WhatIf, [.. diagnostics], plan, reconciliation, batches);
        if (reconciliation.IsEmpty)
            return Result(EngineOutcome.NothingToDo, [.. diagnostics], plan, reconciliation, batches);

        // Seeds first (local files the VMs will mount), then the intent to create, then the host.
        foreach (var (vm, ops) in reconciliation.Vms)
        {
            if (seedImages.TryGetValue(vm, out var seed) && ops.Any(o => o is AttachSeed))
                AtomicFile.WriteAllBytes(files[vm].SeedPath, seed.Iso, seed.ContainsSecret);
        }
        var creating = reconciliation.All.OfType<CreateVm>().Select(c => c.VmName).ToList();
        state.PendingVms = [.. state.PendingVms.Union(creating, StringComparer.OrdinalIgnoreCase)];
        state.Save(project.StateDirectory);

        var failures = new List<OperationFailure>();
        try
        {
            await ApplyAllAsync(mode, batches, options, failures, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await SettleAsync(lab, identity, state, mode, CancellationToken.None).ConfigureAwait(false);
            return Result(EngineOutcome.Interrupted, [.. diagnostics], plan, reconciliation, batches, failures);
        }
        await SettleAsync(lab, identity, state, mode, CancellationToken.None).ConfigureAwait(false);
        return Result(failures.Count > 0 ? EngineOutcome.HostFailure : EngineOutcome.Done, [.. diagnostics], plan, reconciliation, batches, failures);
    }

    private async Task ApplyAllAsync(ReconcileMode mode, ImmutableArray<OperationBatch> batches, EngineOptions options, List<OperationFailure> failures, CancellationToken ct)
    {
        var network = batches.Where(b => b.Label == NetworkBatch).ToList();
        var vms = batches.Where(b => b.Label.StartsWith(VmBatchPrefix, StringComparison.Ordinal)).ToList();
        var teardown = batches.Where(b => b.Label == TeardownBatch).ToList();

        foreach (var batch in network)
            if (!await ApplyAsync(batch, failures, ct).ConfigureAwait(false)) return;

        if (mode == ReconcileMode.Halt)
        {
            // A guest shutdown first; whatever is still running after the timeout is turned off.
            using var graceful = CancellationTokenSource.CreateLinkedTokenSource(ct);
            graceful.CancelAfter(options.HaltTimeout);
            var quiet = new List<OperationFailure>();
            try
            {
                await Task.WhenAll(vms.Select(b => ApplyAsync(b, quiet, graceful.Token))).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                reporter.Info($"Some VMs did not shut down within {options.HaltTimeout.TotalSeconds:0} s; turning them off.");
            }
            // Whatever failed or timed out shows in the host's state: every VM asked to stop that is not off.
            var inventory = await provider.GetInventoryAsync([], ct).ConfigureAwait(false);
            var turnOff = vms.SelectMany(b => b.Operations).OfType<StopVm>()
                .Where(s => inventory.Vm(s.VmName) is { State: not VmState.Off })
                .Select(s => (HostOperation)new StopVm(s.VmName, TurnOff: true)).ToImmutableArray();
            if (!turnOff.IsEmpty)
                await ApplyAsync(new OperationBatch($"{VmBatchPrefix}turn off", turnOff), failures, ct).ConfigureAwait(false);
        }
        else
        {
            await Task.WhenAll(vms.Select(b => ApplyAsync(b, failures, ct))).ConfigureAwait(false);
        }
        ct.ThrowIfCancellationRequested();

        // Teardown only after every VM batch succeeded: a switch in use by a half-removed VM stays.
        if (failures.Count == 0)
            foreach (var batch in teardown)
                if (!await ApplyAsync(batch, failures, ct).ConfigureAwait(false)) return;
    }

    private async Task<bool> ApplyAsync(OperationBatch batch, List<OperationFailure> failures, CancellationToken ct)
    {
        reporter.BatchStarted(batch);
        var progress = new Progress(reporter);
        var result = await provider.ApplyAsync(batch, progress, ct).ConfigureAwait(false);
        if (result.Succeeded) return true;
        lock (failures)
            failures.Add(new OperationFailure(batch.Label, batch.Operations[result.Completed], result.Error!));
        return false;
    }

    /// <summary>Progress reported synchronously (IProgress&lt;T&gt; would post to the thread pool and reorder lines).</summary>
    private sealed class Progress(IEngineReporter reporter) : IProgress<OperationProgress>
    {
        public void Report(OperationProgress value) => reporter.Progress(value);
    }

    /// <summary>
    /// After applying: a VM stays pending until its creation has finished — it carries the mark and was
    /// started, the last step — so the next run redoes what the inventory cannot show (the secure boot
    /// template). After down, the VMs' folders go.
    /// </summary>
    private async Task SettleAsync(LabDefinition lab, LabIdentity identity, ProjectState state, ReconcileMode mode, CancellationToken ct)
    {
        var inventory = await provider.GetInventoryAsync([], ct).ConfigureAwait(false);
        state.PendingVms = [.. state.PendingVms.Where(n => inventory.Vm(n) is { } vm && (!identity.Owns(vm.Notes) || vm.State == VmState.Off))];
        state.Save(project.StateDirectory);
        if (mode != ReconcileMode.Down)
        {
            RemoveStaleSeeds(lab, inventory);
            return;
        }
        foreach (var vm in lab.Vms)
        {
            var folder = VmFolder(vm.Name);
            if (inventory.Vm(PlanRules.VmName(lab.Name, vm.Name)) is null && Directory.Exists(folder))
                Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Seeds a VM's DVD drive no longer holds (its network changed) are deleted once it holds the new one.</summary>
    private void RemoveStaleSeeds(LabDefinition lab, HostInventory inventory)
    {
        foreach (var vm in lab.Vms)
        {
            var folder = VmFolder(vm.Name);
            if (inventory.Vm(PlanRules.VmName(lab.Name, vm.Name)) is not { } host || !Directory.Exists(folder)) continue;
            foreach (var seed in Directory.EnumerateFiles(folder, "seed-*.iso"))
            {
                if (host.DvdDrives.Contains(seed, StringComparer.OrdinalIgnoreCase)) continue;
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
        var state = ProjectState.LoadOrCreate(project.StateDirectory);
        var identity = new LabIdentity(lab.Name, state.ProjectId);
        var inventory = await provider.GetInventoryAsync([], cancellationToken).ConfigureAwait(false);
        var planned = project.Plan(HostAwareContext(lab, identity, inventory));
        if (planned.Plan is null)
            return new StatusResult(planned.Diagnostics, null, [], []);

        var vms = planned.Plan.Vms.Select(vm =>
        {
            var host = inventory.Vm(vm.HyperVName);
            var stateName = host is null ? "not_created"
                : !identity.Owns(host.Notes) ? "foreign"
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
            var ports = vm.ForwardedPorts.Select(p =>
            {
                var mapping = inventory.PortMappings.FirstOrDefault(m => m.Protocol == p.Protocol && m.InternalIp == p.GuestIp && m.InternalPort == p.GuestPort);
                return new EffectivePortMapping(vm.Name, p.Protocol, p.HostIp, p.HostPort, mapping?.ExternalPort ?? p.HostPort, p.GuestIp, p.GuestPort);
            }).ToImmutableArray();
            return new VmStatus(vm.Name, stateName, vm.Adapters, ports);
        }).ToImmutableArray();
        var strays = inventory.Vms.Where(v => identity.Owns(v.Notes) && !planned.Plan.Vms.Any(p => string.Equals(p.HyperVName, v.Name, StringComparison.OrdinalIgnoreCase)))
            .Select(v => v.Name).ToImmutableArray();
        return new StatusResult(planned.Diagnostics, planned.Plan, vms, strays);
    }

    /// <summary>
    /// Planning with the host in view: subnets of every adapter not belonging to this lab are taken
    /// (other labs' slices, the LAN, Docker, WSL), and this lab keeps the NAT slices it already has.
    /// </summary>
    private LabContext HostAwareContext(LabDefinition lab, LabIdentity identity, HostInventory inventory)
    {
        var ourVnics = inventory.Switches.Where(s => identity.Owns(s.Notes))
            .Select(s => HostNetAdapter.VnicName(s.Name)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var taken = inventory.NetAdapters.Where(a => !ourVnics.Contains(a.Name))
            .SelectMany(a => a.Addresses.Select(ip => ip.Subnet)).ToImmutableArray();
        var current = ImmutableDictionary.CreateBuilder<string, Ipv4Subnet>(StringComparer.OrdinalIgnoreCase);
        foreach (var network in lab.Networks.Where(n => n.Type == NetworkType.Nat))
        {
            var vnic = inventory.HostVnicOf(PlanRules.SwitchName(lab.Name, network));
            if (vnic is not null && ourVnics.Contains(vnic.Name) && vnic.Addresses.FirstOrDefault() is { } ip)
                current[network.Name] = ip.Subnet;
        }
        return project.Context with { TakenSubnets = project.Context.TakenSubnets.AddRange(taken), CurrentSlices = current.ToImmutable() };
    }

    private ImmutableArray<string> FilesOfInterest(LabDefinition lab) =>
        [.. lab.Vms.Select(v => v.Box).OfType<string>().Distinct(StringComparer.OrdinalIgnoreCase).Select(b => project.BoxPath(lab, b)),
         .. lab.Vms.Select(v => DiskPath(v.Name))];

    private VmFiles FilesOf(LabDefinition lab, VmPlan vm, SeedImage? seed) => new(
        VmFolder(vm.Name),
        DiskPath(vm.Name),
        seed is null ? "" : Path.Combine(VmFolder(vm.Name), seed.FileName),
        project.BoxPath(lab, vm.Box));

    private string VmFolder(string vm) => Path.Combine(project.StateDirectory, "vms", vm);

    private string DiskPath(string vm) => Path.Combine(VmFolder(vm), vm + ".vhdx");

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
