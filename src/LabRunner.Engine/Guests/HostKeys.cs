using LabRunner.Core.Diagnostics;
using LabRunner.Core.Labfile;
using LabRunner.Guest.Ssh;

namespace LabRunner.Engine.Guests;

/// <summary>
/// Each VM's SSH host key, made by LabRunner and kept owner-only in <c>.lab/vms/VM/</c>: the seed gives
/// it to the guest (cloud-init <c>ssh_keys</c>) and <c>.lab/known_hosts</c> pins it, so nobody has to
/// trust a key on first use. A VM removed by <c>lab down</c> takes its key along; a new VM gets a new one.
/// </summary>
public static class HostKeys
{
    public const string FileName = "ssh_host_ecdsa_key";

    public static string PathOf(string stateDirectory, string vm) => Path.Combine(stateDirectory, "vms", vm, FileName);

    public static SshKeyPair LoadOrCreate(string stateDirectory, string lab, string vm)
    {
        var existing = Load(stateDirectory, lab, vm);
        if (existing is not null) return existing;
        StateFolder.Create(stateDirectory);
        var pair = SshKeys.Generate(lab);
        var path = PathOf(stateDirectory, vm);
        // Two commands may make it at once: the first one's key stands, and the other uses it.
        if (!AtomicFile.CreateNew(path, System.Text.Encoding.ASCII.GetBytes(pair.PrivateKeyPem)))
            return Load(stateDirectory, lab, vm) ?? pair;
        AtomicFile.WriteAllText(path + ".pub", pair.PublicKey + "\n");
        return pair;
    }

    /// <summary>The VM's host key, or null when LabRunner has not made one (a VM created before it did, or a Windows guest).</summary>
    public static SshKeyPair? Load(string stateDirectory, string lab, string vm)
    {
        var path = PathOf(stateDirectory, vm);
        if (!File.Exists(path)) return null;
        var display = Path.Combine(".lab", "vms", vm, FileName);
        return SshKeys.Load(new SourceText(display, File.ReadAllText(path)), SshKeys.Comment(lab), new List<Diagnostic>())
            ?? throw new ProjectInputException($"cannot read the host key {display}; 'lab down {vm}' and 'lab up' give the VM a new one");
    }
}
