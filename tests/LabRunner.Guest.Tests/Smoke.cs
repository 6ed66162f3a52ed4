using LabRunner.Core.Net;

namespace LabRunner.Guest.Tests;

public class GuestSmokeTests
{
    [Fact]
    public void A_subnet_knows_its_first_and_last_host() {
        var s = Ipv4Subnet.Parse("10.0.0.0/24");
        Assert.Equal("10.0.0.1", s.FirstHost.ToString());
        Assert.Equal("10.0.0.254", s.LastHost.ToString());
    }
}
