using System.Globalization;
using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Core.Net;
using LabRunner.Simulation.Model;

namespace LabRunner.Simulation;

/// <summary>WinNAT: NetNat objects and their static mappings.</summary>
public sealed partial class HostModel
{
    /// <summary>
    /// New-NetNat. WinNAT supports one internal prefix per host: a second NetNat is refused (on
    /// Windows it leaves the host in an undefined state). The prefix must not overlap any address of
    /// a physical adapter or of an external switch's vNIC.
    /// </summary>
    public SimNat NewNat(string name, Ipv4Subnet prefix)
    {
        RequireName(name, "NAT");
        var existing = State.Nats.FirstOrDefault();
        if (existing is not null)
            throw WindowsErrors.ParameterIncorrect(HostErrorKind.Conflict,
                $"WinNAT supports one NetNat per host and '{existing.Name}' ({existing.InternalIPInterfaceAddressPrefix}) exists; labs must share it.");
        if (prefix.PrefixLength is < 1 or > 30)
            throw WindowsErrors.ParameterIncorrect(HostErrorKind.Failed, $"{prefix} is not a usable internal prefix.");
        foreach (var adapter in State.NetAdapters.Where(IsUplink))
        {
            var clash = LiveAddresses(adapter).FirstOrDefault(ip => ip.Subnet.Overlaps(prefix));
            if (clash is not null)
                throw WindowsErrors.ParameterIncorrect(HostErrorKind.Conflict,
                    $"The NAT prefix {prefix} overlaps {clash} on '{adapter.Name}'.");
        }
        var nat = new SimNat { Name = name, InternalIPInterfaceAddressPrefix = prefix };
        State.Nats.Add(nat);
        return nat;
    }

    /// <summary>Remove-NetNat; its static mappings go with it.</summary>
    public void RemoveNat(SimNat nat)
    {
        State.StaticMappings.RemoveAll(m => SameName(m.NatName, nat.Name));
        State.Nats.Remove(nat);
    }

    /// <summary>
    /// Add-NetNatStaticMapping: the NAT must exist and the internal address lie inside its prefix.
    /// One mapping per (protocol, external address, external port) host-wide; 0.0.0.0 stands for
    /// every external address and so clashes with all of them. The external address may carry a prefix
    /// (<c>0.0.0.0/24</c>), which the mapping keeps and shows again when read.
    /// </summary>
    public SimStaticMapping AddStaticMapping(string natName, PortProtocol protocol, Ipv4Address externalIp, int externalPort, Ipv4Address internalIp, int internalPort, int? externalPrefixLength = null)
    {
        var nat = FindNat(natName) ?? throw new SimulatedHostException(HostErrorKind.NotFound, WindowsErrors.ElementNotFound,
            $"Element not found. (There is no NetNat named '{natName}'.)");
        if (externalPort is < 1 or > 65535 || internalPort is < 1 or > 65535)
            throw WindowsErrors.ParameterIncorrect(HostErrorKind.Failed, string.Create(CultureInfo.InvariantCulture, $"Ports must be between 1 and 65535 (got {externalPort} and {internalPort})."));
        if (externalPrefixLength is < 0 or > 32)
            throw WindowsErrors.ParameterIncorrect(HostErrorKind.Failed, string.Create(CultureInfo.InvariantCulture, $"{externalIp}/{externalPrefixLength} is not a valid IPv4 address prefix."));
        if (!nat.InternalIPInterfaceAddressPrefix.Contains(internalIp))
            throw WindowsErrors.ParameterIncorrect(HostErrorKind.Conflict,
                $"The internal address {internalIp} is outside the prefix {nat.InternalIPInterfaceAddressPrefix} of NetNat '{nat.Name}'.");
        var any = new Ipv4Address(0);
        var clash = State.StaticMappings.FirstOrDefault(m =>
            m.Protocol == protocol && m.ExternalPort == externalPort
            && (m.ExternalIPAddress == externalIp || m.ExternalIPAddress == any || externalIp == any));
        if (clash is not null)
            throw WindowsErrors.PortTaken(protocol.ToString().ToUpperInvariant(), clash.ExternalIPAddress.ToString(), externalPort, clash.StaticMappingId);
        var mapping = new SimStaticMapping
        {
            StaticMappingId = State.Counters.NextStaticMappingId++,
            NatName = nat.Name,
            Protocol = protocol,
            ExternalIPAddress = externalIp,
            ExternalPrefixLength = externalPrefixLength,
            ExternalPort = externalPort,
            InternalIPAddress = internalIp,
            InternalPort = internalPort,
        };
        State.StaticMappings.Add(mapping);
        return mapping;
    }

    public void RemoveStaticMapping(SimStaticMapping mapping) => State.StaticMappings.Remove(mapping);

    public SimStaticMapping GetStaticMapping(uint id) => State.StaticMappings.FirstOrDefault(m => m.StaticMappingId == id)
        ?? throw WindowsErrors.CimNotFound("MSFT_NetNatStaticMapping", "StaticMappingID", id.ToString(CultureInfo.InvariantCulture));

    private bool IsUplink(SimNetAdapter adapter) =>
        adapter.Kind == SimAdapterKind.Physical
        || (adapter.Kind == SimAdapterKind.HostVnic && FindSwitch(adapter.SwitchName ?? "") is { SwitchType: SwitchKind.External });
}
