using System.Globalization;
using LabRunner.Core.Hosting;
using LabRunner.HostCommon.Files;
using LabRunner.HostCommon.Running;
using LabRunner.Providers.Qemu.Vms;

namespace LabRunner.Providers.Qemu;

/// <summary>
/// A VM's shared folders on a Linux host: one virtiofsd per share, started before QEMU (QEMU connects to its socket as
/// it starts), its pid recorded in the registry's run folder beside QEMU's, and stopped by that pid when the VM stops or
/// goes. A virtiofsd that outlived its VM (QEMU was killed, <c>lab</c> was interrupted) is found by the same record and
/// stopped at the VM's next start, stop or removal.
/// </summary>
internal sealed class QemuShares(QemuHost host)
{
    private VmRegistry Registry => host.Registry;

    private IShareDaemons Daemons => host.Options.ShareDaemons;

    /// <summary>A virtiofsd for each share of <paramref name="entry"/>, each listening before this returns; a failure stops those started.</summary>
    public async Task StartAsync(HostOperation op, VmEntry entry, CancellationToken ct)
    {
        if (entry.Shares.IsEmpty) return;
        if (Path.IsPathRooted(host.Options.Virtiofsd) && !File.Exists(host.Options.Virtiofsd))
            throw QemuHost.Refuse(HostErrorKind.Unavailable, op, $"'{host.Options.Virtiofsd}' is missing; it serves 'type: virtiofs' synced folders: install it with: apt-get install -y qemu-system-common (or set {QemuProvider.VirtiofsdVariable}).");
        await StopAsync(op, entry, ct).ConfigureAwait(false);
        var started = new List<(VmShareEntry Share, LinuxProcess Process)>();
        try
        {
            foreach (var share in entry.Shares)
            {
                if (!Directory.Exists(share.Path))
                    throw QemuHost.Refuse(HostErrorKind.NotFound, op, $"the shared folder '{share.Path}' ({share.Tag}) does not exist.");
                var socket = Registry.ShareSocket(entry.Name, share.Tag);
                if (System.Text.Encoding.UTF8.GetByteCount(socket) > Qmp.QmpClient.MaxSocketPathBytes)
                    throw QemuHost.Refuse(HostErrorKind.Failed, op, $"the share socket path '{socket}' is longer than a unix socket allows ({Qmp.QmpClient.MaxSocketPathBytes} bytes): set {VmRegistry.DirectoryVariable} to a shorter directory.");
                Directory.CreateDirectory(Path.GetDirectoryName(socket)!);
                File.Delete(socket);
                LinuxProcess process;
                try
                {
                    process = Daemons.Start(QemuCommands.Virtiofsd(host.Options.Virtiofsd, socket, share.Path), entry.VirtiofsdLog(share.Tag));
                }
                catch (HostCommandStartException e)
                {
                    throw QemuHost.Refuse(HostErrorKind.Unavailable, op, $"virtiofsd could not be started: {e.Message}.");
                }
                started.Add((share, process));
                AtomicFile.WriteAllText(Registry.SharePidFile(entry.Name, share.Tag), process.Pid.ToString(CultureInfo.InvariantCulture) + "\n", ownerOnly: false);
            }
            foreach (var (share, process) in started)
                await WaitForSocketAsync(op, entry, share, process, ct).ConfigureAwait(false);
        }
        catch
        {
            await StopAsync(op, entry, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Stops the recorded virtiofsd of each share of <paramref name="entry"/> (and of <paramref name="alsoTags"/>) and deletes its socket and pid file.</summary>
    public async Task StopAsync(HostOperation op, VmEntry entry, CancellationToken ct, params string[] alsoTags)
    {
        foreach (var tag in entry.Shares.Select(s => s.Tag).Concat(alsoTags).Distinct(StringComparer.Ordinal))
        {
            var socket = Registry.ShareSocket(entry.Name, tag);
            var pidFile = Registry.SharePidFile(entry.Name, tag);
            if (Daemons.FindRunning(pidFile, QemuCommands.SocketPathArgument(socket)) is { } daemon)
            {
                // Once QEMU is gone, virtiofsd has nothing left to write (every guest request was a host call done
                // before it answered): SIGKILL loses nothing, and a leftover waiting for a QEMU that never comes needs it.
                Daemons.Kill(daemon);
                if (!await WaitForExitAsync(daemon, TimeSpan.FromSeconds(10), ct).ConfigureAwait(false))
                    throw QemuHost.Refuse(HostErrorKind.Failed, op, $"virtiofsd ({daemon}) of share '{tag}' did not exit after SIGKILL.");
            }
            File.Delete(socket);
            File.Delete(pidFile);
        }
    }

    private async Task WaitForSocketAsync(HostOperation op, VmEntry entry, VmShareEntry share, LinuxProcess process, CancellationToken ct)
    {
        var socket = Registry.ShareSocket(entry.Name, share.Tag);
        var deadline = DateTimeOffset.UtcNow + host.Options.ShareStartTimeout;
        while (!File.Exists(socket))
        {
            if (!Daemons.IsAlive(process))
                throw QemuHost.Refuse(HostErrorKind.Failed, op, $"virtiofsd for '{share.Path}' ({share.Tag}) exited at once{LogTail(entry.VirtiofsdLog(share.Tag))}");
            if (DateTimeOffset.UtcNow >= deadline)
                throw QemuHost.Refuse(HostErrorKind.Failed, op, $"virtiofsd for '{share.Path}' ({share.Tag}) did not open its socket within {host.Options.ShareStartTimeout.TotalSeconds:0} s{LogTail(entry.VirtiofsdLog(share.Tag))}");
            await Task.Delay(host.Options.PollInterval, ct).ConfigureAwait(false);
        }
    }

    private async Task<bool> WaitForExitAsync(LinuxProcess process, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (Daemons.IsAlive(process))
        {
            if (DateTimeOffset.UtcNow >= deadline) return false;
            await Task.Delay(host.Options.PollInterval, ct).ConfigureAwait(false);
        }
        return true;
    }

    /// <summary>": " and the last lines of a virtiofsd log (what it said before it gave up), or "." without one.</summary>
    private static string LogTail(string log)
    {
        try
        {
            var lines = File.ReadAllLines(log).Where(l => l.Length > 0).TakeLast(3).ToList();
            return lines.Count == 0 ? "." : $" ({log}): {string.Join(" / ", lines)}";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return ".";
        }
    }
}
