namespace LabRunner.Simulation.Model;

/// <summary>The host's local accounts, SMB shares, firewall rules and the folder access rules LabRunner adds (synced folders over SMB).</summary>
public sealed partial class SimulatedHostState
{
    public List<SimLocalUser> LocalUsers { get; set; } = [];

    public List<SimSmbShare> SmbShares { get; set; } = [];

    public List<SimFirewallRule> FirewallRules { get; set; } = [];

    /// <summary>Inheritable Modify rules on folders, one per folder and account (icacls /grant ACCOUNT:(OI)(CI)M).</summary>
    public List<SimFolderAccess> FolderAccess { get; set; } = [];
}

/// <summary>A local account (Get-LocalUser). The password is kept only as its SHA-256, so the host file never holds it.</summary>
public sealed class SimLocalUser
{
    public string Name { get; set; } = "";

    public string FullName { get; set; } = "";

    public string Description { get; set; } = "";

    /// <summary>The account's security identifier, as Windows gives one to every new account.</summary>
    public string Sid { get; set; } = "";

    /// <summary>Lower-case hex SHA-256 of the UTF-8 password; "" for an account without one.</summary>
    public string PasswordSha256 { get; set; } = "";
}

/// <summary>An SMB share (Get-SmbShare) with the accounts its ACL grants change access.</summary>
public sealed class SimSmbShare
{
    public string Name { get; set; } = "";

    public string Path { get; set; } = "";

    public string Description { get; set; } = "";

    public List<string> ChangeAccess { get; set; } = [];

    public List<string> FullAccess { get; set; } = [];
}

/// <summary>A firewall rule (Get-NetFirewallRule) with the conditions LabRunner sets.</summary>
public sealed class SimFirewallRule
{
    public string Name { get; set; } = "";

    public string DisplayName { get; set; } = "";

    public string Description { get; set; } = "";

    public string Direction { get; set; } = "Inbound";

    public string Action { get; set; } = "Allow";

    public string Protocol { get; set; } = "Any";

    public string LocalPort { get; set; } = "Any";

    public string InterfaceAlias { get; set; } = "Any";

    public string LocalAddress { get; set; } = "Any";

    public string RemoteAddress { get; set; } = "Any";

    public string Profile { get; set; } = "Any";
}

public sealed class SimFolderAccess
{
    public string Path { get; set; } = "";

    public string Account { get; set; } = "";
}
