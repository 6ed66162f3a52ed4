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
        request.Mode == ReconcileMode.Down ? Down(request) : new Converger(request).Run();

    public static string SecureBootTemplate(GuestOs os) =>
        os == GuestOs.Windows ? "MicrosoftWindows" : "MicrosoftUEFICertificateAuthority";

    private sealed class Converger(ReconcileRequest r)
    {
        private readonly List<HostOperation> _network = [];
        private readonly List<(string, ImmutableArray<HostOperation>)> _vms = [];
        private readonly List<Conflict> _conflicts = [];
        private readonly List<string> _notices = [];
        private readonly List<PendingChange> _pending = [];
        private readonly List<EffectivePortMapping> _ports = [];
        private readonly Dictionary<string, string> _switchOf = new(StringComparer.OrdinalIgnoreCase);
        private string? _natName;

        private HostInventory Inv => r.Inventory;
        private IEnumerable<VmPlan> Targets => r.Plan.Vms.Where(v => r.TargetVms.IsEmpty || r.TargetVms.Contains(v.Name));

        public Reconciliation Run()
        {
            // Halting touches only this lab's VMs; the networks are left as they are.
            if (r.Mode != ReconcileMode.Halt)
            {
                PlanSwitches();
                PlanNat();
                PlanPorts();
            }
            foreach (var vm in Targets)
                PlanVm(vm);
            if (r.Mode == ReconcileMode.Up)
                NoticeStrayVms();

            // A conflict stops everything: the command changes nothing and explains.
            var blocked = _conflicts.Count > 0;
            return new Reconciliation(
                blocked ? [] : [.. _network],
                blocked ? [] : [.. _vms.Where(v => !v.Item2.IsEmpty)],
                [],
                [.. _conflicts],
                [.. _notices],
                [.. _ports],
                _natName)
            { Pending = [.. _pending] };
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
                    _conflicts.Add(new Conflict(ForeignObject("switch", net.Switch, existing.Notes) + $" Rename network '{net.Name}' or the lab."));
                    continue;
                }
                else if (existing.Kind != kind)
                {
                    _conflicts.Add(new Conflict($"network '{net.Name}' was {existing.Kind.ToString().ToLowerInvariant()} and is now {net.Type.ToString().ToLowerInvariant()}; " +
                        "LabRunner does not recreate a switch VMs are connected to. Run 'lab down' and then 'lab up'."));
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
                _conflicts.Add(new Conflict(ForeignObject("switch", clash.Name, clash.Notes)));
                return;
            }
            _network.Add(new CreateSwitch(net.Switch, SwitchKind.External, adapter, LabIdentity.SharedMark));
        }

        private void PlanHostVnic(NetworkPlan net, Ipv4Address gateway, Ipv4Subnet subnet)
        {
            var vnicName = HostNetAdapter.VnicName(net.Switch);
            foreach (var adapter in Inv.NetAdapters.Where(a => !string.Equals(a.Name, vnicName, StringComparison.OrdinalIgnoreCase)))
            {
                foreach (var ip in adapter.Addresses.Where(ip => ip.Subnet.Overlaps(subnet)))
                {
                    _conflicts.Add(new Conflict($"subnet {subnet} of network '{net.Name}' overlaps the host's adapter '{adapter.Name}' ({ip}); " +
                        "packets for it would go to the wrong place. Choose another subnet for the network."));
                }
            }
            var vnic = Inv.HostVnicOf(net.Switch);
            if (vnic is null || !vnic.Addresses.Any(a => a.Address == gateway && a.PrefixLength == subnet.PrefixLength))
                _network.Add(new AssignHostIp(net.Switch, gateway, subnet.PrefixLength));
        }

        private void PlanNat()
        {
            if (r.Plan.Nat is not { } nat) return;
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

        private bool IsLabRunnerVnic(HostNetAdapter adapter) =>
            Inv.Switches.Any(s => s.Kind == SwitchKind.Internal && LabIdentity.IsLabRunner(s.Notes) &&
                                  string.Equals(HostNetAdapter.VnicName(s.Name), adapter.Name, StringComparison.OrdinalIgnoreCase))
            || r.Plan.Networks.Any(n => n.HasHostVnic && string.Equals(HostNetAdapter.VnicName(n.Switch), adapter.Name, StringComparison.OrdinalIgnoreCase));

        private void PlanPorts()
        {
            if (_natName is null || r.Mode == ReconcileMode.Halt) return;
            var ours = NatSubnets(r.Plan);
            bool IsOurs(HostPortMapping m) => ours.Any(s => s.Contains(m.InternalIp));

            var taken = Inv.PortMappings.Select(m => (m.Protocol, m.ExternalIp, m.ExternalPort)).ToList();
            var kept = new HashSet<HostPortMapping>();
            var adds = new List<HostOperation>();
            foreach (var vm in Targets)
            {
                foreach (var p in vm.ForwardedPorts)
                {
                    var externalIp = p.HostIp ?? AnyAddress;
                    var existing = Inv.PortMappings.FirstOrDefault(m => m.Protocol == p.Protocol && m.ExternalIp == externalIp &&
                        m.ExternalPort == p.HostPort && m.InternalIp == p.GuestIp && m.InternalPort == p.GuestPort);
                    if (existing is null && p.AutoCorrect)
                    {
                        // A port corrected by an earlier 'lab up' stays where it went.
                        existing = Inv.PortMappings.FirstOrDefault(m => IsOurs(m) && m.Protocol == p.Protocol && m.ExternalIp == externalIp &&
                            m.InternalIp == p.GuestIp && m.InternalPort == p.GuestPort && !kept.Contains(m));
                    }
                    if (existing is not null)
                    {
                        kept.Add(existing);
                        _ports.Add(new EffectivePortMapping(vm.Name, p.Protocol, p.HostIp, p.HostPort, existing.ExternalPort, p.GuestIp, p.GuestPort));
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
                    adds.Add(new AddPortMapping(_natName, p.Protocol, externalIp, port, p.GuestIp, p.GuestPort));
                    _ports.Add(new EffectivePortMapping(vm.Name, p.Protocol, p.HostIp, p.HostPort, port, p.GuestIp, p.GuestPort));

                    string? Holder(int candidate)
                    {
                        var clash = Inv.PortMappings.FirstOrDefault(m => Clashes(m.Protocol, m.ExternalIp, m.ExternalPort, p.Protocol, externalIp, candidate));
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
            }

            // Mappings of this lab that the Labfile no longer asks for go first, which frees their ports.
            if (r.TargetVms.IsEmpty)
            {
                foreach (var stale in Inv.PortMappings.Where(m => IsOurs(m) && !kept.Contains(m)))
                    _network.Add(new RemovePortMapping(stale.NatName, stale.Protocol, stale.ExternalIp, stale.ExternalPort, stale.InternalIp, stale.InternalPort));
            }
            _network.AddRange(adds);
        }

        private void PlanVm(VmPlan vm)
        {
            var files = r.Files[vm.Name];
            var host = Inv.Vm(vm.HyperVName);
            var id = vm.HyperVName;
            var ops = new List<HostOperation>();

            if (host is not null && !r.Identity.Owns(host.Notes))
            {
                var interrupted = string.IsNullOrEmpty(host.Notes) && r.PendingVms.Contains(id);
                if (!interrupted)
                {
                    _conflicts.Add(new Conflict(ForeignObject("VM", id, host.Notes) + " Rename the VM in the Labfile."));
                    return;
                }
                if (r.Mode == ReconcileMode.Halt) return;
                // Created by an interrupted 'lab up' before it was marked: remove and create it again.
                if (host.State != VmState.Off) ops.Add(new StopVm(id, TurnOff: true));
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
                if (!Inv.FileExists(files.DiskPath))
                    ops.Add(new CreateDisk(id, files.DiskPath, files.BoxPath));
                ops.Add(new CreateVm(id, vm.Generation, vm.MemoryBytes, files.Folder, files.DiskPath, r.Identity.Mark));
                ops.Add(new SetVmHardware(id, vm.Cpus, vm.MemoryBytes));
                foreach (var a in vm.Adapters)
                    ops.Add(new AddVmAdapter(id, a.GuestInterfaceName, _switchOf[a.Network], a.Mac));
                ops.Add(new AttachSeed(id, files.SeedPath, ReplaceExisting: false));
                if (vm.Generation == 2)
                    ops.Add(new SetFirmware(id, true, SecureBootTemplate(vm.Os), files.DiskPath));
                ops.Add(new StartVm(id));
                _vms.Add((vm.Name, [.. ops]));
                return;
            }

            var isOff = host.State == VmState.Off;
            if (r.Mode == ReconcileMode.Halt)
            {
                if (!isOff) _vms.Add((vm.Name, [new StopVm(id, TurnOff: false)]));
                return;
            }

            // Changes Hyper-V accepts on a running VM, and those it refuses until the VM is off.
            var live = new List<HostOperation>();
            var offline = new List<HostOperation>();
            var hotPlug = vm.Generation == 2 ? live : offline;
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
            var seedChanged = !host.DvdDrives.Contains(files.SeedPath, StringComparer.OrdinalIgnoreCase);
            if (seedChanged)
            {
                // Changing the disc in an existing drive works while running; adding a drive does not.
                if (host.DvdDrives.IsEmpty) offline.Add(new AttachSeed(id, files.SeedPath, ReplaceExisting: false));
                else live.Add(new AttachSeed(id, files.SeedPath, ReplaceExisting: true));
            }
            // The inventory shows whether secure boot is on, not with which template: a VM whose creation
            // did not finish may still have New-VM's default (MicrosoftWindows), so its firmware is set again.
            var unfinished = r.PendingVms.Contains(id);
            if (vm.Generation == 2 && (!host.SecureBoot || unfinished))
                offline.Add(new SetFirmware(id, true, SecureBootTemplate(vm.Os), files.DiskPath));

            if (r.Mode == ReconcileMode.Reload)
            {
                if (!isOff) ops.Add(new StopVm(id, TurnOff: false));
                ops.AddRange(live);
                ops.AddRange(offline);
                ops.Add(new StartVm(id));
            }
            else
            {
                ops.AddRange(live);
                if (isOff || host.State == VmState.Saved)
                {
                    ops.AddRange(offline);
                    ops.Add(new StartVm(id));
                }
                else if (offline.Count > 0)
                {
                    Pending(vm.Name, [.. offline.Select(o => o.Describe())], $"VM '{vm.Name}' is running; 'lab reload {vm.Name}' applies what needs it off: " +
                        string.Join("; ", offline.Select(o => o.Describe())) + ".");
                }
                if (seedChanged && !isOff && offline.Count == 0)
                    Pending(vm.Name, ["apply the new seed (its network or hostname changed) at the next boot"],
                        $"VM '{vm.Name}' has a new seed (its network or hostname changed); 'lab reload {vm.Name}' restarts it so cloud-init applies it.");
                if (host.State == VmState.Paused)
                    _notices.Add($"VM '{vm.Name}' is paused; resume it in Hyper-V Manager or run 'lab reload {vm.Name}'.");
            }
            _vms.Add((vm.Name, [.. ops]));
        }

        private void Pending(string vm, ImmutableArray<string> changes, string notice)
        {
            _notices.Add(notice);
            _pending.Add(new PendingChange(vm, changes, $"lab reload {vm}", notice));
        }

        private void NoticeStrayVms()
        {
            var planned = r.Plan.Vms.Select(v => v.HyperVName).ToHashSet(StringComparer.OrdinalIgnoreCase);
            foreach (var stray in Inv.Vms.Where(v => r.Identity.Owns(v.Notes) && !planned.Contains(v.Name)))
                _notices.Add($"VM '{stray.Name}' of this lab is no longer in the Labfile; 'lab down' removes it with the rest of the lab.");
        }
    }

    private static Reconciliation Down(ReconcileRequest r)
    {
        var inv = r.Inventory;
        var vms = new List<(string, ImmutableArray<HostOperation>)>();
        var ours = inv.Vms.Where(v => r.Identity.Owns(v.Notes) || (string.IsNullOrEmpty(v.Notes) && r.PendingVms.Contains(v.Name))).ToList();
        foreach (var vm in ours)
        {
            var ops = new List<HostOperation>();
            if (vm.State != VmState.Off) ops.Add(new StopVm(vm.Name, TurnOff: true));
            ops.Add(new RemoveVm(vm.Name));
            foreach (var file in vm.HardDisks.Concat(vm.DvdDrives).Where(f => IsUnder(f, r.LabFolder)).Distinct(StringComparer.OrdinalIgnoreCase))
                ops.Add(new RemoveFile(vm.Name, file));
            vms.Add((vm.Name, [.. ops]));
        }
        // Disks left by a 'lab up' interrupted before their VM existed.
        foreach (var (name, files) in r.Files)
        {
            if (ours.Any(v => string.Equals(v.Name, PlanRules.VmName(r.Identity.Lab, name), StringComparison.OrdinalIgnoreCase))) continue;
            var leftovers = new[] { files.DiskPath }.Where(inv.FileExists).Select(f => (HostOperation)new RemoveFile(name, f)).ToImmutableArray();
            if (!leftovers.IsEmpty) vms.Add((name, leftovers));
        }

        var teardown = new List<HostOperation>();
        var ourSwitches = inv.Switches.Where(s => r.Identity.Owns(s.Notes)).ToList();
        var ourSubnets = ourSwitches
            .Select(s => inv.HostVnicOf(s.Name))
            .OfType<HostNetAdapter>()
            .SelectMany(a => a.Addresses.Select(ip => ip.Subnet))
            .Concat(NatSubnets(r.Plan))
            .ToList();
        var ourMappings = inv.PortMappings.Where(m => ourSubnets.Any(s => s.Contains(m.InternalIp))).ToList();
        foreach (var m in ourMappings)
            teardown.Add(new RemovePortMapping(m.NatName, m.Protocol, m.ExternalIp, m.ExternalPort, m.InternalIp, m.InternalPort));
        foreach (var s in ourSwitches)
            teardown.Add(new RemoveSwitch(s.Name));

        var removedVms = ours.Select(v => v.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
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
                inv.HostVnicOf(s.Name) is { } vnic && vnic.Addresses.Any(ip => nat.InternalPrefix.Contains(ip.Address)));
            var otherMappings = inv.PortMappings.Any(m => m.NatName == nat.Name && !ourMappings.Contains(m));
            if (!otherLabs && !otherMappings)
                teardown.Add(new RemoveNat(nat.Name));
        }

        return new Reconciliation([], [.. vms], [.. teardown], [], [], [], inv.Nats.FirstOrDefault()?.Name);
    }

    private static List<Ipv4Subnet> NatSubnets(LabPlan plan) =>
        plan.Networks.Where(n => n.Type == NetworkType.Nat && n.Subnet is not null).Select(n => n.Subnet!.Value).ToList();

    private static bool Clashes(PortProtocol p1, Ipv4Address ip1, int port1, PortProtocol p2, Ipv4Address ip2, int port2) =>
        p1 == p2 && port1 == port2 && (ip1 == ip2 || ip1 == AnyAddress || ip2 == AnyAddress);

    private static string Proto(PortProtocol p) => p.ToString().ToLowerInvariant();

    private static bool IsUnder(string path, string folder)
    {
        var f = folder.TrimEnd('/', '\\');
        return path.Length > f.Length + 1 && path.StartsWith(f, StringComparison.OrdinalIgnoreCase) && path[f.Length] is '/' or '\\';
    }

    private static string ForeignObject(string what, string name, string notes) => LabIdentity.Parse(notes) is { } other
        ? $"a {what} named '{name}' already exists and belongs to lab '{other.Lab}' of another project ({other.ProjectId}); two labs on one host need different names."
        : $"a {what} named '{name}' already exists and was not created by LabRunner; LabRunner never changes or removes what it did not create.";
}
