using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using LabRunner.HostCommon.Running;

namespace LabRunner.Providers.Qemu.Vms;

/// <summary>
/// The virtiofsd processes that serve VMs' shared folders: started in the background before QEMU, found again only by
/// the pid the provider recorded (and the socket path on their command line), and killed by that pid — never by name.
/// </summary>
public interface IShareDaemons
{
    /// <summary>
    /// Starts <paramref name="command"/> in the background, in a session of its own (a Ctrl+C at the terminal and the
    /// end of <c>lab</c> leave it running), its standard output and error appended to <paramref name="logFile"/>.
    /// </summary>
    /// <exception cref="HostCommandStartException">The program could not be started.</exception>
    LinuxProcess Start(HostCommand command, string logFile);

    /// <summary>
    /// The process <paramref name="pidFile"/> names, or null when there is none: it must be alive and have
    /// <paramref name="argument"/> (the share's <c>--socket-path=…</c>, unique per share) on its command line, so a pid
    /// reused by another program is never taken for it.
    /// </summary>
    LinuxProcess? FindRunning(string pidFile, string argument);

    /// <summary>Whether this very process still runs.</summary>
    bool IsAlive(LinuxProcess process);

    /// <summary>SIGKILL, only if it is still this very process.</summary>
    void Kill(LinuxProcess process);
}

/// <summary>The real processes: started through <c>setsid</c> and <c>sh</c> (for the log redirection only), found in <c>/proc</c>.</summary>
public sealed class LinuxShareDaemons : IShareDaemons
{
    // A constant script: the log file is $0 and the command "$@", so no value is ever part of the shell's text.
    private const string RedirectScript = "exec \"$@\" </dev/null >>\"$0\" 2>&1";

    public LinuxProcess Start(HostCommand command, string logFile)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentException.ThrowIfNullOrWhiteSpace(logFile);
        // setsid execs in place (a child of .NET leads no process group), then sh execs the command: one pid throughout.
        var start = new ProcessStartInfo("setsid") { UseShellExecute = false };
        foreach (var argument in (string[])["sh", "-c", RedirectScript, logFile, .. command.ToArgv()]) start.ArgumentList.Add(argument);
        try
        {
            using var process = Process.Start(start) ?? throw new InvalidOperationException("no process was started");
            return LinuxProcess.Find(process.Id) ?? new LinuxProcess(process.Id, 0);
        }
        catch (Exception e) when (e is Win32Exception or InvalidOperationException)
        {
            throw new HostCommandStartException(command, e);
        }
    }

    public LinuxProcess? FindRunning(string pidFile, string argument)
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
            return arguments.Contains(argument, StringComparer.Ordinal) && process.IsAlive ? process : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public bool IsAlive(LinuxProcess process) => process.IsAlive;

    public void Kill(LinuxProcess process) => process.Kill();
}
