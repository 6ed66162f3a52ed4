using System.Text.Json;

namespace LabRunner.Cli.Tests;

/// <summary>Every command given --json prints exactly one JSON object on stdout, whatever happens.</summary>
public sealed class JsonOutputTests : IDisposable
{
    private const string Valid = """
        name: shop
        defaults: { box: ubuntu, memory: 1GB }
        networks:
          - { name: lan, type: nat }
        vms:
          - name: web
            networks: [lan]
            forwarded_ports:
              - { guest: 80, host: 8080 }
        """;

    private const string Invalid = """
        name: shop
        vms:
          - name: web
            box: ubuntu
            cpus: 0
        """;

    private readonly TempProject _project = new TempProject().With("boxes/ubuntu.vhdx", new string('\0', 512));
    private readonly Dictionary<string, string> _env;

    public JsonOutputTests()
    {
        _env = new Dictionary<string, string>
        {
            ["LABRUNNER_PROVIDER"] = "simulated",
            ["LABRUNNER_SIM_HOST"] = Path.Combine(_project.Root, "host.json"),
        };
    }

    public void Dispose() => _project.Dispose();

    public static TheoryData<string[]> Commands => new()
    {
        new[] { "validate" },
        new[] { "plan" },
        new[] { "status" },
        new[] { "port" },
        new[] { "seed", "--all" },
        new[] { "up" },
        new[] { "halt" },
        new[] { "reload" },
        new[] { "down" },
    };

    private async Task<(CliResult Result, JsonElement Json)> Lab(IReadOnlyDictionary<string, string> env, params string[] args)
    {
        var result = await Cli.Tests.Lab.RunAsync(_project.Root, env, [.. args, "--json"]);
        JsonElement json;
        try
        {
            using var document = JsonDocument.Parse(result.Stdout);
            json = document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new Xunit.Sdk.XunitException($"stdout is not one JSON object ({ex.Message}):\n{result}");
        }
        Assert.Equal(JsonValueKind.Object, json.ValueKind);
        // The one documented shape: command, outcome, exit_code (the process's), message (text or null), diagnostics.
        Assert.Equal(string.Join(' ', args.TakeWhile(a => !a.StartsWith('-') && a != "nope" && a != "web" && a != "tiny")), json.GetProperty("command").GetString());
        Assert.Equal(JsonValueKind.String, json.GetProperty("outcome").ValueKind);
        Assert.Equal(result.ExitCode, json.GetProperty("exit_code").GetInt32());
        Assert.True(json.GetProperty("message").ValueKind is JsonValueKind.String or JsonValueKind.Null, result.ToString());
        if (result.ExitCode != 0) Assert.Equal(JsonValueKind.String, json.GetProperty("message").ValueKind);
        Assert.Equal(JsonValueKind.Array, json.GetProperty("diagnostics").ValueKind);
        return (result, json);
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task An_invalid_Labfile_is_one_JSON_object_with_its_diagnostics(string[] args)
    {
        _project.With("Labfile.yml", Invalid);

        var (result, json) = await Lab(_env, args);

        Assert.Equal(1, result.ExitCode);
        var d = Assert.Single(json.GetProperty("diagnostics").EnumerateArray());
        Assert.Equal(("Labfile.yml", 5, "LAB304", "error"),
            (d.GetProperty("file").GetString(), d.GetProperty("line").GetInt32(), d.GetProperty("code").GetString(), d.GetProperty("level").GetString()));
        Assert.True(d.GetProperty("column").GetInt32() > 0);
        Assert.Contains("cpus", d.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task A_missing_Labfile_is_one_JSON_usage_error(string[] args)
    {
        var (result, json) = await Lab(_env, args);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("usage_error", json.GetProperty("outcome").GetString());
        Assert.Equal(2, json.GetProperty("exit_code").GetInt32());
        Assert.Contains("no Labfile.yml", json.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task An_unknown_option_is_one_JSON_usage_error(string[] args)
    {
        _project.With("Labfile.yml", Valid);

        var (result, json) = await Lab(_env, [.. args, "--bogus"]);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("usage_error", json.GetProperty("outcome").GetString());
        Assert.Contains("--bogus", json.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("up", "nope")]
    [InlineData("halt", "nope")]
    [InlineData("port", "nope")]
    [InlineData("seed", "nope")]
    public async Task An_unknown_VM_is_one_JSON_usage_error(params string[] args)
    {
        _project.With("Labfile.yml", Valid);

        var (result, json) = await Lab(_env, args);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal(args[0], json.GetProperty("command").GetString());
        Assert.Equal("usage_error", json.GetProperty("outcome").GetString());
        Assert.Contains("'nope'", json.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task Success_is_one_JSON_object(string[] args)
    {
        _project.With("Labfile.yml", Valid);

        var (result, _) = await Lab(_env, args);

        Assert.True(result.ExitCode == 0, result.ToString());
    }

    [Fact]
    public async Task Seed_json_lists_what_it_wrote()
    {
        _project.With("Labfile.yml", Valid);

        var (_, json) = await Lab(_env, "seed", "web");

        var vm = Assert.Single(json.GetProperty("vms").EnumerateArray());
        Assert.Equal("web", vm.GetProperty("name").GetString());
        var files = vm.GetProperty("files").EnumerateArray().Select(f => f.GetString()!).ToList();
        Assert.Contains("seed.iso", files);
        Assert.All(files, f => Assert.True(File.Exists(Path.Combine(vm.GetProperty("folder").GetString()!, f)), f));
    }

    [Fact]
    public async Task A_host_failure_is_one_JSON_object()
    {
        _project.With("Labfile.yml", Valid);
        var failing = new Dictionary<string, string>(_env) { ["LABRUNNER_SIM_FAIL_AT"] = "2" };

        var (result, json) = await Lab(failing, "up");

        Assert.Equal(3, result.ExitCode);
        Assert.Equal("host_failure", json.GetProperty("outcome").GetString());
        Assert.NotEmpty(json.GetProperty("failures").EnumerateArray());
    }

    [Theory]
    [InlineData("up")]
    [InlineData("down")]
    public async Task Up_and_down_with_an_invalid_Labfile_say_their_exit_code_and_why(string command)
    {
        _project.With("Labfile.yml", Invalid);

        var (_, json) = await Lab(_env, command);

        Assert.Equal("invalid_labfile", json.GetProperty("outcome").GetString());
        Assert.Equal(1, json.GetProperty("exit_code").GetInt32());
        Assert.Contains("1 error", json.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_idle_up_lists_every_VM_as_nothing_to_do()
    {
        _project.With("Labfile.yml", Valid);
        await Lab(_env, "up");

        var (_, json) = await Lab(_env, "up");

        Assert.Equal("nothing_to_do", json.GetProperty("outcome").GetString());
        var vm = Assert.Single(json.GetProperty("vm_outcomes").EnumerateArray());
        Assert.Equal(("web", "nothing_to_do"), (vm.GetProperty("vm").GetString(), vm.GetProperty("outcome").GetString()));
    }

    [Fact]
    public async Task Status_gives_every_VM_a_box_key_null_for_a_box_file()
    {
        _project.With("Labfile.yml", Valid);
        await Lab(_env, "up");

        var (_, json) = await Lab(_env, "status");

        var vm = Assert.Single(json.GetProperty("vms").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, vm.GetProperty("box").ValueKind);
    }

    [Fact]
    public async Task A_host_that_cannot_be_read_is_one_JSON_host_failure()
    {
        _project.With("Labfile.yml", Valid);
        Directory.CreateDirectory(Path.Combine(_project.Root, "host.json"));

        var (result, json) = await Lab(_env, "up");

        Assert.Equal(3, result.ExitCode);
        Assert.Equal("host_failure", json.GetProperty("outcome").GetString());
        Assert.Contains("host.json", json.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_box_command_error_names_the_whole_command_and_has_diagnostics()
    {
        var home = new Dictionary<string, string>(_env) { ["LABRUNNER_HOME"] = Path.Combine(_project.Root, "home") };

        var (result, json) = await Lab(home, "box", "remove", "tiny");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("box remove", json.GetProperty("command").GetString());
        Assert.Contains("tiny", json.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Box_list_is_one_JSON_object_in_the_documented_shape()
    {
        var home = new Dictionary<string, string>(_env) { ["LABRUNNER_HOME"] = Path.Combine(_project.Root, "home") };

        var (result, json) = await Lab(home, "box", "list");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("box list", json.GetProperty("command").GetString());
        Assert.Equal(0, json.GetProperty("boxes").GetArrayLength());
    }
}
