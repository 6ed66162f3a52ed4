using System.Text.Json.Nodes;

namespace LabRunner.RealGuests.Tests.Support;

/// <summary>
/// The built <c>lab</c> CLI run as its own process inside the lab host's namespace
/// (<c>ip netns exec lrhost-X dotnet lab.dll … --provider qemu</c>), in the project folder, with the QEMU
/// provider's state in a folder of the test's own.
/// </summary>
public sealed class LabCli(Netns host, string projectDirectory, string stateDirectory, string homeDirectory)
{
    public static string LabDll => Path.Combine(AppContext.BaseDirectory, "lab.dll");

    public string ProjectDirectory => projectDirectory;

    public IReadOnlyDictionary<string, string> Environment { get; } = new Dictionary<string, string>
    {
        ["LABRUNNER_QEMU_STATE"] = stateDirectory,
        ["LABRUNNER_HOME"] = homeDirectory,
        // The lab registry ('lab global-status') of the test's own, not the user's.
        ["XDG_STATE_HOME"] = Path.Combine(homeDirectory, "state"),
        ["NO_PROXY"] = Topology.UpstreamIp, // the box's web server is in the test's own namespace
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["NO_COLOR"] = "1",
    };

    /// <summary>
    /// The command line: <c>ip netns exec HOST dotnet lab.dll ARGS --provider qemu</c>. up and reload wait for the
    /// guests (SSH, cloud-init, provisioners) as a user's would.
    /// </summary>
    public string[] Arguments(params string[] args)
    {
        // Before a '--' (what follows it is the command 'lab ssh' runs in the guest).
        var dash = Array.IndexOf(args, "--");
        string[] lab = dash < 0 ? [.. args, "--provider", "qemu"] : [.. args[..dash], "--provider", "qemu", .. args[dash..]];
        return host.Exec([Requirements.Find("dotnet") ?? "dotnet", LabDll, .. lab]);
    }

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

    /// <summary>Starts a command with <paramref name="extra"/> added to its environment, and returns at once.</summary>
    public RunningProc Start(IReadOnlyDictionary<string, string> extra, params string[] args) =>
        Proc.Start("ip", Arguments(args), projectDirectory, Environment.Concat(extra).ToDictionary(p => p.Key, p => p.Value));

    /// <summary>The operations of a lifecycle command's JSON: (vm, type, description).</summary>
    public static IReadOnlyList<(string? Vm, string Type, string Description)> Operations(JsonObject json) =>
    [
        .. json["batches"]!.AsArray().SelectMany(b => b!["operations"]!.AsArray())
            .Select(o => ((string?)o!["vm"], (string)o["type"]!, (string)o["description"]!)),
    ];
}
