using System.Globalization;
using System.Text.Json.Nodes;
using LabRunner.HostCommon.Running;
using LabRunner.Providers.Qemu.Qmp;
using LabRunner.Providers.Qemu.Tests.Support;

namespace LabRunner.Providers.Qemu.Tests.Qmp;

/// <summary>The client against a real qemu-system-x86_64 (q35, TCG, no disk), started by the test and killed by pid at the end.</summary>
public sealed class QmpClientQemuTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("lr-qmpq-").FullName;
    private LinuxProcess? _qemu;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_qemu is { } qemu)
        {
            // Only the QEMU this test started (pid and start time): if it exited, a process that took its pid is left alone.
            qemu.Kill();
            await qemu.WaitForExitAsync(TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(50));
        }
        Directory.Delete(_directory, recursive: true);
    }

    private async Task<string> StartQemuAsync()
    {
        HostTools.Require(needsRoot: false, "qemu-system-x86_64");
        var socket = Path.Combine(_directory, "qmp.sock");
        var pidFile = Path.Combine(_directory, "qemu.pid");
        await HostTools.RunAsync("qemu-system-x86_64",
            "-machine", "q35", "-accel", "tcg", "-nodefaults", "-no-user-config", "-display", "none", "-m", "64M",
            "-qmp", $"unix:{socket},server=on,wait=off", "-pidfile", pidFile, "-daemonize");
        _qemu = LinuxProcess.Find(int.Parse((await File.ReadAllTextAsync(pidFile)).Trim(), CultureInfo.InvariantCulture));
        return socket;
    }

    [ToolFact("qemu-system-x86_64")]
    public async Task Stop_cont_and_query_status_drive_a_real_qemu()
    {
        var socket = await StartQemuAsync();
        await using var client = await QmpClient.ConnectAsync(socket, null, CancellationToken.None);

        var before = await client.QueryStatusAsync(CancellationToken.None);
        await client.StopAsync(CancellationToken.None);
        var stopEvent = await client.WaitForEventAsync("STOP", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        var paused = await client.QueryStatusAsync(CancellationToken.None);
        await client.ContinueAsync(CancellationToken.None);
        var resumeEvent = await client.WaitForEventAsync("RESUME", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        var after = await client.QueryStatusAsync(CancellationToken.None);

        Assert.True(client.Greeting.Version!.Qemu.Major >= 7);
        Assert.Equal(new QmpStatus(true, "running"), before);
        Assert.NotNull(stopEvent);
        Assert.Equal(new QmpStatus(false, "paused"), paused);
        Assert.NotNull(resumeEvent);
        Assert.Equal(new QmpStatus(true, "running"), after);
    }

    [ToolFact("qemu-system-x86_64")]
    public async Task A_real_qemu_reports_command_errors_and_powerdown_events()
    {
        var socket = await StartQemuAsync();
        await using var client = await QmpClient.ConnectAsync(socket, null, CancellationToken.None);

        var error = await Assert.ThrowsAsync<QmpCommandException>(() => client.ExecuteAsync("no-such-command", null, CancellationToken.None));
        var badArgument = await Assert.ThrowsAsync<QmpCommandException>(() => client.ExecuteAsync("stop", new JsonObject { ["bogus"] = 1 }, CancellationToken.None));
        await client.SystemPowerdownAsync(CancellationToken.None);
        var powerdown = await client.WaitForEventAsync("POWERDOWN", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal("CommandNotFound", error.ErrorClass);
        Assert.Equal("GenericError", badArgument.ErrorClass);
        Assert.NotNull(powerdown?.Timestamp);
    }

    [ToolFact("qemu-system-x86_64")]
    public async Task Quit_ends_the_process_and_the_closed_socket_says_so()
    {
        var socket = await StartQemuAsync();
        await using var client = await QmpClient.ConnectAsync(socket, null, CancellationToken.None);
        var qemu = _qemu!.Value;

        await client.QuitAsync(CancellationToken.None);
        await client.Closed.WaitAsync(TimeSpan.FromSeconds(10));
        await qemu.WaitForExitAsync(TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(50));

        Assert.False(qemu.IsAlive);
        await Assert.ThrowsAsync<QmpConnectionClosedException>(() => client.QueryStatusAsync(CancellationToken.None));
    }
}
