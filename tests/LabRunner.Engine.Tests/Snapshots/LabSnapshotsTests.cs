using LabRunner.Core.Errors;
using LabRunner.Core.Hosting;
using LabRunner.Core.Reconciliation;
using LabRunner.Engine.Lifecycle;
using LabRunner.Engine.Snapshots;
using LabRunner.Simulation;
using Microsoft.Extensions.Time.Testing;

namespace LabRunner.Engine.Tests.Snapshots;

/// <summary>Lab-wide snapshots through the Engine, over a simulated host whose snapshot calls are recorded (and fail when told).</summary>
public sealed class LabSnapshotsTests : IDisposable
{
    private readonly TestLab _lab = new(TestLab.Three());
    private readonly List<string> _log = [];
    private readonly ListReporter _reporter = new();
    private readonly SimulatedHost _host;
    private readonly RecordingSnapshots _snapshots;

    public LabSnapshotsTests()
    {
        _host = _lab.Host();
        _snapshots = new RecordingSnapshots(_host, _log);
    }

    public void Dispose() => _lab.Dispose();

    private SnapshotProvider Provider(bool bootsGuests = false) => new(new SimulatedProvider(_host), _snapshots, bootsGuests);

    private LabEngine Engine(bool bootsGuests = false) => _lab.Engine(Provider(bootsGuests), _reporter);

    private LabSnapshots Snapshots(bool bootsGuests = false) => new(Engine(bootsGuests), TimeProvider.System);

    private string StateDirectory => _lab.Project().StateDirectory;

    private async Task UpAsync()
    {
        var up = await Engine().RunAsync(ReconcileMode.Up, [], EngineOptions.Default, CancellationToken.None);
        Assert.Equal(EngineOutcome.Done, up.Outcome);
        _log.Clear();
    }

    private VmState StateOf(string vm) => _host.GetInventory([]).Vm("demo-" + vm)!.State;

    private IEnumerable<string> SnapshotNamesOf(string vm) => _host.Read(m => m.FindVm("demo-" + vm)!.Checkpoints.Select(c => c.Name).ToList());

    private int Index(string call) => _log.IndexOf(call) is var i and >= 0 ? i : throw new Xunit.Sdk.XunitException($"'{call}' was not called: {string.Join(" | ", _log)}");

    [Fact]
    public async Task Save_pauses_every_running_VM_before_saving_any_and_resumes_them_all_after_the_last_save()
    {
        await UpAsync();

        var saved = (await Snapshots().SaveAsync("s1", [], CancellationToken.None)).Result!;

        string[] vms = ["demo-web", "demo-app", "demo-db"];
        var lastPause = vms.Max(v => Index($"pause {v}"));
        var firstSave = vms.Min(v => Index($"save {v} s1"));
        var lastSave = vms.Max(v => Index($"save {v} s1"));
        var firstResume = vms.Min(v => Index($"resume {v}"));
        Assert.True(lastPause < firstSave, string.Join(" | ", _log));
        Assert.True(lastSave < firstResume, string.Join(" | ", _log));
        Assert.All(["web", "app", "db"], vm => Assert.Equal(VmState.Running, StateOf(vm)));
        Assert.NotNull(saved.PauseWindow);
        Assert.Equal(["web", "app", "db"], saved.Snapshot.Vms.Select(v => v.Name));
        Assert.All(saved.Snapshot.Vms, v => Assert.True(v.WasRunning && v.WithMemory));
        Assert.Equal("s1", new SnapshotStore(StateDirectory).Read("s1")?.Name);
    }

    [Fact]
    public async Task A_VM_with_production_snapshots_is_not_paused_and_the_others_still_are()
    {
        _lab.WriteLabfile(TestLab.Three().Replace("  - name: db\n", "  - name: db\n    snapshot_type: production\n", StringComparison.Ordinal));
        await UpAsync();

        var saved = (await Snapshots().SaveAsync("s1", [], CancellationToken.None)).Result!;

        Assert.DoesNotContain("pause demo-db", _log);
        Assert.Contains("pause demo-web", _log);
        Assert.Contains("save demo-db s1", _log);
        Assert.Equal("production", saved.Snapshot.Vm("db")!.Requested);
        Assert.False(saved.Snapshot.Vm("db")!.WithMemory);
        Assert.True(saved.Snapshot.Vm("db")!.WasRunning);
        Assert.Equal(VmState.Running, StateOf("db"));
    }

    [Fact]
    public async Task A_stopped_VM_is_saved_as_it_is_without_a_pause_and_without_memory()
    {
        await UpAsync();
        await Engine().RunAsync(ReconcileMode.Halt, ["db"], EngineOptions.Default, CancellationToken.None);
        _log.Clear();

        var saved = (await Snapshots().SaveAsync("s1", [], CancellationToken.None)).Result!;

        Assert.DoesNotContain("pause demo-db", _log);
        Assert.Contains("save demo-db s1", _log);
        var db = saved.Snapshot.Vm("db")!;
        Assert.False(db.WasRunning);
        Assert.False(db.WithMemory);
        Assert.Equal(VmState.Off, StateOf("db"));
    }

    [Fact]
    public async Task A_save_that_fails_on_one_VM_resumes_every_VM_and_deletes_what_it_made_on_the_others()
    {
        await UpAsync();
        _snapshots.Fail = "save demo-app s1";

        var error = await Assert.ThrowsAsync<LabSnapshotException>(() => Snapshots().SaveAsync("s1", [], CancellationToken.None));

        Assert.Contains("'s1' was not taken", error.Message, StringComparison.Ordinal);
        Assert.Contains("app:", error.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorCategory.HostFailure, error.Category);
        Assert.All(["demo-web", "demo-app", "demo-db"], vm => Assert.Contains($"resume {vm}", _log));
        Assert.All(["web", "app", "db"], vm => Assert.Equal(VmState.Running, StateOf(vm)));
        Assert.All(["web", "app", "db"], vm => Assert.Empty(SnapshotNamesOf(vm)));
        Assert.True(Index("delete demo-web s1") > Index("resume demo-web"));
        Assert.Null(new SnapshotStore(StateDirectory).Read("s1"));
        Assert.False(Directory.Exists(new SnapshotStore(StateDirectory).FolderOf("s1")));
    }

    [Fact]
    public async Task Ctrl_C_during_a_save_resumes_every_paused_VM_and_keeps_nothing_of_the_snapshot()
    {
        await UpAsync();
        _snapshots.Hold = "save demo-db s1";
        using var cts = new CancellationTokenSource();

        var save = Snapshots().SaveAsync("s1", [], cts.Token);
        await _snapshots.Holding.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => save);
        Assert.All(["web", "app", "db"], vm => Assert.Equal(VmState.Running, StateOf(vm)));
        Assert.All(["web", "app", "db"], vm => Assert.Empty(SnapshotNamesOf(vm)));
        Assert.Null(new SnapshotStore(StateDirectory).Read("s1"));
    }

    [Fact]
    public async Task A_pause_that_fails_saves_nothing_and_resumes_the_VMs_already_paused()
    {
        await UpAsync();
        _snapshots.Fail = "pause demo-db";

        await Assert.ThrowsAsync<LabSnapshotException>(() => Snapshots().SaveAsync("s1", [], CancellationToken.None));

        Assert.DoesNotContain(_log, c => c.StartsWith("save ", StringComparison.Ordinal));
        Assert.All(["web", "app", "db"], vm => Assert.Equal(VmState.Running, StateOf(vm)));
    }

    [Theory]
    [InlineData("push-1")]
    [InlineData("PUSH-7")]
    public async Task Save_refuses_the_names_of_the_push_stack(string name)
    {
        await UpAsync();

        var error = await Assert.ThrowsAsync<LabSnapshotException>(() => Snapshots().SaveAsync(name, [], CancellationToken.None));

        Assert.Equal(ErrorCategory.Usage, error.Category);
        Assert.Contains("push stack", error.Message, StringComparison.Ordinal);
        Assert.Empty(_log);
    }

    [Fact]
    public async Task Save_refuses_a_name_the_lab_has_already()
    {
        await UpAsync();
        await Snapshots().SaveAsync("s1", [], CancellationToken.None);
        _log.Clear();

        var error = await Assert.ThrowsAsync<LabSnapshotException>(() => Snapshots().SaveAsync("s1", [], CancellationToken.None));

        Assert.Equal(ErrorCategory.Conflict, error.Category);
        Assert.Empty(_log);
    }

    [Fact]
    public async Task Without_the_capability_every_snapshot_command_is_a_usage_error_naming_the_provider()
    {
        await UpAsync();
        var plain = new LabSnapshots(_lab.Engine(new SimulatedProviderWithout(new SimulatedProvider(_host))), TimeProvider.System);

        var error = await Assert.ThrowsAsync<LabSnapshotException>(() => plain.SaveAsync("s1", [], CancellationToken.None));

        Assert.Equal(ErrorCategory.Usage, error.Category);
        Assert.StartsWith($"simulated host at {_lab.HostFile} keeps no snapshots", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Restore_refuses_before_any_change_when_a_VM_of_the_lab_lacks_the_snapshot_and_restores_the_named_ones()
    {
        await UpAsync();
        await Snapshots().SaveAsync("s1", ["web", "app"], CancellationToken.None);
        _log.Clear();

        var error = await Assert.ThrowsAsync<LabSnapshotException>(() => Snapshots().RestoreAsync("s1", [], null, CancellationToken.None));

        Assert.Equal(ErrorCategory.Conflict, error.Category);
        Assert.Contains("has no 'db'", error.Message, StringComparison.Ordinal);
        Assert.Contains("lab snapshot restore s1 web app", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_log, c => c.StartsWith("restore ", StringComparison.Ordinal));

        var named = (await Snapshots().RestoreAsync("s1", ["web", "app"], null, CancellationToken.None)).Result!;

        Assert.Equal(["web", "app"], named.Vms.Select(v => v.Vm));
        Assert.Contains("restore demo-web s1", _log);
        Assert.DoesNotContain("restore demo-db s1", _log);

        var lacking = await Assert.ThrowsAsync<LabSnapshotException>(() => Snapshots().RestoreAsync("s1", ["db"], null, CancellationToken.None));
        Assert.Contains("has no 'db'", lacking.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Restore_of_a_name_the_lab_does_not_have_is_a_usage_error()
    {
        await UpAsync();

        var error = await Assert.ThrowsAsync<LabSnapshotException>(() => Snapshots().RestoreAsync("nope", [], null, CancellationToken.None));

        Assert.Equal(ErrorCategory.Usage, error.Category);
        Assert.Contains("no snapshot 'nope'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_provisioning_records_go_back_with_a_restore_so_what_ran_after_the_snapshot_runs_again_and_nothing_twice()
    {
        await UpAsync();
        ProjectState.Update(StateDirectory, s =>
        {
            s.Provisioned["web"] = new() { ["web.provision[0]"] = "h0" };
            s.BootedSeeds["web"] = "/seed-before.iso";
            return true;
        });
        await Snapshots().SaveAsync("s1", [], CancellationToken.None);
        // After the snapshot: a second provisioner ran on web, the first one ran on db.
        ProjectState.Update(StateDirectory, s =>
        {
            s.Provisioned["web"]["web.provision[1]"] = "h1";
            s.Provisioned["db"] = new() { ["db.provision[0]"] = "d0" };
            s.BootedSeeds["web"] = "/seed-after.iso";
            return true;
        });
        ProjectState.SetReady(StateDirectory, ["web", "app", "db"], ready: true);

        var restored = (await Snapshots().RestoreAsync("s1", [], null, CancellationToken.None)).Result!;

        var state = ProjectState.LoadOrCreate(StateDirectory);
        Assert.True(restored.StateRestored);
        Assert.Equal(["web.provision[0]"], state.Provisioned["web"].Keys);
        Assert.False(state.Provisioned.ContainsKey("db"));
        Assert.Equal("/seed-before.iso", state.BootedSeeds["web"]);
        // Restored VMs are waited for again before anyone counts on them.
        Assert.Empty(state.ReadyVms);
        var copy = File.ReadAllText(Path.Combine(new SnapshotStore(StateDirectory).FolderOf("s1"), SnapshotStore.StateFileName));
        Assert.Contains("web.provision[0]", copy, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_restore_of_only_some_VMs_leaves_the_others_state_records_alone()
    {
        await UpAsync();
        await Snapshots().SaveAsync("s1", [], CancellationToken.None);
        ProjectState.Update(StateDirectory, s =>
        {
            s.Provisioned["web"] = new() { ["web.provision[0]"] = "h0" };
            s.Provisioned["db"] = new() { ["db.provision[0]"] = "d0" };
            return true;
        });

        await Snapshots().RestoreAsync("s1", ["web"], null, CancellationToken.None);

        var state = ProjectState.LoadOrCreate(StateDirectory);
        Assert.False(state.Provisioned.ContainsKey("web"));
        Assert.Equal(["db.provision[0]"], state.Provisioned["db"].Keys);
    }

    [Fact]
    public async Task A_VM_that_ran_when_the_snapshot_was_taken_is_started_when_the_restore_leaves_it_off_and_a_stopped_one_stays_off()
    {
        await UpAsync();
        await Engine().RunAsync(ReconcileMode.Halt, ["db"], EngineOptions.Default, CancellationToken.None);
        await Snapshots().SaveAsync("s1", [], CancellationToken.None);
        await Engine().RunAsync(ReconcileMode.Up, [], EngineOptions.Default, CancellationToken.None);
        _snapshots.RestoreLeavesOff = true;
        _log.Clear();

        var restored = (await Snapshots().RestoreAsync("s1", [], null, CancellationToken.None)).Result!;

        Assert.Contains("apply start VM 'demo-web'", _log);
        Assert.Contains("apply start VM 'demo-app'", _log);
        Assert.DoesNotContain("apply start VM 'demo-db'", _log);
        Assert.Equal(VmState.Running, StateOf("web"));
        Assert.Equal(VmState.Off, StateOf("db"));
        Assert.True(restored.Vms.Single(v => v.Vm == "web") is { Running: true, Started: true });
        Assert.True(restored.Vms.Single(v => v.Vm == "db") is { Running: false, Started: false });
    }

    [Fact]
    public async Task After_a_restore_the_running_VMs_are_waited_for_as_up_waits_without_provisioning()
    {
        await UpAsync();
        await Engine().RunAsync(ReconcileMode.Halt, ["db"], EngineOptions.Default, CancellationToken.None);
        await Snapshots(bootsGuests: true).SaveAsync("s1", [], CancellationToken.None);
        var view = new WaitingView();
        var access = new GuestAccess(new Guests.FakeConnector(new FakeTimeProvider()), TimeProvider.System, () => throw new InvalidOperationException("no Windows guest"));

        var restored = (await Snapshots(bootsGuests: true).RestoreAsync("s1", [], new SnapshotGuests(access, view), CancellationToken.None)).Result!;

        Assert.Equal(["web", "app"], view.WaitedFor);
        Assert.Equal(["web", "app"], restored.Guests.Outcomes.Select(o => o.Vm));
        Assert.Equal(["app", "web"], ProjectState.LoadOrCreate(StateDirectory).ReadyVms.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Push_and_pop_keep_a_real_stack_that_named_snapshots_do_not_disturb()
    {
        await UpAsync();
        var snapshots = Snapshots();

        var first = (await snapshots.PushAsync(CancellationToken.None)).Result!;
        await snapshots.SaveAsync("named", [], CancellationToken.None);
        var second = (await snapshots.PushAsync(CancellationToken.None)).Result!;
        var store = new SnapshotStore(StateDirectory);

        Assert.Equal("push-1", first.Snapshot.Name);
        Assert.Equal("push-2", second.Snapshot.Name);
        Assert.Equal(["push-1", "push-2"], store.Stack());
        Assert.Contains("\"push-2\"", File.ReadAllText(Path.Combine(store.Folder, SnapshotStore.StackFileName)), StringComparison.Ordinal);

        _log.Clear();
        var popped = (await snapshots.PopAsync(null, CancellationToken.None)).Result!;

        Assert.Equal("push-2", popped.Name);
        Assert.True(popped.Deleted);
        Assert.True(Index("restore demo-web push-2") < Index("delete demo-web push-2"));
        Assert.Equal(["push-1"], store.Stack());
        Assert.Equal(["push-1", "named"], SnapshotNamesOf("web"));
        Assert.Null(store.Read("push-2"));

        // Deleting a pushed snapshot by name takes it off the stack; the next push never reuses a name that exists.
        await snapshots.DeleteAsync("push-1", CancellationToken.None);
        Assert.Empty(store.Stack());
        var error = await Assert.ThrowsAsync<LabSnapshotException>(() => snapshots.PopAsync(null, CancellationToken.None));
        Assert.Contains("stack is empty", error.Message, StringComparison.Ordinal);
        Assert.Equal(["named"], SnapshotNamesOf("web"));
    }

    [Fact]
    public async Task Delete_removes_the_snapshot_from_every_VM_and_its_record()
    {
        await UpAsync();
        await Snapshots().SaveAsync("s1", [], CancellationToken.None);

        var deleted = (await Snapshots().DeleteAsync("s1", CancellationToken.None)).Result!;

        Assert.Equal(["app", "db", "web"], deleted.Vms.Order(StringComparer.Ordinal));
        Assert.All(["web", "app", "db"], vm => Assert.Empty(SnapshotNamesOf(vm)));
        Assert.False(Directory.Exists(new SnapshotStore(StateDirectory).FolderOf("s1")));
    }

    [Fact]
    public async Task List_shows_recorded_snapshots_and_names_the_host_has_without_a_record()
    {
        await UpAsync();
        await Snapshots().SaveAsync("s1", [], CancellationToken.None);
        await _snapshots.SaveAsync("demo-web", "by-hand", SnapshotType.Standard, CancellationToken.None);

        var list = (await Snapshots().ListAsync(CancellationToken.None)).Result!;

        Assert.Equal(["s1", "by-hand"], list.Snapshots.Select(s => s.Name));
        Assert.True(list.Snapshots[0].Recorded);
        Assert.All(list.Snapshots[0].Vms, v => Assert.True(v.OnHost && v.WithMemory));
        Assert.False(list.Snapshots[1].Recorded);
        Assert.Equal(["web"], list.Snapshots[1].Vms.Select(v => v.Vm));
    }

    [Fact]
    public async Task Down_deletes_every_snapshot_of_the_lab_VMs_before_it_removes_them_and_says_so()
    {
        await UpAsync();
        await Snapshots().PushAsync(CancellationToken.None);
        await Snapshots().SaveAsync("s1", [], CancellationToken.None);
        _log.Clear();

        var down = await Engine().RunAsync(ReconcileMode.Down, [], EngineOptions.Default, CancellationToken.None);

        Assert.Equal(EngineOutcome.Done, down.Outcome);
        var lastDelete = _log.FindLastIndex(c => c.StartsWith("delete ", StringComparison.Ordinal));
        var firstRemoval = _log.FindIndex(c => c.StartsWith("apply ", StringComparison.Ordinal));
        Assert.Equal(6, _log.Count(c => c.StartsWith("delete ", StringComparison.Ordinal)));
        Assert.True(lastDelete < firstRemoval, string.Join(" | ", _log));
        Assert.Contains(_reporter.Lines, l => l.StartsWith("Deleting the 2 snapshots of 'web' first", StringComparison.Ordinal));
        Assert.False(Directory.Exists(new SnapshotStore(StateDirectory).Folder));
        Assert.Empty(_host.GetInventory([]).Vms);
    }

    [Fact]
    public async Task Down_of_some_VMs_deletes_their_snapshots_and_their_part_of_each_record()
    {
        await UpAsync();
        await Snapshots().SaveAsync("s1", [], CancellationToken.None);
        await Snapshots().SaveAsync("only-db", ["db"], CancellationToken.None);
        _log.Clear();

        await Engine().RunAsync(ReconcileMode.Down, ["db"], EngineOptions.Default, CancellationToken.None);

        var store = new SnapshotStore(StateDirectory);
        Assert.Equal(["web", "app"], store.Read("s1")!.Vms.Select(v => v.Name));
        Assert.Null(store.Read("only-db"));
        Assert.Equal(["s1"], SnapshotNamesOf("web"));
    }

    [Fact]
    public async Task Status_counts_each_VM_snapshots()
    {
        await UpAsync();
        await Snapshots().SaveAsync("s1", [], CancellationToken.None);
        await Snapshots().SaveAsync("s2", ["web"], CancellationToken.None);

        var status = await Engine().StatusAsync(CancellationToken.None);

        Assert.Equal([2, 1, 1], status.Vms.Select(v => v.Snapshots));
    }

    [Fact]
    public async Task The_snapshot_files_are_owner_only()
    {
        // Unix modes; on Windows the files inherit .lab's protected ACL.
        if (OperatingSystem.IsWindows()) return;
        await UpAsync();
        await Snapshots().PushAsync(CancellationToken.None);

        var store = new SnapshotStore(StateDirectory);
        foreach (var folder in new[] { store.Folder, store.FolderOf("push-1") })
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
        foreach (var file in Directory.EnumerateFiles(store.Folder, "*", SearchOption.AllDirectories))
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
    }

    [Fact]
    public async Task A_seed_a_snapshot_VM_held_is_not_removed_as_stale_while_the_snapshot_exists()
    {
        await UpAsync();
        await Snapshots().SaveAsync("s1", [], CancellationToken.None);
        var seed = new SnapshotStore(StateDirectory).Read("s1")!.Vm("web")!.Seed;
        Assert.NotNull(seed);
        // The network changes: web gets a new seed, and its old one would be stale.
        _lab.WriteLabfile(TestLab.Three(back: "192.168.61.0/24", dbIp: "192.168.61.10"));
        await Engine().RunAsync(ReconcileMode.Reload, [], EngineOptions.Default, CancellationToken.None);

        Assert.NotEqual(seed, _host.GetInventory([]).Vm("demo-web")!.DvdDrives.First(d => !d.IsEmpty).Path);
        Assert.True(File.Exists(seed) || _host.Read(m => m.FileExists(seed)), "the seed web held at the snapshot was removed");
    }

    /// <summary>The simulated host as a provider that keeps no snapshots.</summary>
    private sealed class SimulatedProviderWithout(SimulatedProvider inner) : IHostProvider
    {
        public string Description => inner.Description;
        public HostRules Rules => inner.Rules;
        public IHostFiles Files => inner.Files;
        public TCapability? Capability<TCapability>() where TCapability : class => null;
        public Task<HostInventory> GetInventoryAsync(System.Collections.Immutable.ImmutableArray<string> filesOfInterest, CancellationToken cancellationToken) => inner.GetInventoryAsync(filesOfInterest, cancellationToken);
        public Task<ApplyResult> ApplyAsync(OperationBatch batch, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) => inner.ApplyAsync(batch, progress, cancellationToken);
    }
}
