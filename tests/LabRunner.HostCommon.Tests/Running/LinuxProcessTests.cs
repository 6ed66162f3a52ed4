using System.Diagnostics;
using LabRunner.HostCommon.Running;

namespace LabRunner.HostCommon.Tests.Running;

/// <summary>Issue 13.8: a pid is one process only together with its start time; a recycled pid is never signalled.</summary>
public sealed class LinuxProcessTests : IDisposable
{
    private Process? _sleeper;

    public void Dispose()
    {
        if (_sleeper is { HasExited: false }) _sleeper.Kill();
        _sleeper?.Dispose();
    }

    [Theory]
    [InlineData("4242 (qemu-system-x86) S 1 4242 4242 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 3 0 987654 0 0", 'S', 987654UL)]
    [InlineData("17 (a) b (c)) Z 1 17 17 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 123 0 0", 'Z', 123UL)]
    [InlineData("9 (with ) S 1 2 3 spaces) R 1 9 9 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 55 4096 1", 'R', 55UL)]
    public void The_start_time_is_field_22_counted_after_the_last_parenthesis_of_the_command_name(string stat, char state, ulong start)
    {
        Assert.Equal((state, start), LinuxProcess.ParseStat(stat));
    }

    [Theory]
    [InlineData("")]
    [InlineData("4242 (qemu")]
    [InlineData("4242 (qemu) S 1 2 3")]
    [InlineData("4242 (qemu) S 1 4242 4242 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 3 0 notanumber 0 0")]
    public void A_line_that_is_not_a_stat_line_gives_nothing(string stat)
    {
        Assert.Null(LinuxProcess.ParseStat(stat));
    }

    [Fact]
    public void A_recorded_pid_whose_start_time_differs_is_gone_and_never_signalled()
    {
        var real = StartSleeper();
        var recycled = real with { StartTicks = real.StartTicks + 1 };

        var killed = recycled.Kill();

        Assert.False(recycled.IsAlive);
        Assert.False(killed);
        Assert.True(real.IsAlive, "the process that has the pid now was signalled");
        Assert.False(_sleeper!.HasExited);
    }

    [Fact]
    public async Task The_recorded_process_itself_is_alive_until_killed_and_then_gone()
    {
        var real = StartSleeper();

        Assert.True(real.IsAlive);
        Assert.True(real.Kill());
        Assert.True(await real.WaitForExitAsync(TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(20)));
        Assert.False(real.IsAlive);
        Assert.False(real.Kill());
    }

    private LinuxProcess StartSleeper()
    {
        _sleeper = Process.Start(new ProcessStartInfo("sleep", "120") { UseShellExecute = false })!;
        return LinuxProcess.Find(_sleeper.Id) ?? throw new InvalidOperationException("/proc shows no sleep process");
    }
}
