using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Guest.Access;

namespace LabRunner.Engine.Guests;

/// <summary>How one provisioner reaches a guest: over SSH (POSIX shell) or PowerShell Direct (PowerShell).</summary>
public interface IProvisionTransport
{
    /// <summary>Runs the script <paramref name="content"/> with <paramref name="shell"/>'s arguments and environment; returns its exit code.</summary>
    Task<int> ShellAsync(ShellProvisionerDefinition shell, byte[] content, Action<string> stdout, Action<string> stderr, CancellationToken cancellationToken);

    /// <summary>Puts <paramref name="content"/> (read from <paramref name="hostPath"/>) at the destination; returns 0 when done.</summary>
    Task<int> FileAsync(FileProvisionerDefinition file, string hostPath, byte[] content, Action<string> stdout, Action<string> stderr, CancellationToken cancellationToken);
}

/// <summary>Provisioners over an SSH session: the commands of <see cref="ProvisionCommands"/>, the content on standard input.</summary>
public sealed class SshProvisionTransport(IGuestSession session) : IProvisionTransport
{
    public Task<int> ShellAsync(ShellProvisionerDefinition shell, byte[] content, Action<string> stdout, Action<string> stderr, CancellationToken cancellationToken) =>
        session.RunAsync(ProvisionCommands.Shell(shell), content, stdout, stderr, cancellationToken);

    public Task<int> FileAsync(FileProvisionerDefinition file, string hostPath, byte[] content, Action<string> stdout, Action<string> stderr, CancellationToken cancellationToken) =>
        session.RunAsync(ProvisionCommands.File(file), content, stdout, stderr, cancellationToken);
}

/// <summary>
/// Provisioners through a provider's direct channel (Hyper-V: PowerShell Direct): <c>shell:</c> is PowerShell
/// run as the guest's administrator (so <c>privileged</c> changes nothing), <c>file:</c> a copy into the guest.
/// When the channel itself fails, its message is an error line and the exit code 1.
/// </summary>
public sealed class DirectProvisionTransport(IDirectGuestAccess access, DirectGuest guest) : IProvisionTransport
{
    public async Task<int> ShellAsync(ShellProvisionerDefinition shell, byte[] content, Action<string> stdout, Action<string> stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(shell);
        var run = await access.RunScriptAsync(guest, new DirectScript(content, shell.Args, shell.Env), (line, error) => (error ? stderr : stdout)(line), cancellationToken).ConfigureAwait(false);
        return Result(run, stderr);
    }

    public async Task<int> FileAsync(FileProvisionerDefinition file, string hostPath, byte[] content, Action<string> stdout, Action<string> stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(file);
        return Result(await access.CopyFileAsync(guest, hostPath, file.Destination, cancellationToken).ConfigureAwait(false), stderr);
    }

    private static int Result(DirectGuestRun run, Action<string> stderr)
    {
        if (run.Failure is null) return run.ExitCode;
        stderr("PowerShell Direct: " + run.Failure);
        return run.ExitCode == 0 ? 1 : run.ExitCode;
    }
}
