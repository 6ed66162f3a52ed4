using System.Text.Json;

namespace LabRunner.Cli.Tests;

/// <summary>Issue 14.1 as a user met it: raising web-{n}'s count must not move db, its address or its port.</summary>
public sealed class StableAllocationCliTests : IDisposable
{
    private const string Labfile = """
        name: grow
        defaults: { box: ubuntu, memory: 1GB }
        networks:
          - { name: lan, type: nat }
        vms:
          - name: web-{n}
            count: 1
            networks: [lan]
          - name: db
            networks: [lan]
            forwarded_ports:
              - { guest: 5432, host: 15432, auto_correct: AUTO }
        """;

    private readonly TempProject _project = new TempProject().With("boxes/ubuntu.vhdx", new string('\0', 512));
    private readonly Dictionary<string, string> _env;

    public StableAllocationCliTests()
    {
        _env = new Dictionary<string, string>
        {
            ["LABRUNNER_PROVIDER"] = "simulated",
            ["LABRUNNER_SIM_HOST"] = Path.Combine(_project.Root, "host.json"),
        };
    }

    public void Dispose() => _project.Dispose();

    private Task<CliResult> Lab(params string[] args) => Cli.Tests.Lab.RunAsync(_project.Root, _env, args);

    private static JsonElement Vm(JsonElement status, string name) => status.GetProperty("vms").EnumerateArray().Single(v => v.GetProperty("name").GetString() == name);

    private static string Ip(JsonElement vm) => vm.GetProperty("adapters")[0].GetProperty("ip").GetString()!;

    [Theory]
    [InlineData("false")]
    [InlineData("true")]
    public async Task Raising_a_count_keeps_db_on_its_address_and_port(string autoCorrect)
    {
        var text = Labfile.Replace("AUTO", autoCorrect, StringComparison.Ordinal);
        _project.With("Labfile.yml", text);
        var first = await Lab("up");
        var before = JsonDocument.Parse((await Lab("status", "--json")).Stdout).RootElement;

        _project.With("Labfile.yml", text.Replace("count: 1", "count: 2", StringComparison.Ordinal));
        var second = await Lab("up");
        var after = JsonDocument.Parse((await Lab("status", "--json")).Stdout).RootElement;

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.DoesNotContain("already forwarded", second.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("new seed", second.ToString(), StringComparison.Ordinal);
        Assert.Equal(Ip(Vm(before, "db")), Ip(Vm(after, "db")));
        Assert.Equal(Ip(Vm(before, "web-1")), Ip(Vm(after, "web-1")));
        Assert.NotEqual(Ip(Vm(after, "db")), Ip(Vm(after, "web-2")));
        var port = Assert.Single(Vm(after, "db").GetProperty("forwarded_ports").EnumerateArray());
        Assert.Equal(15432, port.GetProperty("host_port").GetInt32());
        Assert.Equal(Ip(Vm(before, "db")).Split('/')[0], port.GetProperty("guest_ip").GetString());
        Assert.Equal(JsonValueKind.Null, Vm(after, "db").GetProperty("pending_changes").ValueKind);
    }
}
