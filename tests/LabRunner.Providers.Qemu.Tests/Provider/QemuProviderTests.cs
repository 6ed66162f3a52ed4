using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Core.Net;
using LabRunner.Providers.Qemu.Acceleration;
using LabRunner.Providers.Qemu.Network;
using LabRunner.HostCommon.Disks;
using LabRunner.HostCommon.Running;
using LabRunner.Providers.Qemu.Tests.Support;
using LabRunner.Providers.Qemu.Vms;
using LabRunner.Tests.Shared;

namespace LabRunner.Providers.Qemu.Tests.Provider;

/// <summary>
/// Operations to host commands, with a fake runner that records each argument vector (and its standard input).
/// Regenerate the golden files with LABRUNNER_UPDATE_GOLDEN=1 and review the diff.
/// </summary>
public sealed class QemuProviderTests : IDisposable
{
    private const string Mark = "labrunner:v1 lab=web project=0123abcd";
    private const string Vm = "web-app";
    private static readonly string Nat = InterfaceNames.Bridge("web", "nat");
    private static readonly string Isolated = InterfaceNames.Bridge("web", "backend");
    private static readonly MacAddress Mac0 = MacAddress.Parse("52-54-00-AA-00-01");
    private static readonly MacAddress Mac1 = MacAddress.Parse("52-54-00-AA-00-02");

    private readonly string _directory = Directory.CreateTempSubdirectory("lr-qp-").FullName;
    private readonly FakeHostCommandRunner _runner = new();
    private readonly FakeVmProcesses _processes = new();
    private readonly QemuProvider _provider;

    public QemuProviderTests()
    {
        Directory.CreateDirectory(Path.Combine(_directory, "boxes"));
        File.WriteAllBytes(Box, DiskImages.Qcow2());
        File.WriteAllBytes(Path.Combine(_directory, "OVMF_VARS_4M.fd"), new byte[4096]);
        _runner.Links = FakeHostCommandRunner.BridgesJson((Nat, Mark), (Isolated, Mark + QemuProvider.PrivateSuffix));
        // nft keeps what was written: the provider reads the table again before each change.
        var table = NftRulesetSpec.Empty;
        _runner.Respond = c =>
        {
            var argv = c.ToArgv();
            if (argv.SequenceEqual(["nft", "-f", "-"]))
            {
                table = SpecOf(c.StandardInput ?? "");
                return null;
            }
            return argv.SequenceEqual(["nft", "-j", "list", "ruleset"]) ? new HostCommandResult(0, NftJsonOf(table), "") : null;
        };
        _provider = new QemuProvider(new QemuProviderOptions(new VmRegistry(Path.Combine(_directory, "registry")), _runner)
        {
            Processes = _processes,
            AcceleratorProbe = new FixedProbe(new AcceleratorFacts(true, null, PvmLoaded: true, Override: null)),
            OvmfVarsTemplate = Path.Combine(_directory, "OVMF_VARS_4M.fd"),
            HostName = "testhost",
            PollInterval = TimeSpan.FromMilliseconds(1),
            LockDirectory = Path.Combine(_directory, "locks"),
        });
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Box => Path.Combine(_directory, "boxes", "debian-12.img");
    private string Folder => Path.Combine(_directory, "project", ".lab", "vms", "app");
    private string Disk => Path.Combine(Folder, "app.qcow2");
    private string Seed => Path.Combine(Folder, "seed.iso");

    private ImmutableArray<HostOperation> UpBatch() =>
    [
        new CreateSwitch(Nat, SwitchKind.Internal, null, Mark),
        new AssignHostIp(Nat, Ipv4Address.Parse("10.20.0.1"), 24),
        new CreateNat(Nat, Ipv4Subnet.Parse("10.20.0.0/24"), Mark),
        new AddPortMapping(Nat, PortProtocol.Tcp, Ipv4Address.Parse("0.0.0.0"), 8080, Ipv4Address.Parse("10.20.0.10"), 80),
        new CreateSwitch(Isolated, SwitchKind.Private, null, Mark),
        new CreateDisk(Vm, Disk, Box),
        new CreateVm(Vm, 2, 1024L * 1024 * 1024, Folder, Disk, Mark),
        new SetVmHardware(Vm, 2, 1024L * 1024 * 1024),
        new AddVmAdapter(Vm, "eth0", Nat, Mac0),
        new AddVmAdapter(Vm, "eth1", Isolated, Mac1),
        new AttachSeed(Vm, Seed),
        new DisableAutomaticSnapshots(Vm),
        new StartVm(Vm),
    ];

    [Fact]
    public async Task An_up_batch_runs_the_commands_of_its_golden_file()
    {
        var batch = new OperationBatch("up", UpBatch());

        var result = await _provider.ApplyAsync(batch, null, CancellationToken.None);

        Assert.True(result.Succeeded, string.Join("; ", result.Errors.Select(e => e.Error.Message)));
        Golden("up.commands", _runner.Transcript(_directory, "$TMP"));
    }

    [Fact]
    public async Task What_if_prints_in_full_every_command_up_then_runs_in_the_hosts_own_words()
    {
        var batch = new OperationBatch("up", UpBatch());

        var preview = _provider.Preview(batch)!;
        await _provider.ApplyAsync(batch, null, CancellationToken.None);

        // Every command line of the preview is one that up ran, in order (up also reads the host: ip link, nft -j).
        var shown = preview.Split('\n').Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        var ran = _runner.Transcript(_directory, _directory).Split('\n').Where(l => l.Length > 0 && !l.StartsWith("nft -j list", StringComparison.Ordinal) && !l.StartsWith("ip -d -j", StringComparison.Ordinal)).ToList();
        Assert.Equal(ran, shown);
        Assert.DoesNotContain("…", preview, StringComparison.Ordinal);
        Assert.DoesNotContain("switch", preview, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("NetNat", preview, StringComparison.Ordinal);
        Assert.Contains($"# create nftables masquerade '{Nat}' for 10.20.0.0/24", preview, StringComparison.Ordinal);
        Assert.Contains($"# create isolated bridge '{Isolated}'", preview, StringComparison.Ordinal);
    }

    [Fact]
    public void What_if_shows_the_commands_of_an_up_batch()
    {
        var preview = _provider.Preview(new OperationBatch("up", UpBatch()));

        Assert.NotNull(preview);
        Assert.Contains($"ip -batch -  # with standard input:\n    | link add name {Nat} type bridge", preview, StringComparison.Ordinal);
        Assert.Contains("qemu-img create -q -f qcow2 -b", preview, StringComparison.Ordinal);
        Golden("up.preview", preview.Replace(_directory, "$TMP", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_registry_keeps_a_vm_as_it_was_written()
    {
        await _provider.ApplyAsync(new OperationBatch("up", UpBatch()), null, CancellationToken.None);

        var entry = _provider.Registry.Find("WEB-APP");
        var inventory = await _provider.GetInventoryAsync([Disk, Box, Seed], CancellationToken.None);

        Assert.NotNull(entry);
        Assert.Equal((Vm, Mark, 2, 2, 1024L * 1024 * 1024, Folder, Disk, Seed), (entry.Name, entry.Notes, entry.Generation, entry.Cpus, entry.MemoryBytes, entry.Folder, entry.Disk, entry.Seed));
        Assert.Equal(Path.Combine(Folder, "OVMF_VARS.qcow2"), entry.FirmwareVars);
        Assert.Equal(DiskFormat.Qcow2, DiskFormatDetector.DetectFile(entry.FirmwareVars!));
        Assert.Contains(_runner.Commands, c => c.ToArgv().SequenceEqual(["qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", Path.Combine(_directory, "OVMF_VARS_4M.fd"), entry.FirmwareVars!]));
        Assert.Equal(
            [new VmAdapterEntry("eth0", Nat, "52:54:00:aa:00:01", InterfaceNames.TapOf(Vm, "eth0")), new VmAdapterEntry("eth1", Isolated, "52:54:00:aa:00:02", InterfaceNames.TapOf(Vm, "eth1"))],
            entry.Adapters.AsEnumerable());
        var vm = Assert.Single(inventory.Vms);
        Assert.Equal(new HostVm(Vm, VmState.Off, Mark, 2, 1024L * 1024 * 1024, 2, vm.Adapters, vm.HardDisks, vm.DvdDrives, SecureBoot: false), vm);
        Assert.Equal([new HostVmAdapter("eth0", Nat, Mac0), new HostVmAdapter("eth1", Isolated, Mac1)], vm.Adapters.AsEnumerable());
        Assert.Equal([Disk], vm.HardDisks.AsEnumerable());
        Assert.Equal([new HostDvdDrive(0, 0, Seed)], vm.DvdDrives.AsEnumerable());
        Assert.Equal([Disk, Box], inventory.Files.AsEnumerable()); // the seed is the engine's to write
    }

    [Fact]
    public async Task A_raw_variable_store_an_older_version_made_becomes_qcow2_before_the_vm_next_starts_and_qemu_opens_it_as_qcow2()
    {
        await _provider.ApplyAsync(new OperationBatch("up", UpBatch()[..^1]), null, CancellationToken.None);
        var raw = Path.Combine(Folder, "OVMF_VARS.fd");
        File.WriteAllBytes(raw, new byte[4096]);
        _provider.Registry.Save(_provider.Registry.Find(Vm)! with { FirmwareVars = raw });
        _runner.Commands.Clear();

        var result = await _provider.ApplyAsync(new OperationBatch("up", [new StartVm(Vm)]), null, CancellationToken.None);

        Assert.True(result.Succeeded, string.Join("; ", result.Errors.Select(e => e.Error.Message)));
        var qcow2 = Path.Combine(Folder, "OVMF_VARS.qcow2");
        Assert.Equal(["qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", raw, qcow2 + ".part"], _runner.Commands[0].ToArgv().AsEnumerable());
        Assert.Equal(qcow2, _provider.Registry.Find(Vm)!.FirmwareVars);
        Assert.False(File.Exists(raw));
        Assert.Equal(DiskFormat.Qcow2, DiskFormatDetector.DetectFile(qcow2));
        Assert.Contains($"if=pflash,unit=1,format=qcow2,file={qcow2}", _runner.Commands.Single(c => c.Executable == "qemu-system-x86_64").Arguments);
    }

    [Theory]
    [InlineData(false, null, VmState.Off)]
    [InlineData(true, "running", VmState.Running)]
    [InlineData(true, "paused", VmState.Paused)]
    [InlineData(true, null, VmState.Running)]
    [InlineData(true, "guest-panicked", VmState.Other)]
    public async Task A_vms_state_comes_from_its_process_and_qmp(bool alive, string? qmpStatus, VmState expected)
    {
        await _provider.ApplyAsync(new OperationBatch("up", UpBatch()), null, CancellationToken.None);
        if (alive) _processes.Running[_provider.Registry.PidFile(Vm)] = 4242;
        _processes.Status = qmpStatus;

        var inventory = await _provider.GetInventoryAsync([], CancellationToken.None);

        Assert.Equal(expected, Assert.Single(inventory.Vms).State);
    }

    [Fact]
    public async Task The_inventory_reports_bridges_nat_and_forwarded_ports_by_their_marks()
    {
        var spec = new NftRulesetSpec(
            [new NftMasquerade("web", System.Net.IPNetwork.Parse("10.20.0.0/24")) { Project = "0123abcd", Nat = Nat }],
            [new NftPortForward("web", NftProtocol.Tcp, null, 8080, System.Net.IPAddress.Parse("10.20.0.10"), 80) { Project = "0123abcd", Nat = Nat }],
            [new NftNoForward("web", Isolated) { Project = "0123abcd" }]);
        _runner.Links = FakeHostCommandRunner.BridgesJson((Nat, Mark), (Isolated, Mark + QemuProvider.PrivateSuffix), ("br0", null));
        _runner.Respond = c => c.Executable == "nft" ? new HostCommandResult(0, NftJsonOf(spec), "") : null;

        var inventory = await _provider.GetInventoryAsync([], CancellationToken.None);

        Assert.Equal(
            [new HostSwitch(Nat, SwitchKind.Internal, null, Mark), new HostSwitch(Isolated, SwitchKind.Private, null, Mark), new HostSwitch("br0", SwitchKind.External, "br0", "")],
            inventory.Switches.AsEnumerable());
        Assert.Equal([new HostNat(Nat, Ipv4Subnet.Parse("10.20.0.0/24"), Mark)], inventory.Nats.AsEnumerable());
        Assert.Equal([new HostPortMapping(Nat, PortProtocol.Tcp, Ipv4Address.Parse("0.0.0.0"), 8080, Ipv4Address.Parse("10.20.0.10"), 80)], inventory.PortMappings.AsEnumerable());
    }

    [Fact]
    public async Task Without_cap_net_admin_the_first_network_change_fails_with_run_with_sudo_and_stops_the_batch()
    {
        _runner.Respond = c => c.Executable == "ip" && c.Arguments[0] == "-batch"
            ? new HostCommandResult(2, "", "RTNETLINK answers: Operation not permitted\nCommand failed -:1\n")
            : null;

        var result = await _provider.ApplyAsync(new OperationBatch("network", UpBatch()[..5]), null, CancellationToken.None);

        var error = Assert.Single(result.Errors);
        Assert.Equal((0, HostErrorKind.AccessDenied), (error.Index, error.Error.Kind));
        Assert.Contains("sudo", error.Error.Message, StringComparison.Ordinal);
        Assert.Equal([OperationStatus.Failed, OperationStatus.NotRun, OperationStatus.NotRun, OperationStatus.NotRun, OperationStatus.NotRun], result.Statuses.AsEnumerable());
    }

    [Fact]
    public async Task Unprivileged_reads_work_while_no_labrunner_network_exists_and_say_run_with_sudo_once_one_does()
    {
        _runner.Respond = c => c.Executable == "nft" ? new HostCommandResult(1, "", "Error: Operation not permitted\n") : null;
        _runner.Links = FakeHostCommandRunner.BridgesJson(("br0", null));

        var nothing = await _provider.GetInventoryAsync([], CancellationToken.None);
        _runner.Links = FakeHostCommandRunner.BridgesJson((Nat, Mark));
        var refused = await Assert.ThrowsAsync<HostUnavailableException>(() => _provider.GetInventoryAsync([], CancellationToken.None));

        Assert.Empty(nothing.Nats);
        Assert.Equal(HostErrorKind.AccessDenied, refused.Error.Kind);
        Assert.Contains("sudo", refused.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_tool_is_unavailable_with_the_package_to_install_and_skips_only_its_vms_operations()
    {
        _runner.Respond = c => c.Executable == "qemu-img" ? throw new HostCommandStartException(c, new System.ComponentModel.Win32Exception(2, "No such file or directory")) : null;
        var other = "web-db";
        var batch = new OperationBatch("vms",
        [
            new CreateDisk(Vm, Disk, Box),
            new CreateVm(other, 1, 512L * 1024 * 1024, Path.Combine(_directory, "db"), Path.Combine(_directory, "db", "db.qcow2"), Mark),
            new CreateVm(Vm, 1, 512L * 1024 * 1024, Folder, Disk, Mark),
        ]);

        var result = await _provider.ApplyAsync(batch, null, CancellationToken.None);

        var error = Assert.Single(result.Errors);
        Assert.Equal((0, HostErrorKind.Unavailable), (error.Index, error.Error.Kind));
        Assert.Contains("apt-get install -y qemu-utils", error.Error.Message, StringComparison.Ordinal);
        Assert.Equal([OperationStatus.Failed, OperationStatus.Done, OperationStatus.NotRun], result.Statuses.AsEnumerable());
    }

    [Fact]
    public async Task An_overlay_is_never_made_on_a_box_whose_qcow2_names_a_backing_file()
    {
        File.WriteAllBytes(Box, DiskImages.Qcow2(backingFile: "/etc/shadow"));

        var result = await _provider.ApplyAsync(new OperationBatch("vm", [new CreateDisk(Vm, Disk, Box)]), null, CancellationToken.None);

        var error = Assert.Single(result.Errors);
        Assert.Equal(HostErrorKind.InvalidState, error.Error.Kind);
        Assert.Contains("backing file ('/etc/shadow')", error.Error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_runner.Commands, c => LabRunner.Providers.Qemu.QemuCommands.Display(c).Contains("qemu-img", StringComparison.Ordinal));
        Assert.False(File.Exists(Disk));
    }

    [Fact]
    public async Task Adapter_seed_and_hardware_changes_wait_until_the_vm_is_off()
    {
        await _provider.ApplyAsync(new OperationBatch("up", UpBatch()), null, CancellationToken.None);
        _processes.Running[_provider.Registry.PidFile(Vm)] = 4242;

        var result = await _provider.ApplyAsync(new OperationBatch("vm", [new AttachSeed(Vm, Seed + ".2")]), null, CancellationToken.None);
        var hardware = await _provider.ApplyAsync(new OperationBatch("vm", [new SetVmHardware(Vm, 4, 2048L * 1024 * 1024)]), null, CancellationToken.None);

        Assert.Equal(HostErrorKind.InvalidState, Assert.Single(result.Errors).Error.Kind);
        Assert.Equal(HostErrorKind.InvalidState, Assert.Single(hardware.Errors).Error.Kind);
        Assert.Equal(Seed, _provider.Registry.Find(Vm)!.Seed);
    }

    [Fact]
    public async Task Turning_off_quits_through_qmp_and_deletes_the_vms_taps()
    {
        await _provider.ApplyAsync(new OperationBatch("up", UpBatch()), null, CancellationToken.None);
        _processes.Running[_provider.Registry.PidFile(Vm)] = 4242;
        var tap = InterfaceNames.TapOf(Vm, "eth0");
        _runner.Links = "[{\"ifindex\":9,\"ifname\":\"" + tap + "\",\"flags\":[\"UP\"],\"operstate\":\"UP\",\"master\":\"" + Nat + "\",\"ifalias\":\"" + Mark + "\",\"linkinfo\":{\"info_kind\":\"tun\",\"info_data\":{\"type\":\"tap\"}}}]";
        _runner.Commands.Clear();

        var result = await _provider.ApplyAsync(new OperationBatch("vm", [new StopVm(Vm, TurnOff: true)]), null, CancellationToken.None);

        Assert.True(result.Succeeded);
        Assert.Equal(["quit"], _processes.Sent);
        Assert.Equal($"link del dev {tap}\n", _runner.Commands.Last().StandardInput);
    }

    [Fact]
    public async Task A_graceful_stop_waits_for_the_guest_until_cancelled()
    {
        await _provider.ApplyAsync(new OperationBatch("up", UpBatch()), null, CancellationToken.None);
        var processes = new StubbornProcesses();
        var provider = new QemuProvider(new QemuProviderOptions(_provider.Registry, _runner) { Processes = processes, PollInterval = TimeSpan.FromMilliseconds(5), LockDirectory = Path.Combine(_directory, "locks") });
        using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => provider.ApplyAsync(new OperationBatch("vm", [new StopVm(Vm, TurnOff: false)]), null, timeout.Token));

        Assert.Equal(["system_powerdown"], processes.Sent);
    }

    [Fact]
    public async Task Secure_boot_is_refused_as_a_bug_and_an_external_switch_on_an_adapter_names_the_way_out()
    {
        await _provider.ApplyAsync(new OperationBatch("up", UpBatch()), null, CancellationToken.None);

        var firmware = await _provider.ApplyAsync(new OperationBatch("vm", [new SetFirmware(Vm, true, "MicrosoftUEFICertificateAuthority", Disk)]), null, CancellationToken.None);
        var external = await _provider.ApplyAsync(new OperationBatch("network", [new CreateSwitch("LabRunner-eth0", SwitchKind.External, "eth0", LabIdentity.SharedMark)]), null, CancellationToken.None);

        Assert.Contains("bug", Assert.Single(firmware.Errors).Error.Message, StringComparison.Ordinal);
        var error = Assert.Single(external.Errors).Error;
        Assert.Equal(HostErrorKind.Unavailable, error.Kind);
        Assert.Contains("name that bridge as the network's 'adapter'", error.Message, StringComparison.Ordinal);
    }

    /// <summary>What a table written by <see cref="NftRuleset.Render"/> holds (the forms it writes, host address "any" only).</summary>
    private static NftRulesetSpec SpecOf(string script)
    {
        var spec = NftRulesetSpec.Empty;
        string? chain = null;
        foreach (var line in script.Split('\n').Select(l => l.Trim()))
        {
            if (line.StartsWith("chain ", StringComparison.Ordinal)) chain = line.Split(' ')[1];
            if (!line.Contains("comment \"", StringComparison.Ordinal)) continue;
            var mark = OwnershipMark.TryParse(line[(line.IndexOf("comment \"", StringComparison.Ordinal) + 9)..^1])!;
            var words = line.Split(' ');
            if (chain == "postrouting")
                spec = spec with { Masquerades = spec.Masquerades.Add(new NftMasquerade(mark.Lab, System.Net.IPNetwork.Parse(words[2])) { Project = mark.Project, Nat = mark.Nat }) };
            else if (chain == "prerouting")
            {
                var to = words[Array.IndexOf(words, "to") + 1].Split(':');
                var protocol = words[Array.IndexOf(words, "dport") - 1] == "tcp" ? NftProtocol.Tcp : NftProtocol.Udp;
                var port = int.Parse(words[Array.IndexOf(words, "dport") + 1], System.Globalization.CultureInfo.InvariantCulture);
                var forward = new NftPortForward(mark.Lab, protocol, null, port, System.Net.IPAddress.Parse(to[0]), int.Parse(to[1], System.Globalization.CultureInfo.InvariantCulture))
                {
                    Project = mark.Project,
                    Nat = mark.Nat,
                };
                spec = spec with { PortForwards = spec.PortForwards.Add(forward) };
            }
            else if (chain == "forward" && words[0] == "iifname")
                spec = spec with { NoForwards = spec.NoForwards.Add(new NftNoForward(mark.Lab, words[1].Trim('"')) { Project = mark.Project }) };
        }
        return spec;
    }

    private static string NftJsonOf(NftRulesetSpec spec)
    {
        // What nft -j prints for the rendered table: read back through the same reader the live tests check against the real nft.
        var rules = new List<string>();
        foreach (var m in spec.Masquerades)
            rules.Add(Rule("postrouting", new OwnershipMark(m.Lab, m.Project, m.Nat).Render(),
                "{\"match\":{\"op\":\"==\",\"left\":{\"payload\":{\"protocol\":\"ip\",\"field\":\"saddr\"}},\"right\":{\"prefix\":{\"addr\":\"" + m.Subnet.BaseAddress + "\",\"len\":" + m.Subnet.PrefixLength + "}}}},{\"masquerade\":null}"));
        foreach (var f in spec.PortForwards)
            rules.Add(Rule("prerouting", new OwnershipMark(f.Lab, f.Project, f.Nat).Render(),
                $$$"""{"match":{"op":"==","left":{"payload":{"protocol":"{{{f.Protocol.ToString().ToLowerInvariant()}}}","field":"dport"}},"right":{{{f.HostPort}}}}},{"dnat":{"family":"ip","addr":"{{{f.GuestAddress}}}","port":{{{f.GuestPort}}}}}"""));
        foreach (var n in spec.NoForwards)
            rules.Add(Rule("forward", new OwnershipMark(n.Lab, n.Project).Render(), $$$"""{"match":{"op":"==","left":{"meta":{"key":"iifname"}},"right":"{{{n.Bridge}}}"}},{"drop":null}"""));
        return """{"nftables":[{"table":{"family":"inet","name":"labrunner","handle":1}}""" + string.Concat(rules.Select(r => "," + r)) + "]}";

        static string Rule(string chain, string comment, string expr) =>
            $$$"""{"rule":{"family":"inet","table":"labrunner","chain":"{{{chain}}}","handle":2,"comment":"{{{comment}}}","expr":[{{{expr}}}]}}""";
    }

    private static void Golden(string name, string actual, [CallerFilePath] string thisFile = "")
    {
        var path = Path.Combine(Path.GetDirectoryName(thisFile)!, "..", "Golden", name);
        if (GoldenFiles.UpdateRequested()) File.WriteAllText(path, actual);
        Assert.True(File.Exists(path), $"{path} is missing: run with LABRUNNER_UPDATE_GOLDEN=1");
        Assert.Equal(File.ReadAllText(path), actual);
    }

    private sealed class FixedProbe(AcceleratorFacts facts) : IAcceleratorProbe
    {
        public AcceleratorFacts Probe() => facts;
    }

    /// <summary>A guest with no OS: the power button does nothing.</summary>
    private sealed class StubbornProcesses : IVmProcesses
    {
        public List<string> Sent { get; } = [];

        public LinuxProcess? FindRunning(string pidFile) => new LinuxProcess(4242, 1);

        public Task<string?> QueryStatusAsync(string qmpSocket, CancellationToken cancellationToken) => Task.FromResult<string?>("running");

        public Task ExecuteAsync(string qmpSocket, string command, CancellationToken cancellationToken)
        {
            Sent.Add(command);
            return Task.CompletedTask;
        }

        public Task<LabRunner.Providers.Qemu.Qmp.IQmpSession> OpenQmpAsync(string qmpSocket, TimeSpan commandTimeout, CancellationToken cancellationToken) =>
            throw new NotSupportedException("a guest with no OS takes no snapshots in these tests");

        public bool IsAlive(LinuxProcess process) => true;

        public void Kill(LinuxProcess process)
        {
        }
    }
}
