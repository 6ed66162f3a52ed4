using LabRunner.Core.Planning;
using LabRunner.Providers.HyperV;

namespace LabRunner.Core.Tests;

/// <summary>LAB2xx: subnets, addresses, gateways and MACs.</summary>
public class AddressTests
{
    private static string Lab(string networks, string vms) => $"""
        name: demo
        defaults:
          box: ubuntu
        boxes:
          ubuntu: boxes/ubuntu.vhdx
        networks:
        {networks}
        vms:
        {vms}
        """;

    private const string Private = "  - { name: lan, type: private, subnet: 10.10.0.0/24 }";

    [Theory]
    [InlineData("10.10.0.0/33")]
    [InlineData("10.10.0/24")]
    [InlineData("010.10.0.0/24")]
    [InlineData("10.10.0.0")]
    [InlineData("10.10.0.0/")]
    [InlineData("/24")]
    [InlineData("10.10.0.0/24/8")]
    [InlineData("10.10.0.0/-1")]
    [InlineData("10.10.0.0/+8")]
    [InlineData("256.0.0.0/8")]
    public void A_malformed_subnet_is_reported_at_the_value(string subnet)
    {
        var text = Lab($"  - {{ name: lan, type: private, subnet: \"{subnet}\" }}", "  - { name: web, networks: [lan] }");

        var result = Labfiles.Load(text);

        Expect.At(result.Diagnostics, "LAB201", text, $"\"{subnet}\"");
    }

    [Theory]
    [InlineData("1.2.3")]
    [InlineData("256.1.1.1")]
    [InlineData("010.10.0.1")]
    [InlineData("10.10.0.01")]
    [InlineData("10.10.0.1.")]
    [InlineData("10.10.0.-1")]
    [InlineData("10.10.0.1 ")]
    [InlineData("١٠.10.0.1")]
    [InlineData("::1")]
    public void A_malformed_gateway_is_reported_at_the_value(string ip)
    {
        var text = Lab($"  - {{ name: lan, type: private, subnet: 10.10.0.0/24, gateway: \"{ip}\" }}", "  - { name: web, networks: [lan] }");

        var result = Labfiles.Load(text);

        Expect.OnlyError(result.Diagnostics, "LAB202", text, $"\"{ip}\"");
    }

    [Fact]
    public void A_malformed_static_IP_is_reported_at_the_value()
    {
        var text = Lab(Private, "  - { name: web, networks: [{ network: lan, ip: 10.10.0.x }] }");

        Expect.OnlyError(Labfiles.Load(text).Diagnostics, "LAB202", text, "10.10.0.x");
    }

    [Fact]
    public void A_malformed_DNS_server_is_reported_at_the_entry()
    {
        var text = Lab("  - { name: lan, type: nat, dns: [1.1.1.1, 8.8.8] }", "  - { name: web, networks: [lan] }");

        Expect.OnlyError(Labfiles.Load(text).Diagnostics, "LAB202", text, "8.8.8]");
    }

    [Fact]
    public void A_subnet_with_host_bits_is_a_warning_and_read_as_its_network()
    {
        var text = Lab("  - { name: lan, type: private, subnet: 10.10.0.5/24 }", "  - { name: web, networks: [lan] }");

        var result = Labfiles.Plan(text);

        var d = Expect.At(result.Diagnostics, "LAB203", text, "10.10.0.5/24");
        Assert.False(d.IsError);
        Assert.False(result.HasErrors);
        Assert.Equal("10.10.0.0/24", result.Plan!.Networks.Single().Subnet.ToString());
    }

    [Theory]
    [InlineData("10.10.1.5")]
    [InlineData("10.11.0.5")]
    [InlineData("192.168.0.5")]
    public void A_static_ip_outside_its_subnet_is_reported_at_the_ip(string ip)
    {
        var text = Lab(Private, $"  - {{ name: web, networks: [{{ network: lan, ip: {ip} }}] }}");

        var d = Expect.OnlyError(Labfiles.Load(text).Diagnostics, "LAB204", text, ip);

        Assert.Contains("10.10.0.0/24", d.Message);
    }

    [Theory]
    [InlineData("10.10.0.0", "network")]
    [InlineData("10.10.0.255", "broadcast")]
    public void A_static_ip_equal_to_the_network_or_broadcast_address_is_reported_at_the_ip(string ip, string which)
    {
        var text = Lab(Private, $"  - {{ name: web, networks: [{{ network: lan, ip: {ip} }}] }}");

        var d = Expect.OnlyError(Labfiles.Load(text).Diagnostics, "LAB205", text, "ip: " + ip, skip: "ip: ".Length);

        Assert.Contains(which, d.Message);
    }

    [Fact]
    public void A_static_ip_equal_to_the_implicit_gateway_is_reported_at_the_ip()
    {
        // Without 'gateway', the host vNIC takes the first host address.
        var text = Lab(Private, "  - { name: web, networks: [{ network: lan, ip: 10.10.0.1 }] }");

        Expect.OnlyError(Labfiles.Load(text).Diagnostics, "LAB206", text, "10.10.0.1 ");
    }

    [Fact]
    public void A_static_ip_equal_to_an_explicit_gateway_is_reported_and_the_first_host_is_then_free()
    {
        var networks = "  - { name: lan, type: private, subnet: 10.10.0.0/24, gateway: 10.10.0.254 }";
        var clash = Lab(networks, "  - { name: web, networks: [{ network: lan, ip: 10.10.0.254 }] }");
        var fine = Lab(networks, "  - { name: web, networks: [{ network: lan, ip: 10.10.0.1 }] }");

        Expect.OnlyError(Labfiles.Load(clash).Diagnostics, "LAB206", clash, "10.10.0.254", occurrence: 2);
        Expect.NoErrors(Labfiles.Load(fine).Diagnostics);
    }

    [Fact]
    public void The_same_static_ip_twice_is_reported_at_the_second_with_the_first_VM()
    {
        var text = Lab(Private, """
              - { name: web, networks: [{ network: lan, ip: 10.10.0.7 }] }
              - { name: db, networks: [{ network: lan, ip: 10.10.0.7 }] }
            """);

        var d = Expect.OnlyError(Labfiles.Load(text).Diagnostics, "LAB207", text, "10.10.0.7", occurrence: 2);

        Assert.Contains("'web'", d.Message);
    }

    [Theory]
    [InlineData("10.10.0.0/24", "10.10.0.128/25")]
    [InlineData("10.10.0.128/25", "10.10.0.0/16")]
    [InlineData("10.10.0.0/24", "10.10.0.0/24")]
    public void Overlapping_subnets_are_reported_at_the_second_subnet(string first, string second)
    {
        var text = Lab($$"""
              - { name: lan, type: private, subnet: {{first}} }
              - { name: san, type: isolated, subnet: "{{second}}" }
            """, "  - { name: web, networks: [lan, san] }");

        var d = Expect.OnlyError(Labfiles.Load(text).Diagnostics, "LAB208", text, $"\"{second}\"");

        Assert.Contains("'lan'", d.Message);
    }

    [Fact]
    public void Adjacent_subnets_do_not_overlap()
    {
        var text = Lab("""
              - { name: lan, type: private, subnet: 10.10.0.0/25 }
              - { name: san, type: isolated, subnet: 10.10.0.128/25 }
            """, "  - { name: web, networks: [lan, san] }");

        Expect.NoErrors(Labfiles.Load(text).Diagnostics);
    }

    [Theory]
    [InlineData("10.10.1.1")]
    [InlineData("10.10.0.0")]
    [InlineData("10.10.0.255")]
    public void A_gateway_that_is_not_a_host_of_the_subnet_is_reported_at_the_gateway(string gateway)
    {
        var text = Lab($"  - {{ name: lan, type: private, subnet: 10.10.0.0/24, gateway: \"{gateway}\" }}", "  - { name: web, networks: [lan] }");

        Expect.OnlyError(Labfiles.Load(text).Diagnostics, "LAB209", text, $"\"{gateway}\"");
    }

    [Fact]
    public void A_private_network_without_a_subnet_is_reported_at_its_name()
    {
        var text = Lab("  - { name: lan, type: private }", "  - { name: web, networks: [lan] }");

        Expect.OnlyError(Labfiles.Load(text).Diagnostics, "LAB210", text, "lan");
    }

    [Fact]
    public void A_bridged_network_without_an_adapter_is_reported_at_its_name()
    {
        var text = Lab("  - { name: office, type: bridged }", "  - { name: web, networks: [office] }");

        Expect.OnlyError(Labfiles.Load(text).Diagnostics, "LAB211", text, "office");
    }

    [Theory]
    [InlineData("Ethernet*")]
    [InlineData("Ethernet [2]")]
    [InlineData("Eth?")]
    [InlineData("Eth`1")]
    [InlineData("LAN/2")]
    [InlineData("LAN:2")]
    [InlineData("LAN|2")]
    [InlineData("LAN<2>")]
    [InlineData("LAN\\\\2")]
    public void A_bridged_adapter_name_Hyper_V_cannot_take_is_reported_at_the_adapter(string adapter)
    {
        var text = Lab($"  - {{ name: office, type: bridged, adapter: \"{adapter}\" }}", "  - { name: web, networks: [office] }");

        var d = Expect.OnlyError(Labfiles.Load(text).Diagnostics, "LAB101", text, "\"" + adapter[..3]);

        Assert.Contains("adapter name", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bridged_adapter_name_too_long_for_its_switch_name_is_reported()
    {
        var text = Lab($"  - {{ name: office, type: bridged, adapter: {new string('e', 84)} }}", "  - { name: web, networks: [office] }");

        Expect.OnlyError(Labfiles.Load(text).Diagnostics, "LAB101", text, "eee");
        Expect.NoErrors(Labfiles.Load(text.Replace(new string('e', 84), new string('e', 83), StringComparison.Ordinal)).Diagnostics);
    }

    [Fact]
    public void An_adapter_on_a_network_that_is_not_bridged_does_not_apply()
    {
        var text = Lab("  - { name: lan, type: private, subnet: 10.10.0.0/24, adapter: Ethernet }", "  - { name: web, networks: [lan] }");

        Expect.OnlyError(Labfiles.Load(text).Diagnostics, "LAB009", text, "Ethernet");
    }

    [Fact]
    public void An_undeclared_network_is_reported_at_the_reference_with_a_suggestion()
    {
        var text = Lab(Private, "  - { name: web, networks: [lna] }");

        var d = Expect.OnlyError(Labfiles.Load(text).Diagnostics, "LAB212", text, "lna");

        Assert.Contains("did you mean 'lan'?", d.Message);
    }

    [Fact]
    public void An_undeclared_network_with_a_hostile_name_keeps_the_message_on_one_line()
    {
        var text = Lab(Private, "  - { name: web, networks: [\"lan\\nerror LAB000: fake\"] }");

        // Expect.At also checks that the message has no control characters.
        Expect.OnlyError(Labfiles.Load(text).Diagnostics, "LAB212", text, "\"lan\\n");
    }

    [Fact]
    public void A_NAT_subnet_outside_the_default_prefix_is_reported_at_the_subnet()
    {
        var text = Lab("  - { name: lan, type: nat, subnet: 10.50.0.0/24 }", "  - { name: web, networks: [lan] }");

        var d = Expect.OnlyError(Labfiles.Load(text).Diagnostics, "LAB213", text, "10.50.0.0/24");

        Assert.Contains(PlanRules.DefaultNatPrefix.ToString(), d.Message);
    }

    [Fact]
    public void A_NAT_subnet_is_checked_against_the_prefix_set_under_nat()
    {
        var inside = Lab("  - { name: lan, type: nat, subnet: 10.50.0.0/24 }", "  - { name: web, networks: [lan] }") + "\nnat: { prefix: 10.50.0.0/16 }\n";
        var outside = Lab("  - { name: lan, type: nat, subnet: 10.188.3.0/24 }", "  - { name: web, networks: [lan] }") + "\nnat: { prefix: 10.50.0.0/16 }\n";

        Expect.NoErrors(Labfiles.Load(inside).Diagnostics);
        var d = Expect.OnlyError(Labfiles.Load(outside).Diagnostics, "LAB213", outside, "10.188.3.0/24");
        Assert.Contains("10.50.0.0/16", d.Message);
    }

    [Fact]
    public void A_NAT_subnet_is_checked_against_the_prefix_of_the_context()
    {
        var text = Lab("  - { name: lan, type: nat, subnet: 10.50.0.0/24 }", "  - { name: web, networks: [lan] }");
        var context = LabContext.For(HyperVRules.Instance) with { DefaultNatPrefix = Net.Ipv4Subnet.Parse("10.50.0.0/16") };

        Expect.NoErrors(Labfiles.Load(text, context: context).Diagnostics);
    }

    [Theory]
    [InlineData("8.8.0.0/16")]
    [InlineData("10.0.0.0/7")]
    [InlineData("192.168.0.0/29")]
    public void A_NAT_prefix_that_is_public_or_of_the_wrong_size_is_reported_at_the_prefix(string prefix)
    {
        var text = Lab(Private, "  - { name: web, networks: [lan] }") + $"\nnat: {{ prefix: \"{prefix}\" }}\n";

        Expect.OnlyError(Labfiles.Load(text).Diagnostics, "LAB218", text, $"\"{prefix}\"");
    }

    [Theory]
    [InlineData("10.10.0.0/31")]
    [InlineData("10.10.0.1/32")]
    public void A_subnet_too_small_for_a_gateway_and_a_guest_is_reported_at_the_subnet(string subnet)
    {
        var text = Lab($"  - {{ name: lan, type: private, subnet: \"{subnet}\" }}", "  - { name: web, networks: [lan] }");

        Expect.OnlyError(Labfiles.Load(text).Diagnostics, "LAB215", text, $"\"{subnet}\"");
    }

    [Fact]
    public void A_slash_30_subnet_is_the_smallest_allowed()
    {
        var text = Lab("  - { name: lan, type: private, subnet: 10.10.0.0/30 }", "  - { name: web, networks: [lan] }");

        var plan = Labfiles.ValidPlan(text);

        // .1 is the host vNIC, .2 the guest; .0 and .3 are reserved.
        Assert.Equal("10.10.0.2", plan.Vms.Single().Adapters.Single().Ip.ToString());
    }

    [Theory]
    [InlineData("02-15-5D-00-00")]
    [InlineData("02:15:5d:00:00:zz")]
    [InlineData("02-15:5D-00-00-01")]
    [InlineData("0215.5D00.0001")]
    [InlineData("01-00-5E-00-00-01")]
    [InlineData("FF-FF-FF-FF-FF-FF")]
    [InlineData("00-00-00-00-00-00")]
    [InlineData("03:00:00:00:00:01")]
    public void A_malformed_multicast_or_zero_MAC_is_reported_at_the_value(string mac)
    {
        var text = Lab(Private, $"  - {{ name: web, networks: [{{ network: lan, mac: \"{mac}\" }}] }}");

        Expect.OnlyError(Labfiles.Load(text).Diagnostics, "LAB216", text, $"\"{mac}\"");
    }

    [Fact]
    public void The_same_MAC_twice_is_reported_at_the_second_in_any_spelling()
    {
        var text = Lab(Private, """
              - { name: web, networks: [{ network: lan, mac: "02-15-5D-00-00-01" }] }
              - { name: db, networks: [{ network: lan, mac: "02:15:5d:00:00:01" }] }
            """);

        var d = Expect.OnlyError(Labfiles.Load(text).Diagnostics, "LAB217", text, "\"02:15");

        Assert.Contains("'web'", d.Message);
    }

    [Fact]
    public void A_static_ip_on_a_network_without_subnet_needs_a_prefix()
    {
        var text = Lab("  - { name: san, type: isolated }", "  - { name: web, networks: [{ network: san, ip: 10.9.0.5 }] }");

        Expect.OnlyError(Labfiles.Load(text).Diagnostics, "LAB214", text, "10.9.0.5");
    }

    [Fact]
    public void A_static_ip_with_a_prefix_that_differs_from_the_subnet_is_reported()
    {
        var text = Lab(Private, "  - { name: web, networks: [{ network: lan, ip: 10.10.0.5/16 }] }");

        Expect.OnlyError(Labfiles.Load(text).Diagnostics, "LAB220", text, "10.10.0.5/16");
    }

    [Fact]
    public void Attaching_a_VM_twice_to_one_network_is_a_warning()
    {
        var text = Lab(Private, "  - { name: web, networks: [lan, LAN] }");

        var d = Expect.At(Labfiles.Load(text).Diagnostics, "LAB219", text, "LAN");

        Assert.False(d.IsError);
    }

    [Fact]
    public void A_gateway_on_an_isolated_network_does_not_apply()
    {
        var text = Lab("  - { name: san, type: isolated, subnet: 10.9.0.0/24, gateway: 10.9.0.1 }", "  - { name: web, networks: [san] }");

        Expect.OnlyError(Labfiles.Load(text).Diagnostics, "LAB009", text, "10.9.0.1");
    }
}
