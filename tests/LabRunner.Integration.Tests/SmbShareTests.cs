using System.Globalization;
using System.Text;
using LabRunner.Core.Hosting;
using LabRunner.Core.Reconciliation;
using LabRunner.Engine;
using LabRunner.Integration.Tests.Support;
using LabRunner.Providers.HyperV;
using LabRunner.Simulation;
using LabRunner.Simulation.Model;

namespace LabRunner.Integration.Tests;

/// <summary>
/// Issue 19.3: 'type: smb' synced folders driven by the real engine through the Hyper-V provider — its scripts run by
/// the PowerShell engine against the emulated LocalAccounts, SmbShare, NetSecurity cmdlets and icacls, its inventory
/// read through its CIM mapper — and through the simulated provider: the account, rule and share are made once,
/// found again, converge after any failed change, and go with 'down', with nothing else touched.
/// </summary>
public class SmbShareTests
{
    private const string Labfile = """
        name: shop
        boxes:
          ubuntu: boxes/ubuntu.vhdx
        networks:
          - name: lan
            type: nat
            subnet: 10.188.9.0/24
        vms:
          - name: web
            box: ubuntu
            networks: [lan]
            synced_folders:
              - { host: ./site, guest: /var/www, type: smb }
        """;

    private const string Switch = "LabRunner-shop-lan";

    private static Lab NewLab(SimulatedHost host, bool throughPowerShell = true, int parallelism = 2)
    {
        var lab = new Lab(Labfile, host, throughPowerShell) { Parallelism = parallelism };
        Directory.CreateDirectory(Path.Combine(lab.Directory, "site"));
        return lab;
    }

    /// <summary>A host with someone else's account, share and firewall rule, which nothing may touch.</summary>
    private static SimulatedHost HostWithForeignShares()
    {
        var host = SimulatedHost.InMemory();
        host.Mutate(m =>
        {
            m.NewLocalUser("dev", "Someone-Elses-1", "Developer", "");
            m.NewSmbShare("Projects", Path.GetTempPath(), ["dev"], [], "");
            m.NewFirewallRule(new SimFirewallRule { Name = "FPS-SMB-In-TCP", DisplayName = "File and Printer Sharing (SMB-In)", LocalPort = "445", Protocol = "TCP" });
        });
        return host;
    }

    private static string Password(Lab lab) => File.ReadAllText(ShareSecrets.PathIn(lab.StateDirectory)).Trim();

    private static void AssertShared(Lab lab)
    {
        var state = lab.Host.Snapshot();
        var mark = new LabIdentity("shop", ProjectIdentity.Of(lab.Directory)).Mark;
        var account = Assert.Single(state.LocalUsers, u => u.FullName == mark);
        Assert.Equal(HostModel.PasswordHash(Password(lab)), account.PasswordSha256);
        var share = Assert.Single(state.SmbShares, s => s.Description == mark);
        Assert.Equal(("shop-web-lab0", Path.Combine(lab.Directory, "site")), (share.Name, share.Path));
        Assert.Equal([account.Name], share.ChangeAccess);
        Assert.Empty(share.FullAccess);
        Assert.Contains(state.FolderAccess, a => a.Path == share.Path && a.Account == account.Name);
        var rule = Assert.Single(state.FirewallRules, r => r.Description == mark);
        Assert.Equal(("Inbound", "Allow", "TCP", "445", HyperVRules.VnicName(Switch), "10.188.9.1", "10.188.9.0/24"),
            (rule.Direction, rule.Action, rule.Protocol, rule.LocalPort, rule.InterfaceAlias, rule.LocalAddress, rule.RemoteAddress));
    }

    private static void AssertForeignUntouched(SimulatedHostState state)
    {
        Assert.Contains(state.LocalUsers, u => u.Name == "dev");
        Assert.Contains(state.SmbShares, s => s.Name == "Projects");
        Assert.Contains(state.FirewallRules, r => r.Name == "FPS-SMB-In-TCP");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Up_shares_the_folder_once_and_down_removes_the_share_rule_and_account_and_nothing_else(bool throughPowerShell)
    {
        var host = HostWithForeignShares();
        using var lab = NewLab(host, throughPowerShell);

        var up = await lab.UpAsync();

        Assert.True(up.Outcome == EngineOutcome.Done, Lab.Describe(up));
        AssertShared(lab);
        AssertForeignUntouched(host.Snapshot());
        if (throughPowerShell)
        {
            await Inventory.AssertCimViewMatchesHostAsync(lab);
            // The provider reads the shares, rules and accounts through CIM as the simulated host holds them.
            var throughCim = await lab.Provider.GetInventoryAsync([], CancellationToken.None);
            var own = host.GetInventory([]);
            Assert.Equal([.. own.Shares], [.. throughCim.Shares]);
            Assert.Equal([.. own.FirewallRules], [.. throughCim.FirewallRules]);
            Assert.Equal([.. own.Accounts], [.. throughCim.Accounts]);
        }
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(ShareSecrets.PathIn(lab.StateDirectory)));

        var again = await lab.UpAsync();

        Assert.True(again.Outcome == EngineOutcome.NothingToDo, Lab.Describe(again));

        var down = await lab.DownAsync();

        Assert.True(down.Outcome == EngineOutcome.Done, Lab.Describe(down));
        var after = host.Snapshot();
        Assert.DoesNotContain(after.SmbShares, s => s.Name.StartsWith("shop-", StringComparison.Ordinal));
        Assert.DoesNotContain(after.FirewallRules, r => r.Name.Contains(Switch, StringComparison.Ordinal));
        Assert.Equal(["dev"], after.LocalUsers.Select(u => u.Name));
        Assert.DoesNotContain(after.FolderAccess, a => a.Path == Path.Combine(lab.Directory, "site"));
        AssertForeignUntouched(after);
    }

    [Fact]
    public async Task A_lost_password_is_made_again_set_on_the_account_and_given_to_the_guest_in_a_new_owner_only_seed()
    {
        var host = SimulatedHost.InMemory();
        using var lab = NewLab(host);
        lab.Secrets = ProjectSecrets.ForSeeds(lab.StateDirectory, _ => null, null);
        var first = await lab.UpAsync();
        Assert.True(first.Outcome == EngineOutcome.Done, Lab.Describe(first));
        var password = Password(lab);
        AssertSeedHolds(lab, password);

        File.Delete(ShareSecrets.PathIn(lab.StateDirectory));
        var again = await lab.UpAsync();

        Assert.True(again.Outcome == EngineOutcome.Done, Lab.Describe(again));
        Assert.NotEqual(password, Password(lab));
        Assert.Single(again.Reconciliation!.All.OfType<SetShareAccountPassword>());
        Assert.DoesNotContain(again.Reconciliation.All, o => o is CreateShareAccount);
        AssertShared(lab);
        AssertSeedHolds(lab, Password(lab));
    }

    [Fact]
    public async Task An_up_that_failed_at_any_change_of_the_shares_is_finished_by_the_next_and_no_message_shows_the_password()
    {
        // Host networking first: the switch, its address and the NetNat (changes 1-3), then the account (4), the
        // firewall rule (5), the folder's access rule (6, icacls) and the share (7).
        for (var n = 4; n <= 7; n++)
        {
            var host = SimulatedHost.InMemory();
            using var lab = NewLab(host, parallelism: 1);
            string Step(string what, EngineResult r) => string.Create(CultureInfo.InvariantCulture, $"fault at change {n}: {what}: {Lab.Describe(r)}");

            host.FailAtOperation = n;
            var interrupted = await lab.UpAsync();
            host.FailAtOperation = null;

            Assert.True(interrupted.Outcome == EngineOutcome.HostFailure, Step("the fault was not reported", interrupted));
            var failure = Assert.Single(interrupted.Failures);
            Assert.True(failure.Operation is CreateShareAccount or AllowShareTraffic or CreateShare, Step("another change failed", interrupted));
            var password = Password(lab);
            foreach (var text in lab.Reporter.Lines.Append(Lab.Describe(interrupted)).Append(failure.Operation.ToString()))
                Assert.DoesNotContain(password, text, StringComparison.Ordinal);

            var finished = await lab.UpAsync();
            Assert.True(finished.Outcome == EngineOutcome.Done, Step("the next up did not finish", finished));
            AssertShared(lab);
            var settled = await lab.UpAsync();
            Assert.True(settled.Outcome == EngineOutcome.NothingToDo, Step("a further up still had work", settled));
        }
    }

    [Fact]
    public async Task What_if_shows_the_scripts_without_the_password()
    {
        var host = SimulatedHost.InMemory();
        using var lab = NewLab(host);
        Directory.CreateDirectory(lab.StateDirectory);
        var password = ShareSecrets.LoadOrCreate(lab.StateDirectory, save: true);

        var preview = await lab.RunAsync(ReconcileMode.Up, o => o with { WhatIf = true });

        Assert.True(preview.Outcome == EngineOutcome.WhatIf, Lab.Describe(preview));
        var scripts = string.Join("\n", preview.Batches.Select(b => lab.Provider.Preview(b)));
        Assert.Contains("New-LocalUser", scripts, StringComparison.Ordinal);
        Assert.Contains("New-SmbShare", scripts, StringComparison.Ordinal);
        Assert.DoesNotContain(password, scripts, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(password)), scripts, StringComparison.Ordinal);
        Assert.Empty(host.Snapshot().LocalUsers);
    }

    /// <summary>The seed the VM holds carries the password (in its credentials file) and is owner-only on the host.</summary>
    private static void AssertSeedHolds(Lab lab, string password)
    {
        var vm = Assert.Single(lab.Host.Snapshot().Vms);
        var seed = Assert.Single(vm.DvdDrives, d => d.Path is not null).Path!;
        var bytes = File.ReadAllBytes(seed);
        Assert.True(bytes.AsSpan().IndexOf(Encoding.ASCII.GetBytes("password=" + password)) >= 0, "the seed has no credentials file with the password");
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(seed));
    }
}
