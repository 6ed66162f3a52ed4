using LabRunner.RealGuests.Tests.Support;

namespace LabRunner.RealGuests.Tests;

/// <summary>
/// Issue 19 on a real guest (see <see cref="SyncLab"/>): 'lab up' pushed the tree before the provisioners, exactly
/// (checksums compared entry by entry); an edit and a deletion reach the guest with 'lab sync', and with
/// 'lab sync --watch' within a few seconds.
/// </summary>
[Collection(SyncLabCollection.Name)]
[TestCaseOrderer(StepOrderer.TypeName, StepOrderer.AssemblyName)]
public sealed class SyncedFolderTests(SyncLab lab, ITestOutputHelper output)
{
    [RealGuestFact(1)]
    public async Task Up_pushed_exactly_the_tree_less_the_excluded_before_the_provisioners_ran()
    {
        lab.Require();
        output.WriteLine($"lab up: {lab.FirstUp.Elapsed.TotalSeconds:0.0} s\n{lab.FirstUp.Stdout}");

        var guest = await lab.GuestTreeAsync();
        var seen = await lab.Guests.RunAsync(SyncLab.Ip, $"cat {SyncLab.SeenByProvisioner}");
        var owner = await lab.Guests.RunAsync(SyncLab.Ip, $"stat -c %U:%G '{SyncLab.GuestPath}/docs/a file with spaces ü ñ 日本.txt' {SyncLab.GuestPath}");

        Assert.Equal(lab.ExpectedTree(), guest);
        Assert.Contains("src/readme-link|l|../README.md", guest);
        Assert.DoesNotContain(guest, l => l.Contains("node_modules", StringComparison.Ordinal) || l.Contains(".log|", StringComparison.Ordinal));
        Assert.Contains("./docs/a file with spaces ü ñ 日本.txt", seen.Split('\n'));
        Assert.Equal("lab:lab\nlab:lab\n", owner);
        Assert.Contains("synced /srv/app:", lab.FirstUp.Stdout + lab.FirstUp.Stderr, StringComparison.Ordinal);
    }

    [RealGuestFact(2)]
    public async Task An_edit_and_a_deletion_reach_the_guest_with_lab_sync()
    {
        lab.Require();
        lab.Write("src/app/main.py", "print('edited')\n");
        File.Delete(Path.Combine(lab.Tree, "docs", "remove me.txt"));

        var sync = await lab.Cli.RunAsync(TimeSpan.FromMinutes(3), "sync");
        var guest = await lab.GuestTreeAsync();

        output.WriteLine(sync.ToString());
        Assert.True(sync.Succeeded, sync.ToString());
        Assert.Contains("app: /srv/app: 1 sent", sync.Stdout, StringComparison.Ordinal);
        Assert.Contains("1 deleted", sync.Stdout, StringComparison.Ordinal);
        Assert.Equal(lab.ExpectedTree(), guest);
    }

    [RealGuestFact(3)]
    public async Task With_watch_an_edit_and_a_deletion_reach_the_guest_within_seconds()
    {
        lab.Require();
        using var watch = lab.Cli.Start("sync", "--watch");
        try
        {
            // The first push (nothing to do) and the watcher, before the change.
            var ready = System.Diagnostics.Stopwatch.StartNew();
            while (!watch.Stderr.Any(l => l.StartsWith("Watching", StringComparison.Ordinal)) && ready.Elapsed < TimeSpan.FromSeconds(60) && !watch.HasExited)
                await Task.Delay(100);
            Assert.True(watch.Stderr.Any(l => l.StartsWith("Watching", StringComparison.Ordinal)), string.Join('\n', watch.Stderr));

            lab.Write("docs/new from watch.txt", "watched\n");
            File.Delete(Path.Combine(lab.Tree, "src", "app", "deep", "er", "data.json"));
            var expected = lab.ExpectedTree();
            var (guest, after) = await lab.WaitForTreeAsync(t => t.SequenceEqual(expected), TimeSpan.FromSeconds(20));

            output.WriteLine($"the change reached the guest after {after.TotalSeconds:0.0} s (polled over ssh every 0.25 s)\n{string.Join('\n', watch.Stdout)}");
            Assert.Equal(expected, guest);
            Assert.Contains(watch.Stdout, l => l.StartsWith("app: /srv/app: ", StringComparison.Ordinal) && l.Contains("1 sent", StringComparison.Ordinal));
        }
        finally
        {
            watch.Dispose();
        }
    }
}
