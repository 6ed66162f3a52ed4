using LabRunner.Core.Hosting;
using LabRunner.Core.Net;
using LabRunner.Providers.HyperV;
using LabRunner.Simulation.Model;

namespace LabRunner.Simulation;

/// <summary>
/// The host a simulated host file starts from when it does not exist yet: a typical Windows laptop
/// with Hyper-V. Wired Ethernet on 192.168.1.0/24, Wi-Fi on 10.0.0.0/24 (clear of LabRunner's default
/// NAT prefix 10.188.0.0/16) and Hyper-V's "Default Switch" with its vNIC on 172.29.80.1/20.
/// </summary>
public static class DefaultHost
{
    /// <summary>Hyper-V creates the Default Switch with this fixed id on every host.</summary>
    public static readonly Guid DefaultSwitchId = new("c08cb7b8-9b3c-408e-8e30-5e16a3aeb444");

    public const string DefaultSwitchName = "Default Switch";

    public static SimulatedHostState Create() => new()
    {
        ComputerName = "SIMHOST",
        LogicalProcessors = 8,
        NetAdapters =
        [
            new SimNetAdapter
            {
                Name = "Ethernet",
                InterfaceDescription = "Intel(R) Ethernet Connection",
                InterfaceIndex = 12,
                Kind = SimAdapterKind.Physical,
                MacAddress = MacAddress.Parse("3C-52-82-4A-10-01"),
                Addresses = [new HostIp(Ipv4Address.Parse("192.168.1.50"), 24)],
            },
            new SimNetAdapter
            {
                Name = "Wi-Fi",
                InterfaceDescription = "Intel(R) Wi-Fi 6 AX201 160MHz",
                InterfaceIndex = 17,
                Kind = SimAdapterKind.Physical,
                MacAddress = MacAddress.Parse("3C-52-82-4A-10-02"),
                Addresses = [new HostIp(Ipv4Address.Parse("10.0.0.23"), 24)],
            },
            new SimNetAdapter
            {
                Name = HyperVRules.VnicName(DefaultSwitchName),
                InterfaceDescription = HostModel.VnicDescription,
                InterfaceIndex = 28,
                Kind = SimAdapterKind.HostVnic,
                SwitchName = DefaultSwitchName,
                MacAddress = MacAddress.Parse("00-15-5D-01-00-01"),
                Addresses = [new HostIp(Ipv4Address.Parse("172.29.80.1"), 20)],
            },
        ],
        Switches =
        [
            new SimSwitch { Name = DefaultSwitchName, Id = DefaultSwitchId, SwitchType = SwitchKind.Internal, AllowManagementOS = true, Notes = "" },
        ],
    };
}
