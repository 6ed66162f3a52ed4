using System.Text.Json;

namespace LabRunner.Cli.Tests;

/// <summary>'lab global-status': the labs 'up' recorded in this user's registry, with their VMs' states; 'down' forgets, '--prune' forgets gone ones.</summary>
public sealed class GlobalStatusCliTests : IDisposable
{
    private const string Labfile = """
        name: shop
        defaults: { box: ubuntu, memory: 1GB }
        networks:
          - { name: lan, type: nat }
        vms:
          - name: web
            networks: [lan]
          - name: db
            networks: [lan]
        """;

    private readonly TempProject _root = new();

    public void Dispose() => _root.Dispose();

    private string StateHome => Path.Combine(_root.Root, "state");

    private string RegistryFile => Path.Combine(StateHome, "labrunner", "labs.json");

    private string HostFile => Path.Combine(_root.Root, "host.json");

    private string Project(string name)
    {
        var folder = Path.Combine(_root.Root, name);
        Directory.CreateDirectory(Path.Combine(folder, "boxes"));
        File.WriteAllText(Path.Combine(folder, "Labfile.yml"), Labfile.Replace("shop", name, StringComparison.Ordinal));
        File.WriteAllBytes(Path.Combine(folder, "boxes", "ubuntu.vhdx"), new byte[512]);
        return folder;
    }

    private Task<CliResult> Lab(string folder, params string[] args) => Cli.Tests.Lab.RunAsync(folder, new Dictionary<string, string>
    {
        ["LABRUNNER_PROVIDER"] = "simulated",
        ["LABRUNNER_SIM_HOST"] = HostFile,
        ["XDG_STATE_HOME"] = StateHome,
        ["LOCALAPPDATA"] = StateHome,
    }, args);

    private async Task<JsonElement> GlobalStatus(params string[] extra)
    {
        var result = await Lab(_root.Root, ["global-status", "--json", .. extra]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return JsonDocument.Parse(result.Stdout).RootElement;
    }

    private static List<JsonElement> Labs(JsonElement json) => [.. json.GetProperty("labs").EnumerateArray()];

    [Fact]
    public async Task Up_records_the_lab_and_global_status_shows_its_VMs_and_states_from_any_folder()
    {
        var shop = Project("shop");
        var blog = Project("blog");
        Assert.Equal(0, (await Lab(shop, "up")).ExitCode);
        Assert.Equal(0, (await Lab(blog, "up", "web")).ExitCode);

        var labs = Labs(await GlobalStatus());
        var table = await Lab(_root.Root, "global-status");

        Assert.Equal(["blog", "shop"], labs.Select(l => l.GetProperty("lab").GetString()));
        var shopLab = labs.Single(l => l.GetProperty("lab").GetString() == "shop");
        Assert.Equal(shop, shopLab.GetProperty("project").GetString());
        Assert.Equal("simulated", shopLab.GetProperty("provider").GetString());
        Assert.Equal("present", shopLab.GetProperty("project_state").GetString());
        Assert.Equal([("web", "running"), ("db", "running")],
            shopLab.GetProperty("vms").EnumerateArray().Select(v => (v.GetProperty("name").GetString(), v.GetProperty("state").GetString())));
        var blogLab = labs.Single(l => l.GetProperty("lab").GetString() == "blog");
        Assert.Equal([("web", "running"), ("db", "not_created")],
            blogLab.GetProperty("vms").EnumerateArray().Select(v => (v.GetProperty("name").GetString(), v.GetProperty("state").GetString())));
        Assert.Contains(shop, table.Stdout, StringComparison.Ordinal);
        Assert.Contains("web running", table.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Up_twice_keeps_one_entry_and_a_whole_lab_down_forgets_it_but_down_of_one_VM_does_not()
    {
        var shop = Project("shop");
        await Lab(shop, "up");
        await Lab(shop, "up");
        Assert.Single(Labs(await GlobalStatus()));

        await Lab(shop, "down", "db");
        Assert.Single(Labs(await GlobalStatus()));

        Assert.Equal(0, (await Lab(shop, "down")).ExitCode);
        Assert.Empty(Labs(await GlobalStatus()));
        Assert.Contains("No labs recorded", (await Lab(_root.Root, "global-status")).Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task What_if_records_nothing()
    {
        var shop = Project("shop");

        await Lab(shop, "up", "--what-if");

        Assert.False(File.Exists(RegistryFile));
    }

    [Fact]
    public async Task A_lab_whose_folder_is_gone_is_shown_as_such_and_prune_forgets_it_without_removing_a_VM()
    {
        var shop = Project("shop");
        var blog = Project("blog");
        await Lab(shop, "up");
        await Lab(blog, "up");
        var hostBefore = File.ReadAllText(HostFile);
        Directory.Delete(shop, recursive: true);

        var shown = Labs(await GlobalStatus());
        var pruned = await GlobalStatus("--prune");
        var after = Labs(await GlobalStatus());

        var gone = shown.Single(l => l.GetProperty("lab").GetString() == "shop");
        Assert.Equal("gone", gone.GetProperty("project_state").GetString());
        Assert.Equal("its project folder is gone", gone.GetProperty("reason").GetString());
        Assert.Equal(["shop"], pruned.GetProperty("forgotten").EnumerateArray().Select(l => l.GetProperty("lab").GetString()));
        Assert.Equal(["blog"], after.Select(l => l.GetProperty("lab").GetString()));
        // The simulated host still has every VM, the gone lab's too: prune forgets, it never removes.
        Assert.Equal(hostBefore, File.ReadAllText(HostFile));
    }

    [Theory]
    [InlineData("{ not json")]
    [InlineData("{\"version\": 1, \"labs\": [{\"lab\": 3}]}")]
    [InlineData("\u0000\u0001\u0002")]
    public async Task A_damaged_registry_is_reported_never_a_crash_and_the_next_up_starts_a_new_one(string damage)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(RegistryFile)!);
        File.WriteAllText(RegistryFile, damage);
        var shop = Project("shop");

        var status = await Lab(_root.Root, "global-status");
        var up = await Lab(shop, "up");
        var labs = Labs(await GlobalStatus());

        Assert.Equal(0, status.ExitCode);
        Assert.Contains("is ignored: it is damaged", status.Stderr, StringComparison.Ordinal);
        Assert.True(up.ExitCode == 0, up.ToString());
        Assert.Equal(["shop"], labs.Select(l => l.GetProperty("lab").GetString()));
        Assert.Equal(damage, File.ReadAllText(RegistryFile + ".damaged"));
    }

    [Fact]
    public async Task A_registry_that_cannot_be_written_is_a_warning_and_up_still_succeeds()
    {
        // A file where the registry's folder should be.
        Directory.CreateDirectory(StateHome);
        File.WriteAllText(Path.Combine(StateHome, "labrunner"), "in the way");
        var shop = Project("shop");

        var up = await Lab(shop, "up");

        Assert.True(up.ExitCode == 0, up.ToString());
        Assert.Contains("lab registry", up.Stderr, StringComparison.Ordinal);
    }
}
