using System.Text.Json.Nodes;
using LabRunner.HostCommon.Running;

namespace LabRunner.RealGuests.Tests.Support;

/// <summary>
/// A network namespace these tests created (a unique name), and the only place they make interfaces, addresses,
/// routes and nft rules. Everything runs through <c>ip netns exec</c> or <c>ip -n</c>.
/// </summary>
public sealed class Netns
{
    private Netns(string name) => Name = name;

    public string Name { get; }

    public static async Task<Netns> CreateAsync(string name)
    {
        await Proc.CheckedAsync("ip", ["netns", "add", name]);
        var ns = new Netns(name);
        await ns.IpAsync("link", "set", "lo", "up");
        return ns;
    }

    /// <summary>The argument vector that runs <paramref name="command"/> in this namespace.</summary>
    public string[] Exec(params string[] command) => ["netns", "exec", Name, .. command];

    public Task<ProcResult> RunAsync(TimeSpan timeout, params string[] command) => Proc.RunAsync("ip", Exec(command), timeout);

    public Task<ProcResult> CheckedAsync(params string[] command) => Proc.CheckedAsync("ip", Exec(command));

    public Task<ProcResult> IpAsync(params string[] arguments) => Proc.CheckedAsync("ip", ["-n", Name, .. arguments]);

    public async Task<JsonArray> IpJsonAsync(params string[] arguments) =>
        JsonNode.Parse((await IpAsync(["-j", .. arguments])).Stdout) as JsonArray ?? [];

    /// <summary>Sends an HTTP GET from this namespace (python3's urllib: no curl needed) and returns the body.</summary>
    public async Task<ProcResult> HttpGetAsync(string url, int timeoutSeconds = 10) =>
        await RunAsync(TimeSpan.FromSeconds(timeoutSeconds + 20), "python3", "-c",
            "import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=float(sys.argv[2])).read().decode())",
            url, timeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Whether a TCP connection from this namespace to <paramref name="ip"/>:<paramref name="port"/> opens.</summary>
    public async Task<bool> TcpConnectsAsync(string ip, int port, int timeoutSeconds = 5)
    {
        var result = await RunAsync(TimeSpan.FromSeconds(timeoutSeconds + 20), "python3", "-c",
            "import socket, sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=float(sys.argv[3])).close()",
            ip, port.ToString(System.Globalization.CultureInfo.InvariantCulture), timeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return result.Succeeded;
    }

    /// <summary>The namespace's identity: the inode of its nsfs file, as /proc/PID/ns/net shows it.</summary>
    public string Inode()
    {
        var info = new FileInfo($"/run/netns/{Name}");
        // stat(2) on the bind-mounted nsfs file; .NET has no inode API, so read it the way /proc shows it.
        var result = Proc.RunAsync("stat", ["-L", "-c", "%i", info.FullName], TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
        return result.Stdout.Trim();
    }

    /// <summary>Processes that live in this namespace (their /proc/PID/ns/net is this namespace), optionally by executable name.</summary>
    public IReadOnlyList<int> Processes(string? commPrefix = null) => [.. LiveProcesses(commPrefix).Select(p => p.Pid)];

    /// <summary>
    /// As <see cref="Processes"/>, each with its start time, read before its namespace and name and confirmed after:
    /// what is found is that very process, and signals to it never reach one that took its pid later.
    /// </summary>
    public IReadOnlyList<LinuxProcess> LiveProcesses(string? commPrefix = null)
    {
        var inode = Inode();
        var found = new List<LinuxProcess>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || LinuxProcess.Find(pid) is not { } process) continue;
            try
            {
                var target = File.ResolveLinkTarget(Path.Combine(dir, "ns", "net"), returnFinalTarget: false)?.Name;
                if (target != $"net:[{inode}]") continue;
                if (commPrefix is not null && !File.ReadAllText(Path.Combine(dir, "comm")).StartsWith(commPrefix, StringComparison.Ordinal)) continue;
                if (process.IsAlive) found.Add(process);
            }
            catch (IOException)
            {
                // Exited while we looked.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return found;
    }

    /// <summary>QEMU processes in this namespace with their start times (clock ticks since boot): same pid and start = same process.</summary>
    public IReadOnlyDictionary<int, string> QemuProcesses() =>
        LiveProcesses("qemu-system").ToDictionary(p => p.Pid, p => p.StartTicks.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>
    /// Kills every process still in this namespace (QEMU first, gracefully, then anything left), each by pid only
    /// after checking that the pid still has the start time it had when found.
    /// </summary>
    public async Task KillEverythingInsideAsync()
    {
        foreach (var round in new[] { "TERM", "KILL" })
        {
            var processes = LiveProcesses();
            if (processes.Count == 0) return;
            foreach (var process in processes)
            {
                if (!process.IsAlive) continue;
                await Proc.RunAsync("kill", [$"-{round}", process.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(10));
            }
            for (var i = 0; i < 50 && processes.Any(p => p.IsAlive); i++) await Task.Delay(200);
        }
    }

    public async Task DeleteAsync()
    {
        await KillEverythingInsideAsync();
        await Proc.RunAsync("ip", ["netns", "delete", Name], TimeSpan.FromMinutes(1));
    }
}
