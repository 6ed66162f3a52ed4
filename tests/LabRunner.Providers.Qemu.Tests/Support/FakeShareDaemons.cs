using LabRunner.HostCommon.Running;
using LabRunner.Providers.Qemu.Vms;

namespace LabRunner.Providers.Qemu.Tests.Support;

/// <summary>virtiofsd processes as a test says they are: Start records the command and opens its socket; pids count up from 7000.</summary>
public sealed class FakeShareDaemons : IShareDaemons
{
    private int _next = 7000;

    /// <summary>Running daemons by pid, with the argument vector each was started with.</summary>
    public Dictionary<int, IReadOnlyList<string>> Running { get; } = [];

    public List<IReadOnlyList<string>> Started { get; } = [];

    public List<int> Killed { get; } = [];

    /// <summary>Whether a started daemon opens its socket (false: it exits at once).</summary>
    public bool OpensSocket { get; set; } = true;

    public LinuxProcess Start(HostCommand command, string logFile)
    {
        var argv = command.ToArgv();
        Started.Add(argv);
        var pid = _next++;
        if (!OpensSocket)
        {
            File.AppendAllText(logFile, "fuse: bad mount point\n");
            return new LinuxProcess(pid, 1);
        }
        Running[pid] = argv;
        var socket = argv.First(a => a.StartsWith("--socket-path=", StringComparison.Ordinal))["--socket-path=".Length..];
        File.WriteAllText(socket, "");
        return new LinuxProcess(pid, 1);
    }

    public LinuxProcess? FindRunning(string pidFile, string argument)
    {
        if (!File.Exists(pidFile) || !int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid)) return null;
        return Running.TryGetValue(pid, out var argv) && argv.Contains(argument) ? new LinuxProcess(pid, 1) : null;
    }

    public bool IsAlive(LinuxProcess process) => Running.ContainsKey(process.Pid);

    public void Kill(LinuxProcess process)
    {
        Killed.Add(process.Pid);
        Running.Remove(process.Pid);
    }
}
