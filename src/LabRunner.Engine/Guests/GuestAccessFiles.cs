using LabRunner.Core.Labfile;
using LabRunner.Core.Planning;
using LabRunner.Guest.Access;
using LabRunner.Guest.Ssh;

namespace LabRunner.Engine.Guests;

/// <summary>
/// The files in <c>.lab/</c> that let the host's own tools reach the guests: <c>known_hosts</c> with each
/// VM's pinned host key under its addresses, and the lab's key <c>id_ecdsa</c>. Rewritten from the plan
/// whenever a command needs them, so they always follow the addresses the lab has now.
/// </summary>
public static class GuestAccessFiles
{
    public const string KnownHostsFileName = "known_hosts";

    public static string KnownHostsPath(string stateDirectory) => Path.Combine(stateDirectory, KnownHostsFileName);

    public static string IdentityPath(string stateDirectory) => Path.Combine(stateDirectory, SshKeys.PrivateKeyFileName);

    /// <summary>Writes <c>.lab/known_hosts</c>: one line per Linux VM that has a host key and a host-reachable address.</summary>
    public static string WriteKnownHosts(string stateDirectory, LabPlan plan)
    {
        var lines = new List<string>();
        foreach (var vm in plan.Vms.Where(v => v.Os == GuestOs.Linux))
        {
            var addresses = GuestEndpoint.AllAddresses(vm);
            if (addresses.Count == 0 || HostKeys.Load(stateDirectory, plan.Lab, vm.Name) is not { } key) continue;
            lines.Add(OpenSsh.KnownHostsLine(addresses, key.PublicKey));
        }
        var path = KnownHostsPath(stateDirectory);
        StateFolder.Create(stateDirectory);
        AtomicFile.WriteAllText(path, lines.Count == 0 ? "" : string.Join('\n', lines) + "\n");
        return path;
    }

    /// <summary>
    /// How the system's ssh reaches <paramref name="vm"/>, or why it cannot; with a shared connection in <c>.lab/cm/</c>
    /// (<see cref="SshMasters"/>) where the system's ssh can share one.
    /// </summary>
    /// <remarks>
    /// The shared connection is per user, address and <paramref name="pinnedHostKey"/>: a key that changes in <c>.lab</c>
    /// (another machine at the address, a VM made anew) is checked by a new connection, never passed by an old one.
    /// </remarks>
    public static (SshTarget? Target, string? Why) Target(string stateDirectory, VmPlan vm, string? pinnedHostKey = null)
    {
        var endpoint = GuestEndpoint.Of(vm);
        if (endpoint.Address is not { } address) return (null, endpoint.Unreachable);
        var identity = IdentityPath(stateDirectory);
        if (OpenSsh.Unwritable(identity) is { } why)
            throw new ProjectInputException($"the system's ssh cannot be given the lab's files under '{stateDirectory}': {why}; move the project to a folder without it");
        var control = SshMasters.ControlPath(stateDirectory, vm.Name, address, GuestEndpoint.SshPort, vm.User, pinnedHostKey);
        return (new SshTarget(vm.Name, address, vm.User, identity, KnownHostsPath(stateDirectory))
        {
            ControlPath = control is not null && SshMasters.TryCreateFolder(stateDirectory) ? control : null,
        }, null);
    }
}
