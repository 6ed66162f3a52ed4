using LabRunner.Core.Hosting;

namespace LabRunner.Engine.Guests;

/// <summary>
/// Waits for a guest reached through a provider's direct channel (Hyper-V: PowerShell Direct into a Windows
/// guest): ready when it answers with the lab's credential. Until the guest has booted and Windows Setup has
/// set the password, every attempt fails; it polls with <see cref="GuestReadiness"/>'s back-off until the
/// VM's boot timeout, and then fails that VM with the last answer it got.
/// </summary>
public sealed class DirectGuestReadiness(IDirectGuestAccess access, TimeProvider time, IGuestReporter reporter)
{
    public async Task<GuestOutcome> WaitAsync(string vm, DirectGuest guest, TimeSpan timeout, Func<IReadOnlyList<string>> consoleTail, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(guest);
        ArgumentNullException.ThrowIfNull(consoleTail);
        var start = time.GetTimestamp();
        using var deadline = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var token = linked.Token;
        reporter.Phase(vm, GuestPhase.Booting, TimeSpan.Zero);
        string? last = null;
        try
        {
            var delay = GuestReadiness.FirstDelay;
            while ((await access.ProbeAsync(guest, token).ConfigureAwait(false)).Failure is { } failure)
            {
                last = failure;
                await Task.Delay(delay, time, token).ConfigureAwait(false);
                delay = GuestReadiness.Next(delay);
            }
            var ready = time.GetElapsedTime(start);
            reporter.Phase(vm, GuestPhase.Ready, ready);
            // No separate 'reachable' moment: the first answer is the guest being ready.
            return new GuestOutcome(vm, GuestPhase.Ready, null, [], ready) { ReadyAfter = ready, ReadyAt = time.GetUtcNow() };
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            var elapsed = time.GetElapsedTime(start);
            reporter.Phase(vm, GuestPhase.Failed, elapsed);
            var why = $"not ready after {timeout.TotalSeconds:0} s (boot_timeout): PowerShell Direct (Invoke-Command -VMName {guest.HostVmName} as {guest.User}) never answered"
                      + (last is null ? "" : $"; last: {last}");
            return new GuestOutcome(vm, GuestPhase.Failed, why, [.. consoleTail()], elapsed);
        }
    }
}
