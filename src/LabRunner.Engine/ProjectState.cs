using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using LabRunner.Core.Hosting;
using LabRunner.HostCommon.Files;

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

    /// <summary>The lock file beside state.json that serialises read-modify-write between processes.</summary>
    public const string LockFileName = "state.lock";

    /// <summary>How long a command waits for another process's change of state.json (a change takes milliseconds).</summary>
    public static TimeSpan LockTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>state.json is a few kilobytes; anything above this is not one.</summary>
    public const int MaxBytes = 16 * 1024 * 1024;

    /// <summary>
    /// Loads, changes and saves state.json under <see cref="Gate"/> and the project's cross-process lock
    /// (<c>.lab/state.lock</c>), so two commands at once never lose each other's records: the file is read
    /// afresh under the lock and <paramref name="change"/> applies only its own step to it. Saves only when
    /// <paramref name="change"/> says it changed something (and then makes <c>.lab/</c> if needed). Returns
    /// the state as it now is.
    /// </summary>
    /// <exception cref="HostUnavailableException">
    /// state.json is damaged (it was moved aside; the message says where), or <c>.lab/</c> cannot be used.
    /// </exception>
    public static ProjectState Update(string stateDirectory, Func<ProjectState, bool> change) => Update(stateDirectory, change, onDamaged: null);

    /// <summary>
    /// As <see cref="Update(string, Func{ProjectState, bool})"/>; with <paramref name="onDamaged"/>, a damaged
    /// state.json is moved aside, reported there, and an empty state is used instead of refusing (what
    /// 'lab down' needs: it goes by the host's ownership marks, the state is only a hint).
    /// </summary>
    public static ProjectState Update(string stateDirectory, Func<ProjectState, bool> change, Action<string>? onDamaged)
    {
        ArgumentNullException.ThrowIfNull(change);
        lock (Gate)
        {
            // Nothing to lock, read or keep where there is no .lab/ folder: a change that changes nothing makes none.
            if (FileEntry.Kind(stateDirectory, followLinks: true) != EntryKind.Directory)
            {
                var empty = new ProjectState();
                if (!change(empty)) return empty;
            }
            StateFolder.Create(stateDirectory);
            using var fileLock = Lock(stateDirectory);
            var state = Load(stateDirectory, moveAside: true, onDamaged);
            if (change(state)) state.Write(stateDirectory);
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

    /// <summary>
    /// The saved state, or an empty one when there is none. A damaged state.json (not JSON, a null list, a
    /// folder, a link, a FIFO or device, too big) is moved aside and refused: nothing acts on a guess.
    /// </summary>
    /// <exception cref="HostUnavailableException">state.json is damaged; the message names it and where it went.</exception>
    public static ProjectState LoadOrCreate(string stateDirectory) => LoadOrCreate(stateDirectory, onDamaged: null);

    /// <summary>As <see cref="LoadOrCreate(string)"/>; with <paramref name="onDamaged"/>, a damaged file is moved aside, reported there, and an empty state returned.</summary>
    public static ProjectState LoadOrCreate(string stateDirectory, Action<string>? onDamaged)
    {
        if (Damage(stateDirectory, out var state) is null) return state!;
        lock (Gate)
        {
            try
            {
                using var fileLock = Lock(stateDirectory);
                return Load(stateDirectory, moveAside: true, onDamaged);
            }
            catch (HostUnavailableException) when (onDamaged is not null)
            {
                onDamaged($"The project state '{PathIn(stateDirectory)}' is damaged and cannot be moved aside; it is ignored.");
                return new ProjectState();
            }
        }
    }

    /// <summary>The saved state, changing nothing on disk ('--what-if'); a damaged state.json is refused and left where it is.</summary>
    /// <exception cref="HostUnavailableException">state.json is damaged.</exception>
    public static ProjectState Read(string stateDirectory) =>
        Damage(stateDirectory, out var state) is { } damage
            ? throw Unavailable($"The project state '{PathIn(stateDirectory)}' is damaged ({damage}). Nothing was changed; run the command without --what-if to have it moved aside.")
            : state!;

    /// <summary>
    /// Writes this object as state.json whole, under the locks. It replaces whatever another command wrote
    /// since this one was read: a step's change goes through <see cref="Update(string, Func{ProjectState, bool})"/>.
    /// </summary>
    public void Save(string stateDirectory)
    {
        lock (Gate)
        {
            StateFolder.Create(stateDirectory);
            using var fileLock = Lock(stateDirectory);
            Write(stateDirectory);
        }
    }

    private void Write(string stateDirectory) =>
        AtomicFile.WriteAllText(PathIn(stateDirectory), JsonSerializer.Serialize(this, EngineJson.Default.ProjectState));

    private static FileLock Lock(string stateDirectory)
    {
        var path = Path.Combine(stateDirectory, LockFileName);
        try
        {
            return FileLock.Acquire(path, LockTimeout);
        }
        catch (TimeoutException)
        {
            throw Unavailable(string.Create(CultureInfo.InvariantCulture,
                $"Another lab command has held the project state lock '{path}' for more than {LockTimeout.TotalSeconds:0} s. Wait for it to finish (or end it), then run the command again."));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Unavailable($"The project state lock '{path}' cannot be opened: {FileFailure.Reason(e)}{StateFolder.Hint(stateDirectory, path)}.");
        }
    }

    /// <summary>Reads state.json under the lock; a damaged one is moved aside, then refused or (with <paramref name="onDamaged"/>) replaced by an empty state.</summary>
    private static ProjectState Load(string stateDirectory, bool moveAside, Action<string>? onDamaged)
    {
        if (Damage(stateDirectory, out var state) is not { } damage) return state!;
        var path = PathIn(stateDirectory);
        var aside = moveAside ? MoveAside(path) : null;
        var where = aside is null ? "it could not be moved aside" : $"it was moved to '{aside}'";
        if (onDamaged is not null)
        {
            onDamaged($"The project state '{path}' was damaged ({damage}); {where}. Going by the host's ownership marks alone.");
            return new ProjectState();
        }
        throw Unavailable($"The project state '{path}' is damaged ({damage}); {where}, and nothing was changed. " +
            "Run the command again to start from an empty state: the host's ownership marks still say which VMs are this lab's.");
    }

    /// <summary>What is wrong with state.json, or null with the state it holds (empty when there is none).</summary>
    private static string? Damage(string stateDirectory, out ProjectState? state)
    {
        state = null;
        var path = PathIn(stateDirectory);
        switch (FileEntry.Kind(path, followLinks: false))
        {
            case EntryKind.Missing:
                state = new ProjectState();
                return null;
            case EntryKind.Directory: return "it is a folder";
            case EntryKind.SymbolicLink: return "it is a symbolic link, not a file LabRunner wrote";
            case EntryKind.Special: return "it is not a regular file";
        }
        byte[] bytes;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (stream.Length > MaxBytes) return "it is too big to be one";
            bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
        }
        catch (FileNotFoundException)
        {
            state = new ProjectState();
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Unavailable($"The project state '{path}' cannot be read: {FileFailure.Reason(e)}.");
        }
        try
        {
            state = JsonSerializer.Deserialize(bytes, EngineJson.Default.ProjectState);
        }
        catch (JsonException e)
        {
            return e.LineNumber is { } line
                ? string.Create(CultureInfo.InvariantCulture, $"not valid state at line {line + 1}, {e.Path}")
                : "not valid state";
        }
        if (state is null) return "it holds null";
        if (state.PendingVms.Any(v => v is null) || state.ReadyVms.Any(v => v is null)
            || state.Boxes.Values.Any(b => b is null) || state.Provisioned.Values.Any(p => p is null || p.Values.Any(h => h is null)))
        {
            state = null;
            return "a list holds null";
        }
        return null;
    }

    /// <summary>Renames the damaged entry (whatever it is: a file, folder, link or FIFO) beside itself; null when that fails.</summary>
    private static string? MoveAside(string path)
    {
        var aside = string.Create(CultureInfo.InvariantCulture, $"{path}.damaged-{DateTime.UtcNow:yyyyMMdd'T'HHmmss'Z'}-{Guid.NewGuid().ToString("N")[..6]}");
        try
        {
            if (FileEntry.Kind(path, followLinks: false) == EntryKind.Directory) Directory.Move(path, aside);
            else File.Move(path, aside);
            return aside;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static HostUnavailableException Unavailable(string message) => new(new HostError(HostErrorKind.Unavailable, message));
}

/// <summary>One VM's recorded allocation in state.json: adapter key (its network's name) → IP, and → MAC.</summary>
public sealed record AllocationRecord(Dictionary<string, string> Ips, Dictionary<string, string> Macs);

/// <summary>A store box version a VM runs on.</summary>
public sealed record VmBox(string Name, string Version, string Provider);

// A null list ("pending_vms": null) is damage, refused as such rather than met as a NullReferenceException.
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, RespectNullableAnnotations = true)]
[JsonSerializable(typeof(ProjectState))]
internal sealed partial class EngineJson : JsonSerializerContext;

/// <summary>
/// The engine's files in <c>.lab/</c> (state, keys, seeds, known_hosts) go through LabRunner's one atomic
/// writer (<see cref="HostCommon.Files.AtomicFile"/>), owner-only, and a failure becomes the host error it is.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="text"/> (UTF-8) owner-only.</summary>
    public static void WriteAllText(string path, string text) => WriteAllBytes(path, Encoding.UTF8.GetBytes(text), secret: true);

    /// <summary>
    /// Creates <paramref name="path"/> owner-only with <paramref name="bytes"/> unless it exists (a key two
    /// commands may make at once): false when another process made it first, whose file then stands.
    /// </summary>
    /// <exception cref="HostUnavailableException">The file cannot be written; the message names it and why.</exception>
    public static bool CreateNew(string path, byte[] bytes)
    {
        try
        {
            return HostCommon.Files.AtomicFile.CreateNew(path, bytes, ownerOnly: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Failure(path, e);
        }
    }

    /// <summary>
    /// Atomic replace. Every file LabRunner keeps in <c>.lab/</c> is owner-only on Unix (0600), made so
    /// before any byte is written; <paramref name="secret"/> says so for a file written elsewhere
    /// ('lab seed --out'). On Windows the .lab folder's ACL applies.
    /// </summary>
    /// <exception cref="HostUnavailableException">The file cannot be written; the message names it and why.</exception>
    public static void WriteAllBytes(string path, byte[] bytes, bool secret)
    {
        try
        {
            HostCommon.Files.AtomicFile.WriteAllBytes(path, bytes, ownerOnly: secret);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Failure(path, e);
        }
    }

    private static HostUnavailableException Failure(string path, Exception e) =>
        new(new HostError(HostErrorKind.Unavailable,
            $"'{path}' cannot be written: {FileFailure.Reason(e)}{StateFolder.Hint(Path.GetDirectoryName(Path.GetFullPath(path))!, path)}."));
}
