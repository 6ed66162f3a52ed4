using System.Management.Automation;
using LabRunner.Core.Hosting;
using LabRunner.Core.Net;
using LabRunner.Simulation;
using LabRunner.Simulation.Model;
using Microsoft.Management.Infrastructure;

namespace LabRunner.HyperV.Emulation.Cmdlets;

/// <summary>Get-NetAdapter [[-Name] &lt;String[]&gt;] | -InterfaceDescription | -InterfaceIndex [-IncludeHidden] [-Physical].</summary>
[Cmdlet(VerbsCommon.Get, "NetAdapter", DefaultParameterSetName = "ByName")]
[OutputType("Microsoft.Management.Infrastructure.CimInstance#ROOT/StandardCimv2/MSFT_NetAdapter")]
public sealed class GetNetAdapterCommand : CimCmdlet
{
    [Parameter(Position = 0, ParameterSetName = "ByName")]
    [Alias("ifAlias", "InterfaceAlias")]
    public string[]? Name { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = "ByInstanceID", ValueFromPipelineByPropertyName = true)]
    [Alias("ifDesc")]
    public string[]? InterfaceDescription { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = "ByIfIndex", ValueFromPipelineByPropertyName = true)]
    [Alias("ifIndex")]
    public uint[]? InterfaceIndex { get; set; }

    [Parameter]
    public SwitchParameter IncludeHidden { get; set; }

    [Parameter]
    public SwitchParameter Physical { get; set; }

    protected override void ProcessRecord()
    {
        var (property, values) = ParameterSetName switch
        {
            "ByInstanceID" => ("InterfaceDescription", InterfaceDescription!),
            "ByIfIndex" => ("InterfaceIndex", InterfaceIndex!.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray()),
            _ => ("Name", Name ?? ["*"]),
        };
        foreach (var value in values)
        {
            if (!TryRead(m =>
                {
                    var adapters = m.State.NetAdapters.Where(a => !Physical || a.Kind == SimAdapterKind.Physical);
                    var found = property switch
                    {
                        "InterfaceDescription" => MatchName(adapters, a => a.InterfaceDescription, value),
                        "InterfaceIndex" => adapters.Where(a => a.InterfaceIndex.ToString(System.Globalization.CultureInfo.InvariantCulture) == value),
                        _ => MatchName(adapters, a => a.Name, value),
                    };
                    var list = found.Select(a => CimObjects.NetAdapter(m, a)).ToList();
                    return list.Count > 0 || IsPattern(value) ? list : throw WindowsErrors.CimNotFound("MSFT_NetAdapter", property, value);
                }, value, out var result))
                continue;
            foreach (var adapter in result) WriteObject(adapter);
        }
    }
}

/// <summary>Get-NetIPAddress [[-IPAddress] &lt;String[]&gt;] [-InterfaceIndex] [-InterfaceAlias] [-AddressFamily] [-PrefixLength].</summary>
[Cmdlet(VerbsCommon.Get, "NetIPAddress")]
[OutputType("Microsoft.Management.Infrastructure.CimInstance#ROOT/StandardCimv2/MSFT_NetIPAddress")]
public sealed class GetNetIPAddressCommand : CimCmdlet
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("LocalAddress")]
    public string[]? IPAddress { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("ifIndex")]
    public uint[]? InterfaceIndex { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("ifAlias")]
    public string[]? InterfaceAlias { get; set; }

    [Parameter]
    public AddressFamily[]? AddressFamily { get; set; }

    [Parameter]
    public byte[]? PrefixLength { get; set; }

    protected override void ProcessRecord()
    {
        var filtered = IPAddress is not null || InterfaceIndex is not null || InterfaceAlias is not null || PrefixLength is not null;
        if (!TryRead(m =>
            {
                var rows = NetIPAddressQuery.Rows(m, IPAddress, InterfaceIndex, InterfaceAlias, AddressFamily, PrefixLength).ToList();
                return rows.Count > 0 || !filtered ? rows.Select(r => CimObjects.NetIPAddress(r.Adapter, r.Ip)).ToList() : throw NetIPAddressQuery.NotFound();
            }, IPAddress?.FirstOrDefault(), out var result))
            return;
        foreach (var row in result) WriteObject(row);
    }
}

/// <summary>New-NetIPAddress [-IPAddress] -InterfaceAlias | -InterfaceIndex [-PrefixLength]: writes the ActiveStore and PersistentStore rows.</summary>
[Cmdlet(VerbsCommon.New, "NetIPAddress", DefaultParameterSetName = "ByInterfaceAlias", SupportsShouldProcess = true)]
[OutputType("Microsoft.Management.Infrastructure.CimInstance#ROOT/StandardCimv2/MSFT_NetIPAddress")]
public sealed class NewNetIPAddressCommand : CimCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("LocalAddress")]
    public string IPAddress { get; set; } = "";

    [Parameter(Mandatory = true, ParameterSetName = "ByInterfaceAlias", ValueFromPipelineByPropertyName = true)]
    [Alias("ifAlias")]
    public string? InterfaceAlias { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = "ByInterfaceIndex", ValueFromPipelineByPropertyName = true)]
    [Alias("ifIndex")]
    public uint InterfaceIndex { get; set; }

    [Parameter]
    public AddressFamily? AddressFamily { get; set; }

    [Parameter]
    public byte? PrefixLength { get; set; }

    protected override void ProcessRecord()
    {
        if (!TryAddress(IPAddress, nameof(IPAddress), out var address)) return;
        if (AddressFamily == Emulation.AddressFamily.IPv6)
        {
            WriteError(HostErrorRecords.From(WindowsErrors.ParameterIncorrect(HostErrorKind.Failed, $"{address} is not an IPv6 address."), Style, IPAddress));
            return;
        }
        // Without -PrefixLength the emulation takes the classful length (a documented guess; LabRunner always passes it).
        var prefix = PrefixLength ?? (address.Value >> 30 == 0b10 ? 16 : address.Value >> 29 == 0b110 ? 24 : 8);
        var target = InterfaceAlias ?? InterfaceIndex.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (!ShouldProcess($"IPAddress: {IPAddress} on {target}", "Create")) return;
        if (TryMutate(m =>
            {
                var adapter = InterfaceAlias is not null
                    ? m.FindInterface(InterfaceAlias) ?? throw WindowsErrors.CimNotFound("MSFT_NetIPInterface", "InterfaceAlias", InterfaceAlias)
                    : m.FindInterface((int)InterfaceIndex) ?? throw WindowsErrors.CimNotFound("MSFT_NetIPInterface", "InterfaceIndex", target);
                if (InterfaceAlias is null && !m.HasIpInterface(adapter)) throw WindowsErrors.CimNotFound("MSFT_NetIPInterface", "InterfaceIndex", target);
                m.NewNetIPAddress(adapter, address, prefix);
                var ip = new HostIp(address, prefix);
                return new[] { CimObjects.NetIPAddress(adapter, ip, "ActiveStore"), CimObjects.NetIPAddress(adapter, ip, "PersistentStore") };
            }, IPAddress, out var rows))
        {
            foreach (var row in rows) WriteObject(row);
        }
    }
}

/// <summary>Remove-NetIPAddress [[-IPAddress]] [-InterfaceIndex] [-InterfaceAlias] [-PrefixLength] | -InputObject [-PassThru]: asks for confirmation unless -Confirm:$false.</summary>
[Cmdlet(VerbsCommon.Remove, "NetIPAddress", DefaultParameterSetName = "Query (cdxml)", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType("Microsoft.Management.Infrastructure.CimInstance#ROOT/StandardCimv2/MSFT_NetIPAddress")]
public sealed class RemoveNetIPAddressCommand : CimCmdlet
{
    [Parameter(Position = 0, ParameterSetName = "Query (cdxml)", ValueFromPipelineByPropertyName = true)]
    [Alias("LocalAddress")]
    public string[]? IPAddress { get; set; }

    [Parameter(ParameterSetName = "Query (cdxml)", ValueFromPipelineByPropertyName = true)]
    [Alias("ifIndex")]
    public uint[]? InterfaceIndex { get; set; }

    [Parameter(ParameterSetName = "Query (cdxml)", ValueFromPipelineByPropertyName = true)]
    [Alias("ifAlias")]
    public string[]? InterfaceAlias { get; set; }

    [Parameter(ParameterSetName = "Query (cdxml)")]
    public AddressFamily[]? AddressFamily { get; set; }

    [Parameter(ParameterSetName = "Query (cdxml)")]
    public byte[]? PrefixLength { get; set; }

    /// <summary>Declared as documented; emulated objects are not CimInstances, so pipeline input binds by property name instead.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "InputObject (cdxml)", ValueFromPipeline = true)]
    public CimInstance[]? InputObject { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        if (InputObject is not null)
        {
            ThrowInvalidArgument("NotEmulated", "The emulation cannot read real CimInstances; pipe Get-NetIPAddress output instead.", InputObject);
            return;
        }
        if (!TryRead(m => NetIPAddressQuery.Rows(m, IPAddress, InterfaceIndex, InterfaceAlias, AddressFamily, PrefixLength).ToList() is { Count: > 0 } rows ? rows : throw NetIPAddressQuery.NotFound(),
                IPAddress?.FirstOrDefault(), out var matches))
            return;
        foreach (var (adapter, ip) in matches)
        {
            if (!ShouldProcess($"IPAddress: {ip.Address} on {adapter.Name}", "Delete")) continue;
            var alias = adapter.Name;
            if (TryMutate(m => m.RemoveNetIPAddresses((a, x) => HostModel.SameName(a.Name, alias) && x == ip, $"IPAddress = {ip.Address}"), ip.Address.ToString(), out var removed) && PassThru)
            {
                foreach (var (a, x) in removed) WriteObject(CimObjects.NetIPAddress(a, x));
            }
        }
    }
}

/// <summary>The filters Get-/Remove-NetIPAddress share.</summary>
internal static class NetIPAddressQuery
{
    public static IEnumerable<(SimNetAdapter Adapter, HostIp Ip)> Rows(HostModel m, string[]? ips, uint[]? indexes, string[]? aliases, AddressFamily[]? families, byte[]? prefixes)
    {
        if (families is not null && !families.Contains(AddressFamily.IPv4)) return [];
        var patterns = aliases?.Select(a => WildcardPattern.Get(a, WildcardOptions.IgnoreCase)).ToList();
        return m.State.NetAdapters
            .Where(a => indexes is null || indexes.Contains((uint)a.InterfaceIndex))
            .Where(a => patterns is null || aliases!.Any(x => HostModel.SameName(x, a.Name)) || patterns.Any(p => p.IsMatch(a.Name)))
            .SelectMany(a => m.LiveAddresses(a).Select(ip => (Adapter: a, Ip: ip)))
            .Where(r => ips is null || ips.Contains(r.Ip.Address.ToString()))
            .Where(r => prefixes is null || prefixes.Contains((byte)r.Ip.PrefixLength))
            .ToList();
    }

    public static SimulatedHostException NotFound() =>
        new(HostErrorKind.NotFound, WindowsErrors.CimNotFoundId("IPAddress"),
            "No matching MSFT_NetIPAddress objects found by CIM query for instances of the ROOT/StandardCimv2/MSFT_NetIPAddress class on the CIM server. Verify query parameters and retry.");
}
