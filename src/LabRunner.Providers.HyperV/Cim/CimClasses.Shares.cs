namespace LabRunner.Providers.HyperV.Cim;

/// <summary>The classes that tell what <c>type: smb</c> synced folders made: shares, firewall rules, local accounts.</summary>
public static partial class CimClasses
{
    public const string Smb = "root/Microsoft/Windows/SMB";
    public const string Cimv2 = "root/cimv2";

    public const string SmbShare = "MSFT_SmbShare";
    public const string NetFirewallRule = "MSFT_NetFirewallRule";
    public const string UserAccount = "Win32_UserAccount";

    /// <summary>Only the machine's own accounts: without it, Win32_UserAccount on a domain member enumerates the domain's.</summary>
    public const string LocalAccountsOnly = "LocalAccount = TRUE";

    /// <summary>
    /// Read with every inventory, beside <see cref="InventoryQueries"/>; a condition only where the class is known to
    /// take WQL (Win32_UserAccount), the others are enumerated and filtered by <see cref="CimShareMapper"/>.
    /// </summary>
    public static IReadOnlyList<(string Namespace, string ClassName, string? Condition)> ShareQueries { get; } =
    [
        (Smb, SmbShare, null),
        (StandardCimv2, NetFirewallRule, null),
        (Cimv2, UserAccount, LocalAccountsOnly),
    ];
}
