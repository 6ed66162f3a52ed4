namespace LabRunner.Core.Tests;

/// <summary><c>count</c> makes numbered copies of a VM, with consecutive IPs and host ports.</summary>
public class CountTests
{
    private static string Lab(string vm) => $$"""
        name: demo
        boxes: { ubuntu: u.vhdx }
        defaults: { box: ubuntu }
        networks:
          - { name: lan, type: nat, subnet: 10.188.7.0/24 }
        vms:
        {{vm}}
        """;

    [Theory]
    [InlineData("web-{n}", 3, new[] { "web-1", "web-2", "web-3" })]
    [InlineData("web", 2, new[] { "web-1", "web-2" })]
    [InlineData("node{n}x", 2, new[] { "node1x", "node2x" })]
    [InlineData("web", 1, new[] { "web-1" })]
    public void Counted_VMs_are_numbered_from_one(string name, int count, string[] expected)
    {
        var plan = Labfiles.ValidPlan(Lab($"  - {{ name: \"{name}\", count: {count}, networks: [lan] }}"));

        Assert.Equal(expected, plan.Vms.Select(v => v.Name));
        Assert.Equal(expected, plan.Vms.Select(v => v.Hostname));
    }

    [Fact]
    public void Counted_VMs_take_consecutive_static_IPs()
    {
        var plan = Labfiles.ValidPlan(Lab("  - { name: web, count: 3, networks: [{ network: lan, ip: 10.188.7.21 }] }"));

        Assert.Equal(["10.188.7.21/24", "10.188.7.22/24", "10.188.7.23/24"], plan.Vms.Select(v => v.Adapters.Single().Cidr));
    }

    [Fact]
    public void Counted_VMs_take_consecutive_host_ports_and_keep_the_guest_port()
    {
        var plan = Labfiles.ValidPlan(Lab("  - { name: web, count: 3, networks: [lan], forwarded_ports: [{ guest: 80, host: 8080 }] }"));

        var ports = plan.Vms.Select(v => v.ForwardedPorts.Single()).ToList();
        Assert.Equal([8080, 8081, 8082], ports.Select(p => p.HostPort));
        Assert.All(ports, p => Assert.Equal(80, p.GuestPort));
        Assert.Equal(plan.Vms.Select(v => v.Adapters.Single().Ip), ports.Select(p => (Net.Ipv4Address?)p.GuestIp));
    }

    [Fact]
    public void Counted_host_ports_that_run_past_65535_are_reported()
    {
        var text = Lab("  - { name: web, count: 2, networks: [lan], forwarded_ports: [{ guest: 80, host: 65535 }] }");

        var d = Expect.OnlyError(Labfiles.Load(text).Diagnostics, "LAB401", text, "65535");

        Assert.Contains("65536", d.Message);
    }

    [Fact]
    public void Counted_static_IPs_that_run_into_the_broadcast_address_are_reported()
    {
        var text = Lab("  - { name: web, count: 2, networks: [{ network: lan, ip: 10.188.7.254 }] }");

        var d = Expect.OnlyError(Labfiles.Load(text).Diagnostics, "LAB205", text, "10.188.7.254");

        Assert.Contains("10.188.7.255", d.Message);
    }

    [Fact]
    public void A_MAC_on_a_counted_VM_is_refused_at_the_MAC()
    {
        var text = Lab("  - { name: web, count: 2, networks: [{ network: lan, mac: \"02-00-00-00-00-01\" }] }");

        var d = Expect.OnlyError(Labfiles.Load(text).Diagnostics, "LAB216", text, "\"02-00");

        Assert.Contains("count", d.Message);
    }

    [Fact]
    public void A_MAC_on_a_VM_with_count_1_is_kept()
    {
        var plan = Labfiles.ValidPlan(Lab("  - { name: web, count: 1, networks: [{ network: lan, mac: \"02-00-00-00-00-01\" }] }"));

        Assert.Equal("02-00-00-00-00-01", plan.Vms.Single().Adapters.Single().Mac.ToString());
    }

    [Fact]
    public void A_hostname_without_n_on_a_counted_VM_is_refused_at_the_hostname()
    {
        var text = Lab("  - { name: web, count: 2, hostname: shop, networks: [lan] }");

        Expect.OnlyError(Labfiles.Load(text).Diagnostics, "LAB103", text, "shop");
    }

    [Fact]
    public void A_hostname_with_n_on_a_counted_VM_is_numbered()
    {
        var plan = Labfiles.ValidPlan(Lab("  - { name: web, count: 2, hostname: \"shop{n}.lab.example\", networks: [lan] }"));

        Assert.Equal(["shop1.lab.example", "shop2.lab.example"], plan.Vms.Select(v => v.Hostname));
    }

    [Fact]
    public void A_counted_name_that_grows_too_long_is_reported_once_for_the_first_copy_too_long()
    {
        var name = new string('w', 61);
        var text = Lab($"  - {{ name: {name}, count: 10, networks: [lan] }}");

        // w…-1 to w…-9 have 63 characters, the most a VM name may have; w…-10 has 64.
        var d = Expect.OnlyError(Labfiles.Load(text).Diagnostics, "LAB101", text, name);

        Assert.Contains($"'{name}-10'", d.Message);
    }

    [Fact]
    public void A_counted_name_too_long_for_every_copy_is_reported_once()
    {
        var name = new string('w', 62);
        var text = Lab($"  - {{ name: {name}, count: 10, networks: [lan] }}");

        // web…-1 to -9 are 64 characters: over the 63 a VM name may have.
        var result = Labfiles.Load(text);

        Assert.All(result.Diagnostics, d => Assert.Equal("LAB101", d.Code));
        Expect.At(result.Diagnostics, "LAB101", text, name);
    }

    [Fact]
    public void Mistakes_shared_by_every_copy_are_reported_once()
    {
        var text = Lab("  - { name: web, count: 5, cpus: 0, networks: [lna] }");

        var result = Labfiles.Load(text);

        Assert.Single(result.Diagnostics, d => d.Code == "LAB304");
        Assert.Single(result.Diagnostics, d => d.Code == "LAB212");
    }
}
