using System.Collections.Immutable;
using LabRunner.Core.Hosting;
using LabRunner.Core.Net;
using LabRunner.Core.Planning;

namespace LabRunner.Core.Reconciliation;

/// <summary>lab down: this lab's VMs off and removed, then its networks.</summary>
public static partial class Reconciler
{
    /// <summary>
    /// Removes this lab's VMs (each: stop, remove, then its files — a disk is never deleted while a VM
    /// holds it), then its mappings and switches. With target VMs, only those VMs go and the networks stay.
    /// </summary>
    private static Reconciliation Down(ReconcileRequest request)
    {
        if (OtherProjectConflict(request, "down") is { } otherProject)
            return new Reconciliation([], [], [], [otherProject], [], [], request.Inventory.Nats.FirstOrDefault()?.Name);
        var inv = request.Adopt ? Adopted(request.Inventory, request.Identity) : request.Inventory;
        var notices = new List<string>();
        if (EarlierNames(request) is { } earlier)
            notices.Add($"this project's lab is also on this host under its earlier name {earlier.Names} ({earlier.Objects}); 'lab down --lab {earlier.First}' removes it.");

        var partial = !request.TargetVms.IsEmpty;
        var targets = request.TargetVms.Select(t => request.Rules.VmName(request.Identity.Lab, t)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var vms = new List<(string, ImmutableArray<HostOperation>)>();
        var ours = inv.Vms.Where(v => (request.Identity.Owns(v.Notes) || (string.IsNullOrEmpty(v.Notes) && request.PendingVms.Contains(v.Name)))
            && (!partial || targets.Contains(v.Name))).ToList();
        var removedVms = ours.Select(v => v.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        bool HeldByAnother(string file, string? except) => inv.Vms.Any(v => !string.Equals(v.Name, except, StringComparison.OrdinalIgnoreCase)
            && v.Files.Contains(file, StringComparer.OrdinalIgnoreCase));
        var conflicts = new List<Conflict>();
        foreach (var vm in ours)
        {
            var ops = new List<HostOperation>();
            if (Converger.TransientState(vm.Name, vm.State, ReconcileMode.Down) is { } busy)
            {
                conflicts.Add(busy);
                continue;
            }
            ops.AddRange(PowerOff(vm));
            ops.Add(new RemoveVm(vm.Name));
            foreach (var file in vm.Files.Where(f => IsUnder(f, request.LabFolder, request.Rules) && !HeldByAnother(f, vm.Name)).Distinct(StringComparer.OrdinalIgnoreCase))
                ops.Add(new RemoveFile(vm.Name, file));
            vms.Add((vm.Name, [.. ops]));
        }
        // Disks left by a 'lab up' interrupted before their VM existed (never one a VM holds).
        foreach (var (name, files) in request.Files)
        {
            if (partial && !request.TargetVms.Contains(name)) continue;
            if (ours.Any(v => string.Equals(v.Name, request.Rules.VmName(request.Identity.Lab, name), StringComparison.OrdinalIgnoreCase))) continue;
            var leftovers = new[] { files.DiskPath }.Where(f => inv.FileExists(f) && !HeldByAnother(f, null)).Select(f => (HostOperation)new RemoveFile(name, f)).ToImmutableArray();
            if (!leftovers.IsEmpty) vms.Add((name, leftovers));
        }
        // A VM starting or stopping stops down before any change, as it stops the other commands.
        if (conflicts.Count > 0)
            return new Reconciliation([], [], [], [.. conflicts], [.. notices], [], inv.Nats.FirstOrDefault()?.Name);
        if (partial)
            return new Reconciliation([], [.. vms], [], [], [.. notices], [], inv.Nats.FirstOrDefault()?.Name);

        var teardown = new List<HostOperation>(ShareTeardown(inv, request.Identity));
        var ourSwitches = inv.Switches.Where(s => request.Identity.Owns(s.Notes)).ToList();

        // LabRunner never cuts off what it did not create: a VM of someone else's on a lab switch stops down.
        foreach (var sw in ourSwitches)
        {
            var users = inv.Vms.Where(v => !removedVms.Contains(v.Name) && v.Adapters.Any(a => string.Equals(a.SwitchName, sw.Name, StringComparison.OrdinalIgnoreCase)))
                .Select(v => $"'{v.Name}'").ToList();
            if (users.Count > 0)
            {
                conflicts.Add(new Conflict($"switch '{sw.Name}' of this lab has {(users.Count == 1 ? "VM" : "VMs")} {string.Join(", ", users)} connected, which this lab did not create; " +
                    "removing the switch would cut it off. Connect it to another switch (Connect-VMNetworkAdapter) or disconnect it (Disconnect-VMNetworkAdapter), then run 'lab down' again."));
            }
        }
        if (conflicts.Count > 0)
            return new Reconciliation([], [], [], [.. conflicts], [.. notices], [], inv.Nats.FirstOrDefault()?.Name);

        var ourSubnets = ourSwitches
            .Select(s => inv.HostInterfaceOf(request.Rules, s.Name))
            .OfType<HostNetAdapter>()
            .SelectMany(a => a.Addresses.Select(ip => ip.Subnet))
            .Concat(NatSubnets(request.Plan))
            .ToList();
        var ourMappings = inv.PortMappings.Where(m => ourSubnets.Any(s => s.Contains(m.InternalIp))).ToList();
        foreach (var m in ourMappings)
            teardown.Add(new RemovePortMapping(m.NatName, m.Protocol, m.ExternalIp, m.ExternalPort, m.InternalIp, m.InternalPort));
        // A host with a NAT per network: this lab's own go before their switches.
        foreach (var own in inv.Nats.Where(n => n.Mark is not null && request.Identity.Owns(n.Mark)))
            teardown.Add(new RemoveNat(own.Name));
        foreach (var s in ourSwitches)
            teardown.Add(new RemoveSwitch(s.Name));

        foreach (var bridge in inv.Switches.Where(s => s.Notes == LabIdentity.SharedMark))
        {
            var stillUsed = inv.Vms.Any(v => !removedVms.Contains(v.Name) &&
                v.Adapters.Any(a => string.Equals(a.SwitchName, bridge.Name, StringComparison.OrdinalIgnoreCase)));
            if (!stillUsed) teardown.Add(new RemoveSwitch(bridge.Name));
        }

        if (inv.Nats.FirstOrDefault(n => n.Name == PlanRules.NatName) is { } nat)
        {
            // Shared by every lab: it goes only when no other lab has a network in it and no other mapping remains.
            var otherLabs = inv.Switches.Any(s => LabIdentity.IsLabRunner(s.Notes) && !request.Identity.Owns(s.Notes) && s.Kind == SwitchKind.Internal &&
                inv.HostInterfaceOf(request.Rules, s.Name) is { } vnic && vnic.Addresses.Any(ip => nat.InternalPrefix.Contains(ip.Address)));
            var otherMappings = inv.PortMappings.Any(m => m.NatName == nat.Name && !ourMappings.Contains(m));
            if (!otherLabs && !otherMappings)
                teardown.Add(new RemoveNat(nat.Name));
        }

        return new Reconciliation([], [.. vms], [.. teardown], [], [.. notices], [], inv.Nats.FirstOrDefault()?.Name);
    }

    /// <summary>
    /// To Off without keeping the guest's state, for a VM that is about to be removed: a running or paused VM
    /// is turned off; a suspended (saved) VM's state is discarded, as it cannot be turned off.
    /// </summary>
    private static IEnumerable<HostOperation> PowerOff(HostVm vm) => vm.State switch
    {
        VmState.Off => [],
        VmState.Saved => [new DiscardSuspendedState(vm.Name)],
        _ => [new StopVm(vm.Name, TurnOff: true)],
    };
}
