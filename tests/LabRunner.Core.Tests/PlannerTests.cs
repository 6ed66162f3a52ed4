using LabRunner.Core.Labfile;
using LabRunner.Core.Net;
using LabRunner.Core.Planning;
using LabRunner.Providers.HyperV;

namespace LabRunner.Core.Tests;

public class PlannerTests
{
    private static string Lab(string networks, string vms, string name = "demo") => $"""
        name: {name}
        boxes: {"{"} ubuntu: u.vhdx {"}"}
        defaults: {"{"} box: ubuntu {"}"}
        networks:
        {networks}
        vms:
        {vms}
        """;

    private const string FourKinds = """
          - { name: lan, type: private, subnet: 10.10.0.0/24 }
          - { name: out, type: nat }
          - { name: office, type: bridged, adapter: Ethernet 2 }
          - { name: san, type: isolated, subnet: 10.20.0.0/24 }
        """;

    [Fact]
    public void Switches_are_named_after_the_lab_and_network_and_bridged_ones_after_the_adapter()
    {
        var plan = Labfiles.ValidPlan(Lab(FourKinds, "  - { name: web, networks: [lan, out, office, san] }"));

        Assert.Equal(
            [("lan", "LabRunner-demo-lan", "Internal"), ("out", "LabRunner-demo-out", "Internal"),
             ("office", "LabRunner-Bridge-Ethernet 2", "External"), ("san", "LabRunner-demo-san", "Private")],
            plan.Networks.Select(n => (n.Name, n.Switch, n.SwitchKind)));
        Assert.Equal(plan.Networks.Select(n => n.Switch), plan.Vms.Single().Adapters.Select(a => a.Switch));
    }

    [Fact]
    public void The_host_vNIC_takes_the_first_host_address_unless_a_gateway_is_given()
    {
        var plan = Labfiles.ValidPlan(Lab("""
              - { name: lan, type: private, subnet: 10.10.0.0/24 }
              - { name: mgmt, type: private, subnet: 10.30.0.0/24, gateway: 10.30.0.254 }
              - { name: san, type: isolated, subnet: 10.20.0.0/24 }
            """, "  - { name: web, networks: [lan] }"));

        Assert.Equal(["10.10.0.1", "10.30.0.254", null], plan.Networks.Select(n => n.Gateway?.ToString()));
        Assert.Equal([true, true, false], plan.Networks.Select(n => n.HasHostVnic));
    }

    [Fact]
    public void Addresses_are_allocated_lowest_first_skipping_the_gateway_and_every_static_address()
    {
        // db declares .3 after web and cache are planned: it is still never handed out.
        var plan = Labfiles.ValidPlan(Lab("  - { name: lan, type: private, subnet: 10.10.0.0/24 }", """
              - { name: web, networks: [lan] }
              - { name: cache, networks: [lan] }
              - { name: db, networks: [{ network: lan, ip: 10.10.0.3 }] }
              - { name: api, networks: [lan] }
            """));

        Assert.Equal(["10.10.0.2", "10.10.0.4", "10.10.0.3", "10.10.0.5"], plan.Vms.Select(v => v.Adapters.Single().Ip.ToString()));
        Assert.All(plan.Vms, vm => Assert.Equal(24, vm.Adapters.Single().PrefixLength));
    }

    [Fact]
    public void With_an_explicit_gateway_the_first_host_address_is_allocated()
    {
        var plan = Labfiles.ValidPlan(Lab("  - { name: lan, type: private, subnet: 10.10.0.0/24, gateway: 10.10.0.254 }", "  - { name: web, networks: [lan] }"));

        Assert.Equal("10.10.0.1", plan.Vms.Single().Adapters.Single().Ip.ToString());
    }

    [Fact]
    public void A_slash_30_runs_out_after_one_guest_and_each_adapter_left_over_is_reported()
    {
        var text = Lab("  - { name: lan, type: private, subnet: 10.10.0.0/30 }", """
              - { name: a, networks: [lan] }
              - { name: b, networks: [lan] }
              - { name: c, networks: [lan] }
            """);

        var result = Labfiles.Plan(text);

        Assert.Null(result.Plan);
        Expect.At(result.Diagnostics, "LAB501", text, "lan", occurrence: 3);
        Expect.At(result.Diagnostics, "LAB501", text, "lan", occurrence: 4);
        Assert.Equal(2, result.Diagnostics.Count(d => d.IsError));
    }

    [Fact]
    public void A_bridged_adapter_without_a_static_IP_uses_DHCP_even_when_the_LAN_subnet_is_given()
    {
        // Allocating from someone's LAN would collide with its DHCP server's leases.
        var plan = Labfiles.ValidPlan(Lab("  - { name: office, type: bridged, adapter: Ethernet, subnet: 192.168.1.0/24, gateway: 192.168.1.1 }", """
              - { name: web, networks: [office] }
              - { name: db, networks: [{ network: office, ip: 192.168.1.50 }] }
            """));

        var web = plan.Vms[0].Adapters.Single();
        var db = plan.Vms[1].Adapters.Single();
        Assert.Equal((null, true), (web.Ip, web.Dhcp));
        Assert.Equal(("192.168.1.50/24", false, "192.168.1.1"), (db.Cidr, db.Dhcp, db.Gateway?.ToString()));
    }

    [Fact]
    public void An_isolated_network_without_a_subnet_gives_no_address_and_no_DHCP()
    {
        var plan = Labfiles.ValidPlan(Lab("  - { name: san, type: isolated }", "  - { name: web, networks: [san] }"));

        var adapter = plan.Vms.Single().Adapters.Single();
        Assert.Equal((null, false, false), (adapter.Ip, adapter.Dhcp, adapter.DefaultRoute));
    }

    [Fact]
    public void A_NAT_network_without_a_subnet_gets_a_slash_24_inside_the_NAT_prefix()
    {
        var plan = Labfiles.ValidPlan(Lab("  - { name: out, type: nat }", "  - { name: web, networks: [out] }"));

        var subnet = plan.Networks.Single().Subnet!.Value;
        Assert.Equal(PlanRules.NatSliceLength, subnet.PrefixLength);
        Assert.True(PlanRules.DefaultNatPrefix.Contains(subnet));
        Assert.Equal(new NatPlan(PlanRules.NatName, PlanRules.DefaultNatPrefix), plan.Nat);
        Assert.Equal(subnet.FirstHost, plan.Networks.Single().Gateway);
        Assert.Equal(subnet.FirstHost.Add(1), plan.Vms.Single().Adapters.Single().Ip);
    }

    [Fact]
    public void The_NAT_slice_is_the_same_on_every_run_and_differs_between_labs()
    {
        string[] labs = ["demo", "webshop", "ci", "alpha", "beta", "gamma"];
        Ipv4Subnet SliceOf(string lab) =>
            Labfiles.ValidPlan(Lab("  - { name: out, type: nat }", "  - { name: web, networks: [out] }", lab)).Networks.Single().Subnet!.Value;

        var first = labs.Select(SliceOf).ToList();
        var second = labs.Select(SliceOf).ToList();

        Assert.Equal(first, second);
        // Six labs in 256 slices: a hash that spreads them puts (almost) each in its own.
        Assert.True(first.Distinct().Count() >= 5, string.Join(", ", first));
    }

    [Fact]
    public void The_NAT_slice_avoids_the_labs_other_subnets_and_subnets_taken_on_the_host()
    {
        var natOnly = Lab("  - { name: out, type: nat }", "  - { name: web, networks: [out] }");
        var usual = Labfiles.ValidPlan(natOnly).Networks.Single().Subnet!.Value;

        // The same slice taken by one of the lab's own networks, or by another lab on the host.
        var withOwn = Lab($"  - {{ name: out, type: nat }}\n  - {{ name: lan, type: private, subnet: {usual} }}", "  - { name: web, networks: [out, lan] }");
        var own = Labfiles.ValidPlan(withOwn).Networks[0].Subnet!.Value;
        var taken = Labfiles.ValidPlan(natOnly, context: LabContext.For(HyperVRules.Instance) with { TakenSubnets = [usual] }).Networks.Single().Subnet!.Value;

        Assert.False(own.Overlaps(usual));
        Assert.False(taken.Overlaps(usual));
        Assert.True(PlanRules.DefaultNatPrefix.Contains(own));
        Assert.True(PlanRules.DefaultNatPrefix.Contains(taken));
    }

    [Fact]
    public void Two_NAT_networks_of_one_lab_get_different_slices()
    {
        var plan = Labfiles.ValidPlan(Lab("  - { name: out, type: nat }\n  - { name: dmz, type: nat }", "  - { name: web, networks: [out, dmz] }"));

        Assert.False(plan.Networks[0].Subnet!.Value.Overlaps(plan.Networks[1].Subnet!.Value));
    }

    [Fact]
    public void The_NAT_slice_follows_a_prefix_set_under_nat()
    {
        var plan = Labfiles.ValidPlan(Lab("  - { name: out, type: nat }", "  - { name: web, networks: [out] }") + "\nnat: { prefix: 172.20.0.0/16 }\n");

        Assert.True(Ipv4Subnet.Parse("172.20.0.0/16").Contains(plan.Networks.Single().Subnet!.Value));
        Assert.Equal("172.20.0.0/16", plan.Nat!.Prefix.ToString());
    }

    [Fact]
    public void A_NAT_prefix_with_no_free_slice_is_reported_at_the_network()
    {
        var text = Lab("  - { name: out, type: nat }", "  - { name: web, networks: [out] }") + "\nnat: { prefix: 10.188.0.0/24 }\n";

        var result = Labfiles.Plan(text, context: LabContext.For(HyperVRules.Instance) with { TakenSubnets = [Ipv4Subnet.Parse("10.188.0.128/25")] });

        Expect.At(result.Diagnostics, "LAB502", text, "out");
    }

    [Fact]
    public void MACs_are_locally_administered_unicast_unique_across_a_500_VM_lab_and_stable()
    {
        var text = Lab("  - { name: a, type: isolated }\n  - { name: b, type: isolated }", "  - { name: node, count: 500, networks: [a, b] }");

        var macs = Labfiles.ValidPlan(text).Vms.SelectMany(v => v.Adapters).Select(a => a.Mac).ToList();
        var again = Labfiles.ValidPlan(text).Vms.SelectMany(v => v.Adapters).Select(a => a.Mac).ToList();

        Assert.Equal(1000, macs.Count);
        Assert.Equal(macs.Count, macs.Distinct().Count());
        Assert.All(macs, m => Assert.Equal(0x02, m[0] & 0x03));
        Assert.Equal(macs, again);
    }

    [Fact]
    public void Another_lab_name_gives_other_MACs()
    {
        MacAddress[] MacsOf(string lab) => [.. Labfiles.ValidPlan(Lab("  - { name: a, type: isolated }", "  - { name: node, count: 20, networks: [a] }", lab))
            .Vms.Select(v => v.Adapters.Single().Mac)];

        var demo = MacsOf("demo");
        var other = MacsOf("other");

        Assert.Empty(demo.Intersect(other));
    }

    [Fact]
    public void An_explicit_MAC_is_kept()
    {
        var plan = Labfiles.ValidPlan(Lab("  - { name: a, type: isolated }", "  - { name: web, networks: [{ network: a, mac: \"00:15:5d:01:02:03\" }, a] }"));

        Assert.Equal("00-15-5D-01-02-03", plan.Vms.Single().Adapters[0].Mac.ToString());
        Assert.NotEqual(plan.Vms.Single().Adapters[0].Mac, plan.Vms.Single().Adapters[1].Mac);
    }

    [Fact]
    public void A_derived_MAC_never_repeats_an_explicit_one()
    {
        var derived = PlanRules.DeriveMac("demo", "db", 0);
        var plan = Labfiles.ValidPlan(Lab("  - { name: a, type: isolated }", $"  - {{ name: web, networks: [{{ network: a, mac: \"{derived}\" }}] }}\n  - {{ name: db, networks: [a] }}"));

        Assert.Equal(derived, plan.Vms[0].Adapters.Single().Mac);
        Assert.NotEqual(derived, plan.Vms[1].Adapters.Single().Mac);
    }

    [Fact]
    public void The_default_route_goes_through_the_first_NAT_adapter_only()
    {
        var plan = Labfiles.ValidPlan(Lab(FourKinds + "\n  - { name: dmz, type: nat }", "  - { name: web, networks: [lan, office, out, dmz, san] }"));

        var adapters = plan.Vms.Single().Adapters;
        Assert.Equal(["out"], adapters.Where(a => a.DefaultRoute).Select(a => a.Network));
        Assert.Equal(plan.Networks.Single(n => n.Name == "out").Gateway, adapters.Single(a => a.DefaultRoute).Gateway);
    }

    [Fact]
    public void Without_NAT_the_default_route_goes_through_the_first_bridged_adapter()
    {
        var plan = Labfiles.ValidPlan(Lab(FourKinds, "  - { name: web, networks: [lan, san, office] }"));

        Assert.Equal(["office"], plan.Vms.Single().Adapters.Where(a => a.DefaultRoute).Select(a => a.Network));
    }

    [Fact]
    public void Private_and_isolated_networks_never_carry_the_default_route()
    {
        var plan = Labfiles.ValidPlan(Lab(FourKinds, "  - { name: web, networks: [lan, san] }"));

        Assert.DoesNotContain(plan.Vms.Single().Adapters, a => a.DefaultRoute);
    }

    [Fact]
    public void NAT_networks_get_public_DNS_unless_they_name_their_own_and_other_networks_get_none()
    {
        var plan = Labfiles.ValidPlan(Lab("""
              - { name: out, type: nat }
              - { name: dmz, type: nat, dns: [9.9.9.9] }
              - { name: lan, type: private, subnet: 10.10.0.0/24 }
            """, "  - { name: web, networks: [out, dmz, lan] }"));

        Assert.Equal(LabContext.PublicDns.AsEnumerable(), plan.Networks[0].Dns.AsEnumerable());
        Assert.Equal(["9.9.9.9"], plan.Networks[1].Dns.Select(d => d.ToString()));
        Assert.Empty(plan.Networks[2].Dns);
        Assert.Equal(plan.Networks.Select(n => string.Join(",", n.Dns)), plan.Vms.Single().Adapters.Select(a => string.Join(",", a.Dns)));
    }

    [Fact]
    public void Port_mappings_point_at_the_guests_address_on_the_NAT_network()
    {
        var plan = Labfiles.ValidPlan(Lab("  - { name: lan, type: private, subnet: 10.10.0.0/24 }\n  - { name: out, type: nat }",
            "  - { name: web, networks: [lan, out], forwarded_ports: [{ guest: 80, host: 8080 }, { guest: 53, host: 5353, protocol: udp, host_ip: 192.168.1.5 }] }"));

        var vm = plan.Vms.Single();
        var natIp = vm.Adapters.Single(a => a.Network == "out").Ip;
        Assert.All(vm.ForwardedPorts, p => Assert.Equal(natIp, p.GuestIp));
        Assert.Equal([(PortProtocol.Tcp, 8080, 80, null), (PortProtocol.Udp, 5353, 53, "192.168.1.5")],
            vm.ForwardedPorts.Select(p => (p.Protocol, p.HostPort, p.GuestPort, p.HostIp?.ToString())));
    }

    [Fact]
    public void A_plan_is_the_same_for_the_same_Labfile()
    {
        var text = Lab(FourKinds, "  - { name: web, count: 3, networks: [lan, out, office, san] }");

        var first = Labfiles.ValidPlan(text);
        var second = Labfiles.ValidPlan(text);

        Assert.Equal(Describe(first), Describe(second));
    }

    private static string Describe(LabPlan plan) => string.Join("\n",
        plan.Networks.Select(n => $"{n.Name} {n.Switch} {n.Subnet} {n.Gateway}")
            .Concat(plan.Vms.SelectMany(v => v.Adapters.Select(a => $"{v.Name} {a.Network} {a.Mac} {a.Cidr} {a.DefaultRoute}"))));
}
