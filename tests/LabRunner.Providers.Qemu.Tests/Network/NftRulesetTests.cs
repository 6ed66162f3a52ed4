using System.Net;
using System.Runtime.CompilerServices;
using LabRunner.Providers.Qemu.Network;
using LabRunner.Tests.Shared;

namespace LabRunner.Providers.Qemu.Tests.Network;

/// <summary>The nft script for LabRunner's table. Regenerate the golden file with LABRUNNER_UPDATE_GOLDEN=1 and review the diff.</summary>
public class NftRulesetTests
{
    [Fact]
    public void The_script_matches_its_golden_file()
    {
        var actual = NftRuleset.Render(Samples.TwoLabs());
        var path = Path.Combine(GoldenDirectory(), "labrunner.nft");

        if (GoldenFiles.UpdateRequested())
            File.WriteAllText(path, actual);

        Assert.True(File.Exists(path), $"{path} is missing: run with LABRUNNER_UPDATE_GOLDEN=1");
        Assert.Equal(File.ReadAllText(path), actual);
    }

    [Fact]
    public void The_script_names_only_labrunners_table()
    {
        var script = NftRuleset.Render(Samples.TwoLabs());

        var tableLines = script.Split('\n').Where(l => l.Contains("table", StringComparison.Ordinal) && !l.StartsWith('#'));
        Assert.All(tableLines, l => Assert.Contains("table inet labrunner", l, StringComparison.Ordinal));
        Assert.StartsWith("table inet labrunner {}\ndelete table inet labrunner\n", script.Split('\n', 2)[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Every_rule_carries_its_labs_mark()
    {
        var rules = NftRuleset.Render(Samples.TwoLabs()).Split('\n')
            .Where(l => l.Contains("masquerade", StringComparison.Ordinal) || l.Contains("dnat", StringComparison.Ordinal) || l.Contains(" drop ", StringComparison.Ordinal))
            .ToList();

        Assert.Equal(2 + 2 + 2 + 2, rules.Count); // DNAT in prerouting and output, masquerades, forward drops
        Assert.All(rules, r => Assert.Matches("comment \"labrunner:v1 lab=[xy]\"$", r));
    }

    [Fact]
    public void Dnat_catches_only_packets_for_the_host_itself()
    {
        var script = NftRuleset.Render(Samples.TwoLabs());

        Assert.Contains("fib daddr type local tcp dport 8080 dnat ip to 10.77.0.10:80", script, StringComparison.Ordinal);
        Assert.Contains("ip daddr != 127.0.0.0/8 fib daddr type local tcp dport 8080 dnat ip to 10.77.0.10:80", script, StringComparison.Ordinal);
        Assert.Contains("ip daddr 192.0.2.1 udp dport 5353 dnat ip to 10.77.0.11:53", script, StringComparison.Ordinal);
    }

    [Fact]
    public void The_order_of_the_input_does_not_change_the_script()
    {
        var spec = Samples.TwoLabs();
        var reversed = spec with { Masquerades = [.. spec.Masquerades.Reverse()], PortForwards = [.. spec.PortForwards.Reverse()] };

        Assert.Equal(NftRuleset.Render(spec), NftRuleset.Render(reversed));
    }

    [Fact]
    public void An_empty_spec_still_defines_the_table_and_its_chains()
    {
        var script = NftRuleset.Render(NftRulesetSpec.Empty);

        Assert.Contains("chain postrouting {", script, StringComparison.Ordinal);
        Assert.DoesNotContain("masquerade", script, StringComparison.Ordinal);
    }

    [Fact]
    public void Deleting_names_only_labrunners_table_and_works_when_it_is_absent() =>
        Assert.Equal("table inet labrunner {}\ndelete table inet labrunner\n", NftRuleset.RenderDelete());

    [Fact]
    public void Values_that_could_change_the_script_are_refused()
    {
        var ok = Samples.TwoLabs();

        Assert.Throws<ArgumentException>(() => NftRuleset.Render(ok with { Masquerades = [new NftMasquerade("x\" accept #", IPNetwork.Parse("10.0.0.0/24"))] }));
        Assert.Throws<ArgumentException>(() => NftRuleset.Render(ok with { NoForwards = [new NftNoForward("x", "br0\" accept")] }));
        Assert.Throws<ArgumentException>(() => NftRuleset.Render(ok with { PortForwards = [new NftPortForward("x", NftProtocol.Tcp, null, 80, IPAddress.IPv6Loopback, 80)] }));
        Assert.Throws<ArgumentOutOfRangeException>(() => NftRuleset.Render(ok with { PortForwards = [new NftPortForward("x", NftProtocol.Tcp, null, 0, IPAddress.Parse("10.0.0.1"), 80)] }));
        Assert.Throws<ArgumentOutOfRangeException>(() => NftRuleset.Render(ok with { PortForwards = [new NftPortForward("x", NftProtocol.Tcp, null, 80, IPAddress.Parse("10.0.0.1"), 65536)] }));
    }

    [Fact]
    public void A_loopback_host_address_gets_no_output_rule()
    {
        var spec = NftRulesetSpec.Empty with { PortForwards = [new NftPortForward("x", NftProtocol.Tcp, IPAddress.Loopback, 2222, IPAddress.Parse("10.0.0.5"), 22)] };

        var script = NftRuleset.Render(spec);

        Assert.Single(script.Split('\n'), l => l.Contains("dnat", StringComparison.Ordinal));
    }

    private static string GoldenDirectory([CallerFilePath] string thisFile = "") => Path.Combine(Path.GetDirectoryName(thisFile)!, "..", "Golden");
}
