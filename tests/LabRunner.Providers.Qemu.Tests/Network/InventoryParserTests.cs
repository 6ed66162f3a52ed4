using LabRunner.Providers.Qemu.Network;

namespace LabRunner.Providers.Qemu.Tests.Network;

/// <summary>The parsers on JSON captured from iproute2 6.1 and nftables 1.0.6 (Debian 12) by <see cref="LiveNamespaceTests"/>.</summary>
public class InventoryParserTests
{
    private static string Captured(string file) => File.ReadAllText(Path.Combine(LiveNamespaceTests.TestDataDirectory(), file));

    [Fact]
    public void Captured_ip_output_gives_kind_master_alias_mac_and_addresses()
    {
        var interfaces = IpJsonParser.ParseInterfaces(Captured("ip-d-j-addr-show.json"));

        var bridge = Assert.Single(interfaces, i => i.Kind == HostInterfaceKind.Bridge);
        var tap = Assert.Single(interfaces, i => i.Kind == HostInterfaceKind.Tap);
        Assert.Equal(InterfaceNames.Bridge("x", "lan"), bridge.Name);
        Assert.Equal("labrunner:v1 lab=x project=y", bridge.Alias);
        Assert.Equal("10.77.0.1/24", Assert.Single(bridge.Addresses).ToString());
        Assert.Equal(bridge.Name, tap.Master);
        Assert.Equal("tun", tap.InfoKind);
        Assert.Equal(HostInterfaceKind.Device, Assert.Single(interfaces, i => i.Name == "lo").Kind);
        Assert.Null(Assert.Single(interfaces, i => i.Name == "uplink0").Mark);
    }

    [Fact]
    public void Captured_nft_output_gives_tables_chains_and_rules_with_comments()
    {
        var nft = NftInventory.Parse(Captured("nft-j-list-ruleset.json"));

        Assert.Equal(["inet labrunner", "ip filter"], nft.Tables.Select(t => $"{t.Family} {t.Name}").Order(StringComparer.Ordinal));
        var postrouting = Assert.Single(nft.Chains, c => c.Table == "labrunner" && c.Name == "postrouting");
        Assert.Equal(("nat", "postrouting", 100, "accept"), (postrouting.Type, postrouting.Hook, postrouting.Priority, postrouting.Policy));
        var masquerade = Assert.Single(nft.Rules, r => r.Statements.Contains("masquerade"));
        Assert.Equal(new OwnershipMark("x"), masquerade.Mark);
        Assert.Equal(["match", "match", "masquerade"], masquerade.Statements.AsEnumerable());
        Assert.Null(Assert.Single(nft.Rules, r => r.Table == "filter").Mark);
        Assert.Equal("FORWARD", Assert.Single(nft.ForeignForwardDropChains()).Name);
    }

    [Fact]
    public void Plain_ip_link_output_without_details_or_addresses_parses_as_devices()
    {
        const string json = """[{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP","LOWER_UP"],"operstate":"UNKNOWN","address":"00:00:00:00:00:00"}]""";

        var lo = Assert.Single(IpJsonParser.ParseInterfaces(json));

        Assert.Equal(HostInterfaceKind.Device, lo.Kind);
        Assert.True(lo.IsUp);
        Assert.Empty(lo.Addresses);
    }

    [Fact]
    public void Ipv6_addresses_and_macvtap_and_veth_kinds_are_understood()
    {
        const string json = """
            [{"ifindex":5,"ifname":"mvt0","flags":[],"linkinfo":{"info_kind":"macvtap","info_data":{"mode":"bridge"}},"addr_info":[{"family":"inet6","local":"fe80::1","prefixlen":64}]},
             {"ifindex":6,"ifname":"veth0","flags":[],"linkinfo":{"info_kind":"veth"},"addr_info":[]}]
            """;

        var interfaces = IpJsonParser.ParseInterfaces(json);

        Assert.Equal([HostInterfaceKind.Macvtap, HostInterfaceKind.Veth], interfaces.Select(i => i.Kind));
        Assert.Empty(interfaces[0].Addresses);
    }

    [Fact]
    public void An_empty_ruleset_has_no_tables() =>
        Assert.Empty(NftInventory.Parse("""{"nftables": [{"metainfo": {"version": "1.0.6", "json_schema_version": 1}}]}""").Tables);

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"x\": 1}")]
    public void Output_that_is_not_the_tools_json_is_a_format_error(string text)
    {
        Assert.Throws<FormatException>(() => NftInventory.Parse(text));
        Assert.Throws<FormatException>(() => IpJsonParser.ParseInterfaces(text));
    }
}
