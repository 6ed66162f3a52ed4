using System.Collections.Immutable;
using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Core.Net;
using LabRunner.Core.Planning;

namespace LabRunner.Core.Reconciliation;

public static partial class Reconciler
{
    /// <summary>NAT and forwarded ports: one NetNat per host or one per network, and each port mapping checked against every other.</summary>
    private sealed partial class Converger
    {
        private void PlanNat()
        {
            if (request.Plan.Nat is not { } nat) return;
            if (request.Rules.Nat == NatModel.PerNetwork)
            {
                PlanNatPerNetwork();
                return;
            }
            var subnets = NatSubnets(request.Plan);
            switch (Inv.Nats.Length)
            {
                case > 1:
                    _conflicts.Add(new Conflict($"the host has {Inv.Nats.Length} NetNats ({string.Join(", ", Inv.Nats.Select(n => $"'{n.Name}' {n.InternalPrefix}"))}); " +
                        "WinNAT supports one per host and this state is undefined. Remove the extra ones (Get-NetNat, Remove-NetNat) before 'lab up'."));
                    return;
                case 1:
                    var existing = Inv.Nats[0];
                    var outside = subnets.Where(s => !existing.InternalPrefix.Contains(s)).ToList();
                    if (outside.Count > 0)
                    {
                        var owner = existing.Name == PlanRules.NatName ? "LabRunner's own NetNat" : $"NetNat '{existing.Name}' (not LabRunner's: Docker, HNS or set up by hand)";
                        _conflicts.Add(new Conflict(
                            $"the host's only NetNat is {owner} for {existing.InternalPrefix}, which does not cover this lab's NAT subnet {string.Join(", ", outside)}. " +
                            "WinNAT supports one internal prefix per host, and LabRunner never removes or replaces a NetNat on its own. Choices: " +
                            $"(1) set 'nat: {{prefix: {existing.InternalPrefix}}}' in the Labfile (or {PlanRules.NatPrefixVariable}) so this lab takes a slice of it; " +
                            $"(2) if nothing uses it any more, remove it yourself (Remove-NetNat -Name '{existing.Name}') and run 'lab up' again."));
                        return;
                    }
                    _natName = existing.Name;
                    return;
                default:
                    foreach (var adapter in Inv.NetAdapters.Where(a => !IsLabRunnerVnic(a)))
                    {
                        foreach (var ip in adapter.Addresses.Where(ip => ip.Subnet.Overlaps(nat.Prefix)))
                        {
                            _conflicts.Add(new Conflict($"the NAT prefix {nat.Prefix} overlaps the host's adapter '{adapter.Name}' ({ip}); WinNAT would capture that network's traffic. " +
                                $"Choose another prefix with 'nat: {{prefix: …}}' or {PlanRules.NatPrefixVariable} (it is shared by every lab on this host)."));
                        }
                    }
                    _network.Add(new CreateNat(nat.Name, nat.Prefix));
                    _natName = nat.Name;
                    return;
            }
        }

        /// <summary>
        /// A host that translates each NAT network on its own (QEMU: an nftables masquerade per subnet): one
        /// NAT per network, named after its switch and marked as this lab's; the host-vNIC checks already
        /// keep the subnet clear of the host's other addresses.
        /// </summary>
        private void PlanNatPerNetwork()
        {
            foreach (var net in request.Plan.Networks.Where(n => n.Type == NetworkType.Nat && n.Subnet is not null))
            {
                var subnet = net.Subnet!.Value;
                var existing = Inv.Nats.FirstOrDefault(n => string.Equals(n.Name, net.Switch, StringComparison.OrdinalIgnoreCase));
                if (existing is not null && !request.Identity.Owns(existing.Mark))
                {
                    _conflicts.Add(new Conflict(ForeignObject("NAT", existing.Name, existing.Mark ?? "") + $" Rename network '{net.Name}' or the lab."));
                    continue;
                }
                if (existing is not null && existing.InternalPrefix == subnet) continue;
                if (existing is not null) _network.Add(new RemoveNat(existing.Name));
                _network.Add(new CreateNat(net.Switch, subnet, request.Identity.Mark));
            }
            _natName = request.Plan.Networks.First(n => n.Type == NetworkType.Nat).Switch;
        }

        /// <summary>The NAT a forwarded port to <paramref name="guestIp"/> belongs to.</summary>
        private string NatFor(Ipv4Address guestIp) => request.Rules.Nat == NatModel.PerNetwork
            ? request.Plan.Networks.FirstOrDefault(n => n.Type == NetworkType.Nat && n.Subnet is { } s && s.Contains(guestIp))?.Switch ?? _natName!
            : _natName!;

        private bool IsLabRunnerVnic(HostNetAdapter adapter) =>
            Inv.Switches.Any(s => s.Kind == SwitchKind.Internal && LabIdentity.IsLabRunner(s.Notes) &&
                                  string.Equals(request.Rules.HostInterfaceName(s.Name), adapter.Name, StringComparison.OrdinalIgnoreCase))
            || request.Plan.Networks.Any(n => n.HasHostVnic && string.Equals(request.Rules.HostInterfaceName(n.Switch), adapter.Name, StringComparison.OrdinalIgnoreCase));

        /// <summary>Whether the host has <paramref name="address"/> now, or gets it in this run (a gateway of the lab's networks).</summary>
        private bool HostHas(Ipv4Address address) =>
            Inv.NetAdapters.Any(a => a.Addresses.Any(x => x.Address == address))
            || request.Plan.Networks.Any(n => n.HasHostVnic && n.Gateway == address);

        private void PlanPorts()
        {
            if (_natName is null || request.Mode == ReconcileMode.Halt) return;
            var ours = NatSubnets(request.Plan);
            bool IsOurs(HostPortMapping m) => ours.Any(s => s.Contains(m.InternalIp));

            // First what the host already maps as asked; then this lab's mappings nobody asks for any more are
            // known, and (on a whole-lab run, which removes them first) their ports are free for the rest.
            var kept = new HashSet<HostPortMapping>();
            var found = new List<(VmPlan Vm, PortMappingPlan Port, HostPortMapping? Existing)>();
            foreach (var vm in Targets)
            {
                foreach (var p in vm.ForwardedPorts)
                {
                    var externalIp = p.HostIp ?? AnyAddress;
                    var existing = Inv.PortMappings.FirstOrDefault(m => m.Protocol == p.Protocol && m.ExternalIp == externalIp &&
                        m.ExternalPort == p.HostPort && m.InternalIp == p.GuestIp && m.InternalPort == p.GuestPort && !kept.Contains(m));
                    if (existing is null && p.AutoCorrect)
                    {
                        // A port corrected by an earlier 'lab up' stays where it went.
                        existing = Inv.PortMappings.FirstOrDefault(m => IsOurs(m) && m.Protocol == p.Protocol && m.ExternalIp == externalIp &&
                            m.InternalIp == p.GuestIp && m.InternalPort == p.GuestPort && !kept.Contains(m));
                    }
                    if (existing is not null) kept.Add(existing);
                    found.Add((vm, p, existing));
                }
            }
            var stale = request.TargetVms.IsEmpty ? Inv.PortMappings.Where(m => IsOurs(m) && !kept.Contains(m)).ToHashSet() : [];
            var taken = Inv.PortMappings.Where(m => !stale.Contains(m)).Select(m => (m.Protocol, m.ExternalIp, m.ExternalPort)).ToList();
            var adds = new List<HostOperation>();
            foreach (var (vm, p, existing) in found)
            {
                var externalIp = p.HostIp ?? AnyAddress;
                if (existing is not null)
                {
                    _ports.Add(new EffectivePortMapping(vm.Name, p.Protocol, p.HostIp, p.HostPort, existing.ExternalPort, p.GuestIp, p.GuestPort));
                    continue;
                }

                if (p.HostIp is { } hostIp && hostIp != AnyAddress && !HostHas(hostIp))
                {
                    var own = Inv.NetAdapters.SelectMany(a => a.Addresses).Select(a => a.Address).Where(a => !HostRules.IsLoopback(a)).Distinct().Select(a => a.ToString()).ToList();
                    _conflicts.Add(new Conflict($"host_ip {hostIp} of forwarded port {Proto(p.Protocol)}/{p.HostPort} of VM '{vm.Name}' is not an address of this host, " +
                        $"so nothing could ever reach the port. Leave host_ip out (all the host's addresses) or use one the host has " +
                        $"({(own.Count == 0 ? "it has none" : string.Join(", ", own))}); a laptop's address changes with its network."));
                    continue;
                }
                var port = p.HostPort;
                var holder = Holder(port);
                if (holder is not null)
                {
                    if (!p.AutoCorrect)
                    {
                        _conflicts.Add(new Conflict($"host port {Proto(p.Protocol)}/{port} of VM '{vm.Name}' is already forwarded to {holder}. " +
                            "Choose another 'host' port, or set 'auto_correct: true' to let LabRunner pick a free one."));
                        continue;
                    }
                    port = FreePortAfter(port);
                    if (port == 0)
                    {
                        _conflicts.Add(new Conflict($"no free host port is left for {Proto(p.Protocol)} on VM '{vm.Name}'"));
                        continue;
                    }
                    _notices.Add($"host port {Proto(p.Protocol)}/{p.HostPort} of VM '{vm.Name}' is taken ({holder}); auto_correct chose {port}.");
                }
                taken.Add((p.Protocol, externalIp, port));
                adds.Add(new AddPortMapping(NatFor(p.GuestIp), p.Protocol, externalIp, port, p.GuestIp, p.GuestPort));
                _ports.Add(new EffectivePortMapping(vm.Name, p.Protocol, p.HostIp, p.HostPort, port, p.GuestIp, p.GuestPort));

                string? Holder(int candidate)
                {
                    var clash = Inv.PortMappings.FirstOrDefault(m => !stale.Contains(m) && Clashes(m.Protocol, m.ExternalIp, m.ExternalPort, p.Protocol, externalIp, candidate));
                    if (clash is not null)
                        return $"{clash.InternalIp}:{clash.InternalPort}" + (IsOurs(clash) ? " in this lab" : " by another lab or tool");
                    return taken.Any(t => Clashes(t.Protocol, t.ExternalIp, t.ExternalPort, p.Protocol, externalIp, candidate)) ? "another VM of this lab" : null;
                }

                int FreePortAfter(int start)
                {
                    for (var c = start + 1; c != start; c = c >= 65535 ? 1024 : c + 1)
                        if (Holder(c) is null) return c;
                    return 0;
                }
            }

            // Mappings of this lab that the Labfile no longer asks for go first, which frees their ports.
            foreach (var m in Inv.PortMappings.Where(stale.Contains))
                _network.Add(new RemovePortMapping(m.NatName, m.Protocol, m.ExternalIp, m.ExternalPort, m.InternalIp, m.InternalPort));
            _network.AddRange(adds);
        }
    }
}
