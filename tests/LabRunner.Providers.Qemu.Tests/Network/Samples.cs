using System.Net;
using LabRunner.Providers.Qemu.Network;

namespace LabRunner.Providers.Qemu.Tests.Network;

internal static class Samples
{
    /// <summary>Two labs: x with a NAT network, two forwarded ports and an isolated bridge; y with a NAT network.</summary>
    public static NftRulesetSpec TwoLabs() => new(
        [new NftMasquerade("y", IPNetwork.Parse("10.77.1.0/24")), new NftMasquerade("x", IPNetwork.Parse("10.77.0.0/24"))],
        [
            new NftPortForward("x", NftProtocol.Tcp, null, 8080, IPAddress.Parse("10.77.0.10"), 80),
            new NftPortForward("x", NftProtocol.Udp, IPAddress.Parse("192.0.2.1"), 5353, IPAddress.Parse("10.77.0.11"), 53),
        ],
        [new NftNoForward("x", InterfaceNames.Bridge("x", "backend"))]);
}
