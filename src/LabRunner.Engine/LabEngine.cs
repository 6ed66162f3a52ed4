using System.Collections.Immutable;
using LabRunner.Core.Diagnostics;
using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Core.Net;
using LabRunner.Core.Planning;
using LabRunner.Core.Reconciliation;

namespace LabRunner.Engine;

/// <summary>
/// Runs <c>up</c>, <c>halt</c>, <c>reload</c> and <c>down</c>: under the host-wide lock it reads the
/// inventory once, plans against it, reconciles, and applies the operations — host networking in one
/// batch, the VMs in at most <see cref="EngineOptions.Parallelism"/> batches running at once, teardown
/// last. Each batch is one provider call (one PowerShell process on Hyper-V).
/// </summary>
public sealed partial class LabEngine(LabProject project, IHostProvider provider, string hostLockPath, ISeedBuilder seeds, IEngineReporter reporter)
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
        // (LAB308, LAB301, LAB313) when VMs may be created, and so is a synced folder not there to give them (LAB802);
        // halt and down never need one.
        if (mode is ReconcileMode.Up or ReconcileMode.Reload)
            context = project.WithMissingSyncedFolders(project.WithRefusedBoxFiles(project.WithMissingStoreBoxes(project.WithMissingBoxFiles(context, lab, inventory.FileExists), lab), lab), lab);
        var planned = project.Plan(context);
        if (planned.HasErrors || planned.Plan is null)
            return Result(EngineOutcome.InvalidLabfile, planned.Diagnostics);
        var plan = planned.Plan;
        var diagnostics = planned.Diagnostics.ToList();

        // Whether the share account's password is there before the seeds may make it: a new one is set on the account.
        var sharePasswordKept = ShareSecrets.Exists(project.StateDirectory);
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
        // Seeds are the host's files: whether each is still there is the host's to say.
        var seedPaths = files.Values.Select(f => f.SeedPath).Where(p => p.Length > 0).ToList();
        var existingSeeds = await provider.Files.ExistingAsync(seedPaths, cancellationToken).ConfigureAwait(false);
        var missingSeeds = seedPaths.Where(p => !existingSeeds.Contains(p)).ToImmutableHashSet(StringComparer.OrdinalIgnoreCase);
        var reconciliation = Reconciler.Reconcile(new ReconcileRequest(plan, inventory, identity, mode, files, project.StateDirectory,
            targets.WithComparer(StringComparer.OrdinalIgnoreCase), [.. state.PendingVms], options.Adopt, missingSeeds, provider.Rules,
            BootedSeeds.Of(state, plan, inventory)) { Shares = ShareRequestFor(mode, plan, options.WhatIf, sharePasswordKept) });

        var batches = Batches(reconciliation, options.Parallelism);
        if (!reconciliation.Conflicts.IsEmpty)
        {
            if (OwnershipHints.For(identity, inventory, state, mode) is { } hint)
                reconciliation = reconciliation with { Conflicts = reconciliation.Conflicts.Add(new Conflict(hint)) };
            return Result(EngineOutcome.Conflict, [.. diagnostics], plan, reconciliation, batches);
        }
        if (options.WhatIf)
        {
            if (mode == ReconcileMode.Down) await PreviewSnapshotDeletionAsync(reconciliation, identity, cancellationToken).ConfigureAwait(false);
            return Result(EngineOutcome.WhatIf, [.. diagnostics], plan, reconciliation, batches);
        }
        // Snapshots of the VMs 'down' removes go first, while their disks are still there (and it says so).
        if (mode == ReconcileMode.Down)
            await DeleteSnapshotsBeforeDownAsync(reconciliation, inventory, targets, identity, cancellationToken).ConfigureAwait(false);
        if (reconciliation.IsEmpty)
        {
            // A lab made before allocations were recorded gets its record here, before any edit could move it.
            RecordAllocations(mode, lab, plan, identity, inventory, options.Adopt);
            return Result(EngineOutcome.NothingToDo, [.. diagnostics], plan, reconciliation, batches) with { ForwardedPorts = reconciliation.Ports };
        }

        // Seeds first (the host's files the VMs will mount), then the intent to create, then the host.
        foreach (var (vm, ops) in reconciliation.Vms)
        {
            if (seedImages.TryGetValue(vm, out var seed) && ops.Any(o => o is AttachSeed))
                await provider.Files.WriteAsync(files[vm].SeedPath, seed.Iso, seed.ContainsSecret, cancellationToken).ConfigureAwait(false);
        }
        var creating = reconciliation.All.OfType<CreateVm>().Select(c => c.VmName).ToList();
        // The box version a new VM's disk is made on, so the team can see who runs which (issue 10).
        var boxes = new Dictionary<string, VmBox>(StringComparer.OrdinalIgnoreCase);
        foreach (var (vm, ops) in reconciliation.Vms)
            if (ops.Any(o => o is CreateVm) && project.StoreBoxOf(lab, lab.Vms.FirstOrDefault(v => string.Equals(v.Name, vm, StringComparison.OrdinalIgnoreCase))?.Box) is { } box)
                boxes[vm] = new VmBox(box.Name, box.Version.Text, box.Provider);
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

    /// <summary>
    /// VM names from the command line, resolved once to the Labfile's spelling (Windows and the Labfile
    /// match names without regard to case; seeds and files are keyed by the Labfile's spelling). For halt
    /// and down a name may also be a VM of this lab that is no longer in the Labfile.
    /// </summary>
    private ImmutableHashSet<string> ResolveTargets(LabDefinition lab, LabIdentity identity, HostInventory inventory, ReconcileMode mode, ImmutableHashSet<string> targets)
    {
        var strays = inventory.Vms.Where(v => identity.Owns(v.Notes))
            .Select(v => provider.Rules.LabfileVmName(identity.Lab, v.Name)).OfType<string>()
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
                throw new UnknownVmException($"VM '{stray}' of this lab is no longer in the Labfile; 'lab down {stray}' removes it");
        }
        if (unknown.Count > 0)
            throw new UnknownVmException($"no VM named {string.Join(", ", unknown.Select(u => $"'{u}'"))} in the Labfile (it has {string.Join(", ", lab.Vms.Select(v => v.Name))})" +
                (strays.Count > 0 ? $", nor in this lab on the host (it also has {string.Join(", ", strays)}, no longer in the Labfile)" : ""));
        return resolved.ToImmutable();
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
        project.BoxPath(lab, vm.Box))
    {
        SyncedFolderPaths = [.. vm.SyncedFolders.Select(f => project.SyncedFolderPath(f.HostPath))],
    };

    private string VmFolder(string vm) => Path.Combine(project.StateDirectory, "vms", vm);

    /// <summary>The VM's disk on top of its box, in the format the host wants for it (a .vhd box on Hyper-V gets a .vhd disk).</summary>
    private string DiskPath(string vm, string? boxPath) =>
        Path.Combine(VmFolder(vm), vm + provider.Rules.OverlayExtension(boxPath ?? ""));

    private static EngineResult Result(EngineOutcome outcome, ImmutableArray<Diagnostic> diagnostics, LabPlan? plan = null,
        Reconciliation? reconciliation = null, ImmutableArray<OperationBatch> batches = default, IEnumerable<OperationFailure>? failures = null) =>
        new(outcome, diagnostics, plan, reconciliation, batches.IsDefault ? [] : batches, [.. failures ?? []]);
}
