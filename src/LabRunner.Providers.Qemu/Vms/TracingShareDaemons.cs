using System.Globalization;
using LabRunner.Core.Tracing;
using LabRunner.HostCommon.Running;

namespace LabRunner.Providers.Qemu.Vms;

/// <summary>Records in <paramref name="trace"/> each virtiofsd <paramref name="inner"/> starts and each SIGKILL it sends; reads are not recorded.</summary>
public sealed class TracingShareDaemons(IShareDaemons inner, IHostTrace trace) : IShareDaemons
{
    public IShareDaemons Inner { get; } = inner ?? throw new ArgumentNullException(nameof(inner));

    public LinuxProcess Start(HostCommand command, string logFile)
    {
        ArgumentNullException.ThrowIfNull(command);
        var record = trace.Begin(new HostCall(command.ToArgv()) { Summary = $"in the background, output to {logFile}" });
        try
        {
            var process = Inner.Start(command, logFile);
            record.Ended(0, null);
            return process;
        }
        catch (Exception e)
        {
            record.Failed(e.Message);
            throw;
        }
    }

    public LinuxProcess? FindRunning(string pidFile, string argument) => Inner.FindRunning(pidFile, argument);

    public bool IsAlive(LinuxProcess process) => Inner.IsAlive(process);

    public void Kill(LinuxProcess process)
    {
        var record = trace.Begin(new HostCall(["kill", "-KILL", process.Pid.ToString(CultureInfo.InvariantCulture)]));
        try
        {
            Inner.Kill(process);
        }
        catch (Exception e)
        {
            record.Failed(e.Message);
            throw;
        }
        record.Ended(0, null);
    }
}
