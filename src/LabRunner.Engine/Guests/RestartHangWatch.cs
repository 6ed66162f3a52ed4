using LabRunner.Core.Errors;
using LabRunner.Core.Hosting;

namespace LabRunner.Engine.Guests;

/// <summary>
/// Watches a guest's console while LabRunner waits for it to be ready, for one known failure: a guest that restarts
/// (a reboot from its own user_data) and then hangs in its firmware — seen under QEMU's TCG with OVMF after a warm
/// reset: the console silent after the kernel's "reboot: machine restart", the vCPU spinning in firmware for good.
/// When the console has printed nothing for <see cref="Silence"/> and its last line is a restart line, the VM gets
/// one hard reset (the host's reset button, <see cref="IVmReset"/>), said in the progress output, and the wait goes
/// on. A second such hang ends the wait: the VM fails with the console's tail. A console that keeps printing, or one
/// that went quiet after anything else (a guest idle at its login prompt, a box whose kernel logs elsewhere), is
/// never touched: only a restart that never reached the firmware's or boot loader's first line is a hang.
/// </summary>
public sealed class RestartHangWatch(IConsoleLog console, IVmReset reset, TimeProvider time, IGuestReporter reporter, string vm, string hostVmName)
{
    /// <summary>How long a console may stay silent after a restart line: a warm reset reaches the firmware's first line within seconds, even under TCG on a loaded host.</summary>
    public static readonly TimeSpan DefaultSilence = TimeSpan.FromMinutes(3);

    /// <summary>How often the console is read.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(5);

    /// <summary>How many of the console's last lines are compared between reads: any change among them is output.</summary>
    private const int TailLines = 5;

    /// <summary>What the Linux kernel prints last before a warm reset (<c>kernel_restart</c>, <c>machine_restart</c>).</summary>
    private static readonly string[] RestartLines = ["reboot: machine restart", "reboot: Restarting system"];

    public TimeSpan Silence { get; init; } = DefaultSilence;

    /// <summary>How many hard resets the watch did (at most one).</summary>
    public int Resets { get; private set; }

    /// <summary>
    /// Watches until <paramref name="cancellationToken"/> is cancelled (the wait ended), and then throws
    /// <see cref="OperationCanceledException"/>; returns only on a second hang, with why the VM fails.
    /// </summary>
    public async Task<string> WatchAsync(CancellationToken cancellationToken)
    {
        var last = console.Tail(hostVmName, TailLines);
        var since = time.GetTimestamp();
        while (true)
        {
            await Task.Delay(PollInterval, time, cancellationToken).ConfigureAwait(false);
            var now = console.Tail(hostVmName, TailLines);
            if (!now.SequenceEqual(last, StringComparer.Ordinal))
            {
                (last, since) = (now, time.GetTimestamp());
                continue;
            }
            var silent = time.GetElapsedTime(since);
            if (silent < Silence || RestartLine(now) is not { } line) continue;
            var what = $"its console has been silent for {silent.TotalMinutes:0.#} min since '{line}' (the guest hung in its firmware after a restart)";
            if (Resets > 0)
                return $"{what}, again after a hard reset; giving up";
            Resets++;
            reporter.Output(vm, $"{what}: hard reset ({reset.How}); waiting on", error: true);
            try
            {
                await reset.ResetAsync(hostVmName, cancellationToken).ConfigureAwait(false);
            }
            catch (LabRunnerException ex)
            {
                // The boot timeout still ends the wait, with the console tail.
                reporter.Output(vm, $"the hard reset failed: {ex.Message}", error: true);
            }
            (last, since) = (console.Tail(hostVmName, TailLines), time.GetTimestamp());
        }
    }

    /// <summary>The restart line the console ends with, or null.</summary>
    private static string? RestartLine(IReadOnlyList<string> tail)
    {
        var lastLine = tail.LastOrDefault(l => l.Trim().Length > 0)?.Trim();
        return lastLine is not null && RestartLines.Any(r => lastLine.EndsWith(r, StringComparison.Ordinal)) ? lastLine : null;
    }
}
