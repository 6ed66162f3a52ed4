using System.Management.Automation;
using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Core.Net;
using LabRunner.Simulation;
using Microsoft.Management.Infrastructure;

namespace LabRunner.HyperV.Emulation.Cmdlets;

/// <summary>Get-NetNat [[-Name] &lt;String[]&gt;].</summary>
[Cmdlet(VerbsCommon.Get, "NetNat")]
[OutputType("Microsoft.Management.Infrastructure.CimInstance#ROOT/StandardCimv2/MSFT_NetNat")]
public sealed class GetNetNatCommand : CimCmdlet
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var name in Name ?? ["*"])
        {
            if (TryRead(m => MatchName(m.State.Nats, n => n.Name, name).Select(CimObjects.NetNat).ToList() is { } found && (found.Count > 0 || IsPattern(name))
                    ? found
                    : throw WindowsErrors.NatNotFound(name), name, out var result))
            {
                foreach (var nat in result) WriteObject(nat);
            }
        }
    }
}

/// <summary>New-NetNat [-Name] [-InternalIPInterfaceAddressPrefix]: one per host.</summary>
[Cmdlet(VerbsCommon.New, "NetNat", SupportsShouldProcess = true)]
[OutputType("Microsoft.Management.Infrastructure.CimInstance#ROOT/StandardCimv2/MSFT_NetNat")]
public sealed class NewNetNatCommand : CimCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    public string Name { get; set; } = "";

    [Parameter]
    public string? InternalIPInterfaceAddressPrefix { get; set; }

    protected override void ProcessRecord()
    {
        if (!Ipv4Subnet.TryParse(InternalIPInterfaceAddressPrefix, out var prefix, out _))
        {
            var why = InternalIPInterfaceAddressPrefix is null
                ? "The simulated host models WinNAT for an internal prefix: give -InternalIPInterfaceAddressPrefix."
                : $"'{InternalIPInterfaceAddressPrefix}' is not an IPv4 prefix such as 10.188.0.0/16.";
            WriteError(HostErrorRecords.From(WindowsErrors.ParameterIncorrect(HostErrorKind.Failed, why), Style, Name));
            return;
        }
        if (!ShouldProcess($"Name: {Name}", "Create")) return;
        if (TryMutate(m => CimObjects.NetNat(m.NewNat(Name, prefix)), Name, out var created))
            WriteObject(created);
    }
}

/// <summary>Remove-NetNat [[-Name] &lt;String[]&gt;] | -InputObject [-PassThru]: every NAT when no name is given; asks for confirmation unless -Confirm:$false.</summary>
[Cmdlet(VerbsCommon.Remove, "NetNat", DefaultParameterSetName = "Query (cdxml)", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType("Microsoft.Management.Infrastructure.CimInstance#ROOT/StandardCimv2/MSFT_NetNat")]
public sealed class RemoveNetNatCommand : CimCmdlet
{
    [Parameter(Position = 0, ParameterSetName = "Query (cdxml)", ValueFromPipelineByPropertyName = true)]
    public string[]? Name { get; set; }

    /// <summary>Declared as documented; emulated objects bind by property name (Name) instead.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "InputObject (cdxml)", ValueFromPipeline = true)]
    public CimInstance[]? InputObject { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        if (InputObject is not null) ThrowInvalidArgument("NotEmulated", "The emulation cannot read real CimInstances; pipe Get-NetNat output instead.", InputObject);
        foreach (var pattern in Name ?? ["*"])
        {
            if (!TryRead(m => MatchName(m.State.Nats, n => n.Name, pattern).Select(n => n.Name).ToList() is { } names && (names.Count > 0 || IsPattern(pattern))
                    ? names
                    : throw WindowsErrors.NatNotFound(pattern), pattern, out var matches))
                continue;
            foreach (var name in matches)
            {
                if (!ShouldProcess($"Name: {name}", "Delete")) continue;
                if (TryMutate(m =>
                    {
                        var nat = m.FindNat(name) ?? throw WindowsErrors.NatNotFound(name);
                        m.RemoveNat(nat);
                        return CimObjects.NetNat(nat);
                    }, name, out var removed) && PassThru)
                    WriteObject(removed);
            }
        }
    }
}

/// <summary>Get-NetNatStaticMapping [[-NatName] &lt;String[]&gt;].</summary>
[Cmdlet(VerbsCommon.Get, "NetNatStaticMapping")]
[OutputType("Microsoft.Management.Infrastructure.CimInstance#ROOT/StandardCimv2/MSFT_NetNatStaticMapping")]
public sealed class GetNetNatStaticMappingCommand : CimCmdlet
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    public string[]? NatName { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var name in NatName ?? ["*"])
        {
            if (!TryRead(m => MatchName(m.State.StaticMappings, s => s.NatName, name).Select(CimObjects.StaticMapping).ToList(), name, out var found)) continue;
            if (found.Count == 0 && !IsPattern(name))
            {
                WriteError(HostErrorRecords.From(WindowsErrors.CimNotFound("MSFT_NetNatStaticMapping", "NatName", name), Style, name));
                continue;
            }
            foreach (var mapping in found) WriteObject(mapping);
        }
    }
}

/// <summary>Add-NetNatStaticMapping [-NatName] -Protocol -ExternalIPAddress -ExternalPort -InternalIPAddress [-InternalPort]: the external address as an address or with a prefix.</summary>
[Cmdlet(VerbsCommon.Add, "NetNatStaticMapping", SupportsShouldProcess = true)]
[OutputType("Microsoft.Management.Infrastructure.CimInstance#ROOT/StandardCimv2/MSFT_NetNatStaticMapping")]
public sealed class AddNetNatStaticMappingCommand : CimCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    public string NatName { get; set; } = "";

    [Parameter(Mandatory = true)]
    public Protocol Protocol { get; set; }

    [Parameter(Mandatory = true)]
    public string ExternalIPAddress { get; set; } = "";

    [Parameter(Mandatory = true)]
    public ushort ExternalPort { get; set; }

    [Parameter(Mandatory = true)]
    public string InternalIPAddress { get; set; } = "";

    /// <summary>Defaults to the external port, as WinNAT does.</summary>
    [Parameter]
    public ushort? InternalPort { get; set; }

    protected override void ProcessRecord()
    {
        // The external address may come with a prefix ('0.0.0.0/24', as Microsoft's examples pass it); the mapping keeps it.
        var slash = ExternalIPAddress.IndexOf('/', StringComparison.Ordinal);
        int? externalPrefix = null;
        if (slash >= 0)
        {
            if (!int.TryParse(ExternalIPAddress[(slash + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var length))
            {
                TryAddress(ExternalIPAddress, nameof(ExternalIPAddress), out _);
                return;
            }
            externalPrefix = length;
        }
        if (!TryAddress(slash >= 0 ? ExternalIPAddress[..slash] : ExternalIPAddress, nameof(ExternalIPAddress), out var external) || !TryAddress(InternalIPAddress, nameof(InternalIPAddress), out var internalIp)) return;
        var protocol = Protocol == Protocol.UDP ? PortProtocol.Udp : PortProtocol.Tcp;
        var internalPort = InternalPort ?? ExternalPort;
        if (!ShouldProcess($"{Protocol} {ExternalIPAddress}:{ExternalPort} to {InternalIPAddress}:{internalPort}", "Create")) return;
        if (TryMutate(m => CimObjects.StaticMapping(m.AddStaticMapping(NatName, protocol, external, ExternalPort, internalIp, internalPort, externalPrefix)), NatName, out var created))
            WriteObject(created);
    }
}

/// <summary>Remove-NetNatStaticMapping [-StaticMappingID] [[-NatName]] | -InputObject [-PassThru]: every match; asks for confirmation unless -Confirm:$false.</summary>
[Cmdlet(VerbsCommon.Remove, "NetNatStaticMapping", DefaultParameterSetName = "Query (cdxml)", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType("Microsoft.Management.Infrastructure.CimInstance#ROOT/StandardCimv2/MSFT_NetNatStaticMapping")]
public sealed class RemoveNetNatStaticMappingCommand : CimCmdlet
{
    [Parameter(ParameterSetName = "Query (cdxml)", ValueFromPipelineByPropertyName = true)]
    public uint[]? StaticMappingID { get; set; }

    [Parameter(Position = 0, ParameterSetName = "Query (cdxml)", ValueFromPipelineByPropertyName = true)]
    public string[]? NatName { get; set; }

    /// <summary>Declared as documented; emulated objects bind by property name (StaticMappingID, NatName) instead.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "InputObject (cdxml)", ValueFromPipeline = true)]
    public CimInstance[]? InputObject { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        if (InputObject is not null) ThrowInvalidArgument("NotEmulated", "The emulation cannot read real CimInstances; pipe Get-NetNatStaticMapping output instead.", InputObject);
        if (!TryRead(m => m.State.StaticMappings
                .Where(s => StaticMappingID is null || StaticMappingID.Contains(s.StaticMappingId))
                .Where(s => NatName is null || NatName.Any(n => MatchName([s], x => x.NatName, n).Any()))
                .Select(s => s.StaticMappingId).ToList(), NatName?.FirstOrDefault(), out var ids))
            return;
        if (ids.Count == 0)
        {
            var what = StaticMappingID is null ? "NatName" : "StaticMappingID";
            var value = StaticMappingID is null ? string.Join(",", NatName ?? ["*"]) : string.Join(",", StaticMappingID);
            if (StaticMappingID is not null || NatName is not null)
                WriteError(HostErrorRecords.From(WindowsErrors.CimNotFound("MSFT_NetNatStaticMapping", what, value), Style, value));
            return;
        }
        foreach (var id in ids)
        {
            if (!ShouldProcess($"StaticMappingID: {id}", "Delete")) continue;
            if (TryMutate(m =>
                {
                    var mapping = m.GetStaticMapping(id);
                    m.RemoveStaticMapping(mapping);
                    return CimObjects.StaticMapping(mapping);
                }, id, out var removed) && PassThru)
                WriteObject(removed);
        }
    }
}
