using System.Globalization;
using LabRunner.Core.Hosting;
using LabRunner.Core.Net;
using LabRunner.Simulation.Model;

namespace LabRunner.Simulation;

/// <summary>IP addresses on host interfaces (New-NetIPAddress, Remove-NetIPAddress).</summary>
public sealed partial class HostModel
{
    /// <summary>
    /// New-NetIPAddress: the interface must exist (and have TCP/IP, i.e. not be bound to an external
    /// switch), the address must be a usable unicast address for its prefix and not already be on any
    /// interface of the host.
    /// </summary>
    public SimNetAdapter NewNetIPAddress(SimNetAdapter adapter, Ipv4Address address, int prefixLength)
    {
        if (!HasIpInterface(adapter)) throw WindowsErrors.CimNotFound("MSFT_NetIPInterface", "InterfaceAlias", adapter.Name);
        if (prefixLength is < 1 or > 32)
            throw WindowsErrors.ParameterIncorrect(HostErrorKind.Failed, string.Create(CultureInfo.InvariantCulture, $"A prefix length of {prefixLength} is not valid for IPv4."));
        var why = UnusableAddress(address, prefixLength);
        if (why is not null) throw WindowsErrors.ParameterIncorrect(HostErrorKind.Failed, why);
        var holder = State.NetAdapters.FirstOrDefault(a => LiveAddresses(a).Any(ip => ip.Address == address));
        if (holder is not null) throw WindowsErrors.IpExists(address.ToString(), holder.Name);
        adapter.Addresses.Add(new HostIp(address, prefixLength));
        return adapter;
    }

    /// <summary>Remove-NetIPAddress of every live address matching the filters; at least one must match.</summary>
    public IReadOnlyList<(SimNetAdapter Adapter, HostIp Ip)> RemoveNetIPAddresses(Func<SimNetAdapter, HostIp, bool> match, string describe)
    {
        var hits = State.NetAdapters.SelectMany(a => LiveAddresses(a).Select(ip => (Adapter: a, Ip: ip))).Where(x => match(x.Adapter, x.Ip)).ToList();
        if (hits.Count == 0)
            throw new SimulatedHostException(HostErrorKind.NotFound, WindowsErrors.CimNotFoundId("IPAddress"),
                $"No matching MSFT_NetIPAddress objects found by CIM query for instances of the ROOT/StandardCimv2/MSFT_NetIPAddress class on the CIM server ({describe}). Verify query parameters and retry.");
        foreach (var (adapter, ip) in hits) adapter.Addresses.Remove(ip);
        return hits;
    }

    private static string? UnusableAddress(Ipv4Address address, int prefixLength)
    {
        var first = address.Value >> 24;
        if (address.Value == 0) return "0.0.0.0 is not a unicast address.";
        if (first == 127) return $"{address} is a loopback address.";
        if (first >= 224) return $"{address} is a multicast or reserved address.";
        var subnet = new Ipv4Subnet(address, prefixLength);
        if (subnet.IsReserved(address))
            return $"{address} is the {(address == subnet.Network ? "network" : "broadcast")} address of {subnet}.";
        return null;
    }
}
