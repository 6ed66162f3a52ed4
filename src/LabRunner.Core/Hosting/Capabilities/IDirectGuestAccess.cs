using System.Collections.Immutable;

namespace LabRunner.Core.Hosting;

/// <summary>
/// A way into a running guest through the host itself, with no network: Hyper-V's PowerShell Direct
/// (<c>Invoke-Command -VMName … -Credential …</c>). A provider that has one offers it as
/// the <see cref="IHostProvider.Capability{TCapability}"/> <see cref="IDirectGuestAccess"/>; in the guest, scripts are PowerShell and run as the
/// credential's user.
/// </summary>
public interface IDirectGuestAccess
{
    /// <summary>Whether the guest answers with <paramref name="guest"/>'s credential; <see cref="DirectGuestRun.Failure"/> says why not (yet).</summary>
    Task<DirectGuestRun> ProbeAsync(DirectGuest guest, CancellationToken cancellationToken);

    /// <summary>
    /// Runs <paramref name="script"/> in the guest, passing each line of its output as it comes
    /// (<c>true</c>: an error line). The script's exit code is <see cref="DirectGuestRun.ExitCode"/>.
    /// </summary>
    Task<DirectGuestRun> RunScriptAsync(DirectGuest guest, DirectScript script, Action<string, bool> output, CancellationToken cancellationToken);

    /// <summary>
    /// How a person reaches the guest <paramref name="hostVmName"/> this way by hand, as <paramref name="user"/>, for
    /// messages: "PowerShell Direct from an elevated PowerShell on the host: Enter-PSSession -VMName 'shop-dc' …".
    /// </summary>
    string ManualAccess(string hostVmName, string user);

    /// <summary>Copies the host file <paramref name="hostPath"/> to <paramref name="destination"/> in the guest, making its folder.</summary>
    Task<DirectGuestRun> CopyFileAsync(DirectGuest guest, string hostPath, string destination, CancellationToken cancellationToken);
}

/// <summary>The guest (by its name on the host) and the account LabRunner uses there. <see cref="ToString"/> never shows the password.</summary>
public sealed record DirectGuest(string HostVmName, string User, string Password)
{
    public override string ToString() => $"{User} on {HostVmName}";
}

/// <summary>A script for the guest: its text (bytes, as in the file), arguments and environment variables; none of them is ever read as code on the host.</summary>
public sealed record DirectScript(ReadOnlyMemory<byte> Content, ImmutableArray<string> Args, ImmutableArray<KeyValuePair<string, string>> Env);

/// <summary>
/// How a run ended: <see cref="Failure"/> is set when the guest could not be reached or the transfer failed
/// (the host's message); otherwise <see cref="ExitCode"/> is the guest script's.
/// </summary>
public sealed record DirectGuestRun(int ExitCode, string? Failure)
{
    public static DirectGuestRun Answered { get; } = new(0, null);

    public static DirectGuestRun Failed(string message) => new(1, message);

    public bool Succeeded => Failure is null && ExitCode == 0;
}
