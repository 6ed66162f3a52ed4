using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Core.Net;
using LabRunner.Providers.Qemu.Acceleration;
using LabRunner.Providers.Qemu.Network;
using LabRunner.Providers.Qemu.Qmp;
using LabRunner.HostCommon.Running;
using LabRunner.Providers.Qemu.Tests.Support;
using LabRunner.Providers.Qemu.Vms;

namespace LabRunner.Providers.Qemu.Tests.Provider;

/// <summary>
/// The provider against the real kernel, ip, nft and QEMU, every command inside a network namespace the test
/// creates (and deletes by name at the end, after killing the QEMU it started by pid), with a registry in a
/// temporary directory. Nothing is created in the machine's own namespace.
/// </summary>
public sealed class LiveProviderTests : IAsyncLifetime
{
    private const string Mark = "labrunner:v1 lab=live project=0123abcd";

    private const string ForeignTable = """
        table ip filter {
        	chain FORWARD {
        		type filter hook forward priority filter; policy accept;
        		iifname "docker0" accept
        	}
        }
        """;

    private static readonly string Nat = InterfaceNames.Bridge("live", "nat");
    private static readonly string Isolated = InterfaceNames.Bridge("live", "iso");
    private readonly string _directory = Directory.CreateTempSubdirectory("lr-qprov-").FullName;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    private QemuProvider ProviderIn(TestNamespace ns, bool checkForward = true, IHostCommandRunner? runner = null, string registry = "registry") =>
        new(new QemuProviderOptions(new VmRegistry(Path.Combine(_directory, registry)), runner ?? new CliWrapHostCommandRunner())
        {
            NetworkNamespace = ns.Name,
            AcceleratorProbe = new FixedProbe(new AcceleratorFacts(false, "not used by tests", false, "tcg")),
            CheckForwardPolicy = checkForward,
            LockDirectory = Path.Combine(_directory, "locks"),
        });

    private static ImmutableArray<HostOperation> NetworkUp() =>
    [
        new CreateSwitch(Nat, SwitchKind.Internal, null, Mark),
        new AssignHostIp(Nat, Ipv4Address.Parse("10.77.0.1"), 24),
        new CreateNat(Nat, Ipv4Subnet.Parse("10.77.0.0/24")),
        new AddPortMapping(Nat, PortProtocol.Tcp, Ipv4Address.Parse("0.0.0.0"), 8080, Ipv4Address.Parse("10.77.0.10"), 80),
        new AddPortMapping(Nat, PortProtocol.Udp, Ipv4Address.Parse("192.0.2.1"), 5353, Ipv4Address.Parse("10.77.0.11"), 53),
        new CreateSwitch(Isolated, SwitchKind.Private, null, Mark),
    ];

    [LiveNetworkFact("sysctl")]
    public async Task Host_networking_applied_in_a_namespace_reads_back_as_asked_and_goes_without_a_trace()
    {
        HostTools.Require(needsRoot: true, "ip", "nft", "sysctl");
        await using var ns = await TestNamespace.CreateAsync();
        await HostTools.Runner.RunCheckedAsync(ns.Command("nft", "-f", "-").WithStandardInput(ForeignTable), CancellationToken.None);
        var foreignBefore = (await ns.RunAsync("nft", "-j", "list", "table", "ip", "filter")).StandardOutput;
        var provider = ProviderIn(ns);

        var up = await provider.ApplyAsync(new OperationBatch("network", NetworkUp()), null, CancellationToken.None);
        var inventory = await provider.GetInventoryAsync([], CancellationToken.None);
        var forwarding = (await ns.RunAsync("cat", "/proc/sys/net/ipv4/ip_forward")).StandardOutput.Trim();

        Assert.True(up.Succeeded, string.Join("; ", up.Errors.Select(e => e.Error.Message)));
        Assert.Equal(new HostSwitch(Nat, SwitchKind.Internal, null, Mark), inventory.Switch(Nat));
        Assert.Equal(new HostSwitch(Isolated, SwitchKind.Private, null, Mark), inventory.Switch(Isolated));
        Assert.Equal(["10.77.0.1/24"], inventory.NetAdapters.Single(a => a.Name == Nat).Addresses.Select(a => a.ToString()));
        Assert.Empty(inventory.NetAdapters.Single(a => a.Name == Isolated).Addresses);
        Assert.Equal([new HostNat(Nat, Ipv4Subnet.Parse("10.77.0.0/24"), Mark)], inventory.Nats.AsEnumerable());
        Assert.Equal(
            [
                new HostPortMapping(Nat, PortProtocol.Udp, Ipv4Address.Parse("192.0.2.1"), 5353, Ipv4Address.Parse("10.77.0.11"), 53),
                new HostPortMapping(Nat, PortProtocol.Tcp, Ipv4Address.Parse("0.0.0.0"), 8080, Ipv4Address.Parse("10.77.0.10"), 80),
            ],
            inventory.PortMappings.OrderBy(m => m.ExternalPort));
        Assert.Equal("1", forwarding);

        // Down: everything LabRunner made goes; the foreign table stays byte-identical.
        var down = await provider.ApplyAsync(new OperationBatch("teardown",
        [
            new RemovePortMapping(Nat, PortProtocol.Tcp, Ipv4Address.Parse("0.0.0.0"), 8080, Ipv4Address.Parse("10.77.0.10"), 80),
            new RemovePortMapping(Nat, PortProtocol.Udp, Ipv4Address.Parse("192.0.2.1"), 5353, Ipv4Address.Parse("10.77.0.11"), 53),
            new RemoveNat(Nat),
            new RemoveSwitch(Nat),
            new RemoveSwitch(Isolated),
        ]), null, CancellationToken.None);
        var after = await provider.GetInventoryAsync([], CancellationToken.None);
        var ruleset = NftInventory.Parse((await ns.RunAsync("nft", "-j", "list", "ruleset")).StandardOutput);

        Assert.True(down.Succeeded, string.Join("; ", down.Errors.Select(e => e.Error.Message)));
        Assert.Empty(after.Switches);
        Assert.Empty(after.Nats);
        Assert.Empty(after.PortMappings);
        Assert.DoesNotContain(ruleset.Tables, t => t.Name == NftRuleset.TableName);
        Assert.Equal(foreignBefore, (await ns.RunAsync("nft", "-j", "list", "table", "ip", "filter")).StandardOutput);
        var host = IpJsonParser.ParseInterfaces((await HostTools.RunAsync("ip", "-j", "link", "show")).StandardOutput);
        Assert.DoesNotContain(host, i => i.Name == Nat || i.Name == Isolated);
    }

    [LiveNetworkFact]
    public async Task Two_labs_with_different_registries_in_one_namespace_at_once_both_keep_their_nat_and_port_rules()
    {
        HostTools.Require(needsRoot: true, "ip", "nft", "sysctl");
        await using var ns = await TestNamespace.CreateAsync();
        // Lab A's first write to the nft table waits until lab B has read the table: the interleaving that lost
        // rules when each batch replaced the table from the copy it read at its start.
        var bRead = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var a = ProviderIn(ns, runner: new Gated(before: c => IsNftWrite(c) ? bRead.Task.WaitAsync(TimeSpan.FromMinutes(1)) : Task.CompletedTask), registry: "registry-a");
        var b = ProviderIn(ns, runner: new Gated(after: c => { if (IsNftRead(c)) bRead.TrySetResult(); }), registry: "registry-b");
        var otherNat = InterfaceNames.Bridge("other", "nat");
        const string OtherMark = "labrunner:v1 lab=other project=4567cdef";

        var applied = await Task.WhenAll(
            a.ApplyAsync(new OperationBatch("network", NetworkUp()), null, CancellationToken.None),
            b.ApplyAsync(new OperationBatch("network",
            [
                new CreateSwitch(otherNat, SwitchKind.Internal, null, OtherMark),
                new AssignHostIp(otherNat, Ipv4Address.Parse("10.78.0.1"), 24),
                new CreateNat(otherNat, Ipv4Subnet.Parse("10.78.0.0/24")),
                new AddPortMapping(otherNat, PortProtocol.Tcp, Ipv4Address.Parse("0.0.0.0"), 8081, Ipv4Address.Parse("10.78.0.10"), 80),
            ]), null, CancellationToken.None));
        var inventory = await a.GetInventoryAsync([], CancellationToken.None);

        Assert.All(applied, r => Assert.True(r.Succeeded, string.Join("; ", r.Errors.Select(e => e.Error.Message))));
        Assert.Equal(
            [new HostNat(Nat, Ipv4Subnet.Parse("10.77.0.0/24"), Mark), new HostNat(otherNat, Ipv4Subnet.Parse("10.78.0.0/24"), OtherMark)],
            inventory.Nats.OrderBy(n => n.InternalPrefix.ToString()));
        Assert.Equal([5353, 8080, 8081], inventory.PortMappings.Select(m => m.ExternalPort).Order());
        Assert.Equal(a.LockPath, b.LockPath);
    }

    private static bool IsNftWrite(HostCommand c) => c.ToArgv().SkipWhile(x => x != "nft").Take(3).SequenceEqual(["nft", "-f", "-"]);

    private static bool IsNftRead(HostCommand c) => c.ToArgv().SkipWhile(x => x != "nft").SequenceEqual(["nft", "-j", "list", "ruleset"]);

    /// <summary>The real runner, with a hook before and after each command.</summary>
    private sealed class Gated(Func<HostCommand, Task>? before = null, Action<HostCommand>? after = null) : IHostCommandRunner
    {
        private readonly CliWrapHostCommandRunner _inner = new();

        public async Task<HostCommandResult> RunAsync(HostCommand command, CancellationToken cancellationToken)
        {
            if (before is not null) await before(command);
            var result = await _inner.RunAsync(command, cancellationToken);
            after?.Invoke(command);
            return result;
        }
    }

    [LiveNetworkFact]
    public async Task A_forward_chain_that_drops_by_default_is_a_conflict_before_anything_changes()
    {
        HostTools.Require(needsRoot: true, "ip", "nft");
        await using var ns = await TestNamespace.CreateAsync();
        await HostTools.Runner.RunCheckedAsync(ns.Command("nft", "-f", "-").WithStandardInput(ForeignTable.Replace("policy accept", "policy drop", StringComparison.Ordinal)), CancellationToken.None);
        var provider = ProviderIn(ns);

        var result = await provider.ApplyAsync(new OperationBatch("network", NetworkUp()), null, CancellationToken.None);
        var inventory = await provider.GetInventoryAsync([], CancellationToken.None);

        var error = Assert.Single(result.Errors);
        Assert.Equal(2, error.Index);
        Assert.Equal(HostErrorKind.Conflict, error.Error.Kind);
        Assert.Contains("ip filter FORWARD", error.Error.Message, StringComparison.Ordinal);
        Assert.All(result.Statuses, s => Assert.NotEqual(OperationStatus.Done, s));
        Assert.Empty(inventory.Switches);
    }

    [LiveNetworkFact("qemu-system-x86_64", "qemu-img")]
    public async Task A_vm_without_an_os_starts_on_its_bridge_with_the_planned_mac_takes_and_restores_snapshots_running_and_off_turns_off_and_leaves_nothing()
    {
        HostTools.Require(needsRoot: true, "ip", "nft", "qemu-system-x86_64", "qemu-img");
        await using var ns = await TestNamespace.CreateAsync();
        var provider = ProviderIn(ns);
        var vm = "live-web";
        var folder = Path.Combine(_directory, "vms", "web");
        var box = Path.Combine(_directory, "tiny.raw");
        await File.WriteAllBytesAsync(box, new byte[1024 * 1024]);
        var seed = Path.Combine(folder, "seed.iso");
        Directory.CreateDirectory(folder);
        await File.WriteAllBytesAsync(seed, new byte[64 * 1024]);
        var disk = Path.Combine(folder, "web.qcow2");
        var mac = MacAddress.Parse("52-54-00-12-34-56");
        LinuxProcess? qemu = null;
        try
        {
            var network = await provider.ApplyAsync(new OperationBatch("network", [new CreateSwitch(Nat, SwitchKind.Internal, null, Mark)]), null, CancellationToken.None);
            var up = await provider.ApplyAsync(new OperationBatch("vm web",
            [
                new CreateDisk(vm, disk, box),
                new CreateVm(vm, 2, 256L * 1024 * 1024, folder, disk, Mark),
                new SetVmHardware(vm, 1, 256L * 1024 * 1024),
                new AddVmAdapter(vm, "eth0", Nat, mac),
                new AttachSeed(vm, seed),
                new StartVm(vm),
            ]), null, CancellationToken.None);
            // Pid and start time, read at once: cleanup never signals a process that took the pid later.
            qemu = provider.Registry.Find(vm) is { } entry && ReadPid(provider.Registry.PidFile(entry.Name)) is { } pid ? LinuxProcess.Find(pid) : null;
            if (qemu is { } started) ns.Track(started);

            Assert.True(network.Succeeded && up.Succeeded, string.Join("; ", up.Errors.Select(e => e.Error.Message)));
            var running = await provider.GetInventoryAsync([disk, seed], CancellationToken.None);
            var host = Assert.Single(running.Vms);
            Assert.Equal((vm, VmState.Running, Mark, 2, 1, 256L * 1024 * 1024), (host.Name, host.State, host.Notes, host.Generation, host.Cpus, host.MemoryBytes));
            Assert.Equal([new HostVmAdapter("eth0", Nat, mac)], host.Adapters.AsEnumerable());
            Assert.Equal([disk], host.HardDisks.AsEnumerable());
            Assert.Equal([new HostDvdDrive(0, 0, seed)], host.DvdDrives.AsEnumerable());
            Assert.Equal([disk, seed], running.Files.AsEnumerable());
            Assert.True(ns.Contains(qemu!.Value.Pid), "QEMU runs in the test's namespace");

            // The tap is on the bridge, marked; QEMU's NIC has the planned MAC.
            var tap = InterfaceNames.TapOf(vm, "eth0");
            var links = IpJsonParser.ParseInterfaces((await ns.RunAsync("ip", "-d", "-j", "link", "show")).StandardOutput);
            var tapLink = Assert.Single(links, l => l.Name == tap);
            Assert.Equal((HostInterfaceKind.Tap, Nat, Mark), (tapLink.Kind, tapLink.Master, tapLink.Alias));
            await using (var qmp = await QmpClient.ConnectAsync(provider.Registry.QmpSocket(vm), null, CancellationToken.None))
            {
                Assert.Equal("running", (await qmp.QueryStatusAsync(CancellationToken.None)).Status);
                var filters = await qmp.ExecuteAsync("query-rx-filter", null, CancellationToken.None);
                Assert.Equal(["52:54:00:12:34:56"], filters.EnumerateArray().Select(f => f.GetProperty("main-mac").GetString()));
            }

            // Snapshots of the running VM through the real QEMU's jobs: its overlay and its qcow2 UEFI variables, the seed left out.
            var snapshots = provider.Capability<ISnapshots>()!;
            await snapshots.PauseAsync(vm, CancellationToken.None);
            var live = await snapshots.SaveAsync(vm, "live-1", SnapshotType.Standard, CancellationToken.None);
            await snapshots.ResumeAsync(vm, CancellationToken.None);
            var twice = await Assert.ThrowsAsync<SnapshotException>(() => snapshots.SaveAsync(vm, "live-1", SnapshotType.Standard, CancellationToken.None));
            await snapshots.RestoreAsync(vm, "live-1", CancellationToken.None);
            var missing = await Assert.ThrowsAsync<SnapshotException>(() => snapshots.RestoreAsync(vm, "nope", CancellationToken.None));
            await using (var qmp = await QmpClient.ConnectAsync(provider.Registry.QmpSocket(vm), null, CancellationToken.None))
                Assert.Equal("running", (await qmp.QueryStatusAsync(CancellationToken.None)).Status);
            Assert.True(live.WithMemory && live.SizeBytes > 0, live.ToString());
            Assert.Equal(HostErrorKind.AlreadyExists, twice.Error.Kind);
            Assert.Equal(HostErrorKind.NotFound, missing.Error.Kind);
            var varsSnapshots = (await HostTools.RunAsync("qemu-img", "snapshot", "-U", "-l", Path.Combine(folder, "OVMF_VARS.qcow2"))).StandardOutput;
            Assert.Contains("live-1", varsSnapshots, StringComparison.Ordinal);

            // A graceful shutdown of a guest with no OS never ends: the engine cancels it and turns the VM off.
            using var halt = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => provider.ApplyAsync(new OperationBatch("vm web", [new StopVm(vm, TurnOff: false)]), null, halt.Token));
            var off = await provider.ApplyAsync(new OperationBatch("vm web", [new StopVm(vm, TurnOff: true)]), null, CancellationToken.None);
            var stopped = await provider.GetInventoryAsync([], CancellationToken.None);

            Assert.True(off.Succeeded, string.Join("; ", off.Errors.Select(e => e.Error.Message)));
            Assert.Equal(VmState.Off, Assert.Single(stopped.Vms).State);
            Assert.False(qemu.Value.IsAlive, "QEMU exited");

            // Off: disk-only snapshots with qemu-img; a snapshot with memory restored while off starts QEMU (paused, loaded, continued).
            var halted = await snapshots.SaveAsync(vm, "off-1", SnapshotType.Standard, CancellationToken.None);
            await snapshots.RestoreAsync(vm, "off-1", CancellationToken.None);
            var offList = await snapshots.ListAsync(vm, CancellationToken.None);
            Assert.False(halted.WithMemory);
            Assert.Equal(["live-1", "off-1"], offList.Select(s => s.Name));
            Assert.Equal(VmState.Off, Assert.Single((await provider.GetInventoryAsync([], CancellationToken.None)).Vms).State);
            await snapshots.RestoreAsync(vm, "live-1", CancellationToken.None);
            var restarted = provider.Registry.Find(vm) is { } again && ReadPid(provider.Registry.PidFile(again.Name)) is { } pid2 ? LinuxProcess.Find(pid2) : null;
            if (restarted is { } r) ns.Track(r);
            await using (var qmp = await QmpClient.ConnectAsync(provider.Registry.QmpSocket(vm), null, CancellationToken.None))
                Assert.Equal("running", (await qmp.QueryStatusAsync(CancellationToken.None)).Status);
            await snapshots.DeleteAsync(vm, "live-1", CancellationToken.None);
            var turnedOff = await provider.ApplyAsync(new OperationBatch("vm web", [new StopVm(vm, TurnOff: true)]), null, CancellationToken.None);
            Assert.True(turnedOff.Succeeded, string.Join("; ", turnedOff.Errors.Select(e => e.Error.Message)));
            await snapshots.DeleteAsync(vm, "off-1", CancellationToken.None);
            Assert.Empty(await snapshots.ListAsync(vm, CancellationToken.None));

            var removed = await provider.ApplyAsync(new OperationBatch("vm web", [new RemoveVm(vm), new RemoveFile(vm, disk)]), null, CancellationToken.None);
            var after = await provider.GetInventoryAsync([disk], CancellationToken.None);
            var linksAfter = IpJsonParser.ParseInterfaces((await ns.RunAsync("ip", "-j", "link", "show")).StandardOutput);

            Assert.True(removed.Succeeded, string.Join("; ", removed.Errors.Select(e => e.Error.Message)));
            Assert.Empty(after.Vms);
            Assert.Empty(after.Files);
            Assert.DoesNotContain(linksAfter, l => l.Name == tap);
            Assert.False(File.Exists(Path.Combine(folder, "OVMF_VARS.qcow2")));
            Assert.Empty(Directory.EnumerateFiles(provider.Registry.Directory, "*", SearchOption.AllDirectories));
        }
        finally
        {
            qemu?.Kill();
        }
    }

    private static int? ReadPid(string pidFile) =>
        File.Exists(pidFile) ? int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture) : null;

    private sealed class FixedProbe(AcceleratorFacts facts) : IAcceleratorProbe
    {
        public AcceleratorFacts Probe() => facts;
    }
}
