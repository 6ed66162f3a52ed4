using System.Net;
using LabRunner.Core.Hosting;
using LabRunner.Core.Net;
using LabRunner.Providers.Qemu.Acceleration;
using LabRunner.Providers.Qemu.CommandLine;
using LabRunner.HostCommon.Disks;
using LabRunner.Providers.Qemu.Qmp;
using LabRunner.HostCommon.Running;
using LabRunner.Providers.Qemu.Vms;

namespace LabRunner.Providers.Qemu;

/// <summary>
/// A VM's life on a Linux host: its overlay disk and registry entry, the <c>qemu-system-x86_64</c> process started
/// from that entry, and stopping, resuming and removing it through QMP and signals.
/// </summary>
internal sealed class QemuVmLifecycle(QemuHost host, QemuTaps taps, QemuShares shares)
{
    /// <summary>A change QEMU takes only at the next start (QemuRules: adapters, seed and hardware change while the VM is off).</summary>
    public void UpdateOffline(HostOperation op, Func<VmEntry, VmEntry> change)
    {
        var entry = host.Entry(op);
        if (host.IsRunning(entry))
            throw QemuHost.Refuse(HostErrorKind.InvalidState, op, "the VM is running; QEMU takes this change only while it is off (lab reload applies it).");
        host.Registry.Save(change(entry));
    }

    /// <summary>The VM gets a shared folder at its next start (a share of that tag is replaced).</summary>
    public void AddShare(AddVmShare op) => UpdateOffline(op, e => e with
    {
        Shares = [.. e.Shares.Where(s => s.Tag != op.Tag), new VmShareEntry(op.Tag, op.Path)],
    });

    /// <summary>The share goes from the VM (off), and a virtiofsd of it that outlived the VM with it.</summary>
    public async Task RemoveShareAsync(RemoveVmShare op, CancellationToken ct)
    {
        UpdateOffline(op, e => e with { Shares = [.. e.Shares.Where(s => s.Tag != op.Tag)] });
        await shares.StopAsync(op, host.Entry(op), ct, op.Tag).ConfigureAwait(false);
    }

    public async Task CreateDiskAsync(CreateDisk op, CancellationToken ct)
    {
        if (File.Exists(op.Path))
            throw QemuHost.Refuse(HostErrorKind.AlreadyExists, op, $"'{op.Path}' already exists; LabRunner does not overwrite a disk.");
        var parent = Path.GetFullPath(op.ParentPath);
        // The engine refuses such a box before planning (LAB314); checked again where the overlay is made on it,
        // so no path here gives QEMU (root) a backing chain or data file into the host's own files.
        var check = DiskImageInspector.InspectFile(parent);
        if (check.Refusal is { } refusal)
            throw QemuHost.Refuse(HostErrorKind.InvalidState, op, $"the box '{parent}' {refusal}; {DiskImageInspector.Why}.");
        var format = check.Format;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(op.Path))!);
        await host.RunCheckedAsync(QemuCommands.OverlayCreate(Path.GetFullPath(op.Path), parent, format), ct).ConfigureAwait(false);
    }

    /// <summary>The file name of a VM's UEFI variable store, in its folder: a qcow2 image.</summary>
    public const string VarsFileName = "OVMF_VARS.qcow2";

    public async Task CreateVmAsync(CreateVm op, CancellationToken ct)
    {
        if (host.Registry.Find(op.VmName) is not null)
            throw QemuHost.Refuse(HostErrorKind.AlreadyExists, op, $"a VM '{op.VmName}' is already in the QEMU registry ({host.Registry.Directory}).");
        if (op.Generation is not (1 or 2))
            throw QemuHost.Refuse(HostErrorKind.Failed, op, $"generation {op.Generation} is neither 1 (BIOS) nor 2 (UEFI).");
        Directory.CreateDirectory(op.Path);
        string? vars = null;
        if (op.Generation == 2)
        {
            vars = Path.Combine(op.Path, VarsFileName);
            await VarsFromTemplateAsync(op, vars, ct).ConfigureAwait(false);
        }
        host.Registry.Save(new VmEntry(op.VmName, op.Notes, op.Generation, 1, op.MemoryBytes, op.Path, op.DiskPath, null, vars, []));
    }

    /// <summary>The firmware's pristine variable store, converted to this VM's own qcow2 image at <paramref name="vars"/>.</summary>
    private async Task VarsFromTemplateAsync(HostOperation op, string vars, CancellationToken ct)
    {
        var template = host.Options.OvmfVarsTemplate;
        if (!File.Exists(template))
            throw QemuHost.Refuse(HostErrorKind.Unavailable, op, $"the UEFI firmware is missing ({template}); install it with: apt-get install -y ovmf");
        await host.RunCheckedAsync(QemuCommands.VarsToQcow2(template, DiskFormatDetector.DetectFile(template), vars), ct).ConfigureAwait(false);
    }

    /// <summary>
    /// A generation 2 VM that is off gets its UEFI variables as a qcow2 image: made from the template when the file is
    /// missing, converted (and the raw file removed) when an older LabRunner left a raw copy. Returns the entry as saved.
    /// </summary>
    public async Task<VmEntry> EnsureQcow2VarsAsync(HostOperation op, VmEntry entry, CancellationToken ct)
    {
        if (entry.Generation != 2) return entry;
        var target = Path.Combine(entry.Folder, VarsFileName);
        if (entry.FirmwareVars is not { } vars || !File.Exists(vars))
        {
            Directory.CreateDirectory(entry.Folder);
            await VarsFromTemplateAsync(op, target, ct).ConfigureAwait(false);
        }
        else
        {
            var format = DiskFormatDetector.DetectFile(vars);
            if (format == DiskFormat.Qcow2) return entry;
            // Through a temporary file: an interrupted conversion leaves the raw store in use, never half an image.
            var part = target + ".part";
            await host.RunCheckedAsync(QemuCommands.VarsToQcow2(vars, format, part), ct).ConfigureAwait(false);
            File.Move(part, target, overwrite: true);
        }
        var converted = entry with { FirmwareVars = target };
        host.Registry.Save(converted);
        if (entry.FirmwareVars is { } old && !string.Equals(Path.GetFullPath(old), Path.GetFullPath(target), StringComparison.Ordinal)) File.Delete(old);
        return converted;
    }

    public async Task ConnectVmAdapterAsync(ConnectVmAdapter op, CancellationToken ct)
    {
        var entry = host.Entry(op);
        var adapter = entry.Adapters.FirstOrDefault(a => QemuHost.SameName(a.Name, op.AdapterName))
            ?? throw QemuHost.Refuse(HostErrorKind.NotFound, op, $"the VM has no adapter '{op.AdapterName}'.");
        // A running VM's tap moves to the other bridge at once; the guest sees a link that changed network.
        if (host.IsRunning(entry))
            await host.RunCheckedAsync(QemuCommands.LinkSetMaster(adapter.Tap, op.SwitchName), ct).ConfigureAwait(false);
        host.Registry.Save(entry with { Adapters = [.. entry.Adapters.Select(a => a == adapter ? a with { Switch = op.SwitchName } : a)] });
    }

    /// <summary>The qemu-system-x86_64 command of a VM as the registry has it.</summary>
    public HostCommand QemuCommandOf(VmEntry entry, QemuAccelerator accelerator, DiskFormat diskFormat, bool paused = false)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var line = QemuCommandLine.ForVm(entry.Name)
            .WithGeneration(entry.Generation, entry.FirmwareVars)
            .WithOvmfCode(host.Options.OvmfCode)
            .WithAccelerator(accelerator)
            .WithCpus(entry.Cpus)
            .WithMemory((int)(entry.MemoryBytes / (1024 * 1024)))
            .WithDisk(entry.Disk, diskFormat)
            .WithSeedIso(entry.Seed)
            .WithControlFiles(host.Registry.PidFile(entry.Name), host.Registry.QmpSocket(entry.Name), entry.ConsoleLog)
            .WithStartPaused(paused);
        foreach (var adapter in entry.Adapters) line = line.WithAdapter(adapter.Tap, adapter.Mac);
        foreach (var share in entry.Shares) line = line.WithShare(share.Tag, host.Registry.ShareSocket(entry.Name, share.Tag));
        return line.ToHostCommand();
    }

    public Task StartVmAsync(StartVm op, CancellationToken ct) => StartVmAsync(op, paused: false, ct);

    /// <summary>Starts the VM's QEMU; <paramref name="paused"/>: with its CPUs stopped (<c>-S</c>), for a snapshot to be loaded first.</summary>
    public async Task StartVmAsync(StartVm op, bool paused, CancellationToken ct)
    {
        var entry = host.Entry(op);
        if (host.IsRunning(entry)) return;
        var accelerator = host.Accelerator.Choice ?? throw QemuHost.Refuse(HostErrorKind.Unavailable, op, host.Accelerator.Error!);
        DiskFormat format;
        try
        {
            format = DiskFormatDetector.DetectFile(entry.Disk);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new QemuOperationException(QemuErrors.FromFile(op, entry.Disk, e));
        }
        entry = await EnsureQcow2VarsAsync(op, entry, ct).ConfigureAwait(false);
        var socket = host.Registry.QmpSocket(entry.Name);
        if (System.Text.Encoding.UTF8.GetByteCount(socket) > QmpClient.MaxSocketPathBytes)
            throw QemuHost.Refuse(HostErrorKind.Failed, op, $"the QMP socket path '{socket}' is longer than a unix socket allows ({QmpClient.MaxSocketPathBytes} bytes): set {VmRegistry.DirectoryVariable} to a shorter directory.");
        Directory.CreateDirectory(Path.GetDirectoryName(socket)!);
        Directory.CreateDirectory(entry.Folder);
        File.Delete(socket);
        File.Delete(host.Registry.PidFile(entry.Name));

        await taps.CreateAsync(op, entry, ct).ConfigureAwait(false);
        try
        {
            await shares.StartAsync(op, entry, ct).ConfigureAwait(false);
            await host.RunCheckedAsync(QemuCommandOf(entry, accelerator.Accelerator, format, paused), ct).ConfigureAwait(false);
        }
        catch
        {
            await shares.StopAsync(op, entry, CancellationToken.None).ConfigureAwait(false);
            await taps.DeleteTapsAsync(entry, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    public async Task StopVmAsync(StopVm op, CancellationToken ct)
    {
        var entry = host.Entry(op);
        var socket = host.Registry.QmpSocket(entry.Name);
        if (host.Options.Processes.FindRunning(host.Registry.PidFile(entry.Name)) is { } qemu)
        {
            if (!op.TurnOff)
            {
                // ACPI power button; the guest shuts down in its own time. The engine cancels after its halt timeout and turns the VM off.
                var pressed = true;
                try
                {
                    await host.Options.Processes.ExecuteAsync(socket, "system_powerdown", ct).ConfigureAwait(false);
                }
                catch (QmpConnectionClosedException)
                {
                    // Exiting already.
                }
                catch (QmpException)
                {
                    // A silent or broken monitor cannot press the button: nothing else would ever stop this QEMU.
                    pressed = false;
                }
                if (pressed) await WaitForExitAsync(qemu, Timeout.InfiniteTimeSpan, ct).ConfigureAwait(false);
                else await KillAsync(op, qemu, ct).ConfigureAwait(false);
            }
            else
            {
                try
                {
                    await host.Options.Processes.ExecuteAsync(socket, "quit", ct).ConfigureAwait(false);
                }
                catch (QmpException)
                {
                    // No answer: killed below.
                }
                if (!await WaitForExitAsync(qemu, host.Options.TurnOffTimeout, ct).ConfigureAwait(false))
                    await KillAsync(op, qemu, ct).ConfigureAwait(false);
            }
        }
        await shares.StopAsync(op, entry, ct).ConfigureAwait(false);
        await taps.DeleteTapsAsync(entry, ct).ConfigureAwait(false);
        File.Delete(socket);
        File.Delete(host.Registry.PidFile(entry.Name));
        // Off now: a raw variable store an older LabRunner made becomes qcow2, so the halted VM can take snapshots.
        if (entry.FirmwareVars is { } vars && File.Exists(vars)) await EnsureQcow2VarsAsync(op, entry, ct).ConfigureAwait(false);
    }

    /// <summary>SIGKILL to the QEMU found at the start (never to a process that took its pid since), then waits for it to go.</summary>
    private async Task KillAsync(StopVm op, LinuxProcess qemu, CancellationToken ct)
    {
        if (!host.Options.Processes.IsAlive(qemu)) return;
        host.Options.Processes.Kill(qemu);
        if (!await WaitForExitAsync(qemu, TimeSpan.FromSeconds(10), ct).ConfigureAwait(false))
            throw QemuHost.Refuse(HostErrorKind.Failed, op, $"QEMU ({qemu}) did not exit after SIGKILL.");
    }

    /// <summary>Whether <paramref name="qemu"/> exited within <paramref name="timeout"/> (infinite: until cancelled); a reused pid counts as exited.</summary>
    private async Task<bool> WaitForExitAsync(LinuxProcess qemu, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = timeout == Timeout.InfiniteTimeSpan ? DateTimeOffset.MaxValue : DateTimeOffset.UtcNow + timeout;
        while (host.Options.Processes.IsAlive(qemu))
        {
            if (DateTimeOffset.UtcNow >= deadline) return false;
            await Task.Delay(host.Options.PollInterval, ct).ConfigureAwait(false);
        }
        return true;
    }

    public async Task ResumeVmAsync(ResumeVm op, CancellationToken ct)
    {
        var entry = host.Entry(op);
        if (!host.IsRunning(entry)) throw QemuHost.Refuse(HostErrorKind.InvalidState, op, "the VM is not running.");
        await host.Options.Processes.ExecuteAsync(host.Registry.QmpSocket(entry.Name), "cont", ct).ConfigureAwait(false);
    }

    public async Task RemoveVmAsync(RemoveVm op, CancellationToken ct)
    {
        var entry = host.Entry(op);
        if (host.IsRunning(entry)) throw QemuHost.Refuse(HostErrorKind.InvalidState, op, "the VM is running; it must be off to be removed.");
        await shares.StopAsync(op, entry, ct).ConfigureAwait(false);
        await taps.DeleteTapsAsync(entry, ct).ConfigureAwait(false);
        if (entry.FirmwareVars is { } vars) File.Delete(vars);
        host.Registry.Delete(entry.Name);
    }
}
