using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using LabRunner.Core.Hosting;
using LabRunner.Simulation.Model;

namespace LabRunner.Simulation;

/// <summary>
/// Local accounts (New-LocalUser), SMB shares (New-SmbShare), firewall rules (New-NetFirewallRule) and folder access
/// rules (icacls /grant), with Windows' rules: account names of at most 20 characters without <c>" / \ [ ] : ; | = , + * ? &lt; &gt; @</c>,
/// descriptions of at most 48; share names under 80 characters, not <c>pipe</c> or <c>mailslot</c>, on a folder that
/// exists, granted to accounts that exist; one rule per name; an access rule only for an account that exists.
/// </summary>
public sealed partial class HostModel
{
    private static readonly char[] AccountNameForbidden = ['"', '/', '\\', '[', ']', ':', ';', '|', '=', ',', '+', '*', '?', '<', '>', '@'];

    public SimLocalUser? FindLocalUser(string name) => State.LocalUsers.FirstOrDefault(u => SameName(u.Name, name));

    public SimLocalUser GetLocalUser(string name) => FindLocalUser(name) ?? throw UserNotFound(name);

    public SimSmbShare? FindSmbShare(string name) => State.SmbShares.FirstOrDefault(s => SameName(s.Name, name));

    public SimFirewallRule? FindFirewallRule(string name) => State.FirewallRules.FirstOrDefault(r => SameName(r.Name, name));

    /// <summary>SHA-256 of a password, as the host file keeps it.</summary>
    public static string PasswordHash(string password) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(password)));

    /// <summary>New-LocalUser -Name -Password -FullName -Description.</summary>
    public SimLocalUser NewLocalUser(string name, string password, string fullName, string description)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 20 || name.IndexOfAny(AccountNameForbidden) >= 0 || name.EndsWith('.'))
            throw WindowsErrors.InvalidArgument($"The name '{name}' is not a valid local account name (at most 20 characters, none of \" / \\ [ ] : ; | = , + * ? < > @).");
        if (description.Length > 48)
            throw WindowsErrors.InvalidArgument($"The description of account '{name}' has {description.Length} characters; at most 48 are allowed.");
        if (password.Length < 8)
            throw new SimulatedHostException(HostErrorKind.Failed, "InvalidPasswordException", "The password does not meet the password policy requirements.");
        if (FindLocalUser(name) is not null)
            throw new SimulatedHostException(HostErrorKind.AlreadyExists, "UserExists", $"User {name} already exists.");
        var user = new SimLocalUser
        {
            Name = name,
            FullName = fullName,
            Description = description,
            Sid = string.Create(CultureInfo.InvariantCulture, $"S-1-5-21-1000-2000-3000-{NextRelativeId()}"),
            PasswordSha256 = PasswordHash(password),
        };
        State.LocalUsers.Add(user);
        return user;
    }

    /// <summary>Set-LocalUser -Password.</summary>
    public void SetLocalUserPassword(SimLocalUser user, string password)
    {
        if (password.Length < 8)
            throw new SimulatedHostException(HostErrorKind.Failed, "InvalidPasswordException", "The password does not meet the password policy requirements.");
        user.PasswordSha256 = PasswordHash(password);
    }

    /// <summary>Remove-LocalUser. Windows leaves the account's SID in share and folder ACLs; so does the model.</summary>
    public void RemoveLocalUser(SimLocalUser user) => State.LocalUsers.Remove(user);

    /// <summary>New-SmbShare -Name -Path -ChangeAccess -FullAccess -Description.</summary>
    public SimSmbShare NewSmbShare(string name, string path, IReadOnlyList<string> changeAccess, IReadOnlyList<string> fullAccess, string description)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length >= 80 || SameName(name, "pipe") || SameName(name, "mailslot"))
            throw WindowsErrors.InvalidArgument($"The share name '{name}' is not valid (fewer than 80 characters; not 'pipe' or 'mailslot').");
        if (description.Length > 256)
            throw WindowsErrors.InvalidArgument("The description of a share may not contain more than 256 characters.");
        if (!Directory.Exists(path))
            throw new SimulatedHostException(HostErrorKind.NotFound, "Windows System Error 2", $"The system cannot find the file specified. ('{path}' is not a folder.)");
        if (FindSmbShare(name) is not null)
            throw new SimulatedHostException(HostErrorKind.AlreadyExists, "Windows System Error 2118", "The name has already been shared.");
        foreach (var account in changeAccess.Concat(fullAccess).Where(a => FindLocalUser(a) is null))
            throw NoMapping(account);
        var share = new SimSmbShare { Name = name, Path = path, Description = description, ChangeAccess = [.. changeAccess], FullAccess = [.. fullAccess] };
        State.SmbShares.Add(share);
        return share;
    }

    public void RemoveSmbShare(SimSmbShare share) => State.SmbShares.Remove(share);

    /// <summary>New-NetFirewallRule; the rule's name (its id) is unique.</summary>
    public SimFirewallRule NewFirewallRule(SimFirewallRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        if (string.IsNullOrEmpty(rule.DisplayName))
            throw WindowsErrors.InvalidArgument("A firewall rule needs a display name.");
        if (string.IsNullOrEmpty(rule.Name)) rule.Name = "{" + Guid.NewGuid().ToString("D") + "}";
        if (FindFirewallRule(rule.Name) is not null)
            throw new SimulatedHostException(HostErrorKind.AlreadyExists, WindowsErrors.ObjectExists, "Cannot create a file when that file already exists.");
        State.FirewallRules.Add(rule);
        return rule;
    }

    public void RemoveFirewallRule(SimFirewallRule rule) => State.FirewallRules.Remove(rule);

    /// <summary>icacls PATH /grant ACCOUNT:(OI)(CI)M: the folder must exist and the account be known. Granting twice keeps one rule.</summary>
    public void GrantFolderAccess(string path, string account)
    {
        if (!Directory.Exists(path))
            throw new SimulatedHostException(HostErrorKind.NotFound, "Windows System Error 2", $"{path}: The system cannot find the file specified.");
        if (FindLocalUser(account) is null) throw NoMapping(account);
        if (!State.FolderAccess.Any(a => SamePath(a.Path, path) && SameName(a.Account, account)))
            State.FolderAccess.Add(new SimFolderAccess { Path = path, Account = account });
    }

    /// <summary>icacls PATH /remove:g ACCOUNT: the account must be known (its name is turned into a SID first).</summary>
    public void RevokeFolderAccess(string path, string account)
    {
        if (FindLocalUser(account) is null) throw NoMapping(account);
        State.FolderAccess.RemoveAll(a => SamePath(a.Path, path) && SameName(a.Account, account));
    }

    /// <summary>The host's shares, rules and accounts on top of the rest of the inventory.</summary>
    private HostInventory WithShares(HostInventory inventory) => inventory with
    {
        Shares = [.. State.SmbShares.Select(s => new HostShare(s.Name, s.Path, s.Description))],
        FirewallRules = [.. State.FirewallRules.Select(r => new HostFirewallRule(r.Name, r.Description))],
        Accounts = [.. State.LocalUsers.Select(u => new HostAccount(u.Name, u.FullName))],
    };

    /// <summary>Windows numbers local accounts from 1001 and never hands a number out twice while the account exists.</summary>
    private int NextRelativeId() => 1 + State.LocalUsers.Select(u => int.TryParse(u.Sid[(u.Sid.LastIndexOf('-') + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var rid) ? rid : 1000)
        .DefaultIfEmpty(1000).Max();

    public static SimulatedHostException UserNotFound(string name) =>
        new(HostErrorKind.NotFound, "UserNotFound", $"User {name} was not found.");

    private static SimulatedHostException NoMapping(string account) =>
        new(HostErrorKind.NotFound, "Windows System Error 1332", $"No mapping between account names and security IDs was done. ({account})");
}
