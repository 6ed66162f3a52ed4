using System.Text.Json;

namespace LabRunner.Cli.Tests;

/// <summary>Issue 7, points 1–6, as a user meets them: the lab stays this project's and no other folder's.</summary>
public sealed class OwnershipCliTests : IDisposable
{
    private const string Labfile = """
        name: webshop
        defaults: { box: ubuntu, memory: 1GB }
        networks:
          - { name: lan, type: nat }
          - { name: back, type: private, subnet: 192.168.71.0/24 }
        vms:
          - name: web-1
            networks: [lan, back]
          - name: db
            networks: [{ network: back, ip: 192.168.71.10 }]
        """;

    private readonly TempProject _root = new();
    private readonly string _original;
    private readonly Dictionary<string, string> _env;

    public OwnershipCliTests()
    {
        _original = NewProject("original");
        _env = new Dictionary<string, string>
        {
            ["LABRUNNER_PROVIDER"] = "simulated",
            ["LABRUNNER_SIM_HOST"] = Path.Combine(_root.Root, "host.json"),
        };
    }

    public void Dispose() => _root.Dispose();

    private string NewProject(string name)
    {
        _root.With(Path.Combine(name, "Labfile.yml"), Labfile).With(Path.Combine(name, "boxes", "ubuntu.vhdx"), new string('\0', 512));
        return Path.Combine(_root.Root, name);
    }

    private Task<CliResult> Lab(string folder, params string[] args) => Cli.Tests.Lab.RunAsync(folder, _env, args);

    private static JsonElement Json(CliResult r) => JsonDocument.Parse(r.Stdout).RootElement;

    private static IEnumerable<string> States(CliResult status) =>
        Json(status).GetProperty("vms").EnumerateArray().Select(v => v.GetProperty("state").GetString()!);

    private static void CopyFolder(string from, string to)
    {
        foreach (var dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(dir.Replace(from, to, StringComparison.Ordinal));
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, file.Replace(from, to, StringComparison.Ordinal), overwrite: true);
    }

    [Fact]
    public async Task Up_with_a_vm_name_in_another_case_works()
    {
        var up = await Lab(_original, "up", "WEB-1");

        Assert.True(up.ExitCode == 0, up.ToString());
        Assert.Equal(["running", "not_created"], States(await Lab(_original, "status", "--json")));
    }

    [Fact]
    public async Task After_rm_rf_lab_status_up_and_down_all_work()
    {
        Assert.Equal(0, (await Lab(_original, "up")).ExitCode);
        Directory.Delete(Path.Combine(_original, ".lab"), recursive: true);

        var status = await Lab(_original, "status", "--json");
        var up = await Lab(_original, "up");
        var down = await Lab(_original, "down");

        Assert.All(States(status), s => Assert.Equal("running", s));
        Assert.True(up.ExitCode == 0, up.ToString());
        Assert.True(down.ExitCode == 0, down.ToString());
        Assert.All(States(await Lab(_original, "status", "--json")), s => Assert.Equal("not_created", s));
    }

    [Fact]
    public async Task A_copied_folder_is_refused_with_exit_4_and_an_explanation_and_the_original_still_works()
    {
        Assert.Equal(0, (await Lab(_original, "up")).ExitCode);
        var copy = NewProject("copy");
        CopyFolder(Path.Combine(_original, ".lab"), Path.Combine(copy, ".lab"));
        var hostBefore = File.ReadAllText(_env["LABRUNNER_SIM_HOST"]);

        var up = await Lab(copy, "up");
        var down = await Lab(copy, "down");

        Assert.Equal(4, up.ExitCode);
        Assert.Equal(4, down.ExitCode);
        Assert.Contains("looks like a copy of", up.Stderr, StringComparison.Ordinal);
        Assert.Contains("rename the lab in this copy", up.Stderr, StringComparison.Ordinal);
        Assert.Equal(hostBefore, File.ReadAllText(_env["LABRUNNER_SIM_HOST"]));
        Assert.Contains("Nothing to do", (await Lab(_original, "up")).Stdout, StringComparison.Ordinal);
        Assert.Equal(0, (await Lab(_original, "down")).ExitCode);
    }

    [Fact]
    public async Task A_moved_folder_is_told_to_adopt_and_down_adopt_then_up_moves_the_lab()
    {
        Assert.Equal(0, (await Lab(_original, "up")).ExitCode);
        var moved = Path.Combine(_root.Root, "moved");
        Directory.Move(_original, moved);

        var up = await Lab(moved, "up");
        var down = await Lab(moved, "down", "--adopt");
        var again = await Lab(moved, "up");

        Assert.Equal(4, up.ExitCode);
        Assert.Contains("lab down --adopt", up.Stderr, StringComparison.Ordinal);
        Assert.True(down.ExitCode == 0, down.ToString());
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.All(States(await Lab(moved, "status", "--json")), s => Assert.Equal("running", s));
    }

    [Fact]
    public async Task Down_takes_vm_names_and_a_vm_no_longer_in_the_labfile()
    {
        Assert.Equal(0, (await Lab(_original, "up")).ExitCode);
        File.WriteAllText(Path.Combine(_original, "Labfile.yml"), Labfile.Replace("\n  - name: db\n    networks: [{ network: back, ip: 192.168.71.10 }]", "", StringComparison.Ordinal));

        var up = await Lab(_original, "up");
        var halt = await Lab(_original, "halt", "DB");
        var down = await Lab(_original, "down", "db");

        Assert.Contains("'lab down db' removes it", up.Stdout, StringComparison.Ordinal);
        Assert.True(halt.ExitCode == 0, halt.ToString());
        Assert.True(down.ExitCode == 0, down.ToString());
        Assert.DoesNotContain("webshop-db", File.ReadAllText(_env["LABRUNNER_SIM_HOST"]), StringComparison.Ordinal);
        Assert.Equal(["running"], States(await Lab(_original, "status", "--json")));
    }

    [Fact]
    public async Task Renaming_the_lab_is_explained_and_down_lab_old_name_removes_it()
    {
        Assert.Equal(0, (await Lab(_original, "up")).ExitCode);
        File.WriteAllText(Path.Combine(_original, "Labfile.yml"), Labfile.Replace("name: webshop", "name: shop", StringComparison.Ordinal));

        var up = await Lab(_original, "up");
        var downOld = await Lab(_original, "down", "--lab", "webshop");
        var upNew = await Lab(_original, "up");

        Assert.Equal(4, up.ExitCode);
        Assert.Contains("lab down --lab webshop", up.Stderr, StringComparison.Ordinal);
        Assert.True(downOld.ExitCode == 0, downOld.ToString());
        Assert.True(upNew.ExitCode == 0, upNew.ToString());
    }
}
