using System.Globalization;
using LabRunner.HostCommon.Running;
using LabRunner.Providers.Qemu.Acceleration;
using LabRunner.Providers.Qemu.CommandLine;
using LabRunner.Providers.Qemu.Qmp;
using LabRunner.Providers.Qemu.Vms;

namespace LabRunner.Providers.Qemu.Tests.Vms;

/// <summary>
/// The real virtiofsd started the provider's way (in the background, its output in a log, found again by its pid and
/// socket argument), and a real QEMU, paused, connecting to it with the rendered share options; everything killed by pid.
/// </summary>
public sealed class LinuxShareDaemonsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("lr-vfsd-").FullName;
    private readonly LinuxShareDaemons _daemons = new();
    private readonly List<LinuxProcess> _started = [];

    public void Dispose()
    {
        foreach (var process in _started) process.Kill();
        Directory.Delete(_directory, recursive: true);
    }

    [LiveNetworkFact("qemu-system-x86_64", "qemu-img", "setsid")]
    public async Task A_virtiofsd_started_in_the_background_serves_qemus_share_and_is_found_and_killed_by_its_pid()
    {
        HostTools.Require(needsRoot: true, "qemu-system-x86_64", "qemu-img", "setsid");
        Assert.True(File.Exists(QemuCommands.DefaultVirtiofsd), $"{QemuCommands.DefaultVirtiofsd} is missing: apt-get install -y qemu-system-common");
        var folder = Directory.CreateDirectory(Path.Combine(_directory, "site, with comma")).FullName;
        var socket = Path.Combine(_directory, "lab0.vfs");
        var log = Path.Combine(_directory, "virtiofsd.log");
        var pidFile = Path.Combine(_directory, "lab0.vfs.pid");
        var disk = Path.Combine(_directory, "disk.qcow2");
        await HostTools.RunAsync("qemu-img", "create", "-q", "-f", "qcow2", disk, "16M");

        // Act: virtiofsd the provider's way, then QEMU (paused, daemonized) with the share.
        var daemon = _daemons.Start(QemuCommands.Virtiofsd(QemuCommands.DefaultVirtiofsd, socket, folder), log);
        _started.Add(daemon);
        await File.WriteAllTextAsync(pidFile, daemon.Pid.ToString(CultureInfo.InvariantCulture));
        for (var i = 0; i < 100 && !File.Exists(socket); i++) await Task.Delay(100);
        var line = QemuCommandLine.ForVm("vfs").WithGeneration(1).WithAccelerator(QemuAccelerator.Tcg).WithMemory(128).WithDisk(disk)
            .WithShare("lab0", socket)
            .WithControlFiles(Path.Combine(_directory, "qemu.pid"), Path.Combine(_directory, "qmp.sock"), Path.Combine(_directory, "console.log"))
            .WithStartPaused(true);
        var qemuRun = await HostTools.Runner.RunAsync(line.ToHostCommand(), CancellationToken.None);
        if (File.Exists(line.PidFile) && LinuxProcess.Find(int.Parse((await File.ReadAllTextAsync(line.PidFile!)).Trim(), CultureInfo.InvariantCulture)) is { } qemu) _started.Add(qemu);
        var found = _daemons.FindRunning(pidFile, QemuCommands.SocketPathArgument(socket));
        var other = _daemons.FindRunning(pidFile, QemuCommands.SocketPathArgument(socket + ".other"));
        await using (var qmp = await QmpClient.ConnectAsync(line.QmpSocket!, null, CancellationToken.None))
            await qmp.QuitAsync(CancellationToken.None);
        for (var i = 0; i < 50 && _daemons.IsAlive(daemon); i++) await Task.Delay(100);
        if (_daemons.IsAlive(daemon)) _daemons.Kill(daemon);
        var afterKill = await daemon.WaitForExitAsync(TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(100));

        // Assert
        Assert.True(qemuRun.Succeeded, $"qemu exited {qemuRun.ExitCode}: {qemuRun.StandardError}");
        Assert.Equal(daemon, found);
        Assert.Null(other);
        Assert.Contains("Received vhost-user socket connection", await File.ReadAllTextAsync(log), StringComparison.Ordinal);
        Assert.True(afterKill, "virtiofsd still runs");
    }
}
