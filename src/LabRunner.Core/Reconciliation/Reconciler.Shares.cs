using System.Collections.Immutable;
using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Core.Net;
using LabRunner.Core.Planning;

namespace LabRunner.Core.Reconciliation;

/// <summary>
/// What <c>type: smb</c> synced folders need besides the plan, gathered by the engine: the password of the lab's
/// share account (kept owner-only in <c>.lab/</c>), whether it was made just now (the project's copy was missing, so
/// an existing account gets it set), and each folder's full path on the host, by its <c>host</c> value as written.
/// </summary>
public sealed record ShareRequest(HostSecret Password, bool PasswordIsNew, ImmutableDictionary<string, string> FolderPaths);

/// <summary>
/// Synced folders over SMB: one local account per lab, one share per folder and VM granted to that account only, and
/// one firewall rule per network that lets SMB in on that network's host interface only. Each carries the lab's mark
/// (a share's and a rule's description, the account's full name); only marked ones are ever changed or removed.
/// </summary>
public static partial class Reconciler
{
    /// <summary>What of the lab's shares, rules and account 'down' removes: only what carries this lab's mark.</summary>
    private static IEnumerable<HostOperation> ShareTeardown(HostInventory inv, LabIdentity identity)
    {
        var account = ShareNames.Account(identity);
        foreach (var share in inv.Shares.Where(s => identity.Owns(s.Description)))
            yield return new RemoveShare(share.Name, share.Path, account);
        foreach (var rule in inv.FirewallRules.Where(r => identity.Owns(r.Description)))
            yield return new RemoveShareTraffic(rule.Name);
        if (inv.Accounts.FirstOrDefault(a => SameAccount(a.Name, account)) is { } ours && identity.Owns(ours.FullName))
            yield return new RemoveShareAccount(ours.Name);
    }

    private static bool SameAccount(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    private sealed partial class Converger
    {
        /// <summary>A folder of a VM as shared: the share's name, the folder on the host, the network it is reached on.</summary>
        private sealed record WantedShare(string Vm, string Name, string Path, string Switch, Ipv4Address Gateway, Ipv4Subnet Subnet);

        private void PlanShares()
        {
            var wanted = WantedShares(Targets);
            var everything = request.TargetVms.IsEmpty;
            var accountName = ShareNames.Account(request.Identity);
            var account = Inv.Accounts.FirstOrDefault(a => SameAccount(a.Name, accountName));
            if (account is not null && !request.Identity.Owns(account.FullName) && (wanted.Count > 0 || everything))
            {
                if (wanted.Count > 0)
                    _conflicts.Add(new Conflict(ForeignObject("local account", account.Name, account.FullName) + " Remove or rename that account to use 'type: smb' synced folders."));
                account = null;
            }
            if (wanted.Count > 0)
            {
                var shares = request.Shares ?? throw new InvalidOperationException("A lab with 'type: smb' synced folders needs a ShareRequest.");
                if (account is null)
                    _network.Add(new CreateShareAccount(accountName, request.Identity.Mark, ShareNames.AccountDescription(request.Identity), shares.Password));
                else if (shares.PasswordIsNew)
                    _network.Add(new SetShareAccountPassword(account.Name, shares.Password));

                foreach (var net in wanted.GroupBy(w => w.Switch, StringComparer.OrdinalIgnoreCase).Select(g => g.First()))
                {
                    var ruleName = ShareNames.FirewallRule(net.Switch);
                    var rule = Inv.FirewallRules.FirstOrDefault(r => string.Equals(r.Name, ruleName, StringComparison.OrdinalIgnoreCase));
                    if (rule is null)
                        _network.Add(new AllowShareTraffic(ruleName, net.Switch, net.Gateway, net.Subnet, request.Identity.Mark));
                    else if (!request.Identity.Owns(rule.Description))
                        _conflicts.Add(new Conflict(ForeignObject("firewall rule", rule.Name, rule.Description)));
                }

                foreach (var share in wanted)
                {
                    var existing = Inv.Shares.FirstOrDefault(s => string.Equals(s.Name, share.Name, StringComparison.OrdinalIgnoreCase));
                    if (existing is not null && !request.Identity.Owns(existing.Description))
                    {
                        _conflicts.Add(new Conflict(ForeignObject("share", existing.Name, existing.Description) + $" Rename VM '{share.Vm}' or the lab."));
                        continue;
                    }
                    if (existing is not null && string.Equals(existing.Path, share.Path, request.Rules.PathComparison)) continue;
                    // The folder changed in the Labfile: the share moves to the new one.
                    if (existing is not null) _network.Add(new RemoveShare(existing.Name, existing.Path, accountName));
                    _network.Add(new CreateShare(share.Name, share.Path, accountName, request.Identity.Mark));
                }
            }
            if (!everything) return;

            // A whole-lab run removes what no folder of the Labfile asks for any more: shares, then rules, then the account.
            var keep = WantedShares(request.Plan.Vms);
            foreach (var stale in Inv.Shares.Where(s => request.Identity.Owns(s.Description) && !keep.Any(k => string.Equals(k.Name, s.Name, StringComparison.OrdinalIgnoreCase))))
                _teardown.Add(new RemoveShare(stale.Name, stale.Path, accountName));
            var keepRules = keep.Select(k => ShareNames.FirewallRule(k.Switch)).ToHashSet(StringComparer.OrdinalIgnoreCase);
            foreach (var stale in Inv.FirewallRules.Where(r => request.Identity.Owns(r.Description) && !keepRules.Contains(r.Name)))
                _teardown.Add(new RemoveShareTraffic(stale.Name));
            if (keep.Count == 0 && account is not null)
                _teardown.Add(new RemoveShareAccount(account.Name));
        }

        /// <summary>
        /// The shares <paramref name="vms"/> ask for, each reached on the VM's first private or NAT network (the host's
        /// address there is the server the guest mounts). What cannot be shared is a conflict, before anything changes.
        /// </summary>
        private List<WantedShare> WantedShares(IEnumerable<VmPlan> vms)
        {
            var result = new List<WantedShare>();
            foreach (var vm in vms)
            {
                var folders = vm.SyncedFolders.Where(f => f.Type == SyncedFolderType.Smb).ToList();
                if (folders.Count == 0) continue;
                if (!request.Rules.SyncedFolderTypes.Contains(SyncedFolderType.Smb))
                {
                    Refuse($"VM '{vm.Name}': 'type: smb' synced folders are shared by a Hyper-V host; this host ({request.Rules.Name}) cannot share them. Use 'type: virtiofs' or 'type: push'.");
                    continue;
                }
                if (vm.Os == GuestOs.Windows)
                {
                    Refuse($"VM '{vm.Name}' runs Windows: 'type: smb' synced folders are mounted by Linux guests (cloud-init); use 'type: push' for a Windows guest.");
                    continue;
                }
                var adapter = vm.Adapters.FirstOrDefault(a => a.NetworkType is NetworkType.Private or NetworkType.Nat && a.Ip is not null);
                var network = adapter is null ? null : request.Plan.Networks.FirstOrDefault(n => string.Equals(n.Name, adapter.Network, StringComparison.OrdinalIgnoreCase));
                if (network is not { Gateway: { } gateway, Subnet: { } subnet } || !_switchOf.TryGetValue(network.Name, out var switchName))
                {
                    Refuse($"VM '{vm.Name}': a 'type: smb' synced folder is reached on the host's address of a private or nat network, and the VM has none; add one to the VM.");
                    continue;
                }
                foreach (var folder in folders)
                {
                    if (request.Shares?.FolderPaths.GetValueOrDefault(folder.HostPath) is not { } path)
                        throw new InvalidOperationException($"The ShareRequest has no full path for synced folder '{folder.HostPath}'.");
                    result.Add(new WantedShare(vm.Name, ShareNames.Share(vm, folder), path, switchName, gateway, subnet));
                }
            }
            return result;
        }

        private void Refuse(string message)
        {
            if (!_conflicts.Any(c => c.Message == message)) _conflicts.Add(new Conflict(message));
        }
    }
}
