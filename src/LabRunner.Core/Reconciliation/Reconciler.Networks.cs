using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Core.Net;
using LabRunner.Core.Planning;

namespace LabRunner.Core.Reconciliation;

public static partial class Reconciler
{
    /// <summary>Networks: switches or bridges, their host addresses, and the lab's networks no longer in the Labfile.</summary>
    private sealed partial class Converger
    {
        private void PlanSwitches()
        {
            foreach (var net in request.Plan.Networks)
            {
                if (net.Type == NetworkType.Bridged)
                {
                    PlanBridge(net);
                    continue;
                }
                var kind = net.Type == NetworkType.Isolated ? SwitchKind.Private : SwitchKind.Internal;
                _switchOf[net.Name] = net.Switch;
                var existing = Inv.Switch(net.Switch);
                if (existing is null)
                {
                    if (request.Mode != ReconcileMode.Halt)
                        _network.Add(new CreateSwitch(net.Switch, kind, null, request.Identity.Mark));
                }
                else if (!request.Identity.Owns(existing.Notes))
                {
                    _conflicts.Add(new Conflict(ForeignObject(request.Rules.Words.Switch, net.Switch, existing.Notes) + $" Rename network '{net.Name}' or the lab."));
                    continue;
                }
                else if (existing.Kind != kind)
                {
                    _conflicts.Add(new Conflict($"network '{net.Name}' was {existing.Kind.ToString().ToLowerInvariant()} and is now {net.Type.ToString().ToLowerInvariant()}; " +
                        $"LabRunner does not recreate a {request.Rules.Words.Switch} VMs are connected to. Run 'lab down' and then 'lab up'."));
                    continue;
                }
                if (request.Mode != ReconcileMode.Halt && net.HasHostVnic && net.Gateway is { } gateway && net.Subnet is { } subnet)
                    PlanHostVnic(net, gateway, subnet);
            }
        }

        private void PlanBridge(NetworkPlan net)
        {
            var adapter = net.Adapter!;
            var existing = Inv.Switches.FirstOrDefault(s => s.Kind == SwitchKind.External && string.Equals(s.NetAdapterName, adapter, StringComparison.OrdinalIgnoreCase));
            if (existing is not null)
            {
                // One external switch per physical adapter: whoever made it, the lab uses it as it is.
                _switchOf[net.Name] = existing.Name;
                return;
            }
            _switchOf[net.Name] = net.Switch;
            if (request.Mode == ReconcileMode.Halt) return;
            var bridges = Inv.Switches.Where(s => s.Kind == SwitchKind.External).Select(s => s.NetAdapterName ?? s.Name).ToList();
            var isAdapter = Inv.NetAdapters.Any(a => string.Equals(a.Name, adapter, StringComparison.OrdinalIgnoreCase));
            if (request.Rules.ExistingBridgeRequired(net.Name, adapter, isAdapter, bridges) is { } needed)
            {
                _conflicts.Add(new Conflict(needed));
                return;
            }
            var physical = Inv.NetAdapters.Where(a => a.IsPhysical).ToList();
            if (!physical.Any(a => string.Equals(a.Name, adapter, StringComparison.OrdinalIgnoreCase)))
            {
                var names = physical.Count == 0 ? "none" : string.Join(", ", physical.Select(a => $"'{a.Name}'"));
                _conflicts.Add(new Conflict($"bridged network '{net.Name}': the host has no physical adapter named '{adapter}' (it has: {names}). " +
                    "Set the adapter in Labfile.local.yml, which is yours alone."));
                return;
            }
            if (Inv.Switch(net.Switch) is { } clash)
            {
                _conflicts.Add(new Conflict(ForeignObject(request.Rules.Words.Switch, clash.Name, clash.Notes)));
                return;
            }
            _network.Add(new CreateSwitch(net.Switch, SwitchKind.External, adapter, LabIdentity.SharedMark));
        }

        private void PlanHostVnic(NetworkPlan net, Ipv4Address gateway, Ipv4Subnet subnet)
        {
            var vnicName = request.Rules.HostInterfaceName(net.Switch);
            foreach (var adapter in Inv.NetAdapters.Where(a => !string.Equals(a.Name, vnicName, StringComparison.OrdinalIgnoreCase)))
            {
                var stale = Inv.Switches.FirstOrDefault(s => request.Identity.Owns(s.Notes) && string.Equals(request.Rules.HostInterfaceName(s.Name), adapter.Name, StringComparison.OrdinalIgnoreCase)
                    && !request.Plan.Networks.Any(n => string.Equals(n.Switch, s.Name, StringComparison.OrdinalIgnoreCase)));
                foreach (var ip in adapter.Addresses.Where(ip => ip.Subnet.Overlaps(subnet)))
                {
                    if (stale is not null)
                    {
                        // A renamed network: the old switch of this lab still has the subnet.
                        _conflicts.Add(new Conflict($"subnet {subnet} of network '{net.Name}' is still on switch '{stale.Name}' of this lab ({ip}), whose network is no longer in the Labfile (renamed or removed). " +
                            $"LabRunner does not move VMs from one switch to another on its own: give the network its old name back, or run 'lab down' and then 'lab up' to rebuild the lab with it."));
                        continue;
                    }
                    _conflicts.Add(new Conflict($"subnet {subnet} of network '{net.Name}' overlaps the host's adapter '{adapter.Name}' ({ip}); " +
                        "packets for it would go to the wrong place. Choose another subnet for the network."));
                }
            }
            var vnic = Inv.HostInterfaceOf(request.Rules, net.Switch);
            if (vnic is null || !vnic.Addresses.Any(a => a.Address == gateway && a.PrefixLength == subnet.PrefixLength))
                _network.Add(new AssignHostIp(net.Switch, gateway, subnet.PrefixLength));
        }

        /// <summary>
        /// A whole-lab 'up' or 'reload' removes this lab's switches (with their host addresses, mappings and own
        /// NAT) whose network is no longer in the Labfile, once this run has taken every VM's adapter off them —
        /// after the VMs, as 'down' does, and under the same rules: only what carries this lab's mark, never a
        /// switch a VM is still connected to, the shared NAT only when no other lab or mapping uses it.
        /// </summary>
        private void RemoveStaleNetworks()
        {
            var planned = request.Plan.Networks.Select(n => n.Switch).Concat(_switchOf.Values).ToHashSet(StringComparer.OrdinalIgnoreCase);
            var ops = _vms.SelectMany(v => v.Item2).ToList();
            var removedVms = ops.OfType<RemoveVm>().Select(o => o.VmName).ToHashSet(StringComparer.OrdinalIgnoreCase);
            bool StillOn(HostVm vm, HostVmAdapter adapter, string switchName) =>
                string.Equals(adapter.SwitchName, switchName, StringComparison.OrdinalIgnoreCase)
                && !removedVms.Contains(vm.Name)
                && !ops.OfType<RemoveVmAdapter>().Any(o => string.Equals(o.VmName, vm.Name, StringComparison.OrdinalIgnoreCase) && string.Equals(o.AdapterName, adapter.Name, StringComparison.OrdinalIgnoreCase))
                && !ops.OfType<ConnectVmAdapter>().Any(o => string.Equals(o.VmName, vm.Name, StringComparison.OrdinalIgnoreCase) && string.Equals(o.AdapterName, adapter.Name, StringComparison.OrdinalIgnoreCase));
            List<HostVm> Users(string switchName) => [.. Inv.Vms.Where(v => v.Adapters.Any(a => StillOn(v, a, switchName)))];

            foreach (var sw in Inv.Switches.Where(s => request.Identity.Owns(s.Notes) && !planned.Contains(s.Name)))
            {
                var users = Users(sw.Name);
                if (users.Count > 0)
                {
                    var foreign = users.Where(u => !request.Identity.Owns(u.Notes)).Select(u => $"'{u.Name}'").ToList();
                    var ours = users.Where(u => request.Identity.Owns(u.Notes)).Select(u => request.Rules.LabfileVmName(request.Identity.Lab, u.Name) ?? u.Name).ToList();
                    _notices.Add(foreign.Count > 0
                        ? $"switch '{sw.Name}' of this lab is no longer in the Labfile, but {string.Join(", ", foreign)}, which this lab did not create, is connected to it; it stays until that is disconnected."
                        : $"switch '{sw.Name}' of this lab is no longer in the Labfile; it is removed once no VM is connected ({string.Join(", ", ours.Select(o => $"'lab reload {o}'"))} takes {(ours.Count == 1 ? "the VM" : "the VMs")} off it).");
                    continue;
                }
                var subnets = Inv.HostInterfaceOf(request.Rules, sw.Name)?.Addresses.Select(ip => ip.Subnet).ToList() ?? [];
                foreach (var m in Inv.PortMappings.Where(m => subnets.Any(s => s.Contains(m.InternalIp)) && !request.Plan.Networks.Any(n => n.Subnet is { } planSubnet && planSubnet.Contains(m.InternalIp))))
                    _teardown.Add(new RemovePortMapping(m.NatName, m.Protocol, m.ExternalIp, m.ExternalPort, m.InternalIp, m.InternalPort));
                foreach (var own in Inv.Nats.Where(n => n.Mark is not null && request.Identity.Owns(n.Mark) && string.Equals(n.Name, sw.Name, StringComparison.OrdinalIgnoreCase)))
                    _teardown.Add(new RemoveNat(own.Name));
                _teardown.Add(new RemoveSwitch(sw.Name));
                _removedSwitches.Add(sw.Name);
            }

            // An external switch LabRunner made (shared by labs) goes when no VM is on it any more, as in 'down'.
            foreach (var bridge in Inv.Switches.Where(s => s.Notes == LabIdentity.SharedMark && !planned.Contains(s.Name) && Users(s.Name).Count == 0))
            {
                _teardown.Add(new RemoveSwitch(bridge.Name));
                _removedSwitches.Add(bridge.Name);
            }

            // The shared NetNat, when this lab has no NAT network left and nothing else uses it.
            if (_removedSwitches.Count > 0 && !request.Plan.Networks.Any(n => n.Type == NetworkType.Nat)
                && Inv.Nats.FirstOrDefault(n => n.Name == PlanRules.NatName) is { } nat)
            {
                var otherLabs = Inv.Switches.Any(s => LabIdentity.IsLabRunner(s.Notes) && !_removedSwitches.Contains(s.Name) && s.Kind == SwitchKind.Internal &&
                    Inv.HostInterfaceOf(request.Rules, s.Name) is { } vnic && vnic.Addresses.Any(ip => nat.InternalPrefix.Contains(ip.Address)));
                var removedMappings = _teardown.OfType<RemovePortMapping>().ToList();
                var otherMappings = Inv.PortMappings.Any(m => m.NatName == nat.Name && !removedMappings.Any(x => x.ExternalPort == m.ExternalPort && x.Protocol == m.Protocol && x.InternalIp == m.InternalIp));
                if (!otherLabs && !otherMappings)
                    _teardown.Add(new RemoveNat(nat.Name));
            }
        }
    }
}
