using LabRunner.HostCommon.Running;
using System.Globalization;
using LabRunner.Providers.Qemu.Qmp;

namespace LabRunner.Providers.Qemu.Vms;

/// <summary>The QEMU processes of VMs: which one runs, what QMP says of it, and how to stop it.</summary>
public interface IVmProcesses
{
    /// <summary>
    /// The VM's QEMU (pid and start time), or null when it does not run: the pid file names a live process whose
    /// command line holds <paramref name="pidFile"/> itself (unique per VM), so a stale pid reused by another
    /// program is never taken for the VM. The start time keeps it so for every later wait and signal.
    /// </summary>
    LinuxProcess? FindRunning(string pidFile);

    /// <summary>QMP's <c>query-status</c> (<c>running</c>, <c>paused</c>, …).</summary>
    /// <exception cref="QmpException">The monitor cannot be reached, does not greet or does not answer in time (<see cref="QmpTimeoutException"/>).</exception>
    Task<string?> QueryStatusAsync(string qmpSocket, CancellationToken cancellationToken);

    /// <summary>Sends one QMP command (<c>system_powerdown</c>, <c>quit</c>, <c>cont</c>).</summary>
    /// <exception cref="QmpException">As for <see cref="QueryStatusAsync"/>, or QEMU refused the command.</exception>
    Task ExecuteAsync(string qmpSocket, string command, CancellationToken cancellationToken);

    /// <summary>
    /// A QMP connection held for several commands with answers and events (snapshot jobs); the caller disposes it.
    /// Each command may take up to <paramref name="commandTimeout"/>: QEMU 7.2 runs a snapshot job in its main loop, so
    /// the answer to <c>snapshot-save</c> itself comes only once the memory is written (seconds, or more on a busy host).
    /// </summary>
    /// <exception cref="QmpException">As for <see cref="QueryStatusAsync"/>.</exception>
    Task<IQmpSession> OpenQmpAsync(string qmpSocket, TimeSpan commandTimeout, CancellationToken cancellationToken);

    /// <summary>Whether this very process still runs: a pid that now belongs to another process is gone.</summary>
    bool IsAlive(LinuxProcess process);

    /// <summary>SIGKILL, only if it is still this very process.</summary>
    void Kill(LinuxProcess process);
}

/// <summary>The real processes: <c>/proc</c> (<see cref="LinuxProcess"/>) and <see cref="QmpClient"/>.</summary>
/// <param name="qmpOptions">The QMP timeouts (<see cref="QmpOptions"/> unless a test shortens them).</param>
public sealed class LinuxVmProcesses(QmpClientOptions? qmpOptions = null) : IVmProcesses
{
    public static readonly QmpClientOptions QmpOptions = new(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15));

    private readonly QmpClientOptions _qmpOptions = qmpOptions ?? QmpOptions;

    public LinuxProcess? FindRunning(string pidFile)
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
        if (LinuxProcess.Find(pid) is not { } process) return null;
        try
        {
            var arguments = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
            // The command line read is this process's only if the pid still has the same start time afterwards.
            return arguments.Contains(pidFile, StringComparer.Ordinal) && process.IsAlive ? process : null;
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

    public async Task<IQmpSession> OpenQmpAsync(string qmpSocket, TimeSpan commandTimeout, CancellationToken cancellationToken) =>
        await QmpClient.ConnectAsync(qmpSocket, _qmpOptions with { CommandTimeout = commandTimeout }, cancellationToken).ConfigureAwait(false);

    public bool IsAlive(LinuxProcess process) => process.IsAlive;

    public void Kill(LinuxProcess process) => process.Kill();
}
