using System.Collections.Concurrent;
using LabRunner.Core.Errors;
using LabRunner.Core.Labfile;
using LabRunner.Core.Planning;
using LabRunner.Guest.Access;

namespace LabRunner.Engine.Guests;

/// <summary>
/// Issue 16.4: opens OpenSSH's shared connection to a guest the moment LabRunner first logs in to it while waiting
/// (the cloud-init phase of 'up', 'reload' and 'provision'), so the first <c>lab ssh</c> after 'up' runs over it with no
/// handshake of its own. The handshake then happens while cloud-init still works and LabRunner waits anyway. Only for
/// Linux guests with a socket path (<see cref="SshMasters"/>: not on Windows hosts, not from a too-deep project folder),
/// once per login, and never where a socket is already there (a master from an earlier <c>lab ssh</c>); a guest whose
/// connection drops after that (a reboot from its user_data) has its master ended, and gets a new one at its next login.
/// <paramref name="open"/> starts the system's ssh as the master and does not wait for it; a failure to start it only
/// means the first <c>lab ssh</c> makes its own connection, as before.
/// </summary>
public sealed class SharedConnectionWarmup(IGuestReporter inner, string stateDirectory, LabPlan plan, Action<SshTarget> open) : IGuestReporter
{
    private readonly ConcurrentDictionary<string, byte> _opened = new(StringComparer.OrdinalIgnoreCase);

    public void Phase(string vm, GuestPhase phase, TimeSpan elapsed)
    {
        inner.Phase(vm, phase, elapsed);
        if (phase == GuestPhase.CloudInit && _opened.TryAdd(vm, 0)) Open(vm);
        // Back to booting after a login: the connection dropped (the guest rebooted, e.g. from its user_data). The master
        // opened before would carry the next 'lab ssh' into a dead connection: end it now, and open one at the next login.
        else if (phase == GuestPhase.Booting && _opened.TryRemove(vm, out _)) Close(vm);
    }

    public void Output(string vm, string line, bool error) => inner.Output(vm, line, error);

    private void Open(string vm)
    {
        var planned = plan.Vm(vm);
        if (planned is null || planned.Os != GuestOs.Linux) return;
        try
        {
            var (target, _) = GuestAccessFiles.Target(stateDirectory, planned, HostKeys.Load(stateDirectory, plan.Lab, planned.Name)?.PublicKey);
            if (target?.ControlPath is not { } control || File.Exists(control)) return;
            GuestAccessFiles.WriteKnownHosts(stateDirectory, plan);
            open(target);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or LabRunnerException or System.ComponentModel.Win32Exception)
        {
            // No shared connection then: the first 'lab ssh' connects by itself.
        }
    }

    /// <summary>Ends the VM's master as 'halt' does (a few milliseconds over its socket; at most <see cref="OpenSshMux.AnswerTimeout"/>).</summary>
    private void Close(string vm) => SshMasters.CloseAsync(stateDirectory, [vm], CancellationToken.None).GetAwaiter().GetResult();
}
