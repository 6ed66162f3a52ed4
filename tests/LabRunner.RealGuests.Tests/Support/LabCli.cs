using System.Text.Json.Nodes;

namespace LabRunner.RealGuests.Tests.Support;

/// <summary>
/// The built <c>lab</c> CLI run as its own process inside the lab host's namespace
/// (<c>ip netns exec lrhost-X dotnet lab.dll … --provider qemu</c>), in the project folder, with the QEMU
/// provider's state in a folder of the test's own.
/// </summary>
public sealed class LabCli(Netns host, string projectDirectory, string stateDirectory)
{
    public static string LabDll => Path.Combine(AppContext.BaseDirectory, "lab.dll");

    public string ProjectDirectory => projectDirectory;

    public IReadOnlyDictionary<string, string> Environment { get; } = new Dictionary<string, string>
    {
        ["LABRUNNER_QEMU_STATE"] = stateDirectory,
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["NO_COLOR"] = "1",
    };

    /// <remarks>
    /// up and reload run with --no-wait: these tests wait for each guest themselves (SSH, then cloud-init) and
    /// time that wait; LabRunner's own readiness wait (issue 9) is proven by its own tests.
    /// </remarks>
    public string[] Arguments(params string[] args) =>
        host.Exec([Requirements.Find("dotnet") ?? "dotnet", LabDll, .. args, .. (args.Length > 0 && args[0] is "up" or "reload" ? new[] { "--no-wait" } : []), "--provider", "qemu"]);

    public Task<ProcResult> RunAsync(TimeSpan timeout, params string[] args) =>
        Proc.RunAsync("ip", Arguments(args), timeout, projectDirectory, Environment);

    /// <summary>Runs a lifecycle command with --json; fails the test unless it exits 0; returns its JSON object.</summary>
    public async Task<(JsonObject Json, ProcResult Result)> JsonAsync(TimeSpan timeout, params string[] args)
    {
        var result = await RunAsync(timeout, [.. args, "--json"]);
        if (!result.Succeeded) throw new Xunit.Sdk.XunitException($"lab {string.Join(' ', args)} --json: {result}");
        return (JsonNode.Parse(result.Stdout)!.AsObject(), result);
    }

    /// <summary>Starts a command and returns at once (to interrupt it).</summary>
    public RunningProc Start(params string[] args) => Proc.Start("ip", Arguments(args), projectDirectory, Environment);

    /// <summary>The operations of a lifecycle command's JSON: (vm, type, description).</summary>
    public static IReadOnlyList<(string? Vm, string Type, string Description)> Operations(JsonObject json) =>
    [
        .. json["batches"]!.AsArray().SelectMany(b => b!["operations"]!.AsArray())
            .Select(o => ((string?)o!["vm"], (string)o["type"]!, (string)o["description"]!)),
    ];
}
