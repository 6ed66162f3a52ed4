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
public static partial class Reconciler
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

    private sealed partial class Converger(ReconcileRequest request)
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
        private readonly HostInventory _inventory = request.Adopt && request.Mode != ReconcileMode.Halt ? Adopted(request.Inventory, request.Identity) : request.Inventory;
        private string? _natName;

        private HostInventory Inv => _inventory;
        private IEnumerable<VmPlan> Targets => request.Plan.Vms.Where(v => request.TargetVms.IsEmpty || request.TargetVms.Contains(v.Name));

        public Reconciliation Run()
        {
            // Whose lab this is comes first: when the lab's VMs carry another folder's mark or an earlier
            // name, that is the one thing to explain (the clashes it causes would only confuse).
            var ownership = OtherProjectConflict(request, "up") ?? EarlierNameConflict();
            if (ownership is not null)
                return new Reconciliation([], [], [], [ownership], [], [], null);
            if (request.Adopt && request.Mode != ReconcileMode.Halt)
                MarkAdopted();

            // Halting touches only this lab's VMs; the networks are left as they are.
            if (request.Mode != ReconcileMode.Halt)
            {
                PlanSwitches();
                PlanNat();
                PlanPorts();
                PlanShares();
                CheckMacs();
            }
            foreach (var vm in Targets)
                PlanVm(vm);
            if (request.Mode == ReconcileMode.Halt)
                HaltStrayVms();
            if (request.Mode is ReconcileMode.Up or ReconcileMode.Reload && request.TargetVms.IsEmpty)
                RemoveStaleNetworks();
            if (request.Mode == ReconcileMode.Up)
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
            if (EarlierNames(request) is not { } earlier) return null;
            return new Conflict($"this project's lab is on this host under its earlier name {earlier.Names} ({earlier.Objects}); the Labfile now names it '{request.Identity.Lab}'. " +
                "LabRunner does not rename a lab's VMs and switches, and the new ones would need the same disks and subnets. " +
                $"Either set 'name: {earlier.First}' back in the Labfile, or remove the lab under its earlier name with 'lab down --lab {earlier.First}' and then run 'lab up'.");
        }

        /// <summary>lab up --adopt: this lab's switches and VMs marked by another project folder get this project's mark first.</summary>
        private void MarkAdopted()
        {
            foreach (var sw in request.Inventory.Switches.Where(s => IsOtherProject(request.Identity, s.Notes)))
                _network.Add(new SetSwitchNotes(sw.Name, request.Identity.Mark));
            var planned = request.Plan.Vms.Select(v => v.HostVmName).ToHashSet(StringComparer.OrdinalIgnoreCase);
            foreach (var vm in request.Inventory.Vms.Where(v => IsOtherProject(request.Identity, v.Notes)))
            {
                if (planned.Contains(vm.Name)) _adoptedVms.Add(vm.Name);
                else _vms.Add((request.Rules.LabfileVmName(request.Identity.Lab, vm.Name) ?? vm.Name, [new SetVmNotes(vm.Name, request.Identity.Mark)]));
            }
        }
    }

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
