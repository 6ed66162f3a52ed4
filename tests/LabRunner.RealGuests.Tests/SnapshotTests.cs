using System.Globalization;
using System.Text.Json.Nodes;
using LabRunner.RealGuests.Tests.Support;

namespace LabRunner.RealGuests.Tests;

/// <summary>
/// Issue 18 on the same real lab (see <see cref="RealLab"/>): <c>lab snapshot</c> on the three booted guests — the QEMU
/// provider's internal qcow2 snapshots of each overlay and its qcow2 UEFI variables, memory included while the lab runs.
/// These steps come after the guest-access steps and before the steps that change the lab; they leave it running, with
/// its Labfile as it was and one disk-only snapshot (h1) for 'down' to remove.
/// </summary>
public sealed partial class RealGuestLabTests
{
    private const string Marker = "/var/tmp/lab-marker";

    /// <summary>The two guests that carry markers and a long-running process.</summary>
    private static readonly string[] MarkedVms = ["web-1", "db"];

    private static readonly TimeSpan SnapshotTimeout = TimeSpan.FromMinutes(10);

    [RealGuestFact(20)]
    public async Task Snapshot_restore_of_the_running_lab_brings_back_markers_running_processes_and_once_records()
    {
        lab.Require();
        try
        {
            foreach (var vm in MarkedVms)
            {
                await GuestAsync(vm, $"echo s1-{vm} > {Marker}");
                // A process of the guest's own, detached from the SSH session: it lives only in the guest's memory.
                Sleepers[vm] = (await GuestAsync(vm, "setsid sleep 86400 </dev/null >/dev/null 2>&1 & echo $!")).Trim();
            }
            var diskBefore = await LabBytesAsync();
            var (offsetBefore, offsetError) = await lab.Guests.ClockOffsetAsync(Plan.SshIp(Plan.Vm("web-1")), lab.WorkDirectory);

            var (save, saveRun) = await lab.Cli.JsonAsync(SnapshotTimeout, "snapshot", "save", "s1");

            var (offsetAfter, _) = await lab.Guests.ClockOffsetAsync(Plan.SshIp(Plan.Vm("web-1")), lab.WorkDirectory);
            var diskAfter = await LabBytesAsync();
            foreach (var vm in MarkedVms) await GuestAsync(vm, $"kill {Sleepers[vm]}");
            await GuestAsync("web-1", $"echo changed > {Marker}");
            await GuestAsync("db", $"rm {Marker}");
            // A run: once provisioner added after s1 runs now; its record is not in s1's project state.
            await lab.WriteLabfileAsync(onceProvisioner: true);
            var provisioned = await lab.Cli.RunAsync(GuestCommandTimeout, "provision");
            var onceBeforeRestore = await OnceRunsAsync("web-1");

            var (restore, restoreRun) = await lab.Cli.JsonAsync(SnapshotTimeout, "snapshot", "restore", "s1");
            // At once, no retry: the restore waited for the guests as 'lab up' does.
            var sshAtOnce = await lab.Cli.RunAsync(GuestCommandTimeout, "ssh", "web-1", "--", "cat", Marker);
            var markers = new Dictionary<string, string>();
            var alive = new Dictionary<string, string>();
            foreach (var vm in MarkedVms)
            {
                markers[vm] = (await GuestAsync(vm, $"cat {Marker}")).Trim();
                alive[vm] = (await GuestAsync(vm, $"tr '\\0' ' ' < /proc/{Sleepers[vm]}/cmdline")).Trim();
            }
            var onceAfterRestore = await OnceRunsAsync("web-1");
            var again = await lab.Cli.RunAsync(GuestCommandTimeout, "provision");
            var onceAfterProvision = await OnceRunsAsync("web-1");
            var twice = await lab.Cli.RunAsync(GuestCommandTimeout, "provision");
            var onceAfterSecond = await OnceRunsAsync("web-1");

            var guestLost = offsetBefore - offsetAfter;
            var grown = diskAfter - diskBefore;
            Measured["running save"] = (saveRun.Elapsed, grown);
            Measured["running restore"] = (restoreRun.Elapsed, null);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"snapshot save s1 (3 VMs running): {saveRun.Elapsed.TotalSeconds:0.0} s, pause window {(double?)save["pause_window_s"]:0.00} s as LabRunner measured it, " +
                $"{guestLost:0.00} s (± {offsetError * 2:0.00} s) of its own time web-1 lost; the lab's folder grew by {grown / 1048576.0:0} MiB\n" +
                $"snapshot restore s1 (running, with the readiness wait): {restoreRun.Elapsed.TotalSeconds:0.0} s\n{restoreRun.Stdout}"));
            Assert.Equal("s1", (string?)save["snapshot"]);
            Assert.All(save["vms"]!.AsArray(), v => Assert.True((bool)v!["with_memory"]! && (long)v["size_bytes"]! > 0, v.ToJsonString()));
            Assert.Equal(3, save["vms"]!.AsArray().Count);
            Assert.True((double)save["pause_window_s"]! > 0);
            Assert.True(provisioned.Succeeded, provisioned.ToString());
            Assert.Equal(1, onceBeforeRestore);
            Assert.True(restore["state_restored"]!.GetValue<bool>());
            Assert.All(restore["vms"]!.AsArray(), v => Assert.Equal(("running", true), ((string?)v!["state"], (bool)v["with_memory"]!)));
            Assert.True(sshAtOnce.Succeeded, sshAtOnce.ToString());
            Assert.Equal("s1-web-1\n", sshAtOnce.Stdout);
            Assert.Equal(MarkedVms.ToDictionary(v => v, v => $"s1-{v}"), markers);
            Assert.All(alive, p => Assert.Equal("sleep 86400", p.Value));
            Assert.Equal(0, onceAfterRestore); // the guest's disk is s1's: the provisioner had not run then
            Assert.True(again.Succeeded, again.ToString());
            Assert.Equal(1, onceAfterProvision); // its record went back with s1: it runs again…
            Assert.True(twice.Succeeded, twice.ToString());
            Assert.Equal(1, onceAfterSecond); // …and only once
        }
        catch (Exception e)
        {
            lab.BrokenBy = $"snapshot restore: {e.Message}";
            throw;
        }
        finally
        {
            await lab.WriteLabfileAsync();
        }
    }

    [RealGuestFact(21)]
    public async Task Snapshot_push_twice_then_pop_twice_goes_back_through_each_pushed_state_and_empties_the_stack()
    {
        lab.Require();
        try
        {
            await MarkAsync("p0");
            var (push1, _) = await lab.Cli.JsonAsync(SnapshotTimeout, "snapshot", "push");
            await MarkAsync("p1");
            var (push2, _) = await lab.Cli.JsonAsync(SnapshotTimeout, "snapshot", "push");
            await MarkAsync("p2");
            var (stacked, _) = await lab.Cli.JsonAsync(SnapshotTimeout, "snapshot", "list");

            var (pop1, pop1Run) = await lab.Cli.JsonAsync(SnapshotTimeout, "snapshot", "pop");
            var afterPop1 = await MarkersAsync();
            var (pop2, _) = await lab.Cli.JsonAsync(SnapshotTimeout, "snapshot", "pop");
            var afterPop2 = await MarkersAsync();
            var (list, _) = await lab.Cli.JsonAsync(SnapshotTimeout, "snapshot", "list");

            output.WriteLine($"snapshot pop (restore and delete, running): {pop1Run.Elapsed.TotalSeconds:0.0} s");
            Assert.Equal(["push-1", "push-2"], new[] { (string)push1["snapshot"]!, (string)push2["snapshot"]! });
            Assert.Equal(["push-1", "push-2"], stacked["stack"]!.AsArray().Select(n => (string)n!));
            Assert.Equal(("push-2", true), ((string?)pop1["snapshot"], (bool)pop1["deleted"]!));
            Assert.All(afterPop1.Values, m => Assert.Equal("p1", m));
            Assert.Equal("push-1", (string?)pop2["snapshot"]);
            Assert.All(afterPop2.Values, m => Assert.Equal("p0", m));
            Assert.Empty(list["stack"]!.AsArray());
            Assert.Equal(["s1"], list["snapshots"]!.AsArray().Select(s => (string)s!["name"]!));
        }
        catch (Exception e)
        {
            lab.BrokenBy = $"snapshot push/pop: {e.Message}";
            throw;
        }
    }

    [RealGuestFact(22)]
    public async Task Snapshot_list_json_names_each_snapshot_with_its_vms_memory_type_and_size_on_disk()
    {
        lab.Require();

        var (list, _) = await lab.Cli.JsonAsync(SnapshotTimeout, "snapshot", "list");
        var hostSide = await Proc.CheckedAsync("qemu-img", ["snapshot", "-U", "-l", Path.Combine(lab.ProjectDirectory, ".lab", "vms", "db", "OVMF_VARS.qcow2")]);

        output.WriteLine(list.ToJsonString());
        var s1 = Assert.Single(list["snapshots"]!.AsArray())!;
        Assert.Equal("s1", (string?)s1["name"]);
        Assert.True((bool)s1["recorded"]!);
        Assert.False((bool)s1["pushed"]!);
        Assert.True((long)s1["size_bytes"]! > 0);
        Assert.Equal(["db", "web-1", "web-2"], s1["vms"]!.AsArray().Select(v => (string)v!["name"]!).Order(StringComparer.Ordinal));
        Assert.All(s1["vms"]!.AsArray(), v =>
        {
            Assert.True((bool)v!["on_host"]! && (bool)v["with_memory"]!, v.ToJsonString());
            Assert.Equal("qcow2 internal", (string?)v["type"]);
            Assert.True((long)v["size_bytes"]! > 0);
        });
        Assert.Contains(" s1 ", hostSide.Stdout, StringComparison.Ordinal); // the UEFI variables are part of the snapshot
    }

    [RealGuestFact(23)]
    public async Task Snapshot_of_the_halted_lab_is_disk_only_and_a_memory_snapshot_restored_while_off_runs_at_once()
    {
        lab.Require();
        try
        {
            await MarkAsync("h1");
            var (halt, _) = await lab.Cli.JsonAsync(RealLab.CommandTimeout, "halt", "--timeout", "180");
            var diskBefore = await LabBytesAsync();
            var (save, saveRun) = await lab.Cli.JsonAsync(SnapshotTimeout, "snapshot", "save", "h1");
            var diskAfter = await LabBytesAsync();

            // s1 has memory: the halted lab comes back running where s1 left it, without booting.
            var (fromOff, fromOffRun) = await lab.Cli.JsonAsync(SnapshotTimeout, "snapshot", "restore", "s1");
            var s1Markers = await MarkersAsync();
            var sleeping = await GuestAsync("web-1", $"tr '\\0' ' ' < /proc/{Sleepers["web-1"]}/cmdline");
            await MarkAsync("after-h1");

            // h1 has no memory: the running VMs are turned off and their disks go back; 'up' boots them.
            var (toH1, toH1Run) = await lab.Cli.JsonAsync(SnapshotTimeout, "snapshot", "restore", "h1");
            var (status, _) = await lab.Cli.JsonAsync(RealLab.CommandTimeout, "status");
            var (up, upRun) = await lab.Cli.JsonAsync(RealLab.CommandTimeout, "up");
            var h1Markers = await MarkersAsync();

            Measured["halted save"] = (saveRun.Elapsed, diskAfter - diskBefore);
            Measured["halted restore"] = (toH1Run.Elapsed, null);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"snapshot save h1 (3 VMs off): {saveRun.Elapsed.TotalSeconds:0.0} s, the lab's folder grew by {(diskAfter - diskBefore) / 1048576.0:0.0} MiB\n" +
                $"snapshot restore s1 with the lab off (QEMU started paused, loaded, continued; readiness wait): {fromOffRun.Elapsed.TotalSeconds:0.0} s\n" +
                $"snapshot restore h1 with the lab running (turned off, disks back): {toH1Run.Elapsed.TotalSeconds:0.0} s; lab up after it: {upRun.Elapsed.TotalSeconds:0.0} s"));
            Assert.Equal("done", (string?)halt["outcome"]);
            Assert.All(save["vms"]!.AsArray(), v => Assert.Equal((false, false), ((bool)v!["with_memory"]!, (bool)v["was_running"]!)));
            Assert.Null((double?)save["pause_window_s"]);
            Assert.All(fromOff["vms"]!.AsArray(), v => Assert.Equal("running", (string?)v!["state"]));
            Assert.All(s1Markers, p => Assert.Equal($"s1-{p.Key}", p.Value));
            Assert.Equal("sleep 86400", sleeping.Trim());
            Assert.All(toH1["vms"]!.AsArray(), v => Assert.Equal(("off", false), ((string?)v!["state"], (bool)v["with_memory"]!)));
            Assert.All(status["vms"]!.AsArray(), v => Assert.Equal("off", (string?)v!["state"]));
            Assert.Equal("done", (string?)up["outcome"]);
            Assert.All(h1Markers.Values, m => Assert.Equal("h1", m));
        }
        catch (Exception e)
        {
            lab.BrokenBy = $"halted snapshot: {e.Message}";
            throw;
        }
    }

    [RealGuestFact(24)]
    public async Task Snapshot_delete_removes_it_from_every_vm_and_from_the_list_and_the_rest_stays()
    {
        lab.Require();

        var (deleted, _) = await lab.Cli.JsonAsync(SnapshotTimeout, "snapshot", "delete", "s1");
        var (list, _) = await lab.Cli.JsonAsync(SnapshotTimeout, "snapshot", "list");
        var disk = Directory.EnumerateFiles(Path.Combine(lab.ProjectDirectory, ".lab", "vms", "web-2"), "*.qcow2").Single(f => Path.GetFileName(f) != "OVMF_VARS.qcow2");
        var onDisk = (await Proc.CheckedAsync("qemu-img", ["snapshot", "-U", "-l", disk])).Stdout;

        output.WriteLine($"{deleted.ToJsonString()}\n{onDisk}");
        Assert.Equal(["db", "web-1", "web-2"], deleted["vms"]!.AsArray().Select(v => (string)v!).Order(StringComparer.Ordinal));
        Assert.Equal(["h1"], list["snapshots"]!.AsArray().Select(s => (string)s!["name"]!));
        Assert.DoesNotContain(" s1 ", onDisk, StringComparison.Ordinal);
        Assert.Contains(" h1 ", onDisk, StringComparison.Ordinal); // left for 'down' to remove
        foreach (var (name, (elapsed, bytes)) in Measured)
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {elapsed.TotalSeconds:0.0} s | {(bytes is { } b ? $"{b / 1048576.0:0} MiB" : "-")} |"));
    }

    /// <summary>What the steps measured, for the README: seconds and the growth of the lab's folder.</summary>
    private static readonly Dictionary<string, (TimeSpan Elapsed, long? Bytes)> Measured = [];

    /// <summary>The long-running process of each marked guest (kept across steps: they share one lab).</summary>
    private static Dictionary<string, string> Sleepers { get; } = [];

    private Task<string> GuestAsync(string vm, string command) => lab.Guests.RunAsync(Plan.SshIp(Plan.Vm(vm)), command);

    private async Task MarkAsync(string value)
    {
        foreach (var vm in MarkedVms) await GuestAsync(vm, $"echo {value} > {Marker}");
    }

    private async Task<Dictionary<string, string>> MarkersAsync()
    {
        var markers = new Dictionary<string, string>();
        foreach (var vm in MarkedVms) markers[vm] = (await GuestAsync(vm, $"cat {Marker}")).Trim();
        return markers;
    }

    private async Task<int> OnceRunsAsync(string vm) =>
        (await GuestAsync(vm, $"cat {RealLab.OnceLog} 2>/dev/null || true")).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;

    /// <summary>The bytes the lab's VM folders take on disk (overlays, UEFI variables, seeds): internal snapshots live in the first two.</summary>
    private async Task<long> LabBytesAsync() =>
        long.Parse((await Proc.CheckedAsync("du", ["-sB1", Path.Combine(lab.ProjectDirectory, ".lab", "vms")])).Stdout.Split('\t')[0], CultureInfo.InvariantCulture);
}
