using LabRunner.Core.Hosting;
using LabRunner.Providers.HyperV.Cim;
using LabRunner.Providers.HyperV.Tests.Support;

namespace LabRunner.Providers.HyperV.Tests;

/// <summary>Issue 19.1: the inventory reads the host's shares, firewall rules and local accounts through CIM.</summary>
public class CimShareInventoryTests
{
    private static CimRecord R(string className, params (string Name, object? Value)[] properties) =>
        new(className, properties.ToDictionary(p => p.Name, p => p.Value));

    private static readonly Dictionary<string, IReadOnlyList<CimRecord>> Records = new()
    {
        [CimClasses.SmbShare] =
        [
            R(CimClasses.SmbShare, ("Name", "C$"), ("Path", @"C:\"), ("Description", "Default share"), ("Special", true)),
            R(CimClasses.SmbShare, ("Name", "shop-web-lab0"), ("Path", @"C:\src\shop\site"), ("Description", Samples.Mark), ("Special", false)),
        ],
        [CimClasses.NetFirewallRule] =
        [
            R(CimClasses.NetFirewallRule, ("InstanceID", "LabRunner SMB LabRunner-shop-lan"), ("ElementName", "LabRunner SMB LabRunner-shop-lan"), ("Description", Samples.Mark)),
            R(CimClasses.NetFirewallRule, ("InstanceID", "FPS-SMB-In-TCP"), ("ElementName", "File and Printer Sharing (SMB-In)"), ("Description", null)),
        ],
        [CimClasses.UserAccount] =
        [
            R(CimClasses.UserAccount, ("Name", "lab1a2b3c4d"), ("FullName", Samples.Mark), ("LocalAccount", true)),
            R(CimClasses.UserAccount, ("Name", "someone"), ("FullName", "A domain user"), ("LocalAccount", false)),
        ],
    };

    [Fact]
    public async Task Shares_rules_and_local_accounts_are_read_with_their_marks_leaving_special_shares_and_domain_accounts_out()
    {
        var cim = new ConditionCim(Records);
        var provider = new HyperVProvider(new ScriptedRunner([]), cim, "HOST", new FakeHostFiles());

        var inventory = await provider.GetInventoryAsync([], CancellationToken.None);

        Assert.Equal([new HostShare("shop-web-lab0", @"C:\src\shop\site", Samples.Mark)], inventory.Shares.AsEnumerable());
        Assert.Equal([new HostFirewallRule("LabRunner SMB LabRunner-shop-lan", Samples.Mark), new HostFirewallRule("FPS-SMB-In-TCP", "")], inventory.FirewallRules.AsEnumerable());
        Assert.Equal([new HostAccount("lab1a2b3c4d", Samples.Mark)], inventory.Accounts.AsEnumerable());
        // Win32_UserAccount without a condition lists a domain member's whole domain.
        Assert.Equal((CimClasses.Cimv2, "LocalAccount = TRUE"), cim.Conditions[CimClasses.UserAccount]);
    }

    /// <summary>Answers every class (the share classes from <paramref name="records"/>) and records the WQL conditions asked.</summary>
    private sealed class ConditionCim(IReadOnlyDictionary<string, IReadOnlyList<CimRecord>> records) : ICimClient
    {
        public Dictionary<string, (string Namespace, string Condition)> Conditions { get; } = [];

        public Task<IReadOnlyList<CimRecord>> QueryAsync(string @namespace, string className, CancellationToken cancellationToken) =>
            Task.FromResult(records.GetValueOrDefault(className) ?? []);

        public Task<IReadOnlyList<CimRecord>> QueryAsync(string @namespace, string className, string condition, CancellationToken cancellationToken)
        {
            lock (Conditions) Conditions[className] = (@namespace, condition);
            return QueryAsync(@namespace, className, cancellationToken);
        }
    }
}
