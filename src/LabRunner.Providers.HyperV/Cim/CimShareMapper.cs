using LabRunner.Core.Hosting;

namespace LabRunner.Providers.HyperV.Cim;

/// <summary>
/// The shares, firewall rules and local accounts of the inventory (see <see cref="CimClasses.ShareQueries"/>), with
/// the properties the classes document: MSFT_SmbShare Name, Path, Description (Special shares — C$, IPC$ — left out);
/// MSFT_NetFirewallRule InstanceID (what the cmdlets call Name) and Description; Win32_UserAccount Name and FullName
/// of the accounts whose LocalAccount is true. Conditions a fake client ignores are applied here again.
/// </summary>
public static class CimShareMapper
{
    public static HostInventory WithShares(HostInventory inventory, IReadOnlyDictionary<string, IReadOnlyList<CimRecord>> records)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        ArgumentNullException.ThrowIfNull(records);
        IReadOnlyList<CimRecord> Of(string className) => records.GetValueOrDefault(className) ?? [];
        return inventory with
        {
            Shares = [.. Of(CimClasses.SmbShare).Where(s => s.Bool("Special") != true && s.String("Name") is not null)
                .Select(s => new HostShare(s.String("Name")!, s.String("Path") ?? "", s.String("Description") ?? ""))],
            FirewallRules = [.. Of(CimClasses.NetFirewallRule).Where(r => r.String("InstanceID") is not null)
                .Select(r => new HostFirewallRule(r.String("InstanceID")!, r.String("Description") ?? ""))],
            Accounts = [.. Of(CimClasses.UserAccount).Where(a => a.Bool("LocalAccount") != false && a.String("Name") is not null)
                .Select(a => new HostAccount(a.String("Name")!, a.String("FullName") ?? ""))],
        };
    }
}
