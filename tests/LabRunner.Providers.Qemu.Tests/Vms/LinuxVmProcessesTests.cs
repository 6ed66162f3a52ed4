using System.Diagnostics;
using System.Globalization;
using LabRunner.HostCommon.Running;
using LabRunner.Providers.Qemu.Qmp;
using LabRunner.Providers.Qemu.Vms;

namespace LabRunner.Providers.Qemu.Tests.Vms;

/// <summary>Issue 13.8: the VM's process is found with its start time, and every later wait and signal checks it again.</summary>
public sealed class LinuxVmProcessesTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("lr-procs-").FullName;
    private readonly LinuxVmProcesses _processes = new();
    private Process? _standIn;

    public void Dispose()
    {
        if (_standIn is { HasExited: false }) _standIn.Kill();
        _standIn?.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public void The_running_vm_is_found_with_the_start_time_of_its_process()
    {
        var pidFile = StartStandIn();

        var found = _processes.FindRunning(pidFile);

        Assert.Equal(LinuxProcess.Find(_standIn!.Id), found);
        Assert.True(_processes.IsAlive(found!.Value));
    }

    [Fact]
    public void A_found_pid_that_another_process_took_since_is_gone_and_is_never_killed()
    {
        var pidFile = StartStandIn();
        var found = _processes.FindRunning(pidFile)!.Value;
        // The VM's QEMU exited and its pid went to another process, which started later.
        var recycled = found with { StartTicks = found.StartTicks - 1 };

        var alive = _processes.IsAlive(recycled);
        _processes.Kill(recycled);

        Assert.False(alive);
        Assert.True(_processes.IsAlive(found), "the process that holds the pid now was killed");
        Assert.False(_standIn!.HasExited);
    }

    [Fact]
    public async Task A_held_session_waits_for_a_late_answer_as_long_as_it_was_opened_for_beyond_the_usual_command_timeout()
    {
        // QEMU 7.2 answers snapshot-save only once the vmstate is written: here 1 s late, against a usual timeout of 0.2 s.
        var processes = new LinuxVmProcesses(new QmpClientOptions(TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(200)));
        await using var server = new Qmp.FakeQmpServer();
        var serving = Task.Run(async () =>
        {
            await server.AcceptAndNegotiateAsync();
            var save = await server.ReceiveAsync();
            await Task.Delay(TimeSpan.FromSeconds(1));
            await server.AnswerAsync(save, "{}");
        });

        await using var session = await processes.OpenQmpAsync(server.SocketPath, TimeSpan.FromSeconds(30), CancellationToken.None);
        var answer = await session.ExecuteAsync("snapshot-save", new System.Text.Json.Nodes.JsonObject { ["job-id"] = "j", ["tag"] = "s1" }, CancellationToken.None);
        await serving;

        Assert.Equal(System.Text.Json.JsonValueKind.Object, answer.ValueKind);
    }

    /// <summary>A process whose command line holds the pid file, as QEMU's does, with its pid in that file.</summary>
    private string StartStandIn()
    {
        var pidFile = Path.Combine(_directory, "vm.pid");
        _standIn = Process.Start(new ProcessStartInfo("sh", ["-c", "sleep 120; true", pidFile]) { UseShellExecute = false })!;
        File.WriteAllText(pidFile, _standIn.Id.ToString(CultureInfo.InvariantCulture));
        return pidFile;
    }
}
