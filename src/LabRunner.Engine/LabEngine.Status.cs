using System.Collections.Immutable;
using LabRunner.Core.Hosting;
using LabRunner.Core.Net;
using LabRunner.Core.Planning;
using LabRunner.Core.Reconciliation;

namespace LabRunner.Engine;

/// <summary>'lab status': the plan next to what the host has.</summary>
public sealed partial class LabEngine
{
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

        var counts = await SnapshotCountsAsync(planned.Plan.Vms.Where(v => inventory.Vm(v.HostVmName) is { } h && identity.Owns(h.Notes)).Select(v => v.HostVmName), cancellationToken).ConfigureAwait(false);
        var vms = planned.Plan.Vms.Select(vm =>
        {
            var host = inventory.Vm(vm.HostVmName);
            var state = host is null ? LabVmState.NotCreated
                : !identity.Owns(host.Notes) ? LabVmState.Foreign
                : host.UnknownStateReason is not null ? LabVmState.Unknown
                : LabVmStates.Of(host.State);
            // What the host maps, not what the Labfile asks for: a port of a VM not up yet is not forwarded.
            var ports = vm.ForwardedPorts.SelectMany(p => inventory.PortMappings
                .Where(m => m.Protocol == p.Protocol && m.InternalIp == p.GuestIp && m.InternalPort == p.GuestPort).Take(1)
                .Select(m => new EffectivePortMapping(vm.Name, p.Protocol, p.HostIp, p.HostPort, m.ExternalPort, p.GuestIp, p.GuestPort)))
                .ToImmutableArray();
            var owned = host is not null && identity.Owns(host.Notes);
            return new VmStatus(vm.Name, state, vm.Adapters, ports)
            {
                Cpus = owned ? host!.Cpus : null,
                MemoryBytes = owned ? host!.MemoryBytes : null,
                Pending = pending.FirstOrDefault(c => string.Equals(c.Vm, vm.Name, StringComparison.OrdinalIgnoreCase)),
                Box = host is null ? null : savedState.Boxes.GetValueOrDefault(vm.Name),
                StateReason = owned ? host!.UnknownStateReason : null,
                Snapshots = owned && counts.TryGetValue(vm.HostVmName, out var count) ? count : null,
            };
        }).ToImmutableArray();
        var strays = inventory.Vms.Where(v => identity.Owns(v.Notes) && !planned.Plan.Vms.Any(p => string.Equals(p.HostVmName, v.Name, StringComparison.OrdinalIgnoreCase)))
            .Select(v => provider.Rules.LabfileVmName(identity.Lab, v.Name) ?? v.Name).ToImmutableArray();
        return new StatusResult(planned.Diagnostics, planned.Plan, vms, strays);
    }
}
