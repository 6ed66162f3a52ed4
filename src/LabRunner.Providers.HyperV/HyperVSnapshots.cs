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

    /// <summary>Every VM's checkpoints in one PowerShell process.</summary>
    public async Task<ImmutableDictionary<string, ImmutableArray<VmSnapshot>>> ListManyAsync(IReadOnlyCollection<string> hostVmNames, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hostVmNames);
        var vms = hostVmNames.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var byVm = vms.ToDictionary(vm => vm, _ => new List<VmSnapshot>(), StringComparer.OrdinalIgnoreCase);
        if (vms.Count > 0)
        {
            string? current = null;
            await RunAsync(() => SnapshotScript.ListMany(vms), $"list the checkpoints of VMs {string.Join(", ", vms.Select(v => $"'{v}'"))}", cancellationToken,
                line => current = SnapshotScript.ParseVmLine(line) ?? current,
                snapshot => { if (current is not null && byVm.TryGetValue(current, out var list)) list.Add(snapshot); }).ConfigureAwait(false);
        }
        return byVm.ToImmutableDictionary(p => p.Key, p => p.Value.OrderBy(s => s.Created).ToImmutableArray(), StringComparer.OrdinalIgnoreCase);
    }

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
    private async Task<List<VmSnapshot>> RunAsync(Func<string> render, string what, CancellationToken cancellationToken,
        Action<string>? otherLine = null, Action<VmSnapshot>? reported = null)
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
                    reported?.Invoke(snapshot);
                    return;
                }
                otherLine?.Invoke(line);
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
