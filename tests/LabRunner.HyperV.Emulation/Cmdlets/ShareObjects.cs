using System.Management.Automation;
using LabRunner.Simulation.Model;

namespace LabRunner.HyperV.Emulation.Cmdlets;

/// <summary>
/// The objects of the SmbShare, NetSecurity and LocalAccounts cmdlets, as PSObjects with Windows' type names and
/// property names (a CimInstance cannot be built on Linux; LocalUser is a .NET class of the LocalAccounts module).
/// </summary>
internal static class ShareObjects
{
    public static PSObject SmbShare(SimSmbShare share) => Cim("ROOT/Microsoft/Windows/SMB", "MSFT_SmbShare",
        ("Name", share.Name),
        ("ScopeName", "*"),
        ("Path", share.Path),
        ("Description", share.Description),
        ("ShareState", "Online"),
        ("Special", false),
        ("Temporary", false));

    public static PSObject FirewallRule(SimFirewallRule rule) => Cim("ROOT/StandardCimv2", "MSFT_NetFirewallRule",
        ("Name", rule.Name),
        ("ID", rule.Name),
        ("InstanceID", rule.Name),
        ("DisplayName", rule.DisplayName),
        ("Description", rule.Description),
        ("Direction", rule.Direction),
        ("Action", rule.Action),
        ("Enabled", "True"),
        ("Profile", rule.Profile),
        ("PolicyStoreSourceType", "Local"));

    public static PSObject LocalUser(SimLocalUser user)
    {
        var result = new PSObject();
        foreach (var (name, value) in new (string, object?)[]
                 {
                     ("Name", user.Name), ("FullName", user.FullName), ("Description", user.Description), ("SID", user.Sid),
                     ("Enabled", true), ("PrincipalSource", "Local"), ("ObjectClass", "User"),
                 })
            result.Properties.Add(new PSNoteProperty(name, value));
        result.TypeNames.Insert(0, "Microsoft.PowerShell.Commands.LocalUser");
        return result;
    }

    private static PSObject Cim(string cimNamespace, string cimClass, params (string Name, object? Value)[] properties)
    {
        var result = new PSObject();
        foreach (var (name, value) in properties)
            result.Properties.Add(new PSNoteProperty(name, value));
        result.TypeNames.Clear();
        result.TypeNames.Add($"Microsoft.Management.Infrastructure.CimInstance#{cimNamespace}/{cimClass}");
        result.TypeNames.Add("Microsoft.Management.Infrastructure.CimInstance#" + cimClass);
        result.TypeNames.Add("Microsoft.Management.Infrastructure.CimInstance");
        result.TypeNames.Add("System.Object");
        return result;
    }
}
