using System.Management.Automation;
using LabRunner.Simulation;
using LabRunner.Simulation.Model;

namespace LabRunner.HyperV.Emulation.Cmdlets;

/// <summary>Get-NetFirewallRule [[-Name] &lt;String[]&gt;]: every rule without a name.</summary>
[Cmdlet(VerbsCommon.Get, "NetFirewallRule")]
[OutputType("Microsoft.Management.Infrastructure.CimInstance#ROOT/StandardCimv2/MSFT_NetFirewallRule")]
public sealed class GetNetFirewallRuleCommand : CimCmdlet
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var name in Name ?? ["*"])
        {
            if (TryRead(m => MatchName(m.State.FirewallRules, r => r.Name, name).Select(ShareObjects.FirewallRule).ToList() is { } found && (found.Count > 0 || IsPattern(name))
                    ? found
                    : throw WindowsErrors.CimNotFound("MSFT_NetFirewallRule", "Name", name), name, out var rules))
            {
                foreach (var rule in rules) WriteObject(rule);
            }
        }
    }
}

/// <summary>
/// New-NetFirewallRule -DisplayName [-Name] [-Description] [-Direction] [-Action] [-Protocol] [-LocalPort]
/// [-InterfaceAlias] [-LocalAddress] [-RemoteAddress] [-Profile]: the conditions LabRunner sets, kept as written.
/// </summary>
[Cmdlet(VerbsCommon.New, "NetFirewallRule", SupportsShouldProcess = true)]
[OutputType("Microsoft.Management.Infrastructure.CimInstance#ROOT/StandardCimv2/MSFT_NetFirewallRule")]
public sealed class NewNetFirewallRuleCommand : CimCmdlet
{
    [Parameter]
    public string? Name { get; set; }

    [Parameter(Mandatory = true)]
    public string DisplayName { get; set; } = "";

    [Parameter]
    public string Description { get; set; } = "";

    [Parameter]
    [ValidateSet("Inbound", "Outbound", IgnoreCase = true)]
    public string Direction { get; set; } = "Inbound";

    [Parameter]
    [ValidateSet("NotConfigured", "Allow", "Block", IgnoreCase = true)]
    public string Action { get; set; } = "Allow";

    [Parameter]
    public string Protocol { get; set; } = "Any";

    [Parameter]
    public string[]? LocalPort { get; set; }

    [Parameter]
    public WildcardPattern[]? InterfaceAlias { get; set; }

    [Parameter]
    public string[]? LocalAddress { get; set; }

    [Parameter]
    public string[]? RemoteAddress { get; set; }

    [Parameter]
    [ValidateSet("Any", "Domain", "Private", "Public", "NotApplicable", IgnoreCase = true)]
    public string Profile { get; set; } = "Any";

    protected override void ProcessRecord()
    {
        if (!ShouldProcess(DisplayName, "Create")) return;
        var rule = new SimFirewallRule
        {
            Name = Name ?? "",
            DisplayName = DisplayName,
            Description = Description,
            Direction = Direction,
            Action = Action,
            Protocol = Protocol,
            LocalPort = LocalPort is null ? "Any" : string.Join(",", LocalPort),
            InterfaceAlias = InterfaceAlias is null ? "Any" : string.Join(",", InterfaceAlias.Select(p => p.ToWql())),
            LocalAddress = LocalAddress is null ? "Any" : string.Join(",", LocalAddress),
            RemoteAddress = RemoteAddress is null ? "Any" : string.Join(",", RemoteAddress),
            Profile = Profile,
        };
        if (TryMutate(m => ShareObjects.FirewallRule(m.NewFirewallRule(rule)), DisplayName, out var created))
            WriteObject(created);
    }
}

/// <summary>Remove-NetFirewallRule [-Name] &lt;String[]&gt;.</summary>
[Cmdlet(VerbsCommon.Remove, "NetFirewallRule", DefaultParameterSetName = "ByName", SupportsShouldProcess = true)]
public sealed class RemoveNetFirewallRuleCommand : CimCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "ByName", ValueFromPipelineByPropertyName = true)]
    public string[] Name { get; set; } = [];

    protected override void ProcessRecord()
    {
        foreach (var name in Name)
        {
            if (!ShouldProcess(name, "Delete")) continue;
            TryMutate(m => m.RemoveFirewallRule(m.FindFirewallRule(name) ?? throw WindowsErrors.CimNotFound("MSFT_NetFirewallRule", "Name", name)), name);
        }
    }
}
