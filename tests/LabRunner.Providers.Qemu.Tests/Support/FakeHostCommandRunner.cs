using LabRunner.HostCommon.Running;

namespace LabRunner.Providers.Qemu.Tests.Support;

/// <summary>Records every command; answers from <see cref="Respond"/> (default: exit 0, no output; nft lists an empty ruleset).</summary>
public sealed class FakeHostCommandRunner : IHostCommandRunner
{
    public List<HostCommand> Commands { get; } = [];

    /// <summary>The answer to a command, or null for the default.</summary>
    public Func<HostCommand, HostCommandResult?> Respond { get; set; } = _ => null;

    /// <summary>What <c>ip -d -j link show</c> and <c>ip -d -j addr show</c> print.</summary>
    public string Links { get; set; } = "[]";

    public Task<HostCommandResult> RunAsync(HostCommand command, CancellationToken cancellationToken)
    {
        Commands.Add(command);
        var answer = Respond(command);
        if (answer is not null) return Task.FromResult(answer);
        // qemu-img create and convert write an image (a qcow2 header is all the provider reads of it).
        if (command.Executable == "qemu-img" && command.Arguments[0] is "create" or "convert") File.WriteAllBytes(command.Arguments[^1], [(byte)'Q', (byte)'F', (byte)'I', 0xFB, .. new byte[508]]);
        var argv = string.Join(' ', command.ToArgv());
        if (argv.EndsWith("nft -j list ruleset", StringComparison.Ordinal)) return Task.FromResult(new HostCommandResult(0, """{"nftables":[]}""", ""));
        if (argv.EndsWith("ip -d -j link show", StringComparison.Ordinal) || argv.EndsWith("ip -d -j addr show", StringComparison.Ordinal))
            return Task.FromResult(new HostCommandResult(0, Links, ""));
        return Task.FromResult(new HostCommandResult(0, "", ""));
    }

    /// <summary>Every command as the golden file shows it.</summary>
    public string Transcript(string replace, string with) =>
        string.Join('\n', Commands.Select(c => LabRunner.Providers.Qemu.QemuCommands.Display(c).Replace(replace, with, StringComparison.Ordinal))) + "\n";

    /// <summary>JSON for <see cref="Links"/>: bridges with their aliases.</summary>
    public static string BridgesJson(params (string Name, string? Alias)[] bridges) =>
        "[" + string.Join(",", bridges.Select((b, i) =>
            $$"""{"ifindex":{{i + 2}},"ifname":"{{b.Name}}","flags":["UP"],"operstate":"UP","address":"02:00:00:00:00:0{{i}}","linkinfo":{"info_kind":"bridge"}{{(b.Alias is null ? "" : $",\"ifalias\":\"{b.Alias}\"")}},"addr_info":[]}""")) + "]";
}

/// <summary>VM processes as a test says they are.</summary>
public sealed class FakeVmProcesses : LabRunner.Providers.Qemu.Vms.IVmProcesses
{
    public Dictionary<string, int> Running { get; } = new(StringComparer.Ordinal);

    public string? Status { get; set; } = "running";

    public List<string> Sent { get; } = [];

    public LinuxProcess? FindRunning(string pidFile) => Running.TryGetValue(pidFile, out var pid) ? new LinuxProcess(pid, 1) : null;

    public Task<string?> QueryStatusAsync(string qmpSocket, CancellationToken cancellationToken) => Task.FromResult(Status);

    public Task ExecuteAsync(string qmpSocket, string command, CancellationToken cancellationToken)
    {
        Sent.Add(command);
        if (command is "quit" or "system_powerdown") Running.Clear();
        return Task.CompletedTask;
    }

    /// <summary>The QMP monitor sessions open to (one for every VM).</summary>
    public FakeQemuMonitor Monitor { get; } = new();

    public Task<LabRunner.Providers.Qemu.Qmp.IQmpSession> OpenQmpAsync(string qmpSocket, TimeSpan commandTimeout, CancellationToken cancellationToken) => Task.FromResult(Monitor.Open());

    public bool IsAlive(LinuxProcess process) => Running.ContainsValue(process.Pid);

    public void Kill(LinuxProcess process) => Running.Clear();
}
