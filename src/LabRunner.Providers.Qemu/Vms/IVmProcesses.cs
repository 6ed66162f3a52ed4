using System.Diagnostics;
using System.Globalization;
using LabRunner.Providers.Qemu.Qmp;

namespace LabRunner.Providers.Qemu.Vms;

/// <summary>The QEMU processes of VMs: which one runs, what QMP says of it, and how to stop it.</summary>
public interface IVmProcesses
{
    /// <summary>
    /// The pid of the VM's QEMU, or null when it does not run: the pid file names a live process whose
    /// command line holds <paramref name="pidFile"/> itself (unique per VM), so a stale pid reused by another
    /// program is never taken for the VM.
    /// </summary>
    int? FindRunning(string pidFile);

    /// <summary>QMP's <c>query-status</c> (<c>running</c>, <c>paused</c>, …).</summary>
    /// <exception cref="QmpException">The monitor cannot be reached, does not greet or does not answer in time (<see cref="QmpTimeoutException"/>).</exception>
    Task<string?> QueryStatusAsync(string qmpSocket, CancellationToken cancellationToken);

    /// <summary>Sends one QMP command (<c>system_powerdown</c>, <c>quit</c>, <c>cont</c>).</summary>
    /// <exception cref="QmpException">As for <see cref="QueryStatusAsync"/>, or QEMU refused the command.</exception>
    Task ExecuteAsync(string qmpSocket, string command, CancellationToken cancellationToken);

    bool IsAlive(int pid);

    /// <summary>SIGKILL.</summary>
    void Kill(int pid);
}

/// <summary>The real processes: <c>/proc</c>, <see cref="QmpClient"/>, <see cref="Process.Kill()"/>.</summary>
/// <param name="qmpOptions">The QMP timeouts (<see cref="QmpOptions"/> unless a test shortens them).</param>
public sealed class LinuxVmProcesses(QmpClientOptions? qmpOptions = null) : IVmProcesses
{
    public static readonly QmpClientOptions QmpOptions = new(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15));

    private readonly QmpClientOptions _qmpOptions = qmpOptions ?? QmpOptions;

    public int? FindRunning(string pidFile)
    {
        string text;
        try
        {
            text = File.ReadAllText(pidFile).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid <= 0) return null;
        try
        {
            var arguments = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
            return arguments.Contains(pidFile, StringComparer.Ordinal) ? pid : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public async Task<string?> QueryStatusAsync(string qmpSocket, CancellationToken cancellationToken)
    {
        await using var client = await QmpClient.ConnectAsync(qmpSocket, _qmpOptions, cancellationToken).ConfigureAwait(false);
        return (await client.QueryStatusAsync(cancellationToken).ConfigureAwait(false)).Status;
    }

    public async Task ExecuteAsync(string qmpSocket, string command, CancellationToken cancellationToken)
    {
        await using var client = await QmpClient.ConnectAsync(qmpSocket, _qmpOptions, cancellationToken).ConfigureAwait(false);
        if (command == "quit") await client.QuitAsync(cancellationToken).ConfigureAwait(false);
        else await client.ExecuteAsync(command, null, cancellationToken).ConfigureAwait(false);
    }

    public bool IsAlive(int pid) => Directory.Exists($"/proc/{pid}") && !IsZombie(pid);

    public void Kill(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill();
        }
        catch (ArgumentException)
        {
            // Already gone.
        }
        catch (InvalidOperationException)
        {
        }
    }

    // A daemonized QEMU is reparented to init, which reaps it; until then /proc still lists it.
    private static bool IsZombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var close = stat.LastIndexOf(')');
            return close > 0 && close + 2 < stat.Length && stat[close + 2] == 'Z';
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
