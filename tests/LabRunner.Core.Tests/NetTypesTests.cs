using System.Globalization;
using LabRunner.Core.Net;

namespace LabRunner.Core.Tests;

public class Ipv4AddressTests
{
    [Theory]
    [InlineData("0.0.0.0", 0u)]
    [InlineData("10.188.0.1", (10u << 24) | (188u << 16) | 1u)]
    [InlineData("255.255.255.255", uint.MaxValue)]
    public void A_dotted_quad_parses_to_its_number_and_prints_back(string text, uint value)
    {
        Assert.True(Ipv4Address.TryParse(text, out var ip));
        Assert.Equal(value, ip.Value);
        Assert.Equal(text, ip.ToString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("1.2.3")]
    [InlineData("1.2.3.4.5")]
    [InlineData("256.1.1.1")]
    [InlineData("010.0.0.1")]
    [InlineData("1.2.3.00")]
    [InlineData("1..3.4")]
    [InlineData(" 1.2.3.4")]
    [InlineData("1.2.3.4 ")]
    [InlineData("+1.2.3.4")]
    [InlineData("1.2.3.-4")]
    [InlineData("1.2.3.1000")]
    [InlineData("0x1.2.3.4")]
    [InlineData("١.٢.٣.٤")]
    [InlineData("1.2.3.4/24")]
    public void Anything_but_a_strict_dotted_quad_is_refused(string? text)
    {
        Assert.False(Ipv4Address.TryParse(text, out _));
        Assert.Throws<FormatException>(() => Ipv4Address.Parse(text ?? ""));
    }

    [Fact]
    public void Addresses_order_by_their_number_not_their_text()
    {
        var nine = Ipv4Address.Parse("10.0.0.9");
        var ten = Ipv4Address.Parse("10.0.0.10");

        Assert.True(nine < ten);
        Assert.True(ten > nine);
        Assert.Equal(ten, nine.Add(1));
        Assert.Equal(Ipv4Address.Parse("10.0.1.0"), Ipv4Address.Parse("10.0.0.255").Add(1));
    }
}

public class Ipv4SubnetTests
{
    [Theory]
    [InlineData("10.10.0.0/24", "10.10.0.1", "10.10.0.254", "10.10.0.255", 254L)]
    [InlineData("10.10.0.0/30", "10.10.0.1", "10.10.0.2", "10.10.0.3", 2L)]
    [InlineData("10.10.0.0/31", "10.10.0.0", "10.10.0.1", "10.10.0.1", 2L)]
    [InlineData("10.10.0.7/32", "10.10.0.7", "10.10.0.7", "10.10.0.7", 1L)]
    [InlineData("0.0.0.0/0", "0.0.0.1", "255.255.255.254", "255.255.255.255", (1L << 32) - 2)]
    public void A_subnet_knows_its_hosts_and_broadcast(string text, string first, string last, string broadcast, long hosts)
    {
        var s = Ipv4Subnet.Parse(text);

        Assert.Equal((first, last, broadcast, hosts), (s.FirstHost.ToString(), s.LastHost.ToString(), s.Broadcast.ToString(), s.HostCount));
    }

    [Fact]
    public void Host_bits_are_cleared_and_reported()
    {
        Assert.True(Ipv4Subnet.TryParse("10.10.0.5/24", out var s, out var hostBits));

        Assert.True(hostBits);
        Assert.Equal("10.10.0.0/24", s.ToString());
        Assert.Equal("255.255.255.0", s.SubnetMask.ToString());
    }

    [Theory]
    [InlineData("10.10.0.0")]
    [InlineData("10.10.0.0/")]
    [InlineData("/24")]
    [InlineData("10.10.0.0/33")]
    [InlineData("10.10.0.0/100")]
    [InlineData("10.10.0.0/2a")]
    [InlineData("10.10.0.0/ 24")]
    [InlineData("10.10.0/24")]
    [InlineData("010.10.0.0/24")]
    [InlineData("10.10.0.0/24/24")]
    public void Malformed_CIDR_text_is_refused(string text)
    {
        Assert.False(Ipv4Subnet.TryParse(text, out _, out _));
    }

    [Fact]
    public void Containment_and_overlap_follow_the_prefixes()
    {
        var wide = Ipv4Subnet.Parse("10.188.0.0/16");
        var slice = Ipv4Subnet.Parse("10.188.5.0/24");
        var next = Ipv4Subnet.Parse("10.189.0.0/24");

        Assert.True(wide.Contains(slice));
        Assert.False(slice.Contains(wide));
        Assert.True(wide.Overlaps(slice) && slice.Overlaps(wide));
        Assert.False(wide.Overlaps(next));
        Assert.True(wide.IsReserved(wide.Network) && wide.IsReserved(wide.Broadcast));
        Assert.False(Ipv4Subnet.Parse("10.0.0.0/31").IsReserved(Ipv4Address.Parse("10.0.0.0")));
    }
}

public class MacAddressTests
{
    [Theory]
    [InlineData("02-1A-2B-3C-4D-5E")]
    [InlineData("02:1a:2b:3c:4d:5e")]
    [InlineData("021A2B3C4D5E")]
    [InlineData("021a2B3c4D5e")]
    public void The_dash_colon_and_bare_forms_parse_to_the_same_address(string text)
    {
        var mac = MacAddress.Parse(text);

        Assert.Equal(0x021A2B3C4D5EUL, mac.Value);
        Assert.Equal("02-1A-2B-3C-4D-5E", mac.ToString());
        Assert.Equal("02:1a:2b:3c:4d:5e", mac.ToColonString());
        Assert.Equal("021A2B3C4D5E", mac.ToBareString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("02-1A-2B-3C-4D")]
    [InlineData("02-1A-2B-3C-4D-5E-6F")]
    [InlineData("02-1A:2B-3C-4D-5E")]
    [InlineData("02.1A.2B.3C.4D.5E")]
    [InlineData("02-1A-2B-3C-4D-5G")]
    [InlineData("0x1A2B3C4D5E")]
    [InlineData("+21A2B3C4D5E")]
    [InlineData(" 21A2B3C4D5E")]
    [InlineData("021A2B3C4D5E0")]
    public void Malformed_MACs_are_refused(string text)
    {
        Assert.False(MacAddress.TryParse(text, out _));
    }

    [Theory]
    [InlineData("01-00-5E-00-00-01", true, false)]
    [InlineData("02-00-00-00-00-01", false, true)]
    [InlineData("00-15-5D-00-00-01", false, false)]
    [InlineData("03-00-00-00-00-01", true, true)]
    public void The_low_bits_of_the_first_octet_say_multicast_and_locally_administered(string text, bool multicast, bool local)
    {
        var mac = MacAddress.Parse(text);

        Assert.Equal((multicast, local), (mac.IsMulticast, mac.IsLocallyAdministered));
    }
}

public class ByteSizeTests
{
    [Theory]
    [InlineData("512", 512L << 20)]
    [InlineData("2GB", 2L << 30)]
    [InlineData("2gb", 2L << 30)]
    [InlineData("2 GiB", 2L << 30)]
    [InlineData("2G", 2L << 30)]
    [InlineData("1.5GB", 1536L << 20)]
    [InlineData("1TB", 1L << 40)]
    [InlineData("64KB", 64L << 10)]
    [InlineData("4096B", 4096L)]
    [InlineData(" 2GB ", 2L << 30)]
    public void Sizes_are_binary_with_megabytes_as_the_bare_unit(string text, long bytes)
    {
        Assert.True(ByteSize.TryParse(text, out var parsed));
        Assert.Equal(bytes, parsed);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("GB")]
    [InlineData("2XB")]
    [InlineData("-1GB")]
    [InlineData("1e9")]
    [InlineData("1,5GB")]
    [InlineData("0.5B")]
    [InlineData("9999999999999GB")]
    [InlineData("1e309")]
    [InlineData("99999999999999999999")]
    [InlineData("NaN")]
    [InlineData("∞")]
    public void Text_that_is_not_a_whole_number_of_bytes_is_refused(string? text)
    {
        Assert.False(ByteSize.TryParse(text, out _));
    }

    [Theory]
    [InlineData(2L << 30, "2GB")]
    [InlineData(1536L << 20, "1536MB")]
    [InlineData(12L << 40, "12TB")]
    [InlineData(512L << 10, "512KB")]
    [InlineData(1000L, "1000B")]
    [InlineData(0L, "0B")]
    public void Formatting_picks_the_largest_exact_unit(long bytes, string text)
    {
        Assert.Equal(text, ByteSize.Format(bytes));
    }
}

/// <summary>IPs, MACs and sizes print the same whatever the user's culture: they end up in scripts and files.</summary>
public class CultureTests
{
    [Theory]
    [InlineData("tr-TR")]
    [InlineData("de-DE")]
    [InlineData("ar-SA")]
    public void Addresses_MACs_and_sizes_ignore_the_current_culture(string culture)
    {
        var saved = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = new CultureInfo(culture);

            Assert.Equal("10.188.0.1", Ipv4Address.Parse("10.188.0.1").ToString());
            Assert.Equal("10.188.0.0/16", Ipv4Subnet.Parse("10.188.0.0/16").ToString());
            Assert.Equal("02:1a:2b:3c:4d:5e", MacAddress.Parse("02-1A-2B-3C-4D-5E").ToColonString());
            Assert.True(ByteSize.TryParse("1.5GB", out var bytes));
            Assert.Equal(1536L << 20, bytes);
            Assert.Equal("1536MB", ByteSize.Format(bytes));
            // 'i' upper-cases to 'İ' in Turkish: unit and choice matching must not depend on it.
            Assert.True(ByteSize.TryParse("2gib", out var gib));
            Assert.Equal(2L << 30, gib);
            var plan = Labfiles.ValidPlan("name: demo\nboxes: { ubuntu: u.vhdx }\nnetworks: [{ name: lan, type: PRIVATE, subnet: 10.10.0.0/24 }]\nvms: [{ name: web, box: ubuntu, memory: 1.5GB, networks: [lan] }]\n");
            Assert.Equal("10.10.0.2/24", plan.Vms.Single().Adapters.Single().Cidr);
        }
        finally
        {
            (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture) = saved;
        }
    }
}
