using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LabRunner.Engine;

/// <summary>
/// A project's id, which the ownership mark on its switches and VMs carries and which tells two labs
/// of the same name apart on one host. It is derived from the project folder's full path, not kept in
/// a file: deleting <c>.lab/</c> (or <c>git clean -xfd</c>) keeps it, and a copy of the folder
/// elsewhere has another one, so it can never take over the original's VMs. A moved folder gets a new
/// id too, and takes its lab over only when told to (<c>--adopt</c>).
/// </summary>
public static class ProjectIdentity
{
    public static string Of(string projectDirectory)
    {
        var path = Path.TrimEndingDirectorySeparator(Path.GetFullPath(projectDirectory));
        // Windows and macOS compare paths without regard to case; one folder must have one id.
        if (OperatingSystem.IsWindows() || OperatingSystem.IsMacOS()) path = path.ToUpperInvariant();
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes("labrunner-project-v1\n" + path));
        return Convert.ToHexStringLower(hash.AsSpan(0, 4));
    }
}

/// <summary>
/// What a project remembers between commands, in <c>.lab/state.json</c>: the VMs whose creation has
/// started but whose ownership mark may not be on them yet, and — only to explain a conflict — the id and
/// folder the state was written with (a copied or moved folder carries them along; a file from an older
/// LabRunner holds the random id it used). The host's inventory stays the source of truth for
/// everything else, so this file cannot go stale in a way that matters, and losing it loses nothing.
/// </summary>
public sealed class ProjectState
{
    /// <summary>The id the state was last written with; the project's id itself is <see cref="ProjectIdentity.Of"/>.</summary>
    public string ProjectId { get; set; } = "";

    /// <summary>The project folder the state was last written in.</summary>
    public string? ProjectPath { get; set; }

    public List<string> PendingVms { get; set; } = [];

    /// <summary>The store box each VM was created on (VM name → box, version, provider), for 'lab status'.</summary>
    public Dictionary<string, VmBox> Boxes { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The <c>once</c> provisioners that ran successfully: VM → provisioner key (<c>vm.provision[2]</c>) →
    /// hash of its content. An edited provisioner has another hash, so it runs again.
    /// </summary>
    public Dictionary<string, Dictionary<string, string>> Provisioned { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The VMs LabRunner has seen ready (SSH and cloud-init, or PowerShell Direct) since it last started them. A VM
    /// not here — started with --no-wait, by an interrupted 'lab up', or outside LabRunner after a halt — is waited
    /// for by the next 'lab up' even when the host has nothing to do.
    /// </summary>
    public List<string> ReadyVms { get; set; } = [];

    /// <summary>
    /// What each VM of the lab that exists on the host holds (VM → adapter key → IP, and → MAC), written after
    /// every run that changed the host and passed back to the planner, so an existing VM never changes address
    /// or MAC because other VMs were added, removed or reordered (issue 14.1). A VM no longer in the Labfile
    /// keeps its entry while it exists; entries of VMs gone from the host are dropped.
    /// </summary>
    public Dictionary<string, AllocationRecord> Allocations { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The seed each running VM of the lab last booted with (Labfile VM name → the seed's path as the host holds it):
    /// a VM holding a newer seed than the one it booted with has a change waiting for 'lab reload' (issue 14.2),
    /// said by every 'lab up' and 'lab status' until it is applied. Dropped when the VM is off or gone.
    /// </summary>
    public Dictionary<string, string> BootedSeeds { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Serialises read-modify-write of state.json between the threads of one process (guests run in parallel).</summary>
    public static readonly Lock Gate = new();

    /// <summary>
    /// Loads, changes and saves state.json under <see cref="Gate"/>; saves only when <paramref name="change"/> says it
    /// changed something. Returns the state as it now is.
    /// </summary>
    public static ProjectState Update(string stateDirectory, Func<ProjectState, bool> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        lock (Gate)
        {
            var state = LoadOrCreate(stateDirectory);
            if (change(state)) state.Save(stateDirectory);
            return state;
        }
    }

    /// <summary>Records in state.json whether each VM is known ready (see <see cref="ReadyVms"/>).</summary>
    public static void SetReady(string stateDirectory, IEnumerable<string> vms, bool ready) =>
        Update(stateDirectory, state => state.SetReady(vms, ready));

    /// <summary>Records whether each VM is known ready (see <see cref="ReadyVms"/>); true when that changed anything.</summary>
    public bool SetReady(IEnumerable<string> vms, bool ready)
    {
        ArgumentNullException.ThrowIfNull(vms);
        var changed = false;
        foreach (var vm in vms)
        {
            var known = ReadyVms.Contains(vm, StringComparer.OrdinalIgnoreCase);
            if (ready && !known) ReadyVms.Add(vm);
            else if (!ready && known) ReadyVms.RemoveAll(v => string.Equals(v, vm, StringComparison.OrdinalIgnoreCase));
            else continue;
            changed = true;
        }
        return changed;
    }

    /// <summary>Forgets the <c>once</c> provisioners that ran on <paramref name="vms"/> (a VM made anew starts afresh); true when that changed anything.</summary>
    public bool ForgetProvisioned(IEnumerable<string> vms)
    {
        ArgumentNullException.ThrowIfNull(vms);
        var changed = false;
        foreach (var vm in vms) changed |= Provisioned.Remove(vm);
        return changed;
    }

    public static string PathIn(string stateDirectory) => Path.Combine(stateDirectory, "state.json");

    public static ProjectState LoadOrCreate(string stateDirectory)
    {
        var path = PathIn(stateDirectory);
        if (File.Exists(path))
        {
            try
            {
                var state = JsonSerializer.Deserialize(File.ReadAllText(path), EngineJson.Default.ProjectState);
                if (state is not null) return state;
            }
            catch (JsonException)
            {
                // A damaged state file is replaced; the inventory still says what exists.
            }
        }
        return new ProjectState();
    }

    /// <summary>Writes to a temporary file and renames it over the old one, so a crash never leaves half a file.</summary>
    public void Save(string stateDirectory)
    {
        StateFolder.Create(stateDirectory);
        AtomicFile.WriteAllText(PathIn(stateDirectory), JsonSerializer.Serialize(this, EngineJson.Default.ProjectState));
    }
}

/// <summary>One VM's recorded allocation in state.json: adapter key (its network's name) → IP, and → MAC.</summary>
public sealed record AllocationRecord(Dictionary<string, string> Ips, Dictionary<string, string> Macs);

/// <summary>A store box version a VM runs on.</summary>
public sealed record VmBox(string Name, string Version, string Provider);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ProjectState))]
internal sealed partial class EngineJson : JsonSerializerContext;

public static class AtomicFile
{
    public static void WriteAllText(string path, string text) => WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(text), secret: false);

    /// <summary>
    /// Atomic replace. A <paramref name="secret"/> file (a seed with a Windows password) is created
    /// owner-only on Unix before any byte is written; on Windows the .lab folder's ACL applies.
    /// </summary>
    public static void WriteAllBytes(string path, byte[] bytes, bool secret)
    {
        var directory = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (secret && !OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(temp, options))
        {
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }
}
