using System.Collections.Immutable;
using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Core.Net;
using LabRunner.Core.Planning;

namespace LabRunner.Core.Reconciliation;

/// <summary>
/// Compares the plan with the host's inventory and lists the operations that close the gap — and
/// nothing else, so a second <c>lab up</c> finds nothing to do. It refuses (as conflicts, before any
/// change) to touch anything LabRunner did not create, and checks the WinNAT rules first: one NetNat
/// per host, prefixes clear of the host's own addresses, one mapping per external port. Pure.
/// </summary>
public static class Reconciler
{
    private static readonly Ipv4Address AnyAddress = new(0);

    public static Reconciliation Reconcile(ReconcileRequest request) =>
        InWords(request.Mode == ReconcileMode.Down ? Down(request) : new Converger(request).Run(), request.Rules.Words);

    /// <summary>Every operation described in the host's own words (bridges and nftables on Linux, switches and NetNat on Hyper-V).</summary>
    private static Reconciliation InWords(Reconciliation result, HostWords words) => result with
    {
        Network = [.. result.Network.Select(o => o.In(words))],
        Vms = [.. result.Vms.Select(v => (v.Vm, ImmutableArray.CreateRange(v.Operations.Select(o => o.In(words)))))],
        Teardown = [.. result.Teardown.Select(o => o.In(words))],
    };

    public static string SecureBootTemplate(GuestOs os) =>
        os == GuestOs.Windows ? "MicrosoftWindows" : "MicrosoftUEFICertificateAuthority";

    private sealed class Converger(ReconcileRequest r)
    {
        private readonly List<HostOperation> _network = [];
        private readonly List<(string, ImmutableArray<HostOperation>)> _vms = [];
        private readonly List<Conflict> _conflicts = [];
        private readonly List<string> _notices = [];
        private readonly List<HostOperation> _teardown = [];
        private readonly HashSet<string> _removedSwitches = new(StringComparer.OrdinalIgnoreCase);
        private readonly List<PendingChange> _pending = [];
        private readonly List<EffectivePortMapping> _ports = [];
        private readonly Dictionary<string, string> _switchOf = new(StringComparer.OrdinalIgnoreCase);
        private readonly HashSet<string> _adoptedVms = new(StringComparer.OrdinalIgnoreCase);
        private readonly HostInventory _inventory = r.Adopt && r.Mode != ReconcileMode.Halt ? Adopted(r.Inventory, r.Identity) : r.Inventory;
        private string? _natName;

        private HostInventory Inv => _inventory;
        private IEnumerable<VmPlan> Targets => r.Plan.Vms.Where(v => r.TargetVms.IsEmpty || r.TargetVms.Contains(v.Name));

        public Reconciliation Run()
        {
            // Whose lab this is comes first: when the lab's VMs carry another folder's mark or an earlier
            // name, that is the one thing to explain (the clashes it causes would only confuse).
            var ownership = OtherProjectConflict(r, "up") ?? EarlierNameConflict();
            if (ownership is not null)
                return new Reconciliation([], [], [], [ownership], [], [], null);
            if (r.Adopt && r.Mode != ReconcileMode.Halt)
                MarkAdopted();

            // Halting touches only this lab's VMs; the networks are left as they are.
            if (r.Mode != ReconcileMode.Halt)
            {
                PlanSwitches();
                PlanNat();
                PlanPorts();
                CheckMacs();
            }
            foreach (var vm in Targets)
                PlanVm(vm);
            if (r.Mode == ReconcileMode.Halt)
                HaltStrayVms();
            if (r.Mode is ReconcileMode.Up or ReconcileMode.Reload && r.TargetVms.IsEmpty)
                RemoveStaleNetworks();
            if (r.Mode == ReconcileMode.Up)
                NoticeStrays();

            // A conflict stops everything: the command changes nothing and explains.
            var blocked = _conflicts.Count > 0;
            return new Reconciliation(
                blocked ? [] : [.. _network],
                blocked ? [] : [.. _vms.Where(v => !v.Item2.IsEmpty)],
                blocked ? [] : [.. _teardown],
                [.. _conflicts],
                [.. _notices],
                [.. _ports],
                _natName)
            { Pending = [.. _pending] };
        }

        private Conflict? EarlierNameConflict()
        {
            if (EarlierNames(r) is not { } earlier) return null;
            return new Conflict($"this project's lab is on this host under its earlier name {earlier.Names} ({earlier.Objects}); the Labfile now names it '{r.Identity.Lab}'. " +
                "LabRunner does not rename a lab's VMs and switches, and the new ones would need the same disks and subnets. " +
                $"Either set 'name: {earlier.First}' back in the Labfile, or remove the lab under its earlier name with 'lab down --lab {earlier.First}' and then run 'lab up'.");
        }

        /// <summary>lab up --adopt: this lab's switches and VMs marked by another project folder get this project's mark first.</summary>
        private void MarkAdopted()
        {
            foreach (var sw in r.Inventory.Switches.Where(s => IsOtherProject(r.Identity, s.Notes)))
                _network.Add(new SetSwitchNotes(sw.Name, r.Identity.Mark));
            var planned = r.Plan.Vms.Select(v => v.HostVmName).ToHashSet(StringComparer.OrdinalIgnoreCase);
            foreach (var vm in r.Inventory.Vms.Where(v => IsOtherProject(r.Identity, v.Notes)))
            {
                if (planned.Contains(vm.Name)) _adoptedVms.Add(vm.Name);
                else _vms.Add((PlanRules.LabfileVmName(r.Identity.Lab, vm.Name) ?? vm.Name, [new SetVmNotes(vm.Name, r.Identity.Mark)]));
            }
        }

        /// <summary>
        /// Hyper-V refuses a second adapter with a MAC another VM has, and finds out only when the VM is
        /// half made: every planned MAC is checked against every VM on the host first.
        /// </summary>
        private void CheckMacs()
        {
            var planned = r.Plan.Vms.Select(v => v.HostVmName).ToHashSet(StringComparer.OrdinalIgnoreCase);
            foreach (var vm in Targets)
            {
                foreach (var adapter in vm.Adapters)
                {
                    // This lab's own planned VMs give up a MAC the plan moved elsewhere in the same run.
                    var holders = Inv.Vms.Where(h => !string.Equals(h.Name, vm.HostVmName, StringComparison.OrdinalIgnoreCase)
                        && !(planned.Contains(h.Name) && r.Identity.Owns(h.Notes))
                        && h.Adapters.Any(a => a.Mac == adapter.Mac));
                    foreach (var holder in holders)
                    {
                        var whose = r.Identity.Owns(holder.Notes)
                            ? $"a VM of this lab no longer in the Labfile ('lab down {PlanRules.LabfileVmName(r.Identity.Lab, holder.Name) ?? holder.Name}' removes it)"
                            : LabIdentity.Parse(holder.Notes) is { } other ? $"a VM of lab '{other.Lab}'" : "not created by LabRunner";
                        _conflicts.Add(new Conflict($"MAC {adapter.Mac} of VM '{vm.Name}' on network '{adapter.Network}' is already used by VM '{holder.Name}' on this host ({whose}); " +
                            $"Hyper-V refuses a second adapter with it. Give the adapter another address with 'mac:' under network '{adapter.Network}' of VM '{vm.Name}', " +
                            "or rename the VM or the lab (LabRunner derives MACs from their names)."));
                    }
                }
            }
        }

        private void PlanSwitches()
        {
            foreach (var net in r.Plan.Networks)
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
                    if (r.Mode != ReconcileMode.Halt)
                        _network.Add(new CreateSwitch(net.Switch, kind, null, r.Identity.Mark));
                }
                else if (!r.Identity.Owns(existing.Notes))
                {
                    _conflicts.Add(new Conflict(ForeignObject(r.Rules.Words.Switch, net.Switch, existing.Notes) + $" Rename network '{net.Name}' or the lab."));
                    continue;
                }
                else if (existing.Kind != kind)
                {
                    _conflicts.Add(new Conflict($"network '{net.Name}' was {existing.Kind.ToString().ToLowerInvariant()} and is now {net.Type.ToString().ToLowerInvariant()}; " +
                        $"LabRunner does not recreate a {r.Rules.Words.Switch} VMs are connected to. Run 'lab down' and then 'lab up'."));
                    continue;
                }
                if (r.Mode != ReconcileMode.Halt && net.HasHostVnic && net.Gateway is { } gateway && net.Subnet is { } subnet)
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
            if (r.Mode == ReconcileMode.Halt) return;
            var bridges = Inv.Switches.Where(s => s.Kind == SwitchKind.External).Select(s => s.NetAdapterName ?? s.Name).ToList();
            var isAdapter = Inv.NetAdapters.Any(a => string.Equals(a.Name, adapter, StringComparison.OrdinalIgnoreCase));
            if (r.Rules.ExistingBridgeRequired(net.Name, adapter, isAdapter, bridges) is { } needed)
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
                _conflicts.Add(new Conflict(ForeignObject(r.Rules.Words.Switch, clash.Name, clash.Notes)));
                return;
            }
            _network.Add(new CreateSwitch(net.Switch, SwitchKind.External, adapter, LabIdentity.SharedMark));
        }

        private void PlanHostVnic(NetworkPlan net, Ipv4Address gateway, Ipv4Subnet subnet)
        {
            var vnicName = r.Rules.HostInterfaceName(net.Switch);
            foreach (var adapter in Inv.NetAdapters.Where(a => !string.Equals(a.Name, vnicName, StringComparison.OrdinalIgnoreCase)))
            {
                var stale = Inv.Switches.FirstOrDefault(s => r.Identity.Owns(s.Notes) && string.Equals(r.Rules.HostInterfaceName(s.Name), adapter.Name, StringComparison.OrdinalIgnoreCase)
                    && !r.Plan.Networks.Any(n => string.Equals(n.Switch, s.Name, StringComparison.OrdinalIgnoreCase)));
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
            var vnic = Inv.HostInterfaceOf(r.Rules, net.Switch);
            if (vnic is null || !vnic.Addresses.Any(a => a.Address == gateway && a.PrefixLength == subnet.PrefixLength))
                _network.Add(new AssignHostIp(net.Switch, gateway, subnet.PrefixLength));
        }

        private void PlanNat()
        {
            if (r.Plan.Nat is not { } nat) return;
            if (r.Rules.Nat == NatModel.PerNetwork)
            {
                PlanNatPerNetwork();
                return;
            }
            var subnets = NatSubnets(r.Plan);
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
            foreach (var net in r.Plan.Networks.Where(n => n.Type == NetworkType.Nat && n.Subnet is not null))
            {
                var subnet = net.Subnet!.Value;
                var existing = Inv.Nats.FirstOrDefault(n => string.Equals(n.Name, net.Switch, StringComparison.OrdinalIgnoreCase));
                if (existing is not null && !r.Identity.Owns(existing.Mark))
                {
                    _conflicts.Add(new Conflict(ForeignObject("NAT", existing.Name, existing.Mark ?? "") + $" Rename network '{net.Name}' or the lab."));
                    continue;
                }
                if (existing is not null && existing.InternalPrefix == subnet) continue;
                if (existing is not null) _network.Add(new RemoveNat(existing.Name));
                _network.Add(new CreateNat(net.Switch, subnet, r.Identity.Mark));
            }
            _natName = r.Plan.Networks.First(n => n.Type == NetworkType.Nat).Switch;
        }

        /// <summary>The NAT a forwarded port to <paramref name="guestIp"/> belongs to.</summary>
        private string NatFor(Ipv4Address guestIp) => r.Rules.Nat == NatModel.PerNetwork
            ? r.Plan.Networks.FirstOrDefault(n => n.Type == NetworkType.Nat && n.Subnet is { } s && s.Contains(guestIp))?.Switch ?? _natName!
            : _natName!;

        private bool IsLabRunnerVnic(HostNetAdapter adapter) =>
            Inv.Switches.Any(s => s.Kind == SwitchKind.Internal && LabIdentity.IsLabRunner(s.Notes) &&
                                  string.Equals(r.Rules.HostInterfaceName(s.Name), adapter.Name, StringComparison.OrdinalIgnoreCase))
            || r.Plan.Networks.Any(n => n.HasHostVnic && string.Equals(r.Rules.HostInterfaceName(n.Switch), adapter.Name, StringComparison.OrdinalIgnoreCase));

        /// <summary>Whether the host has <paramref name="address"/> now, or gets it in this run (a gateway of the lab's networks).</summary>
        private bool HostHas(Ipv4Address address) =>
            Inv.NetAdapters.Any(a => a.Addresses.Any(x => x.Address == address))
            || r.Plan.Networks.Any(n => n.HasHostVnic && n.Gateway == address);

        private void PlanPorts()
        {
            if (_natName is null || r.Mode == ReconcileMode.Halt) return;
            var ours = NatSubnets(r.Plan);
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
            var stale = r.TargetVms.IsEmpty ? Inv.PortMappings.Where(m => IsOurs(m) && !kept.Contains(m)).ToHashSet() : [];
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

        private void PlanVm(VmPlan vm)
        {
            var files = r.Files[vm.Name];
            var host = Inv.Vm(vm.HostVmName);
            var id = vm.HostVmName;
            var ops = new List<HostOperation>();
            if (_adoptedVms.Contains(id)) ops.Add(new SetVmNotes(id, r.Identity.Mark));

            if (host is not null && !r.Identity.Owns(host.Notes))
            {
                var interrupted = string.IsNullOrEmpty(host.Notes) && r.PendingVms.Contains(id);
                if (!interrupted)
                {
                    _conflicts.Add(new Conflict(ForeignObject("VM", id, host.Notes) + " Rename the VM in the Labfile."));
                    return;
                }
                if (r.Mode == ReconcileMode.Halt) return;
                if (TransientState(vm.Name, host.State, r.Mode) is { } transient)
                {
                    _conflicts.Add(transient);
                    return;
                }
                // Created by an interrupted 'lab up' before it was marked: remove and create it again.
                ops.AddRange(PowerOff(host));
                ops.Add(new RemoveVm(id));
                host = null;
            }

            if (host is null)
            {
                if (r.Mode == ReconcileMode.Halt) return;
                if (!Inv.FileExists(files.BoxPath))
                {
                    _conflicts.Add(new Conflict($"VM '{vm.Name}': the box '{vm.Box}' is not at '{files.BoxPath}'. Put the base VHDX there or point 'boxes' at it."));
                    return;
                }
                if (r.Rules.RefuseBox(files.BoxPath) is { } refusal)
                {
                    _conflicts.Add(new Conflict($"VM '{vm.Name}': {refusal}."));
                    return;
                }
                if (!Inv.FileExists(files.DiskPath))
                    ops.Add(new CreateDisk(id, files.DiskPath, files.BoxPath));
                ops.Add(new CreateVm(id, vm.Generation, vm.MemoryBytes, files.Folder, files.DiskPath, r.Identity.Mark));
                ops.Add(new SetVmHardware(id, vm.Cpus, vm.MemoryBytes));
                foreach (var a in vm.Adapters)
                    ops.Add(new AddVmAdapter(id, a.GuestInterfaceName, _switchOf[a.Network], a.Mac));
                ops.Add(new AttachSeed(id, files.SeedPath));
                if (vm.Generation == 2 && r.Rules.SecureBootTemplates)
                    ops.Add(new SetFirmware(id, true, SecureBootTemplate(vm.Os), files.DiskPath));
                ops.Add(new StartVm(id));
                _vms.Add((vm.Name, [.. ops]));
                return;
            }

            if (TransientState(vm.Name, host.State, r.Mode) is { } busy)
            {
                _conflicts.Add(busy);
                return;
            }
            var isOff = host.State == VmState.Off;
            var wake = Wake(host);
            if (r.Mode == ReconcileMode.Halt)
            {
                if (!isOff) _vms.Add((vm.Name, [.. wake, new StopVm(id, TurnOff: false)]));
                return;
            }

            // Changes Hyper-V accepts on a running VM, and those it refuses until the VM is off.
            var live = new List<HostOperation>();
            var offline = new List<HostOperation>();
            var hotPlug = r.Rules.AdaptersHotPlug(vm.Generation) ? live : offline;
            // On, the next start would move the VM onto a checkpoint's .avhdx.
            if (host.AutomaticCheckpoints)
                live.Add(new DisableAutomaticCheckpoints(id));
            if (host.Cpus != vm.Cpus || host.MemoryBytes != vm.MemoryBytes)
                offline.Add(new SetVmHardware(id, vm.Cpus, vm.MemoryBytes));
            var wanted = vm.Adapters.ToDictionary(a => a.GuestInterfaceName, StringComparer.OrdinalIgnoreCase);
            foreach (var extra in host.Adapters.Where(a => !wanted.ContainsKey(a.Name)))
                hotPlug.Add(new RemoveVmAdapter(id, extra.Name));
            foreach (var a in vm.Adapters)
            {
                var switchName = _switchOf[a.Network];
                var existing = host.Adapters.FirstOrDefault(h => string.Equals(h.Name, a.GuestInterfaceName, StringComparison.OrdinalIgnoreCase));
                if (existing is null)
                {
                    hotPlug.Add(new AddVmAdapter(id, a.GuestInterfaceName, switchName, a.Mac));
                }
                else if (existing.Mac != a.Mac)
                {
                    offline.Add(new RemoveVmAdapter(id, existing.Name));
                    offline.Add(new AddVmAdapter(id, a.GuestInterfaceName, switchName, a.Mac));
                }
                else if (!string.Equals(existing.SwitchName, switchName, StringComparison.OrdinalIgnoreCase))
                {
                    live.Add(new ConnectVmAdapter(id, existing.Name, switchName));
                }
            }
            var seedChanged = !host.HoldsDisc(files.SeedPath);
            if (seedChanged)
            {
                // The seed goes into the drive that holds an earlier seed of this lab, else an empty one; a
                // disc the user put in another drive stays. Changing the disc in an existing drive works
                // while running; adding a drive does not.
                var drive = host.DvdDrives.FirstOrDefault(d => IsUnder(d.Path, r.LabFolder, r.Rules)) ?? host.DvdDrives.FirstOrDefault(d => d.IsEmpty);
                if (drive is null) offline.Add(new AttachSeed(id, files.SeedPath));
                else (r.Rules.SeedChangeWhileRunning ? live : offline).Add(new AttachSeed(id, files.SeedPath, new DvdSlot(drive.ControllerNumber, drive.ControllerLocation)));
            }
            else if (r.MissingSeeds?.Contains(files.SeedPath) == true)
            {
                // The VM holds its seed but the file is gone (.lab was deleted): written again and re-inserted.
                var drive = host.DvdDrives.First(d => string.Equals(d.Path, files.SeedPath, StringComparison.OrdinalIgnoreCase));
                live.Add(new AttachSeed(id, files.SeedPath, new DvdSlot(drive.ControllerNumber, drive.ControllerLocation)));
            }
            // A VM whose creation stopped before its firmware step still has New-VM's default template
            // (MicrosoftWindows): the template read back says so. A host that does not report it (null) is
            // taken at its word that secure boot is on.
            var plannedTemplate = SecureBootTemplate(vm.Os);
            var wrongTemplate = host.SecureBootTemplate is { } template && !string.Equals(template, plannedTemplate, StringComparison.OrdinalIgnoreCase);
            if (vm.Generation == 2 && r.Rules.SecureBootTemplates && (!host.SecureBoot || wrongTemplate))
                offline.Add(new SetFirmware(id, true, plannedTemplate, files.DiskPath));

            if (r.Mode == ReconcileMode.Reload)
            {
                if (!isOff)
                {
                    ops.AddRange(wake);
                    ops.Add(new StopVm(id, TurnOff: false));
                }
                ops.AddRange(live);
                ops.AddRange(offline);
                ops.Add(new StartVm(id));
            }
            else if (isOff)
            {
                ops.AddRange(live);
                ops.AddRange(offline);
                ops.Add(new StartVm(id));
            }
            else
            {
                // Up resumes a paused VM and restores a saved one, as it starts one that is off.
                ops.AddRange(wake);
                ops.AddRange(live);
                if (offline.Count > 0)
                {
                    Pending(vm.Name, [.. offline.Select(o => o.Describe())], $"VM '{vm.Name}' is running; 'lab reload {vm.Name}' applies what needs it off: " +
                        string.Join("; ", offline.Select(o => o.Describe())) + ".");
                }
                // A seed put in while the VM ran, by this run or an earlier one, waits for its next boot.
                var notBooted = r.BootedSeeds?.GetValueOrDefault(vm.Name) is { } booted && files.SeedPath.Length > 0
                    && !string.Equals(booted, files.SeedPath, StringComparison.OrdinalIgnoreCase);
                if ((seedChanged || notBooted) && offline.Count == 0)
                {
                    if (vm.Os == GuestOs.Windows)
                        // Windows reads an answer file only while it is set up; a restart applies nothing.
                        _notices.Add($"VM '{vm.Name}' has a new answer file (its network, hostname or administrator password changed); Windows applies one only during setup, so change the running VM inside Windows, or recreate it with 'lab down {vm.Name}' and 'lab up {vm.Name}'.");
                    else
                        Pending(vm.Name, ["apply the new seed (its network or hostname changed) at the next boot"],
                            $"VM '{vm.Name}' has a new seed (its network or hostname changed); 'lab reload {vm.Name}' restarts it so cloud-init applies it.");
                }
            }
            _vms.Add((vm.Name, [.. ops]));
        }

        /// <summary>
        /// Back to Running with the guest's memory as it was: Resume-VM for a paused VM, Start-VM restores a
        /// saved one. Hyper-V refuses a guest shutdown and hardware changes in either state.
        /// </summary>
        private static HostOperation[] Wake(HostVm host) => host.State switch
        {
            VmState.Paused => [new ResumeVm(host.Name)],
            VmState.Saved => [new StartVm(host.Name)],
            _ => [],
        };

        /// <summary>lab halt NAME of a VM of this lab that is no longer in the Labfile.</summary>
        private void HaltStrayVms()
        {
            foreach (var target in r.TargetVms.Where(t => !r.Plan.Vms.Any(v => string.Equals(v.Name, t, StringComparison.OrdinalIgnoreCase))))
            {
                if (Inv.Vm(PlanRules.VmName(r.Identity.Lab, target)) is not { } host || !r.Identity.Owns(host.Notes) || host.State == VmState.Off) continue;
                if (TransientState(target, host.State, r.Mode) is { } busy)
                    _conflicts.Add(busy);
                else
                    _vms.Add((target, [.. Wake(host), new StopVm(host.Name, TurnOff: false)]));
            }
        }

        /// <summary>
        /// Starting and Stopping last seconds and Hyper-V refuses most requests meanwhile; LabRunner does not guess
        /// where the VM is going, so the command stops before changing anything and asks to run it again.
        /// </summary>
        internal static Conflict? TransientState(string vm, VmState state, ReconcileMode mode) => state switch
        {
            VmState.Starting or VmState.Stopping => new Conflict(
                $"VM '{vm}' is {state.ToString().ToLowerInvariant()}; wait until it is running or off, then run 'lab {mode.ToString().ToLowerInvariant()}' again."),
            VmState.Other => new Conflict(
                $"VM '{vm}' is in a state LabRunner does not handle (not off, running, paused or saved); bring it to one of those in Hyper-V Manager, then run 'lab {mode.ToString().ToLowerInvariant()}' again."),
            _ => null,
        };

        private void Pending(string vm, ImmutableArray<string> changes, string notice)
        {
            _notices.Add(notice);
            _pending.Add(new PendingChange(vm, changes, $"lab reload {vm}", notice));
        }

        /// <summary>
        /// A whole-lab 'up' or 'reload' removes this lab's switches (with their host addresses, mappings and own
        /// NAT) whose network is no longer in the Labfile, once this run has taken every VM's adapter off them —
        /// after the VMs, as 'down' does, and under the same rules: only what carries this lab's mark, never a
        /// switch a VM is still connected to, the shared NAT only when no other lab or mapping uses it.
        /// </summary>
        private void RemoveStaleNetworks()
        {
            var planned = r.Plan.Networks.Select(n => n.Switch).Concat(_switchOf.Values).ToHashSet(StringComparer.OrdinalIgnoreCase);
            var ops = _vms.SelectMany(v => v.Item2).ToList();
            var removedVms = ops.OfType<RemoveVm>().Select(o => o.VmName).ToHashSet(StringComparer.OrdinalIgnoreCase);
            bool StillOn(HostVm vm, HostVmAdapter adapter, string switchName) =>
                string.Equals(adapter.SwitchName, switchName, StringComparison.OrdinalIgnoreCase)
                && !removedVms.Contains(vm.Name)
                && !ops.OfType<RemoveVmAdapter>().Any(o => string.Equals(o.VmName, vm.Name, StringComparison.OrdinalIgnoreCase) && string.Equals(o.AdapterName, adapter.Name, StringComparison.OrdinalIgnoreCase))
                && !ops.OfType<ConnectVmAdapter>().Any(o => string.Equals(o.VmName, vm.Name, StringComparison.OrdinalIgnoreCase) && string.Equals(o.AdapterName, adapter.Name, StringComparison.OrdinalIgnoreCase));
            List<HostVm> Users(string switchName) => [.. Inv.Vms.Where(v => v.Adapters.Any(a => StillOn(v, a, switchName)))];

            foreach (var sw in Inv.Switches.Where(s => r.Identity.Owns(s.Notes) && !planned.Contains(s.Name)))
            {
                var users = Users(sw.Name);
                if (users.Count > 0)
                {
                    var foreign = users.Where(u => !r.Identity.Owns(u.Notes)).Select(u => $"'{u.Name}'").ToList();
                    var ours = users.Where(u => r.Identity.Owns(u.Notes)).Select(u => PlanRules.LabfileVmName(r.Identity.Lab, u.Name) ?? u.Name).ToList();
                    _notices.Add(foreign.Count > 0
                        ? $"switch '{sw.Name}' of this lab is no longer in the Labfile, but {string.Join(", ", foreign)}, which this lab did not create, is connected to it; it stays until that is disconnected."
                        : $"switch '{sw.Name}' of this lab is no longer in the Labfile; it is removed once no VM is connected ({string.Join(", ", ours.Select(o => $"'lab reload {o}'"))} takes {(ours.Count == 1 ? "the VM" : "the VMs")} off it).");
                    continue;
                }
                var subnets = Inv.HostInterfaceOf(r.Rules, sw.Name)?.Addresses.Select(ip => ip.Subnet).ToList() ?? [];
                foreach (var m in Inv.PortMappings.Where(m => subnets.Any(s => s.Contains(m.InternalIp)) && !r.Plan.Networks.Any(n => n.Subnet is { } planSubnet && planSubnet.Contains(m.InternalIp))))
                    _teardown.Add(new RemovePortMapping(m.NatName, m.Protocol, m.ExternalIp, m.ExternalPort, m.InternalIp, m.InternalPort));
                foreach (var own in Inv.Nats.Where(n => n.Mark is not null && r.Identity.Owns(n.Mark) && string.Equals(n.Name, sw.Name, StringComparison.OrdinalIgnoreCase)))
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
            if (_removedSwitches.Count > 0 && !r.Plan.Networks.Any(n => n.Type == NetworkType.Nat)
                && Inv.Nats.FirstOrDefault(n => n.Name == PlanRules.NatName) is { } nat)
            {
                var otherLabs = Inv.Switches.Any(s => LabIdentity.IsLabRunner(s.Notes) && !_removedSwitches.Contains(s.Name) && s.Kind == SwitchKind.Internal &&
                    Inv.HostInterfaceOf(r.Rules, s.Name) is { } vnic && vnic.Addresses.Any(ip => nat.InternalPrefix.Contains(ip.Address)));
                var removedMappings = _teardown.OfType<RemovePortMapping>().ToList();
                var otherMappings = Inv.PortMappings.Any(m => m.NatName == nat.Name && !removedMappings.Any(x => x.ExternalPort == m.ExternalPort && x.Protocol == m.Protocol && x.InternalIp == m.InternalIp));
                if (!otherLabs && !otherMappings)
                    _teardown.Add(new RemoveNat(nat.Name));
            }
        }

        private void NoticeStrays()
        {
            var planned = r.Plan.Vms.Select(v => v.HostVmName).ToHashSet(StringComparer.OrdinalIgnoreCase);
            foreach (var stray in Inv.Vms.Where(v => r.Identity.Owns(v.Notes) && !planned.Contains(v.Name)))
            {
                var name = PlanRules.LabfileVmName(r.Identity.Lab, stray.Name) ?? stray.Name;
                _notices.Add($"VM '{name}' ({stray.Name}) of this lab is no longer in the Labfile; 'lab down {name}' removes it" +
                    (stray.State == VmState.Off ? "." : $", 'lab halt {name}' stops it."));
            }
            var switches = r.Plan.Networks.Select(n => n.Switch).ToHashSet(StringComparer.OrdinalIgnoreCase);
            foreach (var stray in Inv.Switches.Where(s => r.Identity.Owns(s.Notes) && !switches.Contains(s.Name) && !_removedSwitches.Contains(s.Name) && !r.TargetVms.IsEmpty))
                _notices.Add($"switch '{stray.Name}' of this lab is no longer in the Labfile (its network was renamed or removed); 'lab up' of the whole lab removes it once no VM is on it.");
        }
    }

    /// <summary>Marked as this lab (by name) of another project folder: a copy, a moved folder, or an older LabRunner's random id.</summary>
    private static bool IsOtherProject(LabIdentity me, string? notes) =>
        LabIdentity.Parse(notes) is { } other && string.Equals(other.Lab, me.Lab, StringComparison.OrdinalIgnoreCase) && other.ProjectId != me.ProjectId;

    /// <summary>Marked by this project under another lab name: the Labfile's 'name:' changed.</summary>
    private static bool IsEarlierName(LabIdentity me, string? notes) =>
        LabIdentity.Parse(notes) is { } other && other.ProjectId == me.ProjectId && !string.Equals(other.Lab, me.Lab, StringComparison.Ordinal);

    private static HostInventory Adopted(HostInventory inv, LabIdentity me) => inv with
    {
        Vms = [.. inv.Vms.Select(v => IsOtherProject(me, v.Notes) ? v with { Notes = me.Mark } : v)],
        Switches = [.. inv.Switches.Select(s => IsOtherProject(me, s.Notes) ? s with { Notes = me.Mark } : s)],
    };

    private static string Objects(IEnumerable<string> vms, IEnumerable<string> switches)
    {
        var parts = new List<string>();
        if (vms.Any()) parts.Add("VMs " + string.Join(", ", vms.Select(v => $"'{v}'")));
        if (switches.Any()) parts.Add("switches " + string.Join(", ", switches.Select(s => $"'{s}'")));
        return string.Join("; ", parts);
    }

    private static Conflict? OtherProjectConflict(ReconcileRequest r, string command)
    {
        if (r.Adopt) return null;
        var inv = r.Inventory;
        var vms = inv.Vms.Where(v => IsOtherProject(r.Identity, v.Notes)).Select(v => v.Name).ToList();
        var switches = inv.Switches.Where(s => IsOtherProject(r.Identity, s.Notes)).Select(s => s.Name).ToList();
        if (vms.Count == 0 && switches.Count == 0) return null;
        var ids = inv.Vms.Select(v => v.Notes).Concat(inv.Switches.Select(s => s.Notes)).Where(n => IsOtherProject(r.Identity, n))
            .Select(n => LabIdentity.Parse(n)!.ProjectId).Distinct(StringComparer.Ordinal);
        return new Conflict(
            $"lab '{r.Identity.Lab}' is on this host ({Objects(vms, switches)}) with the mark of another project folder (project {string.Join(", ", ids)}; this folder is project {r.Identity.ProjectId}), " +
            "so LabRunner changes nothing. If this folder is a copy of that project, rename the lab in this copy ('name:' in the Labfile) to run a second one beside it. " +
            $"If this is the folder that made the lab (moved or renamed since, or the lab was made by an older LabRunner, whose project ids were random), 'lab {command} --adopt' takes the lab over.");
    }

    private static (string Names, string First, string Objects)? EarlierNames(ReconcileRequest r)
    {
        var inv = r.Inventory;
        var vms = inv.Vms.Where(v => IsEarlierName(r.Identity, v.Notes)).ToList();
        var switches = inv.Switches.Where(s => IsEarlierName(r.Identity, s.Notes)).ToList();
        if (vms.Count == 0 && switches.Count == 0) return null;
        var names = vms.Select(v => v.Notes).Concat(switches.Select(s => s.Notes)).Select(n => LabIdentity.Parse(n)!.Lab).Distinct(StringComparer.Ordinal).ToList();
        return (string.Join(", ", names.Select(n => $"'{n}'")), names[0], Objects(vms.Select(v => v.Name), switches.Select(s => s.Name)));
    }

    /// <summary>
    /// Removes this lab's VMs (each: stop, remove, then its files — a disk is never deleted while a VM
    /// holds it), then its mappings and switches. With target VMs, only those VMs go and the networks stay.
    /// </summary>
    private static Reconciliation Down(ReconcileRequest r)
    {
        if (OtherProjectConflict(r, "down") is { } otherProject)
            return new Reconciliation([], [], [], [otherProject], [], [], r.Inventory.Nats.FirstOrDefault()?.Name);
        var inv = r.Adopt ? Adopted(r.Inventory, r.Identity) : r.Inventory;
        var notices = new List<string>();
        if (EarlierNames(r) is { } earlier)
            notices.Add($"this project's lab is also on this host under its earlier name {earlier.Names} ({earlier.Objects}); 'lab down --lab {earlier.First}' removes it.");

        var partial = !r.TargetVms.IsEmpty;
        var targets = r.TargetVms.Select(t => PlanRules.VmName(r.Identity.Lab, t)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var vms = new List<(string, ImmutableArray<HostOperation>)>();
        var ours = inv.Vms.Where(v => (r.Identity.Owns(v.Notes) || (string.IsNullOrEmpty(v.Notes) && r.PendingVms.Contains(v.Name)))
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
            foreach (var file in vm.Files.Where(f => IsUnder(f, r.LabFolder, r.Rules) && !HeldByAnother(f, vm.Name)).Distinct(StringComparer.OrdinalIgnoreCase))
                ops.Add(new RemoveFile(vm.Name, file));
            vms.Add((vm.Name, [.. ops]));
        }
        // Disks left by a 'lab up' interrupted before their VM existed (never one a VM holds).
        foreach (var (name, files) in r.Files)
        {
            if (partial && !r.TargetVms.Contains(name)) continue;
            if (ours.Any(v => string.Equals(v.Name, PlanRules.VmName(r.Identity.Lab, name), StringComparison.OrdinalIgnoreCase))) continue;
            var leftovers = new[] { files.DiskPath }.Where(f => inv.FileExists(f) && !HeldByAnother(f, null)).Select(f => (HostOperation)new RemoveFile(name, f)).ToImmutableArray();
            if (!leftovers.IsEmpty) vms.Add((name, leftovers));
        }
        // A VM starting or stopping stops down before any change, as it stops the other commands.
        if (conflicts.Count > 0)
            return new Reconciliation([], [], [], [.. conflicts], [.. notices], [], inv.Nats.FirstOrDefault()?.Name);
        if (partial)
            return new Reconciliation([], [.. vms], [], [], [.. notices], [], inv.Nats.FirstOrDefault()?.Name);

        var teardown = new List<HostOperation>();
        var ourSwitches = inv.Switches.Where(s => r.Identity.Owns(s.Notes)).ToList();

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
            .Select(s => inv.HostInterfaceOf(r.Rules, s.Name))
            .OfType<HostNetAdapter>()
            .SelectMany(a => a.Addresses.Select(ip => ip.Subnet))
            .Concat(NatSubnets(r.Plan))
            .ToList();
        var ourMappings = inv.PortMappings.Where(m => ourSubnets.Any(s => s.Contains(m.InternalIp))).ToList();
        foreach (var m in ourMappings)
            teardown.Add(new RemovePortMapping(m.NatName, m.Protocol, m.ExternalIp, m.ExternalPort, m.InternalIp, m.InternalPort));
        // A host with a NAT per network: this lab's own go before their switches.
        foreach (var own in inv.Nats.Where(n => n.Mark is not null && r.Identity.Owns(n.Mark)))
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
            var otherLabs = inv.Switches.Any(s => LabIdentity.IsLabRunner(s.Notes) && !r.Identity.Owns(s.Notes) && s.Kind == SwitchKind.Internal &&
                inv.HostInterfaceOf(r.Rules, s.Name) is { } vnic && vnic.Addresses.Any(ip => nat.InternalPrefix.Contains(ip.Address)));
            var otherMappings = inv.PortMappings.Any(m => m.NatName == nat.Name && !ourMappings.Contains(m));
            if (!otherLabs && !otherMappings)
                teardown.Add(new RemoveNat(nat.Name));
        }

        return new Reconciliation([], [.. vms], [.. teardown], [], [.. notices], [], inv.Nats.FirstOrDefault()?.Name);
    }

    /// <summary>
    /// To Off without keeping the guest's state, for a VM that is about to be removed: a running or paused VM
    /// is turned off; a saved VM's state is discarded (Hyper-V does not turn off a saved VM).
    /// </summary>
    private static IEnumerable<HostOperation> PowerOff(HostVm vm) => vm.State switch
    {
        VmState.Off => [],
        VmState.Saved => [new DiscardSavedState(vm.Name)],
        _ => [new StopVm(vm.Name, TurnOff: true)],
    };

    private static List<Ipv4Subnet> NatSubnets(LabPlan plan) =>
        plan.Networks.Where(n => n.Type == NetworkType.Nat && n.Subnet is not null).Select(n => n.Subnet!.Value).ToList();

    private static bool Clashes(PortProtocol p1, Ipv4Address ip1, int port1, PortProtocol p2, Ipv4Address ip2, int port2) =>
        p1 == p2 && port1 == port2 && (ip1 == ip2 || ip1 == AnyAddress || ip2 == AnyAddress);

    private static string Proto(PortProtocol p) => p.ToString().ToLowerInvariant();

    private static bool IsUnder(string path, string folder, HostRules rules)
    {
        var f = folder.TrimEnd('/', '\\');
        return path.Length > f.Length + 1 && path.StartsWith(f, rules.PathComparison) && path[f.Length] is '/' or '\\';
    }

    private static string ForeignObject(string what, string name, string notes) => LabIdentity.Parse(notes) is { } other
        ? $"a {what} named '{name}' already exists and belongs to lab '{other.Lab}' of another project ({other.ProjectId}); two labs on one host need different names."
        : $"a {what} named '{name}' already exists and was not created by LabRunner; LabRunner never changes or removes what it did not create.";
}
