namespace LabRunner.Providers.HyperV.Tests.Support;

/// <summary>
/// The commands of <c>type: smb</c> synced folders, as documented: SmbShare and NetSecurity from the Windows Server
/// 2022 reference, Microsoft.PowerShell.LocalAccounts from PowerShell-Docs (5.1, where it ships), and icacls.exe, a
/// native tool (Windows Commands reference), called with constant switches and single-quoted values only.
/// </summary>
internal static partial class DocumentedCmdlets
{
    /// <summary>The module of a native program: not a cmdlet, no parameters, its arguments positional.</summary>
    public const string NativeTool = "native";

    private const string LocalAccounts = "MicrosoftDocs/PowerShell-Docs reference/5.1/Microsoft.PowerShell.LocalAccounts/";

    private static bool IsShareCmdlet(DocumentedCmdlet c) =>
        c.Source.Contains("/smbshare/", StringComparison.Ordinal) || c.Source.Contains("/netsecurity/", StringComparison.Ordinal) || c.Module == "Microsoft.PowerShell.LocalAccounts";

    private static DocumentedCmdlet[] ShareCmdlets =>
    [
        new("Microsoft.PowerShell.LocalAccounts", "New-LocalUser",
            ["Name", "Password", "NoPassword", "AccountExpires", "AccountNeverExpires", "Description", "Disabled", "FullName",
             "PasswordNeverExpires", "UserMayNotChangePassword", "WhatIf", "Confirm"],
            ["NoPassword", "AccountNeverExpires", "Disabled", "PasswordNeverExpires", "UserMayNotChangePassword"], null, LocalAccounts + "New-LocalUser.md"),
        new("Microsoft.PowerShell.LocalAccounts", "Set-LocalUser",
            ["Name", "InputObject", "SID", "AccountExpires", "AccountNeverExpires", "Description", "FullName", "Password",
             "PasswordNeverExpires", "UserMayChangePassword", "WhatIf", "Confirm"],
            ["AccountNeverExpires"], null, LocalAccounts + "Set-LocalUser.md"),
        new("Microsoft.PowerShell.LocalAccounts", "Get-LocalUser", ["Name", "SID"], [], null, LocalAccounts + "Get-LocalUser.md"),
        new("Microsoft.PowerShell.LocalAccounts", "Remove-LocalUser", ["Name", "InputObject", "SID", "WhatIf", "Confirm"], [], null,
            LocalAccounts + "Remove-LocalUser.md"),

        new(null, "New-SmbShare",
            [.. Cdxml, "Temporary", "ContinuouslyAvailable", "Description", "ConcurrentUserLimit", "CATimeout", "FolderEnumerationMode", "CachingMode",
             "FullAccess", "ChangeAccess", "ReadAccess", "NoAccess", "SecurityDescriptor", "Path", "Name", "ScopeName", "EncryptData", "CompressData",
             "LeasingMode", .. ShouldProcess],
            ["Temporary", "AsJob"], null, Docs + "smbshare/New-SmbShare.md"),
        new(null, "Get-SmbShare",
            [.. Cdxml, "Name", "ScopeName", "Scoped", "Special", "ContinuouslyAvailable", "ShareState", "FolderEnumerationMode", "CachingMode",
             "LeasingMode", "ConcurrentUserLimit", "AvailabilityType", "CaTimeout", "EncryptData", "CompressData", "IncludeHidden", "SmbInstance"],
            ["IncludeHidden", "AsJob"], null, Docs + "smbshare/Get-SmbShare.md"),
        new(null, "Remove-SmbShare",
            [.. Cdxml, "Name", "ScopeName", "SmbInstance", "InputObject", "Force", "PassThru", .. ShouldProcess],
            ["Force", "PassThru", "AsJob"], null, Docs + "smbshare/Remove-SmbShare.md"),

        new(null, "New-NetFirewallRule",
            [.. Cdxml, "PolicyStore", "GPOSession", "Name", "DisplayName", "Description", "Group", "Enabled", "Profile", "Platform", "Direction",
             "Action", "EdgeTraversalPolicy", "LooseSourceMapping", "LocalOnlyMapping", "Owner", "LocalAddress", "RemoteAddress", "Protocol",
             "LocalPort", "RemotePort", "IcmpType", "DynamicTarget", "Program", "Package", "Service", "InterfaceAlias", "InterfaceType", "LocalUser",
             "RemoteUser", "RemoteMachine", "Authentication", "Encryption", "OverrideBlockRules", .. ShouldProcess],
            ["AsJob"], null, Docs + "netsecurity/New-NetFirewallRule.md"),
        new(null, "Get-NetFirewallRule",
            [.. Cdxml, "All", "Name", "DisplayName", "Description", "DisplayGroup", "Group", "Enabled", "Direction", "Action", "EdgeTraversalPolicy",
             "LooseSourceMapping", "LocalOnlyMapping", "Owner", "PrimaryStatus", "Status", "PolicyStoreSource", "PolicyStoreSourceType", "PolicyStore",
             "GPOSession", "TracePolicyStore"],
            ["All", "TracePolicyStore", "AsJob"], null, Docs + "netsecurity/Get-NetFirewallRule.md"),
        new(null, "Remove-NetFirewallRule",
            [.. Cdxml, "All", "Name", "DisplayName", "Description", "DisplayGroup", "Group", "PolicyStore", "GPOSession", "TracePolicyStore",
             "InputObject", "PassThru", .. ShouldProcess],
            ["All", "TracePolicyStore", "PassThru", "AsJob"], null, Docs + "netsecurity/Remove-NetFirewallRule.md"),

        new(NativeTool, "icacls.exe", [], [], null, "MicrosoftDocs/windowsserverdocs WindowsServerDocs/administration/windows-commands/icacls.md"),
    ];
}
