using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using LabRunner.Core.Hosting;
using LabRunner.HostCommon.Running;
using LabRunner.Providers.Qemu.Qmp;
using LabRunner.Providers.Qemu.Vms;

namespace LabRunner.Providers.Qemu.Capabilities;

/// <summary>
/// Snapshots of QEMU VMs: internal qcow2 snapshots of the VM's overlay and of its UEFI variables (a qcow2 image too,
/// see <see cref="QemuVmLifecycle.EnsureQcow2VarsAsync"/>), so one snapshot covers the whole VM.
/// <list type="bullet">
/// <item>A VM that runs (or is paused): QMP jobs <c>snapshot-save</c>/<c>snapshot-load</c>/<c>snapshot-delete</c>, the
/// vmstate (memory and devices) on the overlay, followed with <c>JOB_STATUS_CHANGE</c> events and <c>query-jobs</c> until
/// concluded, then dismissed; a job's error becomes a <see cref="SnapshotException"/>.</item>
/// <item>A VM that is off: <c>qemu-img snapshot -c/-a/-d</c> on the overlay and the variables (disk only).</item>
/// <item>Restoring a snapshot with memory while the VM is off: QEMU is started with its CPUs stopped (<c>-S</c>), the
/// snapshot loaded by the same QMP job, then <c>cont</c> — one way to load for both cases, with the job's errors (rather
/// than <c>-loadvm</c>, whose failure is only QEMU's exit). Restoring a disk-only snapshot of a running VM turns it off
/// first (QMP <c>quit</c>): a snapshot without memory leaves the VM off.</item>
/// </list>
/// Names are checked before they reach QMP or qemu-img (<see cref="IsValidName"/>); every argument is an argv entry or a
/// JSON value, never shell text. QEMU has no production snapshots: <see cref="SnapshotType.Production"/> takes a standard
/// one (the returned type says so) and <see cref="SnapshotType.ProductionOnly"/> is refused.
/// </summary>
internal sealed partial class QemuSnapshots(QemuHost host, QemuVmLifecycle vms) : ISnapshots
{
    /// <summary>The longest snapshot name taken.</summary>
    public const int MaxNameLength = 64;

    /// <summary>
    /// A name qemu-img and QMP take as a tag and nothing else: letters, digits, '.', '_', '-', starting with a letter or
    /// digit (never an option), and not only digits (QEMU also finds a snapshot by its numeric id).
    /// </summary>
    public static bool IsValidName(string name) =>
        name is { Length: > 0 and <= MaxNameLength } && NamePattern().IsMatch(name) && !name.All(char.IsAsciiDigit);

    public async Task<ImmutableArray<VmSnapshot>> ListAsync(string hostVmName, CancellationToken cancellationToken)
    {
        var entry = host.Registry.Find(hostVmName);
        if (entry is null) return [];
        return await GuardAsync(hostVmName, null, () => ListAsync(entry, cancellationToken)).ConfigureAwait(false);
    }

    public Task PauseAsync(string hostVmName, CancellationToken cancellationToken) => GuardAsync(hostVmName, null, async () =>
    {
        var entry = Entry(hostVmName, null);
        if (!host.IsRunning(entry)) throw Refuse(HostErrorKind.InvalidState, hostVmName, null, "the VM is not running, so it cannot be paused.");
        await using var qmp = await OpenAsync(entry, cancellationToken).ConfigureAwait(false);
        await qmp.ExecuteAsync("stop", null, cancellationToken).ConfigureAwait(false);
    });

    public Task ResumeAsync(string hostVmName, CancellationToken cancellationToken) => GuardAsync(hostVmName, null, async () =>
    {
        var entry = Entry(hostVmName, null);
        if (!host.IsRunning(entry)) return;
        await using var qmp = await OpenAsync(entry, cancellationToken).ConfigureAwait(false);
        await ContinueIfStoppedAsync(qmp, cancellationToken).ConfigureAwait(false);
    });

    public Task<VmSnapshot> SaveAsync(string hostVmName, string snapshotName, SnapshotType type, CancellationToken cancellationToken) => GuardAsync(hostVmName, snapshotName, async () =>
    {
        CheckName(hostVmName, snapshotName);
        if (type == SnapshotType.ProductionOnly)
            throw Refuse(HostErrorKind.Conflict, hostVmName, snapshotName, "QEMU has no production snapshots (frozen file systems, no memory), and snapshot_type production_only refuses a standard one; use standard or production.");
        var entry = Entry(hostVmName, snapshotName);
        if ((await ListAsync(entry, cancellationToken).ConfigureAwait(false)).Any(s => s.Name == snapshotName))
            throw Refuse(HostErrorKind.AlreadyExists, hostVmName, snapshotName, "the VM already has a snapshot of that name.");
        if (host.IsRunning(entry))
        {
            // QEMU marks a vhost-user-fs device unmigratable, so snapshot-save refuses any VM that has one.
            if (!entry.Shares.IsDefaultOrEmpty)
                throw Refuse(HostErrorKind.InvalidState, hostVmName, snapshotName,
                    "it runs with virtiofs shares, and QEMU cannot save the memory of a VM with a vhost-user-fs device; halt the lab ('lab halt') and save it then (disks only).");
            await using var qmp = await OpenAsync(entry, cancellationToken).ConfigureAwait(false);
            var nodes = await NodesAsync(qmp, entry, snapshotName, cancellationToken).ConfigureAwait(false);
            await RunJobAsync(qmp, "snapshot-save", id => QmpSnapshotCommands.Save(id, snapshotName, nodes), hostVmName, snapshotName, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            entry = await vms.EnsureQcow2VarsAsync(new StartVm(hostVmName), entry, cancellationToken).ConfigureAwait(false);
            await ImageSnapshotAsync(ImageSnapshotAction.Create, snapshotName, entry.Disk, cancellationToken).ConfigureAwait(false);
            if (entry.FirmwareVars is { } vars)
            {
                try
                {
                    await ImageSnapshotAsync(ImageSnapshotAction.Create, snapshotName, vars, cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    // Half a snapshot is none: the disk's goes again.
                    await ImageSnapshotAsync(ImageSnapshotAction.Delete, snapshotName, entry.Disk, CancellationToken.None).ConfigureAwait(false);
                    throw;
                }
            }
        }
        var saved = (await ListAsync(entry, cancellationToken).ConfigureAwait(false)).LastOrDefault(s => s.Name == snapshotName)
            ?? throw Refuse(HostErrorKind.Failed, hostVmName, snapshotName, "QEMU reported the snapshot taken, but the disk does not list it.");
        return type == SnapshotType.Production ? saved with { Type = saved.Type + " (standard: QEMU has no production snapshots)" } : saved;
    });

    public Task RestoreAsync(string hostVmName, string snapshotName, CancellationToken cancellationToken) => GuardAsync(hostVmName, snapshotName, async () =>
    {
        CheckName(hostVmName, snapshotName);
        var entry = Entry(hostVmName, snapshotName);
        var snapshot = (await ListAsync(entry, cancellationToken).ConfigureAwait(false)).LastOrDefault(s => s.Name == snapshotName)
            ?? throw Refuse(HostErrorKind.NotFound, hostVmName, snapshotName, "the VM has no snapshot of that name.");
        if (snapshot.WithMemory)
        {
            var started = false;
            if (!host.IsRunning(entry))
            {
                await vms.StartVmAsync(new StartVm(hostVmName), paused: true, cancellationToken).ConfigureAwait(false);
                started = true;
            }
            try
            {
                await using var qmp = await OpenAsync(entry, cancellationToken).ConfigureAwait(false);
                var nodes = await NodesAsync(qmp, entry, snapshotName, cancellationToken).ConfigureAwait(false);
                await RunJobAsync(qmp, "snapshot-load", id => QmpSnapshotCommands.Load(id, snapshotName, nodes), hostVmName, snapshotName, cancellationToken).ConfigureAwait(false);
                // The snapshot was taken running (the lab pauses its VMs only for the instant of the save): it runs again.
                await ContinueIfStoppedAsync(qmp, cancellationToken).ConfigureAwait(false);
            }
            catch when (started)
            {
                // A VM that was off stays off when its snapshot cannot be loaded.
                await vms.StopVmAsync(new StopVm(hostVmName, TurnOff: true), CancellationToken.None).ConfigureAwait(false);
                throw;
            }
        }
        else
        {
            if (host.IsRunning(entry)) await vms.StopVmAsync(new StopVm(hostVmName, TurnOff: true), cancellationToken).ConfigureAwait(false);
            entry = Entry(hostVmName, snapshotName);
            await ImageSnapshotAsync(ImageSnapshotAction.Apply, snapshotName, entry.Disk, cancellationToken).ConfigureAwait(false);
            if (entry.FirmwareVars is { } vars) await ImageSnapshotAsync(ImageSnapshotAction.Apply, snapshotName, vars, cancellationToken).ConfigureAwait(false);
        }
    });

    public Task DeleteAsync(string hostVmName, string snapshotName, CancellationToken cancellationToken) => GuardAsync(hostVmName, snapshotName, async () =>
    {
        CheckName(hostVmName, snapshotName);
        var entry = Entry(hostVmName, snapshotName);
        if (!(await ListAsync(entry, cancellationToken).ConfigureAwait(false)).Any(s => s.Name == snapshotName))
            throw Refuse(HostErrorKind.NotFound, hostVmName, snapshotName, "the VM has no snapshot of that name.");
        if (host.IsRunning(entry))
        {
            await using var qmp = await OpenAsync(entry, cancellationToken).ConfigureAwait(false);
            var nodes = await NodesAsync(qmp, entry, snapshotName, cancellationToken).ConfigureAwait(false);
            await RunJobAsync(qmp, "snapshot-delete", id => QmpSnapshotCommands.Delete(id, snapshotName, nodes), hostVmName, snapshotName, cancellationToken).ConfigureAwait(false);
            return;
        }
        await ImageSnapshotAsync(ImageSnapshotAction.Delete, snapshotName, entry.Disk, cancellationToken).ConfigureAwait(false);
        if (entry.FirmwareVars is { } vars && File.Exists(vars) && (await ImageSnapshotsAsync(vars, cancellationToken).ConfigureAwait(false)).Any(s => s.Name == snapshotName))
            await ImageSnapshotAsync(ImageSnapshotAction.Delete, snapshotName, vars, cancellationToken).ConfigureAwait(false);
    });

    /// <summary>Running: the disk's snapshots as QEMU has them open (<c>query-block</c>); off: <c>qemu-img info</c> of the overlay.</summary>
    private async Task<ImmutableArray<VmSnapshot>> ListAsync(VmEntry entry, CancellationToken ct)
    {
        if (host.IsRunning(entry))
        {
            await using var qmp = await OpenAsync(entry, ct).ConfigureAwait(false);
            return QmpSnapshotCommands.SnapshotsInQueryBlock(await qmp.ExecuteAsync("query-block", null, ct).ConfigureAwait(false));
        }
        return File.Exists(entry.Disk) ? await ImageSnapshotsAsync(entry.Disk, ct).ConfigureAwait(false) : [];
    }

    private async Task<ImmutableArray<VmSnapshot>> ImageSnapshotsAsync(string image, CancellationToken ct)
    {
        var info = await host.RunCheckedAsync(QemuCommands.ImageInfo(image), ct).ConfigureAwait(false);
        try
        {
            using var json = JsonDocument.Parse(info.StandardOutput);
            return QmpSnapshotCommands.SnapshotsInImageInfo(json.RootElement);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new SnapshotException(new HostError(HostErrorKind.Failed, $"qemu-img info of '{image}' printed what LabRunner cannot read: {e.Message}"), e);
        }
    }

    private Task ImageSnapshotAsync(ImageSnapshotAction action, string name, string image, CancellationToken ct) =>
        host.RunCheckedAsync(QemuCommands.ImageSnapshot(action, name, image), ct);

    private async Task<QmpSnapshotCommands.JobNodes> NodesAsync(IQmpSession qmp, VmEntry entry, string snapshotName, CancellationToken ct)
    {
        var blocks = await qmp.ExecuteAsync("query-block", null, ct).ConfigureAwait(false);
        var nodes = QmpSnapshotCommands.Nodes(blocks)
            ?? throw Refuse(HostErrorKind.Failed, entry.Name, snapshotName, $"QEMU shows no drive '{QmpSnapshotCommands.DiskDrive}' (query-block).");
        if (entry.Generation == 2 && QmpSnapshotCommands.VarsFormat(blocks) is { } format && format != "qcow2")
            throw Refuse(HostErrorKind.InvalidState, entry.Name, snapshotName,
                "the VM runs with its UEFI variables in a raw file (made by an older LabRunner), which QEMU cannot snapshot; they become qcow2 when the VM next stops: run 'lab halt' and 'lab up' for it once.");
        return nodes;
    }

    /// <summary>
    /// Starts a snapshot job and waits for it to conclude: woken by its <c>JOB_STATUS_CHANGE</c> events, checked with
    /// <c>query-jobs</c> (also every poll interval, should an event be missed), then dismissed. Its error is thrown.
    /// </summary>
    private async Task RunJobAsync(IQmpSession qmp, string command, Func<string, JsonObject> arguments, string vm, string snapshotName, CancellationToken ct)
    {
        var jobId = $"labrunner-{command}-{Guid.NewGuid():N}"[..40];
        await qmp.ExecuteAsync(command, arguments(jobId), ct).ConfigureAwait(false);
        var deadline = host.Options.Time.GetUtcNow() + host.Options.SnapshotJobTimeout;
        while (true)
        {
            var job = QmpSnapshotCommands.Job(await qmp.ExecuteAsync("query-jobs", null, ct).ConfigureAwait(false), jobId)
                ?? throw Refuse(HostErrorKind.Failed, vm, snapshotName, $"QEMU lost the {command} job '{jobId}' (query-jobs does not list it).");
            if (job.Status == "concluded")
            {
                await qmp.ExecuteAsync("job-dismiss", new JsonObject { ["id"] = jobId }, ct).ConfigureAwait(false);
                if (job.Error is { } error)
                    throw Refuse(QemuErrors.KindOf(error), vm, snapshotName, $"QEMU's {command} failed: {QemuErrors.OneLine(error)}.");
                return;
            }
            if (host.Options.Time.GetUtcNow() >= deadline)
                throw Refuse(HostErrorKind.Failed, vm, snapshotName, $"QEMU's {command} job is still '{job.Status}' after {host.Options.SnapshotJobTimeout.TotalSeconds:0} s.");
            await WaitForJobEventAsync(qmp, jobId, ct).ConfigureAwait(false);
        }
    }

    private async Task WaitForJobEventAsync(IQmpSession qmp, string jobId, CancellationToken ct)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
        wait.CancelAfter(host.Options.PollInterval);
        try
        {
            while (await qmp.WaitForEventAsync("JOB_STATUS_CHANGE", wait.Token).ConfigureAwait(false) is { } e)
            {
                if (e.Data is { } data && data.TryGetProperty("id", out var id) && id.GetString() == jobId) return;
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // The poll interval passed: query-jobs again.
        }
    }

    private static async Task ContinueIfStoppedAsync(IQmpSession qmp, CancellationToken ct)
    {
        var status = (await qmp.ExecuteAsync("query-status", null, ct).ConfigureAwait(false)).GetProperty("status").GetString();
        if (status is "paused" or "prelaunch" or "restore-vm") await qmp.ExecuteAsync("cont", null, ct).ConfigureAwait(false);
    }

    /// <summary>A session whose commands wait as long as a job may take: QEMU answers snapshot-save only once the memory is written.</summary>
    private Task<IQmpSession> OpenAsync(VmEntry entry, CancellationToken ct) =>
        host.Options.Processes.OpenQmpAsync(host.Registry.QmpSocket(entry.Name), host.Options.SnapshotJobTimeout, ct);

    private VmEntry Entry(string vm, string? snapshotName) =>
        host.Registry.Find(vm) ?? throw Refuse(HostErrorKind.NotFound, vm, snapshotName, $"there is no VM '{vm}' in the QEMU registry ({host.Registry.Directory}).");

    private static void CheckName(string vm, string snapshotName)
    {
        if (!IsValidName(snapshotName))
            throw Refuse(HostErrorKind.Failed, vm, snapshotName,
                $"a snapshot name is 1-{MaxNameLength} letters, digits, '.', '_' or '-', starting with a letter or digit, and not only digits.");
    }

    private static SnapshotException Refuse(HostErrorKind kind, string vm, string? snapshotName, string why) =>
        new(new HostError(kind, $"{What(vm, snapshotName)}: {why}"));

    private static string What(string vm, string? snapshotName) =>
        snapshotName is null ? $"snapshots of VM '{vm}'" : $"snapshot '{snapshotName}' of VM '{vm}'";

    /// <summary>Every failure below becomes a <see cref="SnapshotException"/> naming the VM and the snapshot; a cancellation stays one.</summary>
    private async Task<T> GuardAsync<T>(string vm, string? snapshotName, Func<Task<T>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (SnapshotException)
        {
            throw;
        }
        catch (QemuOperationException e)
        {
            throw new SnapshotException(e.Error with { Message = $"{What(vm, snapshotName)}: {e.Error.Message}" }, e);
        }
        catch (HostCommandFailedException e)
        {
            var stderr = string.IsNullOrWhiteSpace(e.Result.StandardError) ? "no error output" : QemuErrors.OneLine(e.Result.StandardError);
            throw new SnapshotException(new HostError(QemuErrors.KindOf(e.Result.StandardError), $"{What(vm, snapshotName)}: {e.Command.Executable} exited with code {e.Result.ExitCode}: {stderr}."), e);
        }
        catch (HostCommandStartException e)
        {
            var error = QemuErrors.FromStart(e);
            throw new SnapshotException(error with { Message = $"{What(vm, snapshotName)}: {error.Message}" }, e);
        }
        catch (QmpException e)
        {
            var kind = e is QmpConnectionClosedException ? HostErrorKind.InvalidState : HostErrorKind.Failed;
            throw new SnapshotException(new HostError(kind, $"{What(vm, snapshotName)}: {QemuErrors.OneLine(e.Message)}"), e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var error = QemuErrors.FromFile(null, (e as FileNotFoundException)?.FileName ?? host.Registry.Directory, e);
            throw new SnapshotException(error with { Message = $"{What(vm, snapshotName)}: {error.Message}" }, e);
        }
    }

    private Task GuardAsync(string vm, string? snapshotName, Func<Task> action) =>
        GuardAsync<bool>(vm, snapshotName, async () =>
        {
            await action().ConfigureAwait(false);
            return true;
        });

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*\\z")]
    private static partial Regex NamePattern();
}
