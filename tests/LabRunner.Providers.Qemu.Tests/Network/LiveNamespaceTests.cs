using System.Runtime.CompilerServices;
using LabRunner.Providers.Qemu.Network;
using LabRunner.HostCommon.Running;
using LabRunner.Providers.Qemu.Tests.Support;
using LabRunner.Tests.Shared;

namespace LabRunner.Providers.Qemu.Tests.Network;

/// <summary>
/// The network pieces against the real kernel, ip and nft, inside a namespace the test creates and deletes:
/// a marked bridge with an address and an enslaved tap, a foreign Docker-like table, LabRunner's table applied
/// through the runner, all read back through the inventory parsers. With LABRUNNER_UPDATE_GOLDEN=1 it also
/// refreshes the captured JSON under TestData/ that the offline parser tests read.
/// </summary>
public class LiveNamespaceTests
{
    private const string ForeignTable = """
        table ip filter {
        	chain FORWARD {
        		type filter hook forward priority filter; policy drop;
        		iifname "docker0" accept
        	}
        }
        """;

    private static readonly string Bridge = InterfaceNames.Bridge("x", "lan");
    private static readonly string Tap = InterfaceNames.TapOf("x-web", "eth0");

    [LiveNetworkFact]
    public async Task Bridge_tap_addresses_and_labrunners_table_made_in_a_namespace_read_back_through_the_parsers()
    {
        HostTools.Require(needsRoot: true, "ip", "nft");
        var runner = new CliWrapHostCommandRunner();
        await using var ns = await TestNamespace.CreateAsync();
        var mark = new OwnershipMark("x", "y").Render();

        // Arrange: LabRunner's objects, and foreign ones that must stay as they are.
        await ns.RunAsync("ip", "link", "add", Bridge, "type", "bridge");
        await ns.RunAsync("ip", "link", "set", Bridge, "alias", mark);
        await ns.RunAsync("ip", "tuntap", "add", "dev", Tap, "mode", "tap");
        await ns.RunAsync("ip", "link", "set", Tap, "master", Bridge);
        await ns.RunAsync("ip", "link", "set", Tap, "alias", mark);
        await ns.RunAsync("ip", "addr", "add", "10.77.0.1/24", "dev", Bridge);
        await ns.RunAsync("ip", "link", "set", Bridge, "up");
        await ns.RunAsync("ip", "link", "add", "uplink0", "type", "veth", "peer", "name", "uplink1");
        await runner.RunCheckedAsync(ns.Command("nft", "-f", "-").WithStandardInput(ForeignTable), CancellationToken.None);
        var foreignBefore = (await ns.RunAsync("nft", "-j", "list", "table", "ip", "filter")).StandardOutput;

        // Act: apply the table for two labs, then replace it with lab x's part only.
        await runner.RunCheckedAsync(ns.Command("nft", "-f", "-").WithStandardInput(NftRuleset.Render(Samples.TwoLabs())), CancellationToken.None);
        var withoutY = Samples.TwoLabs() with { Masquerades = [.. Samples.TwoLabs().Masquerades.Where(m => m.Lab == "x")] };
        await runner.RunCheckedAsync(ns.Command("nft", "-f", "-").WithStandardInput(NftRuleset.Render(withoutY)), CancellationToken.None);
        var ipJson = (await runner.RunCheckedAsync(QemuCommands.AddressesShow().InNamespace(ns.Name), CancellationToken.None)).StandardOutput;
        var nftJson = (await runner.RunCheckedAsync(QemuCommands.NftListRuleset().InNamespace(ns.Name), CancellationToken.None)).StandardOutput;
        var interfaces = IpJsonParser.ParseInterfaces(ipJson);
        var nft = NftInventory.Parse(nftJson);

        // Assert: interfaces
        var bridge = Assert.Single(interfaces, i => i.Name == Bridge);
        Assert.Equal(HostInterfaceKind.Bridge, bridge.Kind);
        Assert.Equal(new OwnershipMark("x", "y"), bridge.Mark);
        Assert.Equal("10.77.0.1/24", Assert.Single(bridge.Addresses).ToString());
        Assert.True(bridge.IsUp);
        var tap = Assert.Single(interfaces, i => i.Name == Tap);
        Assert.Equal(HostInterfaceKind.Tap, tap.Kind);
        Assert.Equal(Bridge, tap.Master);
        Assert.Matches("^[0-9a-f]{2}(:[0-9a-f]{2}){5}$", tap.MacAddress);
        var uplink = Assert.Single(interfaces, i => i.Name == "uplink0");
        Assert.Null(uplink.Mark);
        Assert.Equal(HostInterfaceKind.Veth, uplink.Kind);

        // Assert: nftables
        Assert.Contains(nft.Tables, t => (t.Family, t.Name) == (NftRuleset.TableFamily, NftRuleset.TableName));
        var ours = nft.Rules.Where(r => r.Table == "labrunner").ToList();
        Assert.All(ours, r => Assert.Equal("x", r.Mark?.Lab));
        Assert.Contains(ours, r => r.Chain == "postrouting" && r.Statements.Contains("masquerade"));
        Assert.Equal(2, ours.Count(r => r.Chain == "prerouting" && r.Statements.Contains("dnat")));
        Assert.DoesNotContain(nft.Rules, r => r.Mark?.Lab == "y");
        var blocker = Assert.Single(nft.ForeignForwardDropChains());
        Assert.Equal(("ip", "filter", "FORWARD"), (blocker.Family, blocker.Table, blocker.Name));
        Assert.Equal(foreignBefore, (await ns.RunAsync("nft", "-j", "list", "table", "ip", "filter")).StandardOutput);

        // Nothing leaked into the machine's own namespace.
        var host = IpJsonParser.ParseInterfaces((await HostTools.RunAsync("ip", "-j", "link", "show")).StandardOutput);
        Assert.DoesNotContain(host, i => i.Name == Bridge || i.Name == Tap);

        // Removing LabRunner's table leaves the foreign one byte-identical.
        await runner.RunCheckedAsync(ns.Command("nft", "-f", "-").WithStandardInput(NftRuleset.RenderDelete()), CancellationToken.None);
        var afterDelete = NftInventory.Parse((await ns.RunAsync("nft", "-j", "list", "ruleset")).StandardOutput);
        Assert.DoesNotContain(afterDelete.Tables, t => t.Name == NftRuleset.TableName);
        Assert.Equal(foreignBefore, (await ns.RunAsync("nft", "-j", "list", "table", "ip", "filter")).StandardOutput);

        if (GoldenFiles.UpdateRequested())
        {
            await File.WriteAllTextAsync(Path.Combine(TestDataDirectory(), "ip-d-j-addr-show.json"), ipJson);
            await File.WriteAllTextAsync(Path.Combine(TestDataDirectory(), "nft-j-list-ruleset.json"), nftJson);
        }
    }

    [LiveNetworkFact]
    public async Task The_runner_runs_in_the_namespace_it_is_given_and_reports_failures_without_throwing()
    {
        HostTools.Require(needsRoot: true, "ip");
        var runner = new CliWrapHostCommandRunner();
        await using var ns = await TestNamespace.CreateAsync();

        var links = await runner.RunAsync(ns.Command("ip", "-j", "link", "show"), CancellationToken.None);
        var missing = await runner.RunAsync(ns.Command("ip", "link", "show", "dev", "no-such-dev"), CancellationToken.None);

        Assert.Equal(["lo"], IpJsonParser.ParseInterfaces(links.StandardOutput).Select(i => i.Name));
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("no-such-dev", missing.StandardError, StringComparison.Ordinal);
        Assert.Equal(2, runner.ProcessesStarted);
        await Assert.ThrowsAsync<HostCommandFailedException>(() => runner.RunCheckedAsync(ns.Command("ip", "link", "show", "dev", "no-such-dev"), CancellationToken.None));
    }

    internal static string TestDataDirectory([CallerFilePath] string thisFile = "") => Path.Combine(Path.GetDirectoryName(thisFile)!, "..", "TestData");
}
