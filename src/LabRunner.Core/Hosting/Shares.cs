using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using LabRunner.Core.Net;
using LabRunner.Core.Planning;

namespace LabRunner.Core.Hosting;

/// <summary>
/// A secret an operation takes to the host (the password of the lab's share account). It is never part of an
/// operation's text: <see cref="ToString"/> and the record's printing show <c>***</c>, and providers hand the
/// value to the host out of band (Hyper-V: on the PowerShell process's standard input, never in the script).
/// </summary>
public sealed class HostSecret : IEquatable<HostSecret>
{
    private readonly string _value;

    public HostSecret(string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(value);
        _value = value;
    }

    /// <summary>The value itself, for the one place that hands it to the host.</summary>
    public string Reveal() => _value;

    public override string ToString() => "***";

    public bool Equals(HostSecret? other) => other is not null && string.Equals(_value, other._value, StringComparison.Ordinal);

    public override bool Equals(object? obj) => Equals(obj as HostSecret);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(_value);
}

/// <summary>An SMB share of the host (Get-SmbShare / MSFT_SmbShare): its name, folder and description, which carries LabRunner's mark.</summary>
public sealed record HostShare(string Name, string Path, string Description);

/// <summary>A firewall rule of the host (Get-NetFirewallRule / MSFT_NetFirewallRule): its name (the rule's id) and description, which carries LabRunner's mark.</summary>
public sealed record HostFirewallRule(string Name, string Description);

/// <summary>A local account of the host (Get-LocalUser / Win32_UserAccount): its name and full name, which carries LabRunner's mark.</summary>
public sealed record HostAccount(string Name, string FullName);

/// <summary>The host's SMB shares, firewall rules and local accounts: only read where the provider has synced folders over SMB.</summary>
public sealed partial record HostInventory
{
    public ImmutableArray<HostShare> Shares { get; init; } = [];

    public ImmutableArray<HostFirewallRule> FirewallRules { get; init; } = [];

    public ImmutableArray<HostAccount> Accounts { get; init; } = [];
}

/// <summary>
/// The names of what a lab's <c>type: smb</c> synced folders make on the host. Stable: the same lab in the same
/// project folder always gets the same names, so the inventory tells what exists; the mark (<see cref="LabIdentity.Mark"/>)
/// in a share's and a rule's description and in the account's full name tells whose it is.
/// </summary>
public static class ShareNames
{
    /// <summary>
    /// The local account the guests connect as: <c>lab</c> and 8 hex digits of the lab's identity — 11 characters, as
    /// Windows allows at most 20 in a local account's name, and none that could be a pattern or need quoting.
    /// </summary>
    public static string Account(LabIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        return "lab" + Hex($"labrunner-smb-account-v1\n{identity.ProjectId}\n{identity.Lab}");
    }

    /// <summary>
    /// The share of one synced folder of one VM: <c>HOSTVM-TAG</c>; a name of 80 characters or more (New-SmbShare's
    /// limit) becomes <c>lab-HASH-TAG</c>.
    /// </summary>
    public static string Share(VmPlan vm, SyncedFolderPlan folder)
    {
        ArgumentNullException.ThrowIfNull(vm);
        ArgumentNullException.ThrowIfNull(folder);
        var name = $"{vm.HostVmName}-{folder.Tag}";
        return name.Length < 80 ? name : $"lab-{Hex("labrunner-smb-share-v1\n" + vm.HostVmName)}-{folder.Tag}";
    }

    /// <summary>
    /// Where <paramref name="vm"/> mounts its shares from: the host's address on the VM's first private or NAT network
    /// (its host vNIC, where the firewall rule lets SMB in); null when the VM has no such network.
    /// </summary>
    public static Ipv4Address? Server(LabPlan plan, VmPlan vm)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(vm);
        var adapter = vm.Adapters.FirstOrDefault(a => a.NetworkType is Labfile.NetworkType.Private or Labfile.NetworkType.Nat && a.Ip is not null);
        return adapter is null ? null
            : plan.Networks.FirstOrDefault(n => string.Equals(n.Name, adapter.Network, StringComparison.OrdinalIgnoreCase))?.Gateway;
    }

    /// <summary>The firewall rule that lets SMB in on one network's host interface only.</summary>
    public static string FirewallRule(string switchName) => $"LabRunner SMB {switchName}";

    /// <summary>The account's description, shown in Computer Management (at most 48 characters, New-LocalUser's limit).</summary>
    public static string AccountDescription(LabIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        var text = $"LabRunner synced folders of lab {identity.Lab}";
        return text.Length <= 48 ? text : text[..48];
    }

    private static string Hex(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)).AsSpan(0, 4));
}

// Operations (host networking: they belong to no VM)

/// <summary>
/// The local account the lab's guests mount its shares as, with a random password, marked in its full name
/// (Hyper-V: New-LocalUser -Password, the password never in the script's text; it never expires).
/// </summary>
public sealed record CreateShareAccount(string Account, string FullName, string Description, HostSecret Password) : HostOperation
{
    public override string Describe() => $"create local account '{Account}' for the lab's shares";
}

/// <summary>The account's password set again: the project's copy was lost, and the guests get the new one (Hyper-V: Set-LocalUser -Password).</summary>
public sealed record SetShareAccountPassword(string Account, HostSecret Password) : HostOperation
{
    public override string Describe() => $"set a new password on local account '{Account}'";
}

/// <summary>
/// SMB (TCP 445) in from <see cref="RemoteSubnet"/> to the host's own address on one network's host interface, and
/// nowhere else (Hyper-V: New-NetFirewallRule -InterfaceAlias 'vEthernet (SWITCH)' -LocalAddress -RemoteAddress).
/// </summary>
public sealed record AllowShareTraffic(string RuleName, string SwitchName, Ipv4Address LocalAddress, Ipv4Subnet RemoteSubnet, string Description) : HostOperation
{
    public override string Describe() => $"allow SMB (TCP 445) from {RemoteSubnet} to {LocalAddress} on {Words.Switch} '{SwitchName}' only";
}

/// <summary>
/// A folder of the project shared with the lab's account only: the account may change files in the folder, and the
/// share grants it alone (Hyper-V: the folder's access rule for the account, then New-SmbShare -ChangeAccess ACCOUNT).
/// </summary>
public sealed record CreateShare(string Name, string Path, string Account, string Description) : HostOperation
{
    public override string Describe() => $"share '{Path}' as '{Name}' with account '{Account}' only";
}

/// <summary>The share goes, and the account's access rule on the folder with it (Hyper-V: Remove-SmbShare, then the folder's rules for the account).</summary>
public sealed record RemoveShare(string Name, string Path, string Account) : HostOperation
{
    public override string Describe() => $"stop sharing '{Path}' as '{Name}'";
}

/// <summary>The firewall rule for a network's shares goes (Hyper-V: Remove-NetFirewallRule -Name).</summary>
public sealed record RemoveShareTraffic(string RuleName) : HostOperation
{
    public override string Describe() => $"remove firewall rule '{RuleName}'";
}

/// <summary>The lab's share account goes (Hyper-V: Remove-LocalUser).</summary>
public sealed record RemoveShareAccount(string Account) : HostOperation
{
    public override string Describe() => $"remove local account '{Account}'";
}
