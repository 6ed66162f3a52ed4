using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using LabRunner.RealGuests.Tests.Support;

namespace LabRunner.RealGuests.Tests;

/// <summary>
/// Issue 19's virtiofs folders on a real guest (see <see cref="VirtiofsLab"/>): the share is mounted after up, a file
/// written on either side appears on the other, throughput against the guest's own disk, the mount back after
/// halt/up, and no virtiofsd left after down. The steps share the lab and run in order.
/// </summary>
[Collection(VirtiofsLabCollection.Name)]
[TestCaseOrderer(StepOrderer.TypeName, StepOrderer.AssemblyName)]
public sealed class VirtiofsTests(VirtiofsLab lab, ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = RealLab.CommandTimeout;

    [RealGuestFact(1)]
    public async Task A_file_written_in_the_guest_appears_on_the_host_and_one_written_on_the_host_in_the_guest()
    {
        lab.Require();
        output.WriteLine($"lab up returned after {lab.FirstUpWall.TotalSeconds:0.0} s");

        var mount = await lab.Guests.RunAsync(lab.Ip, $"findmnt -n -o SOURCE,FSTYPE {VirtiofsLab.GuestPath}");
        var before = await lab.Guests.RunAsync(lab.Ip, $"cat {VirtiofsLab.GuestPath}/index.html");
        await lab.Guests.RunAsync(lab.Ip, $"echo 'written in the guest' > {VirtiofsLab.GuestPath}/from-guest.txt");
        var onHost = await File.ReadAllTextAsync(Path.Combine(lab.SiteDirectory, "from-guest.txt"));
        await File.WriteAllTextAsync(Path.Combine(lab.SiteDirectory, "from-host.txt"), "written on the host\n");
        var inGuest = await WaitForAsync($"cat {VirtiofsLab.GuestPath}/from-host.txt 2>/dev/null", "written on the host\n");

        Assert.Equal("lab0 virtiofs", Regex.Replace(mount.Trim(), @"\s+", " "));
        Assert.Equal("from the host before up\n", before);
        Assert.Equal("written in the guest\n", onHost);
        // virtiofs passes uids through: the guest's login user (uid 1000) owns it on the host too.
        Assert.Equal("1000\n", (await Proc.RunAsync("stat", ["-c", "%u", Path.Combine(lab.SiteDirectory, "from-guest.txt")], TimeSpan.FromSeconds(10))).Stdout);
        Assert.Equal("written on the host\n", inGuest);
        // The recorded pid is the virtiofsd started (its sandboxed child, in its own pid namespace, shares the command line).
        Assert.Contains(Assert.Single(lab.RecordedVirtiofsd()), lab.VirtiofsdOfThisLab());
    }

    [RealGuestFact(2)]
    public async Task Throughput_of_the_share_and_of_the_guests_own_disk_side_by_side()
    {
        lab.Require();
        // 64 MiB written with conv=fsync, then read back after the guest's page cache is dropped: the share, then the disk.
        const string Script = """
            set -e
            for target in /srv/site/lab-dd.bin /var/tmp/lab-dd.bin; do
              w=$(dd if=/dev/zero of=$target bs=1M count=64 conv=fsync 2>&1 | tail -n 1)
              sync; echo 3 | sudo tee /proc/sys/vm/drop_caches >/dev/null
              r=$(dd if=$target of=/dev/null bs=1M 2>&1 | tail -n 1)
              rm -f $target
              echo "$target|$w|$r"
            done
            """;

        var lines = (await lab.Guests.RunAsync(lab.Ip, Script)).Trim().Split('\n');

        Assert.Equal(2, lines.Length);
        foreach (var line in lines)
        {
            var parts = line.Split('|');
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{parts[0]}: write {Rate(parts[1]):0.0} MB/s, read {Rate(parts[2]):0.0} MB/s"));
            Assert.True(Rate(parts[1]) > 0 && Rate(parts[2]) > 0, line);
        }
    }

    [RealGuestFact(3)]
    public async Task Halt_stops_the_virtiofsd_and_up_mounts_the_share_again()
    {
        lab.Require();
        lab.BrokenBy = "halt/up";

        var halt = await lab.Cli.RunAsync(Timeout, "halt");
        var afterHalt = lab.VirtiofsdOfThisLab();
        var watch = Stopwatch.StartNew();
        var up = await lab.Cli.RunAsync(Timeout, "up");
        output.WriteLine($"halt {halt.Elapsed.TotalSeconds:0.0} s; up {watch.Elapsed.TotalSeconds:0.0} s");
        var mount = await lab.Guests.RunAsync(lab.Ip, $"findmnt -n -o FSTYPE {VirtiofsLab.GuestPath}; cat {VirtiofsLab.GuestPath}/from-guest.txt");

        Assert.True(halt.Succeeded, halt.ToString());
        Assert.Empty(afterHalt);
        Assert.True(up.Succeeded, up.ToString());
        Assert.Equal("virtiofs\nwritten in the guest\n", mount);
        Assert.Contains(Assert.Single(lab.RecordedVirtiofsd()), lab.VirtiofsdOfThisLab());
        lab.BrokenBy = null;
    }

    [RealGuestFact(4)]
    public async Task Down_leaves_no_virtiofsd_and_no_record_of_one()
    {
        lab.Require();
        lab.BrokenBy = "down";

        var down = await lab.Cli.RunAsync(Timeout, "down");

        Assert.True(down.Succeeded, down.ToString());
        Assert.Empty(lab.VirtiofsdOfThisLab());
        var run = Path.Combine(lab.StateDirectory, "run");
        Assert.Empty(Directory.Exists(run) ? Directory.EnumerateFiles(run, "*.vfs*") : []);
        Assert.True(File.Exists(Path.Combine(lab.SiteDirectory, "from-guest.txt")), "down must not touch the shared folder");
    }

    /// <summary>MB/s from dd's last line ("67108864 bytes (67 MB, 64 MiB) copied, 1.23 s, 54.4 MB/s"): bytes over seconds.</summary>
    private static double Rate(string ddLine)
    {
        var m = Regex.Match(ddLine, @"^(\d+) bytes .* copied, ([0-9.]+) s");
        Assert.True(m.Success, ddLine);
        return double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) / 1e6 / double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
    }

    private async Task<string> WaitForAsync(string command, string expected)
    {
        var result = "";
        for (var i = 0; i < 10; i++)
        {
            result = (await lab.Guests.TryAsync(lab.Ip, command)).Stdout;
            if (result == expected) break;
            await Task.Delay(500);
        }
        return result;
    }
}
