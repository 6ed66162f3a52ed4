using System.Diagnostics;
using System.Globalization;

namespace LabRunner.HostCommon.Running;

/// <summary>
/// One Linux process for good: its pid and its start time (clock ticks after boot, field 22 of
/// <c>/proc/PID/stat</c>). The kernel recycles pids, but a recycled pid starts later, so the pair never names
/// another process. Every signal and wait re-reads the start time first: a process that is gone, or whose pid now
/// belongs to another process, is treated as gone and never signalled.
/// </summary>
public readonly record struct LinuxProcess(int Pid, ulong StartTicks)
{
    /// <summary>The process that has <paramref name="pid"/> now, or null when there is none (or /proc cannot be read).</summary>
    public static LinuxProcess? Find(int pid)
    {
        if (pid <= 0 || ReadStat(pid) is not { } stat) return null;
        return new LinuxProcess(pid, stat.StartTicks);
    }

    /// <summary>
    /// The state letter (field 3) and start time (field 22) of a <c>/proc/PID/stat</c> line, or null when it is not one.
    /// Field 2, the command name in parentheses, may itself hold spaces and parentheses: fields are counted after its last ')'.
    /// </summary>
    public static (char State, ulong StartTicks)? ParseStat(string stat)
    {
        ArgumentNullException.ThrowIfNull(stat);
        var close = stat.LastIndexOf(')');
        if (close < 0 || close + 2 > stat.Length) return null;
        var fields = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // fields[0] is field 3 (state), so field 22 is fields[19].
        if (fields.Length < 20 || fields[0].Length != 1) return null;
        return ulong.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out var start) ? (fields[0][0], start) : null;
    }

    /// <summary>Whether this very process still runs (a zombie, exited and not yet reaped, does not).</summary>
    public bool IsAlive => ReadStat(Pid) is { } stat && stat.StartTicks == StartTicks && stat.State is not ('Z' or 'X' or 'x');

    /// <summary>SIGKILL to this very process; false when it is gone (or its pid is another process's now), which is then left alone.</summary>
    public bool Kill()
    {
        if (!IsAlive) return false;
        try
        {
            using var process = Process.GetProcessById(Pid);
            // Checked again with the handle in hand: the narrowest window .NET's Process API allows.
            if (!IsAlive) return false;
            process.Kill();
            return true;
        }
        catch (ArgumentException)
        {
            return false; // gone
        }
        catch (InvalidOperationException)
        {
            return false; // exited meanwhile
        }
    }

    /// <summary>Waits until this process is gone, polling its identity; false when it still runs after <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout, TimeSpan pollInterval, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        time ??= TimeProvider.System;
        var started = time.GetTimestamp();
        while (IsAlive)
        {
            if (timeout != Timeout.InfiniteTimeSpan && time.GetElapsedTime(started) >= timeout) return false;
            await Task.Delay(pollInterval, time, cancellationToken).ConfigureAwait(false);
        }
        return true;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"pid {Pid}");

    private static (char State, ulong StartTicks)? ReadStat(int pid)
    {
        try
        {
            return ParseStat(File.ReadAllText(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/stat")));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
