using System.Text.Json;
using LabRunner.Tests.Shared;

namespace LabRunner.Cli.Tests;

/// <summary>
/// A damaged project folder (issue 13.10): whatever is wrong with <c>.lab/</c>, no command ends in an internal
/// error (exit 70) or hangs, and <c>lab down</c> removes the lab by the host's ownership marks (the state is a hint).
/// Every command meets the damage afresh.
/// </summary>
public sealed class DamagedProjectTests : IDisposable
{
    private const string Labfile = """
        name: shop
        defaults: { box: ubuntu, memory: 1GB }
        networks:
          - { name: lan, type: nat }
        vms:
          - name: web
            networks: [lan]
            forwarded_ports:
              - { guest: 80, host: 8080 }
          - name: db
            networks: [lan]
        """;

    private readonly TempProject _project = new TempProject().With("Labfile.yml", Labfile).With("boxes/ubuntu.vhdx", new string('\0', 512));
    private readonly Dictionary<string, string> _env;

    public DamagedProjectTests()
    {
        _env = new Dictionary<string, string>
        {
            ["LABRUNNER_PROVIDER"] = "simulated",
            ["LABRUNNER_SIM_HOST"] = HostFile,
        };
    }

    public void Dispose() => _project.Dispose();

    private string HostFile => Path.Combine(_project.Root, "host.json");

    private string Lab_ => Path.Combine(_project.Root, ".lab");

    private string State => Path.Combine(Lab_, "state.json");

    private async Task<CliResult> Lab(params string[] args)
    {
        // On a worker thread, bounded: a FIFO's open blocks before the command's first await.
        var run = Task.Run(() => Cli.Tests.Lab.RunAsync(_project.Root, _env, args));
        Assert.True(await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(60))) == run, $"'lab {string.Join(' ', args)}' hung");
        return await run;
    }

    public static TheoryData<string> Damages()
    {
        var damages = new TheoryData<string>
        {
            "pending_vms null", "ready_vms null", "boxes null", "duplicate key ending in null",
            "state.json a folder", "state.json a dangling link", ".lab a file", ".lab/vms a file", ".lab/known_hosts a folder",
        };
        if (!OperatingSystem.IsWindows())
        {
            damages.Add("state.json a fifo");
            damages.Add("state.json a link to /dev/zero");
        }
        return damages;
    }

    [Theory]
    [MemberData(nameof(Damages))]
    public async Task No_command_fails_internally_or_hangs_and_down_removes_the_lab(string damage)
    {
        var up = await Lab("up");
        Assert.True(up.ExitCode == 0, up.ToString());
        Assert.NotEmpty(LabVms());

        foreach (var command in new[] { "status", "up", "halt", "port", "ssh-config", "down" })
        {
            await Damage(damage);

            var result = await Lab(command);

            Assert.True(result.ExitCode != 70, $"{command} with {damage}: {result}");
            Assert.DoesNotContain("internal error", result.Stderr, StringComparison.Ordinal);
            if (result.ExitCode != 0) Assert.Contains("lab: ", result.Stderr, StringComparison.Ordinal);
            if (command == "down") Assert.True(result.ExitCode == 0, $"down with {damage}: {result}");
        }
        Assert.Empty(LabVms());
    }

    [Fact]
    public async Task A_damaged_state_is_refused_by_name_moved_aside_and_the_next_command_works()
    {
        Assert.Equal(0, (await Lab("up")).ExitCode);
        await Damage("pending_vms null");

        var refused = await Lab("status");
        var again = await Lab("status");

        Assert.True(refused.ExitCode == 3, refused.ToString());
        Assert.Contains(State, refused.Stderr, StringComparison.Ordinal);
        Assert.Contains("damaged", refused.Stderr, StringComparison.Ordinal);
        Assert.Single(Directory.EnumerateFiles(Lab_, "state.json.damaged-*"));
        Assert.True(again.ExitCode == 0, again.ToString());
    }

    [Theory]
    [InlineData("""{ "vms": null }""")]
    [InlineData("""{ "switches": [null] }""")]
    [InlineData("""{ "vms": [ { "name": "x", "networkAdapters": null } ] }""")]
    public async Task A_simulated_host_file_with_null_lists_is_refused_with_exit_3(string text)
    {
        File.WriteAllText(HostFile, text);

        foreach (var command in new[] { "status", "up", "down" })
        {
            var result = await Lab(command);

            Assert.True(result.ExitCode == 3, $"{command}: {result}");
            Assert.Contains(HostFile, result.Stderr, StringComparison.Ordinal);
            Assert.Contains("not a valid simulated host", result.Stderr, StringComparison.Ordinal);
        }
    }

    /// <summary>The lab's VMs on the simulated host.</summary>
    private List<string> LabVms() =>
        [.. JsonDocument.Parse(File.ReadAllText(HostFile)).RootElement.GetProperty("vms").EnumerateArray()
            .Select(v => v.GetProperty("name").GetString()!).Where(n => n.Contains("shop", StringComparison.OrdinalIgnoreCase))];

    /// <summary>Puts the damage in place, replacing whatever a command left there (a fresh state.json, a remade .lab).</summary>
    private async Task Damage(string damage)
    {
        if (damage == ".lab a file")
        {
            if (Directory.Exists(Lab_)) Directory.Delete(Lab_, recursive: true);
            File.WriteAllText(Lab_, "not a folder");
            return;
        }
        if (File.Exists(Lab_)) File.Delete(Lab_);
        Directory.CreateDirectory(Lab_);
        switch (damage)
        {
            case ".lab/vms a file":
                Replace(Path.Combine(Lab_, "vms"));
                File.WriteAllText(Path.Combine(Lab_, "vms"), "not a folder");
                return;
            case ".lab/known_hosts a folder":
                Replace(Path.Combine(Lab_, "known_hosts"));
                Directory.CreateDirectory(Path.Combine(Lab_, "known_hosts"));
                return;
        }
        Replace(State);
        switch (damage)
        {
            case "pending_vms null": File.WriteAllText(State, """{ "pending_vms": null }"""); break;
            case "ready_vms null": File.WriteAllText(State, """{ "ready_vms": null }"""); break;
            case "boxes null": File.WriteAllText(State, """{ "boxes": null }"""); break;
            case "duplicate key ending in null": File.WriteAllText(State, """{ "pending_vms": ["web"], "pending_vms": null }"""); break;
            case "state.json a folder": Directory.CreateDirectory(State); break;
            case "state.json a dangling link": File.CreateSymbolicLink(State, Path.Combine(_project.Root, "nowhere")); break;
            case "state.json a fifo": await HostTools.RunAsync("mkfifo", State); break;
            case "state.json a link to /dev/zero": File.CreateSymbolicLink(State, "/dev/zero"); break;
            default: throw new ArgumentException(damage, nameof(damage));
        }
    }

    private static void Replace(string path)
    {
        if (Directory.Exists(path) && new DirectoryInfo(path).LinkTarget is null) Directory.Delete(path, recursive: true);
        else if (File.Exists(path) || new FileInfo(path).LinkTarget is not null) File.Delete(path);
    }
}
