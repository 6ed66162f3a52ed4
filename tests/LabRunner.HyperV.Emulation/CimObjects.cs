using System.Management.Automation;
using LabRunner.Core.Hosting;
using LabRunner.Simulation;
using LabRunner.Simulation.Model;

namespace LabRunner.HyperV.Emulation;

/// <summary>IP address families as NetTCPIP names them.</summary>
public enum AddressFamily
{
    IPv4 = 2,
    IPv6 = 23,
}

/// <summary>The protocols of a NetNat static mapping.</summary>
public enum Protocol
{
    TCP = 6,
    UDP = 17,
}

/// <summary>
/// The objects of the CDXML modules (NetAdapter, NetTCPIP, NetNat). On Windows they are CimInstances;
/// a CimInstance cannot be built on Linux (it needs the native MI library), so they are PSObjects with
/// the same type names (<c>Microsoft.Management.Infrastructure.CimInstance#ROOT/StandardCimv2/MSFT_NetNat</c>)
/// and property names. Values that are CIM enums are strings as PowerShell shows them.
/// </summary>
internal static class CimObjects
{
    public static PSObject NetAdapter(HostModel model, SimNetAdapter adapter) => Cim("MSFT_NetAdapter",
        ("Name", adapter.Name),
        ("InterfaceAlias", adapter.Name),
        ("ifAlias", adapter.Name),
        ("InterfaceDescription", adapter.InterfaceDescription),
        ("ifDesc", adapter.InterfaceDescription),
        ("InterfaceIndex", (uint)adapter.InterfaceIndex),
        ("ifIndex", (uint)adapter.InterfaceIndex),
        ("MacAddress", adapter.MacAddress?.ToString() ?? ""),
        ("Status", "Up"),
        ("Virtual", adapter.Kind == SimAdapterKind.HostVnic),
        ("HardwareInterface", adapter.Kind == SimAdapterKind.Physical),
        ("SystemName", model.State.ComputerName));

    /// <summary>New-NetIPAddress writes one row per policy store, as Windows does.</summary>
    public static PSObject NetIPAddress(SimNetAdapter adapter, HostIp ip, string store = "ActiveStore") => Cim("MSFT_NetIPAddress",
        ("IPAddress", ip.Address.ToString()),
        ("IPv4Address", ip.Address.ToString()),
        ("InterfaceIndex", (uint)adapter.InterfaceIndex),
        ("InterfaceAlias", adapter.Name),
        ("AddressFamily", "IPv4"),
        ("Type", "Unicast"),
        ("PrefixLength", (byte)ip.PrefixLength),
        ("PrefixOrigin", "Manual"),
        ("SuffixOrigin", "Manual"),
        ("AddressState", "Preferred"),
        ("SkipAsSource", false),
        ("PolicyStore", store));

    public static PSObject NetNat(SimNat nat) => Cim("MSFT_NetNat",
        ("Name", nat.Name),
        ("ExternalIPInterfaceAddressPrefix", null),
        ("InternalIPInterfaceAddressPrefix", nat.InternalIPInterfaceAddressPrefix.ToString()),
        ("InternalRoutingDomainId", "{00000000-0000-0000-0000-000000000000}"),
        ("Active", true),
        ("Store", "Local"));

    public static PSObject StaticMapping(SimStaticMapping mapping) => Cim("MSFT_NetNatStaticMapping",
        ("StaticMappingID", mapping.StaticMappingId),
        ("NatName", mapping.NatName),
        ("Protocol", mapping.Protocol.ToString().ToUpperInvariant()),
        ("RemoteExternalIPAddressPrefix", "0.0.0.0/0"),
        ("ExternalIPAddress", mapping.ExternalAddressText()),
        ("ExternalPort", (ushort)mapping.ExternalPort),
        ("InternalIPAddress", mapping.InternalIPAddress.ToString()),
        ("InternalPort", (ushort)mapping.InternalPort),
        ("InternalRoutingDomainId", "{00000000-0000-0000-0000-000000000000}"),
        ("Active", true));

    private static PSObject Cim(string cimClass, params (string Name, object? Value)[] properties)
    {
        var result = new PSObject();
        foreach (var (name, value) in properties)
            result.Properties.Add(new PSNoteProperty(name, value));
        result.TypeNames.Clear();
        result.TypeNames.Add("Microsoft.Management.Infrastructure.CimInstance#ROOT/StandardCimv2/" + cimClass);
        result.TypeNames.Add("Microsoft.Management.Infrastructure.CimInstance#" + cimClass);
        result.TypeNames.Add("Microsoft.Management.Infrastructure.CimInstance");
        result.TypeNames.Add("System.Object");
        return result;
    }
}
