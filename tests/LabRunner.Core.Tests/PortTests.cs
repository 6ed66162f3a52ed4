namespace LabRunner.Core.Tests;

/// <summary>LAB4xx: forwarded ports are WinNAT static mappings.</summary>
public class PortTests
{
    private static string Lab(string webPorts, string dbPorts = "[]", string dbNetworks = "[lan]") => $$"""
        name: demo
        defaults: { box: ubuntu }
        boxes: { ubuntu: u.vhdx }
        networks:
          - { name: lan, type: nat }
          - { name: back, type: private, subnet: 10.20.0.0/24 }
        vms:
          - name: web
            networks: [lan]
            forwarded_ports: {{webPorts}}
          - name: db
            networks: {{dbNetworks}}
            forwarded_ports: {{dbPorts}}
        """;

    [Theory]
    [InlineData("guest", "0")]
    [InlineData("guest", "65536")]
    [InlineData("host", "70000")]
    [InlineData("host", "-80")]
    [InlineData("host", "http")]
    [InlineData("host", "80.5")]
    [InlineData("guest", "99999999999999999999")]
    public void A_port_outside_1_to_65535_is_reported_at_the_value(string which, string value)
    {
        var port = which == "guest" ? $"{{ guest: {value}, host: 8080 }}" : $"{{ guest: 80, host: {value} }}";
        var text = Lab($"[{port}]");

        var d = Expect.OnlyError(Labfiles.Load(text).Diagnostics, "LAB401", text, $"{which}: {value}", skip: which.Length + 2);

        Assert.Contains(which, d.Message);
    }

    [Fact]
    public void Forwarded_ports_without_a_NAT_network_are_reported_at_the_first_port()
    {
        var text = Lab("[]", dbPorts: "[{ guest: 5432, host: 5432 }, { guest: 22, host: 2222 }]", dbNetworks: "[back]");

        var d = Expect.OnlyError(Labfiles.Load(text).Diagnostics, "LAB402", text, "{ guest: 5432");

        Assert.Contains("'db'", d.Message);
    }

    [Fact]
    public void A_host_port_forwarded_twice_is_reported_at_the_second_with_the_first_VM()
    {
        var text = Lab("[{ guest: 80, host: 8080 }]", dbPorts: "[{ guest: 81, host: 8080 }]");

        var d = Expect.OnlyError(Labfiles.Load(text).Diagnostics, "LAB403", text, "8080", occurrence: 2);

        var (line, column) = Where.Is(text, "8080");
        Assert.Contains($"'web' (at {Labfiles.MainPath}:{line}:{column})", d.Message);
        Assert.Contains("tcp/8080", d.Message);
    }

    [Fact]
    public void The_same_host_port_for_tcp_and_udp_is_fine()
    {
        var text = Lab("[{ guest: 53, host: 5353 }]", dbPorts: "[{ guest: 53, host: 5353, protocol: udp }]");

        Expect.NoErrors(Labfiles.Load(text).Diagnostics);
    }

    [Fact]
    public void The_same_udp_port_twice_clashes()
    {
        var text = Lab("[{ guest: 53, host: 5353, protocol: udp }]", dbPorts: "[{ guest: 53, host: 5353, protocol: UDP }]");

        var d = Expect.OnlyError(Labfiles.Load(text).Diagnostics, "LAB403", text, "5353", occurrence: 2);
        Assert.Contains("udp/5353", d.Message);
    }

    [Fact]
    public void A_port_on_one_host_address_clashes_with_the_same_port_on_all_addresses()
    {
        var specificFirst = Lab("[{ guest: 80, host: 8080, host_ip: 192.168.1.10 }]", dbPorts: "[{ guest: 80, host: 8080 }]");
        var allFirst = Lab("[{ guest: 80, host: 8080 }]", dbPorts: "[{ guest: 80, host: 8080, host_ip: 192.168.1.10 }]");
        var explicitAll = Lab("[{ guest: 80, host: 8080, host_ip: 0.0.0.0 }]", dbPorts: "[{ guest: 80, host: 8080, host_ip: 192.168.1.10 }]");

        Expect.OnlyError(Labfiles.Load(specificFirst).Diagnostics, "LAB403", specificFirst, "8080", occurrence: 2);
        Expect.OnlyError(Labfiles.Load(allFirst).Diagnostics, "LAB403", allFirst, "8080", occurrence: 2);
        Expect.OnlyError(Labfiles.Load(explicitAll).Diagnostics, "LAB403", explicitAll, "8080", occurrence: 2);
    }

    [Fact]
    public void The_same_port_on_two_different_host_addresses_is_fine()
    {
        var text = Lab("[{ guest: 80, host: 8080, host_ip: 192.168.1.10 }]", dbPorts: "[{ guest: 80, host: 8080, host_ip: 192.168.1.11 }]");

        Expect.NoErrors(Labfiles.Load(text).Diagnostics);
    }

    [Fact]
    public void A_bad_host_ip_is_reported_at_the_value()
    {
        var text = Lab("[{ guest: 80, host: 8080, host_ip: 192.168.1 }]");

        Expect.OnlyError(Labfiles.Load(text).Diagnostics, "LAB202", text, "192.168.1 ");
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.1.2.3")]
    public void A_loopback_host_ip_is_refused_with_why_and_what_to_use_instead(string hostIp)
    {
        var text = Lab($"[{{ guest: 80, host: 8080, host_ip: {hostIp} }}]");

        var d = Expect.OnlyError(Labfiles.Load(text).Diagnostics, "LAB404", text, "{ guest: 80");

        Assert.Contains($"host_ip {hostIp}", d.Message);
        Assert.Contains("WinNAT never sees connections the host makes to itself", d.Message);
        Assert.Contains("Leave host_ip out", d.Message);
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("yes", true)]
    [InlineData("off", false)]
    [InlineData("False", false)]
    public void Auto_correct_reads_yaml_booleans(string value, bool expected)
    {
        var text = Lab($"[{{ guest: 80, host: 8080, auto_correct: {value} }}]");

        var plan = Labfiles.ValidPlan(text);

        Assert.Equal(expected, plan.Vms[0].ForwardedPorts.Single().AutoCorrect);
    }

    [Fact]
    public void Auto_correct_that_is_not_a_boolean_is_the_wrong_type()
    {
        var text = Lab("[{ guest: 80, host: 8080, auto_correct: maybe }]");

        Expect.OnlyError(Labfiles.Load(text).Diagnostics, "LAB003", text, "maybe");
    }
}
