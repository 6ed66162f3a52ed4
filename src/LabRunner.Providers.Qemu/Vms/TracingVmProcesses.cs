using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using LabRunner.Core.Tracing;
using LabRunner.HostCommon.Running;
using LabRunner.Providers.Qemu.Qmp;

namespace LabRunner.Providers.Qemu.Vms;

/// <summary>
/// Records in <paramref name="trace"/> what <paramref name="inner"/> does to a VM's QEMU: each QMP command sent
/// (<c>system_powerdown</c>, <c>quit</c>, <c>cont</c>) and each SIGKILL. Reads (pid files, <c>query-status</c>,
/// polled while a VM stops) change nothing and are not recorded.
/// </summary>
public sealed class TracingVmProcesses(IVmProcesses inner, IHostTrace trace) : IVmProcesses
{
    public IVmProcesses Inner { get; } = inner ?? throw new ArgumentNullException(nameof(inner));

    public LinuxProcess? FindRunning(string pidFile) => Inner.FindRunning(pidFile);

    public Task<string?> QueryStatusAsync(string qmpSocket, CancellationToken cancellationToken) => Inner.QueryStatusAsync(qmpSocket, cancellationToken);

    public async Task ExecuteAsync(string qmpSocket, string command, CancellationToken cancellationToken)
    {
        var record = trace.Begin(new HostCall(["qmp", qmpSocket, command]));
        try
        {
            await Inner.ExecuteAsync(qmpSocket, command, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            record.Failed(e is OperationCanceledException ? "stopped (cancelled)" : e.Message);
            throw;
        }
        record.Ended(0, null);
    }

    public async Task<IQmpSession> OpenQmpAsync(string qmpSocket, TimeSpan commandTimeout, CancellationToken cancellationToken) =>
        new TracingSession(await Inner.OpenQmpAsync(qmpSocket, commandTimeout, cancellationToken).ConfigureAwait(false), qmpSocket, trace);

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

    private sealed class TracingSession(IQmpSession inner, string qmpSocket, IHostTrace trace) : IQmpSession
    {
        public async Task<JsonElement> ExecuteAsync(string command, JsonObject? arguments, CancellationToken cancellationToken)
        {
            if (command.StartsWith("query-", StringComparison.Ordinal)) return await inner.ExecuteAsync(command, arguments, cancellationToken).ConfigureAwait(false);
            var record = trace.Begin(new HostCall(arguments is null ? ["qmp", qmpSocket, command] : ["qmp", qmpSocket, command, arguments.ToJsonString()]));
            try
            {
                var result = await inner.ExecuteAsync(command, arguments, cancellationToken).ConfigureAwait(false);
                record.Ended(0, null);
                return result;
            }
            catch (Exception e)
            {
                record.Failed(e is OperationCanceledException ? "stopped (cancelled)" : e.Message);
                throw;
            }
        }

        public Task<QmpEvent?> WaitForEventAsync(string name, CancellationToken cancellationToken) => inner.WaitForEventAsync(name, cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
