using System.Collections.Immutable;
using LabRunner.Core.Hosting;
using LabRunner.Providers.HyperV.Running;
using LabRunner.Providers.HyperV.Scripting;

namespace LabRunner.Providers.HyperV;

/// <summary>
/// Checkpoints of Hyper-V VMs (<see cref="ISnapshots"/>): each call one PowerShell process running its
/// <see cref="SnapshotScript"/> through the provider's runner; a failure becomes a <see cref="SnapshotException"/> with
/// the <see cref="HostError"/> <see cref="HyperVErrors"/> makes of it.
/// </summary>
public sealed class HyperVSnapshots(IPowerShellRunner runner) : ISnapshots
{
    public async Task<ImmutableArray<VmSnapshot>> ListAsync(string hostVmName, CancellationToken cancellationToken) =>
        [.. (await RunAsync(() => SnapshotScript.List(hostVmName), $"list the checkpoints of VM '{hostVmName}'", cancellationToken).ConfigureAwait(false))
            .OrderBy(s => s.Created)];

    public Task PauseAsync(string hostVmName, CancellationToken cancellationToken) =>
        RunAsync(() => SnapshotScript.Pause(hostVmName), $"pause VM '{hostVmName}'", cancellationToken);

    public Task ResumeAsync(string hostVmName, CancellationToken cancellationToken) =>
        RunAsync(() => SnapshotScript.Resume(hostVmName), $"resume VM '{hostVmName}'", cancellationToken);

    public async Task<VmSnapshot> SaveAsync(string hostVmName, string snapshotName, SnapshotType type, CancellationToken cancellationToken)
    {
        var what = $"checkpoint '{snapshotName}' of VM '{hostVmName}'";
        var reported = await RunAsync(() => SnapshotScript.Save(hostVmName, snapshotName, type), what, cancellationToken).ConfigureAwait(false);
        return reported.Count == 1 ? reported[0]
            : throw new SnapshotException(new HostError(HostErrorKind.Failed, $"{what}: Checkpoint-VM succeeded but Get-VMSnapshot reported {reported.Count} checkpoints of that name."));
    }

    public Task RestoreAsync(string hostVmName, string snapshotName, CancellationToken cancellationToken) =>
        RunAsync(() => SnapshotScript.Restore(hostVmName, snapshotName), $"restore checkpoint '{snapshotName}' of VM '{hostVmName}'", cancellationToken);

    public Task DeleteAsync(string hostVmName, string snapshotName, CancellationToken cancellationToken) =>
        RunAsync(() => SnapshotScript.Delete(hostVmName, snapshotName), $"delete checkpoint '{snapshotName}' of VM '{hostVmName}'", cancellationToken);

    /// <summary>Runs one script; its checkpoint lines, once it reported <c>ok</c>.</summary>
    private async Task<List<VmSnapshot>> RunAsync(Func<string> render, string what, CancellationToken cancellationToken)
    {
        string script;
        try
        {
            script = render();
        }
        catch (ArgumentException e)
        {
            throw new SnapshotException(HyperVErrors.FromRefusedScript(e), e);
        }
        var snapshots = new List<VmSnapshot>();
        HostError? failure = null;
        var ok = false;
        PowerShellRun run;
        try
        {
            run = await runner.RunAsync(script, line =>
            {
                if (SnapshotScript.ParseSnapshotLine(line) is { } snapshot)
                {
                    snapshots.Add(snapshot);
                    return;
                }
                switch (ScriptProtocol.Parse(line))
                {
                    case ProtocolEvent.Ok { Step: 1 }:
                        ok = true;
                        break;
                    case ProtocolEvent.Fail { Step: 1 } f:
                        failure ??= HyperVErrors.FromPowerShell(what, f.Category, f.FullyQualifiedErrorId, f.Message);
                        break;
                }
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (PowerShellStartException e)
        {
            throw new SnapshotException(HyperVErrors.FromStartFailure(e.Executable, e.InnerException ?? e), e);
        }
        if (failure is not null) throw new SnapshotException(failure);
        if (!ok)
        {
            var exit = HyperVErrors.FromProcessExit(runner.Executable, run.ExitCode, run.StandardError, null);
            throw new SnapshotException(exit with { Message = $"{what}: {exit.Message}" });
        }
        return snapshots;
    }
}
