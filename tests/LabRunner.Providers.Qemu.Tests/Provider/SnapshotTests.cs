using System.Text.Json;
using LabRunner.Core.Hosting;
using LabRunner.HostCommon.Running;
using LabRunner.Providers.Qemu.Acceleration;
using LabRunner.Providers.Qemu.Capabilities;
using LabRunner.Providers.Qemu.Tests.Support;
using LabRunner.Providers.Qemu.Vms;

namespace LabRunner.Providers.Qemu.Tests.Provider;

/// <summary>
/// The QEMU provider's <see cref="ISnapshots"/>: QMP jobs for a running VM (a fake monitor answering as QEMU 7.2 does),
/// <c>qemu-img snapshot</c> for a VM that is off (a fake runner keeping each image's snapshots), and what reaches neither.
/// </summary>
public sealed class SnapshotTests : IDisposable
{
    private const string Vm = "lab-web";

    private readonly string _directory = Directory.CreateTempSubdirectory("lr-qsnap-").FullName;
    private readonly FakeHostCommandRunner _runner = new();
    private readonly FakeVmProcesses _processes = new();
    private readonly FakeImageSnapshots _images = new();
    private readonly QemuProvider _provider;
    private readonly ISnapshots _snapshots;

    public SnapshotTests()
    {
        File.WriteAllBytes(Path.Combine(_directory, "OVMF_VARS_4M.fd"), new byte[4096]);
        _runner.Respond = c =>
        {
            if (c.Executable == QemuProviderDescriptor.Emulator) _processes.Running[_provider!.Registry.PidFile(Vm)] = 4242;
            return _images.Respond(c);
        };
        _provider = new QemuProvider(new QemuProviderOptions(new VmRegistry(Path.Combine(_directory, "registry")), _runner)
        {
            Processes = _processes,
            AcceleratorProbe = new FixedProbe(),
            OvmfVarsTemplate = Path.Combine(_directory, "OVMF_VARS_4M.fd"),
            PollInterval = TimeSpan.FromMilliseconds(1),
        });
        _snapshots = _provider.Capability<ISnapshots>()!;
        Directory.CreateDirectory(Folder);
        File.WriteAllBytes(Disk, DiskImages.Qcow2());
        File.WriteAllBytes(Vars, DiskImages.Qcow2());
        _provider.Registry.Save(new VmEntry(Vm, "mark", 2, 1, 512L << 20, Folder, Disk, Path.Combine(Folder, "seed.iso"), Vars, []));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Folder => Path.Combine(_directory, "project", ".lab", "vms", "web");
    private string Disk => Path.Combine(Folder, "web.qcow2");
    private string Vars => Path.Combine(Folder, "OVMF_VARS.qcow2");
    private FakeQemuMonitor Monitor => _processes.Monitor;

    private void Running()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_provider.Registry.PidFile(Vm))!);
        _processes.Running[_provider.Registry.PidFile(Vm)] = 4242;
    }

    private static string Opts(string image) => $"driver=qcow2,file.driver=file,file.filename={image}";

    private IEnumerable<string> QemuImg() => _runner.Commands.Where(c => c.Executable == "qemu-img").Select(c => string.Join(' ', c.Arguments));

    [Fact]
    public void The_provider_has_snapshots_as_a_capability()
    {
        Assert.IsType<QemuSnapshots>(_provider.Capability<ISnapshots>());
    }

    [Fact]
    public async Task A_running_vm_is_saved_by_a_snapshot_save_job_of_its_overlay_and_variables_without_the_seed_waited_for_and_dismissed()
    {
        Running();
        Monitor.JobPolls = 3;

        var saved = await _snapshots.SaveAsync(Vm, "s1", SnapshotType.Standard, CancellationToken.None);

        var changes = Monitor.Changes.ToList();
        Assert.Equal(2, changes.Count);
        Assert.Matches("""^snapshot-save \{"job-id":"(labrunner-snapshot-save-[0-9a-f]+)","tag":"s1","vmstate":"#block539","devices":\["#block539","#block350"\]\}$""", changes[0]);
        var jobId = JsonDocument.Parse(changes[0]["snapshot-save ".Length..]).RootElement.GetProperty("job-id").GetString();
        Assert.Equal($$"""job-dismiss {"id":"{{jobId}}"}""", changes[1]);
        Assert.DoesNotContain("#block937", changes[0], StringComparison.Ordinal); // the seed
        Assert.True(Monitor.Sent.Count(s => s.Command == "query-jobs") >= 4, "the job was followed until it concluded");
        Assert.Equal(0, Monitor.JobsLeft);
        Assert.Equal(("s1", true, "qcow2 internal", 277225112L), (saved.Name, saved.WithMemory, saved.Type, saved.SizeBytes));
        Assert.Empty(QemuImg());
    }

    [Fact]
    public async Task A_job_is_seen_to_conclude_by_query_jobs_even_without_its_event()
    {
        Running();
        Monitor.EmitEvents = false;
        Monitor.JobPolls = 5;

        var saved = await _snapshots.SaveAsync(Vm, "s1", SnapshotType.Standard, CancellationToken.None);

        Assert.Equal("s1", saved.Name);
        Assert.Equal(0, Monitor.JobsLeft);
    }

    [Theory]
    [InlineData("Snapshot 'nope' does not exist in one or more devices", HostErrorKind.NotFound)]
    [InlineData("Device 'pflash1' is writable but does not support snapshots", HostErrorKind.Failed)]
    public async Task A_failed_job_becomes_a_snapshot_exception_naming_vm_snapshot_and_qemus_error_and_is_dismissed(string error, HostErrorKind kind)
    {
        Running();
        Monitor.Snapshots.Add(("s1", 1000));
        Monitor.JobError = (command, _) => command == "snapshot-load" ? error : null;

        var e = await Assert.ThrowsAsync<SnapshotException>(() => _snapshots.RestoreAsync(Vm, "s1", CancellationToken.None));

        Assert.Equal(kind, e.Error.Kind);
        Assert.Equal($"snapshot 's1' of VM '{Vm}': QEMU's snapshot-load failed: {error}.", e.Message);
        Assert.Equal(0, Monitor.JobsLeft);
        Assert.DoesNotContain("cont", Monitor.Changes);
    }

    [Fact]
    public async Task A_running_vm_restored_to_a_snapshot_with_memory_loads_it_and_runs_on()
    {
        Running();
        Monitor.Snapshots.Add(("s1", 1000));
        Monitor.Status = "paused"; // the lab paused it

        await _snapshots.RestoreAsync(Vm, "s1", CancellationToken.None);

        var changes = Monitor.Changes.ToList();
        Assert.StartsWith("""snapshot-load {"job-id":"labrunner-snapshot-load-""", changes[0], StringComparison.Ordinal);
        Assert.EndsWith(""","tag":"s1","vmstate":"#block539","devices":["#block539","#block350"]}""", changes[0], StringComparison.Ordinal);
        Assert.Equal("cont", changes[^1]);
        Assert.Equal("running", Monitor.Status);
        Assert.DoesNotContain(_runner.Commands, c => c.Executable == QemuProviderDescriptor.Emulator);
    }

    [Fact]
    public async Task A_vm_that_is_off_restored_to_a_snapshot_with_memory_starts_with_its_cpus_stopped_loads_it_and_runs()
    {
        Monitor.Snapshots.Add(("s1", 1000));
        _images.Of(Disk).Add("s1");
        // Off: qemu-img says what the disk holds; the snapshot has memory as QEMU lists it once started.
        _runner.Respond = c =>
        {
            if (c.Executable == QemuProviderDescriptor.Emulator) Running();
            if (c.Executable == "qemu-img" && c.Arguments[0] == "info")
                return new HostCommandResult(0, """{"snapshots": [{"name": "s1", "id": "1", "date-sec": 1796449179, "date-nsec": 0, "vm-clock-sec": 60, "vm-clock-nsec": 0, "vm-state-size": 277225112}]}""", "");
            return _images.Respond(c);
        };
        Monitor.Status = "prelaunch";

        await _snapshots.RestoreAsync(Vm, "s1", CancellationToken.None);

        var qemu = Assert.Single(_runner.Commands, c => c.Executable == QemuProviderDescriptor.Emulator);
        Assert.Equal("-S", qemu.Arguments[^2]);
        var changes = Monitor.Changes.ToList();
        Assert.StartsWith("snapshot-load ", changes[0], StringComparison.Ordinal);
        Assert.Equal("cont", changes[^1]);
        Assert.Equal("running", Monitor.Status);
    }

    [Fact]
    public async Task A_vm_that_is_off_is_saved_restored_and_deleted_with_qemu_img_on_its_overlay_and_variables()
    {
        await _snapshots.SaveAsync(Vm, "halted-1", SnapshotType.Standard, CancellationToken.None);
        var listed = await _snapshots.ListAsync(Vm, CancellationToken.None);
        await _snapshots.RestoreAsync(Vm, "halted-1", CancellationToken.None);
        await _snapshots.DeleteAsync(Vm, "halted-1", CancellationToken.None);

        Assert.Equal(
            [
                $"info -U -f qcow2 --output=json {Disk}",
                $"snapshot --image-opts -c halted-1 {Opts(Disk)}",
                $"snapshot --image-opts -c halted-1 {Opts(Vars)}",
                $"info -U -f qcow2 --output=json {Disk}",
                $"info -U -f qcow2 --output=json {Disk}",
                $"info -U -f qcow2 --output=json {Disk}",
                $"snapshot --image-opts -a halted-1 {Opts(Disk)}",
                $"snapshot --image-opts -a halted-1 {Opts(Vars)}",
                $"info -U -f qcow2 --output=json {Disk}",
                $"snapshot --image-opts -d halted-1 {Opts(Disk)}",
                $"info -U -f qcow2 --output=json {Vars}",
                $"snapshot --image-opts -d halted-1 {Opts(Vars)}",
            ],
            QemuImg());
        var snapshot = Assert.Single(listed);
        Assert.Equal(("halted-1", false, (long?)null), (snapshot.Name, snapshot.WithMemory, snapshot.SizeBytes));
        Assert.Empty(_images.Of(Disk));
        Assert.Empty(_images.Of(Vars));
        Assert.Empty(Monitor.Sent);
    }

    [Fact]
    public async Task A_running_vm_restored_to_a_disk_only_snapshot_is_turned_off_first_and_stays_off()
    {
        Running();
        Monitor.Snapshots.Add(("halted-1", 0));
        _images.Of(Disk).Add("halted-1");
        _images.Of(Vars).Add("halted-1");

        await _snapshots.RestoreAsync(Vm, "halted-1", CancellationToken.None);

        Assert.Equal(["quit"], _processes.Sent);
        Assert.Empty(_processes.Running);
        Assert.Equal([$"snapshot --image-opts -a halted-1 {Opts(Disk)}", $"snapshot --image-opts -a halted-1 {Opts(Vars)}"], QemuImg());
        Assert.DoesNotContain(_runner.Commands, c => c.Executable == QemuProviderDescriptor.Emulator);
    }

    [Fact]
    public async Task A_halted_vm_with_a_raw_variable_store_gets_it_converted_before_its_first_snapshot()
    {
        var raw = Path.Combine(Folder, "OVMF_VARS.fd");
        File.Delete(Vars);
        File.WriteAllBytes(raw, new byte[4096]);
        _provider.Registry.Save(_provider.Registry.Find(Vm)! with { FirmwareVars = raw });

        await _snapshots.SaveAsync(Vm, "s1", SnapshotType.Standard, CancellationToken.None);

        Assert.Equal($"convert -q -f raw -O qcow2 {raw} {Vars}.part", QemuImg().ElementAt(1));
        Assert.Equal($"snapshot --image-opts -c s1 {Opts(Vars)}", QemuImg().ElementAt(3));
        Assert.Equal(Vars, _provider.Registry.Find(Vm)!.FirmwareVars);
        Assert.False(File.Exists(raw));
    }

    [Fact]
    public async Task A_running_vm_with_a_raw_variable_store_is_refused_with_what_to_do()
    {
        Running();
        Monitor.VarsDriver = "raw";

        var e = await Assert.ThrowsAsync<SnapshotException>(() => _snapshots.SaveAsync(Vm, "s1", SnapshotType.Standard, CancellationToken.None));

        Assert.Equal(HostErrorKind.InvalidState, e.Error.Kind);
        Assert.Contains("lab halt", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Monitor.Changes, c => c.StartsWith("snapshot-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_running_vm_with_a_virtiofs_share_is_refused_before_qemu_hears_of_it()
    {
        var entry = _provider.Registry.Find(Vm)!;
        _provider.Registry.Save(entry with { Shares = [new VmShareEntry("lab0", _directory)] });
        Running();

        var e = await Assert.ThrowsAsync<SnapshotException>(() => _snapshots.SaveAsync(Vm, "s1", SnapshotType.Standard, CancellationToken.None));

        Assert.Equal(HostErrorKind.InvalidState, e.Error.Kind);
        Assert.Contains("virtiofs", e.Message, StringComparison.Ordinal);
        Assert.Contains("lab halt", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Monitor.Changes, c => c.StartsWith("snapshot-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_bios_vm_snapshots_its_disk_alone()
    {
        Running();
        Monitor.VarsDriver = null;
        _provider.Registry.Save(_provider.Registry.Find(Vm)! with { Generation = 1, FirmwareVars = null });

        await _snapshots.SaveAsync(Vm, "s1", SnapshotType.Standard, CancellationToken.None);

        Assert.EndsWith(""","tag":"s1","vmstate":"#block539","devices":["#block539"]}""", Monitor.Changes.First(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("12")]
    [InlineData("-a")]
    [InlineData("a b")]
    [InlineData("s1;reboot")]
    [InlineData("$(id)")]
    [InlineData("café")]
    [InlineData("a/../b")]
    public async Task A_name_qemu_would_misread_is_refused_before_qmp_or_qemu_img_hear_of_it(string name)
    {
        Running();

        var save = await Assert.ThrowsAsync<SnapshotException>(() => _snapshots.SaveAsync(Vm, name, SnapshotType.Standard, CancellationToken.None));
        var restore = await Assert.ThrowsAsync<SnapshotException>(() => _snapshots.RestoreAsync(Vm, name, CancellationToken.None));
        var delete = await Assert.ThrowsAsync<SnapshotException>(() => _snapshots.DeleteAsync(Vm, name, CancellationToken.None));

        Assert.All([save, restore, delete], e => Assert.Contains("a snapshot name is 1-64 letters", e.Message, StringComparison.Ordinal));
        Assert.Empty(Monitor.Sent);
        Assert.Empty(_runner.Commands);
    }

    [Theory]
    [InlineData("s1")]
    [InlineData("before-upgrade_2.1")]
    [InlineData("1a")]
    public void Names_of_letters_digits_dots_dashes_and_underscores_are_taken(string name) =>
        Assert.True(QemuSnapshots.IsValidName(name));

    [Fact]
    public async Task A_name_the_vm_already_has_is_refused_before_any_job()
    {
        Running();
        Monitor.Snapshots.Add(("s1", 1000));

        var e = await Assert.ThrowsAsync<SnapshotException>(() => _snapshots.SaveAsync(Vm, "s1", SnapshotType.Standard, CancellationToken.None));

        Assert.Equal(HostErrorKind.AlreadyExists, e.Error.Kind);
        Assert.Empty(Monitor.Changes);
    }

    [Fact]
    public async Task Production_takes_a_standard_snapshot_and_says_so_and_production_only_is_refused()
    {
        Running();

        var production = await _snapshots.SaveAsync(Vm, "p", SnapshotType.Production, CancellationToken.None);
        var only = await Assert.ThrowsAsync<SnapshotException>(() => _snapshots.SaveAsync(Vm, "po", SnapshotType.ProductionOnly, CancellationToken.None));

        Assert.Equal("qcow2 internal (standard: QEMU has no production snapshots)", production.Type);
        Assert.True(production.WithMemory);
        Assert.Equal(HostErrorKind.Conflict, only.Error.Kind);
        Assert.Single(Monitor.Changes, c => c.StartsWith("snapshot-save", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Pause_stops_the_cpus_and_resume_continues_only_a_paused_vm()
    {
        Running();

        await _snapshots.ResumeAsync(Vm, CancellationToken.None);
        await _snapshots.PauseAsync(Vm, CancellationToken.None);
        var paused = Monitor.Status;
        await _snapshots.ResumeAsync(Vm, CancellationToken.None);

        Assert.Equal("paused", paused);
        Assert.Equal(["stop", "cont"], Monitor.Changes);
    }

    [Fact]
    public async Task A_vm_the_host_does_not_have_lists_no_snapshots_and_cannot_take_one()
    {
        var listed = await _snapshots.ListAsync("lab-gone", CancellationToken.None);
        var e = await Assert.ThrowsAsync<SnapshotException>(() => _snapshots.SaveAsync("lab-gone", "s1", SnapshotType.Standard, CancellationToken.None));

        Assert.Empty(listed);
        Assert.Equal(HostErrorKind.NotFound, e.Error.Kind);
    }

    [Fact]
    public async Task Snapshots_are_listed_oldest_first_with_time_memory_and_vmstate_size()
    {
        Running();
        Monitor.Snapshots.Add(("s1", 277225112));
        Monitor.Snapshots.Add(("halted", 0));

        var list = await _snapshots.ListAsync(Vm, CancellationToken.None);

        Assert.Equal(
            [
                new VmSnapshot("s1", DateTimeOffset.FromUnixTimeSeconds(1796449179).AddTicks(9584050), true, "qcow2 internal", 277225112),
                new VmSnapshot("halted", DateTimeOffset.FromUnixTimeSeconds(1796449180).AddTicks(9584050), false, "qcow2 internal", null),
            ],
            list.AsEnumerable());
    }

    [Fact]
    public async Task A_job_that_never_concludes_fails_after_the_job_timeout_on_the_providers_clock()
    {
        Running();
        Monitor.JobPolls = int.MaxValue;
        var clock = new SteppingClock(TimeSpan.FromMinutes(3));
        var provider = new QemuProvider(new QemuProviderOptions(_provider.Registry, _runner)
        {
            Processes = _processes,
            AcceleratorProbe = new FixedProbe(),
            PollInterval = TimeSpan.FromMilliseconds(1),
            Time = clock,
        });

        var e = await Assert.ThrowsAsync<SnapshotException>(() => provider.Capability<ISnapshots>()!.SaveAsync(Vm, "s1", SnapshotType.Standard, CancellationToken.None));

        Assert.Equal(HostErrorKind.Failed, e.Error.Kind);
        Assert.Equal($"snapshot 's1' of VM '{Vm}': QEMU's snapshot-save job is still 'running' after 600 s.", e.Message);
    }

    /// <summary>A clock that moves on by a step each time it is read.</summary>
    private sealed class SteppingClock(TimeSpan step) : TimeProvider
    {
        private DateTimeOffset _now = DateTimeOffset.UnixEpoch;

        public override DateTimeOffset GetUtcNow() => _now += step;
    }

    private sealed class FixedProbe : IAcceleratorProbe
    {
        public AcceleratorFacts Probe() => new(true, null, PvmLoaded: true, Override: null);
    }
}
