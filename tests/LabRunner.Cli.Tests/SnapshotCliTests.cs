using System.Text.Json;

namespace LabRunner.Cli.Tests;

/// <summary>'lab snapshot …' as a user runs it, against the simulated host's checkpoints.</summary>
public sealed class SnapshotCliTests : IDisposable
{
    private const string Labfile = """
        name: shop
        defaults: { box: ubuntu, memory: 1GB }
        networks:
          - { name: back, type: private, subnet: 192.168.71.0/24 }
        vms:
          - name: web
            networks: [back]
          - name: db
            networks: [{ network: back, ip: 192.168.71.10 }]
        """;

    private readonly TempProject _project = new TempProject().With("Labfile.yml", Labfile).With("boxes/ubuntu.vhdx", new string('\0', 512));
    private readonly Dictionary<string, string> _env;

    public SnapshotCliTests()
    {
        _env = new Dictionary<string, string>
        {
            ["LABRUNNER_PROVIDER"] = "simulated",
            ["LABRUNNER_SIM_HOST"] = Path.Combine(_project.Root, "host.json"),
        };
    }

    public void Dispose() => _project.Dispose();

    private Task<CliResult> Lab(params string[] args) => Cli.Tests.Lab.RunAsync(_project.Root, _env, args);

    private static JsonElement Json(CliResult r) => JsonDocument.Parse(r.Stdout).RootElement;

    private static List<string?> Names(JsonElement array, string key = "name") => [.. array.EnumerateArray().Select(e => e.GetProperty(key).GetString())];

    private string SnapshotsFolder => Path.Combine(_project.Root, ".lab", "snapshots");

    [Fact]
    public async Task Save_list_status_restore_and_delete_work_end_to_end_with_json()
    {
        Assert.Equal(0, (await Lab("up")).ExitCode);

        var save = await Lab("snapshot", "save", "s1", "--json");
        var list = await Lab("snapshot", "list", "--json");
        var status = await Lab("status", "--json");
        var restore = await Lab("snapshot", "restore", "s1", "--json");
        var delete = await Lab("snapshot", "delete", "s1", "--json");
        var after = await Lab("snapshot", "list", "--json");

        Assert.True(save.ExitCode == 0, save.ToString());
        var saved = Json(save);
        Assert.Equal("snapshot save", saved.GetProperty("command").GetString());
        Assert.Equal("done", saved.GetProperty("outcome").GetString());
        Assert.Equal("ok", Json(list).GetProperty("outcome").GetString());
        Assert.Equal("s1", saved.GetProperty("snapshot").GetString());
        Assert.Equal(["web", "db"], Names(saved.GetProperty("vms")));
        Assert.All(saved.GetProperty("vms").EnumerateArray(), v => Assert.True(v.GetProperty("with_memory").GetBoolean() && v.GetProperty("was_running").GetBoolean()));
        Assert.True(saved.GetProperty("pause_window_s").GetDouble() >= 0);
        var listed = Json(list).GetProperty("snapshots");
        Assert.Equal(["s1"], Names(listed));
        Assert.Equal(["web", "db"], Names(listed[0].GetProperty("vms")));
        Assert.All(Json(status).GetProperty("vms").EnumerateArray(), v => Assert.Equal(1, v.GetProperty("snapshots").GetInt32()));
        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Equal(["running", "running"], Json(restore).GetProperty("vms").EnumerateArray().Select(v => v.GetProperty("state").GetString()));
        Assert.True(Json(restore).GetProperty("state_restored").GetBoolean());
        Assert.Equal(0, delete.ExitCode);
        Assert.Empty(Json(after).GetProperty("snapshots").EnumerateArray());
    }

    [Fact]
    public async Task Save_shows_progress_per_VM_and_the_pause_window()
    {
        await Lab("up");

        var save = await Lab("snapshot", "save", "s1");

        Assert.Equal(0, save.ExitCode);
        Assert.Contains("    web: paused", save.Stdout, StringComparison.Ordinal);
        Assert.Contains("    db: saved (with memory", save.Stdout, StringComparison.Ordinal);
        Assert.Contains("    web: resumed", save.Stdout, StringComparison.Ordinal);
        Assert.Contains("the running VMs were paused for", save.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("push-1")]
    [InlineData("../etc")]
    [InlineData("a b")]
    public async Task Save_refuses_a_name_that_is_not_safe_or_is_the_stack_s_as_a_usage_error(string name)
    {
        await Lab("up");

        var save = await Lab("snapshot", "save", name);

        Assert.Equal(2, save.ExitCode);
        Assert.Contains($"'{name}'", save.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(SnapshotsFolder));
    }

    [Fact]
    public async Task Restore_refuses_with_exit_4_naming_a_VM_that_lacks_the_snapshot_and_restores_named_VMs()
    {
        await Lab("up");
        await Lab("snapshot", "save", "s1", "web");

        var refused = await Lab("snapshot", "restore", "s1");
        var named = await Lab("snapshot", "restore", "s1", "web");

        Assert.Equal(4, refused.ExitCode);
        Assert.Contains("has no 'db'", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains("lab snapshot restore s1 web", refused.Stderr, StringComparison.Ordinal);
        Assert.True(named.ExitCode == 0, named.ToString());
        Assert.Contains("Snapshot 's1' restored: web (running).", named.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Push_and_pop_work_as_a_stack_and_pop_on_an_empty_stack_is_a_usage_error()
    {
        await Lab("up");

        await Lab("snapshot", "push");
        await Lab("snapshot", "save", "named");
        await Lab("snapshot", "push");
        var stack = Json(await Lab("snapshot", "list", "--json")).GetProperty("stack");
        var pop1 = await Lab("snapshot", "pop", "--json");
        var pop2 = await Lab("snapshot", "pop");
        var pop3 = await Lab("snapshot", "pop");
        var left = Json(await Lab("snapshot", "list", "--json")).GetProperty("snapshots");

        Assert.Equal(["push-1", "push-2"], stack.EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("push-2", Json(pop1).GetProperty("snapshot").GetString());
        Assert.True(Json(pop1).GetProperty("deleted").GetBoolean());
        Assert.Contains("Snapshot 'push-1' restored", pop2.Stdout, StringComparison.Ordinal);
        Assert.Equal(2, pop3.ExitCode);
        Assert.Contains("stack is empty", pop3.Stderr, StringComparison.Ordinal);
        Assert.Equal(["named"], Names(left));
    }

    [Fact]
    public async Task Down_deletes_the_snapshots_first_says_so_and_leaves_no_snapshot_records()
    {
        await Lab("up");
        await Lab("snapshot", "save", "s1");
        Assert.True(Directory.Exists(SnapshotsFolder));

        var down = await Lab("down");

        Assert.Equal(0, down.ExitCode);
        Assert.Contains("Deleting the 1 snapshot of 'web' first: s1", down.Stdout, StringComparison.Ordinal);
        Assert.True(down.Stdout.IndexOf("snapshot of 'web'", StringComparison.Ordinal) < down.Stdout.IndexOf("remove VM", StringComparison.Ordinal), down.Stdout);
        Assert.False(Directory.Exists(SnapshotsFolder));
    }

    [Fact]
    public async Task Status_shows_a_snapshots_column_once_VMs_exist()
    {
        await Lab("up");
        await Lab("snapshot", "save", "s1", "web");

        var status = await Lab("status");

        Assert.Contains("Snapshots", status.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"│ web\s+│ running\s+│ \d+\s+│ \S+\s+│ 1\s+│", status.Stdout);
        Assert.Matches(@"│ db\s+│ running\s+│ \d+\s+│ \S+\s+│ 0\s+│", status.Stdout);
    }

    [Fact]
    public async Task Snapshot_commands_of_a_lab_that_was_never_up_say_there_is_nothing_to_snapshot()
    {
        var save = await Lab("snapshot", "save", "s1");
        var list = await Lab("snapshot", "list");

        Assert.Equal(2, save.ExitCode);
        Assert.Contains("no VM of this lab exists", save.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, list.ExitCode);
        Assert.Contains("no snapshots", list.Stdout, StringComparison.Ordinal);
    }
}
