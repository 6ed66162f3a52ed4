using System.Text.Json;
using System.Text.Json.Serialization;
using LabRunner.Core.Errors;
using LabRunner.Core.Hosting;
using LabRunner.HostCommon.Files;

namespace LabRunner.Engine.Snapshots;

/// <summary>
/// What a project keeps of its lab snapshots, in <c>.lab/snapshots/</c> (owner-only like the rest of <c>.lab/</c>,
/// every file written atomically): per snapshot a folder <c>NAME/</c> with <c>snapshot.json</c> (when, which VMs, with
/// or without memory) and <c>state.json</c> (the project state that goes back with it); and <c>stack.json</c>, the push
/// stack. Every command that changes it runs under the host lock, so two never interleave.
/// </summary>
public sealed class SnapshotStore(string stateDirectory)
{
    public const string FolderName = "snapshots";
    public const string RecordFileName = "snapshot.json";
    public const string StateFileName = "state.json";
    public const string StackFileName = "stack.json";

    /// <summary>A record or stack is a few kilobytes; anything above this is not one.</summary>
    private const int MaxBytes = 4 * 1024 * 1024;

    public string Folder => Path.Combine(stateDirectory, FolderName);

    public string FolderOf(string name) => Path.Combine(Folder, name);

    /// <summary>The record of snapshot <paramref name="name"/>, or null when there is none.</summary>
    public LabSnapshotRecord? Read(string name) => ReadJson(Path.Combine(FolderOf(name), RecordFileName), SnapshotJson.Default.LabSnapshotRecord);

    /// <summary>The project state kept with snapshot <paramref name="name"/>, or null when there is none.</summary>
    public SnapshotStateCopy? ReadState(string name) => ReadJson(Path.Combine(FolderOf(name), StateFileName), SnapshotJson.Default.SnapshotStateCopy);

    /// <summary>Every snapshot recorded here, oldest first (folders without a record are skipped).</summary>
    public IReadOnlyList<LabSnapshotRecord> All()
    {
        if (FileEntry.Kind(Folder, followLinks: false) != EntryKind.Directory) return [];
        var records = new List<LabSnapshotRecord>();
        foreach (var folder in Directory.EnumerateDirectories(Folder))
        {
            var name = Path.GetFileName(folder);
            if (SnapshotName.Problem(name) is not null) continue;
            if (Read(name) is { } record) records.Add(record);
        }
        return [.. records.OrderBy(r => r.Created).ThenBy(r => r.Name, StringComparer.Ordinal)];
    }

    /// <summary>Writes the state copy, then the record (the record last: a snapshot is recorded only once both are there).</summary>
    public void Write(LabSnapshotRecord record, SnapshotStateCopy state)
    {
        ArgumentNullException.ThrowIfNull(record);
        var folder = FolderOf(record.Name);
        MakeFolder(folder);
        AtomicFile.WriteAllText(Path.Combine(folder, StateFileName), JsonSerializer.Serialize(state, SnapshotJson.Default.SnapshotStateCopy));
        AtomicFile.WriteAllText(Path.Combine(folder, RecordFileName), JsonSerializer.Serialize(record, SnapshotJson.Default.LabSnapshotRecord));
    }

    /// <summary>Replaces the record (after some of its VMs went).</summary>
    public void Rewrite(LabSnapshotRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        AtomicFile.WriteAllText(Path.Combine(FolderOf(record.Name), RecordFileName), JsonSerializer.Serialize(record, SnapshotJson.Default.LabSnapshotRecord));
    }

    /// <summary>Removes snapshot <paramref name="name"/>'s folder and its place on the stack.</summary>
    public void Delete(string name)
    {
        var folder = FolderOf(name);
        try
        {
            if (FileEntry.Kind(folder, followLinks: false) == EntryKind.Directory) Directory.Delete(folder, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Unavailable($"'{folder}' cannot be removed: {FileFailure.Reason(e)}", e);
        }
        var stack = Stack();
        if (stack.RemoveAll(n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase)) > 0) WriteStack(stack);
    }

    /// <summary>Removes <c>.lab/snapshots/</c> whole ('lab down' of the whole lab).</summary>
    public void DeleteAll()
    {
        try
        {
            if (FileEntry.Kind(Folder, followLinks: false) == EntryKind.Directory) Directory.Delete(Folder, recursive: true);
            else if (FileEntry.Kind(Folder, followLinks: false) != EntryKind.Missing) File.Delete(Folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Unavailable($"'{Folder}' cannot be removed: {FileFailure.Reason(e)}", e);
        }
    }

    /// <summary>The push stack, bottom first.</summary>
    public List<string> Stack() => ReadJson(Path.Combine(Folder, StackFileName), SnapshotJson.Default.SnapshotStack)?.Entries ?? [];

    /// <summary>Puts <paramref name="name"/> on top of the stack.</summary>
    public void Push(string name)
    {
        var stack = Stack();
        stack.Add(name);
        WriteStack(stack);
    }

    /// <summary>
    /// The name the next 'push' takes: one above every push name on the stack or recorded (and above
    /// <paramref name="taken"/>, the names the host has), so a name is never given twice while it exists.
    /// </summary>
    public string NextPushName(IEnumerable<string> taken)
    {
        var numbers = Stack().Concat(All().Select(r => r.Name)).Concat(taken).Select(SnapshotName.PushNumber).OfType<int>();
        return SnapshotName.Push(numbers.DefaultIfEmpty(0).Max() + 1);
    }

    /// <summary>The seeds any recorded snapshot's VMs held when it was taken: a restore puts them back in the VMs' drives, so they stay.</summary>
    public IReadOnlySet<string> HeldSeeds() =>
        All().SelectMany(r => r.Vms).Select(v => v.Seed).OfType<string>().ToHashSet(StringComparer.OrdinalIgnoreCase);

    private void WriteStack(List<string> stack)
    {
        MakeFolder(Folder);
        AtomicFile.WriteAllText(Path.Combine(Folder, StackFileName), JsonSerializer.Serialize(new SnapshotStack { Entries = stack }, SnapshotJson.Default.SnapshotStack));
    }

    private void MakeFolder(string folder)
    {
        StateFolder.Create(stateDirectory);
        try
        {
            // .lab/snapshots first, then the snapshot's folder: each owner-only (a folder made on the way would not be).
            foreach (var path in new[] { Folder, folder }.Distinct(StringComparer.Ordinal))
            {
                if (OperatingSystem.IsWindows()) Directory.CreateDirectory(path);
                else Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Unavailable($"'{folder}' cannot be made: {FileFailure.Reason(e)}{StateFolder.Hint(folder, folder)}", e);
        }
    }

    private static T? ReadJson<T>(string path, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) where T : class
    {
        switch (FileEntry.Kind(path, followLinks: false))
        {
            case EntryKind.Missing: return null;
            case EntryKind.Regular: break;
            default: throw Damaged(path, "it is not a regular file LabRunner wrote");
        }
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (stream.Length > MaxBytes) throw Damaged(path, "it is too big to be one");
            return JsonSerializer.Deserialize(stream, type) ?? throw Damaged(path, "it holds null");
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (JsonException e)
        {
            throw Damaged(path, "it is not valid JSON of a snapshot", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Unavailable($"'{path}' cannot be read: {FileFailure.Reason(e)}", e);
        }
    }

    private static LabSnapshotException Damaged(string path, string why, Exception? inner = null) =>
        new(ErrorCategory.HostFailure, $"The snapshot file '{path}' is damaged ({why}); move it away, and 'lab snapshot list' shows what the host still has.", inner);

    private static LabSnapshotException Unavailable(string message, Exception inner) => new(ErrorCategory.HostFailure, message + ".", inner);
}

/// <summary>
/// One lab snapshot as <c>snapshot.json</c> records it: its name, when it was taken, of which lab, whether 'push' took
/// it, and each VM it covers.
/// </summary>
public sealed class LabSnapshotRecord
{
    public string Name { get; set; } = "";
    public string Lab { get; set; } = "";
    public DateTimeOffset Created { get; set; }
    public bool Pushed { get; set; }
    public List<LabSnapshotVm> Vms { get; set; } = [];

    public LabSnapshotVm? Vm(string name) => Vms.FirstOrDefault(v => string.Equals(v.Name, name, StringComparison.OrdinalIgnoreCase));
}

/// <summary>
/// One VM of a lab snapshot: its Labfile and host names, whether it ran when it was taken (a restore leaves it
/// running then), whether the host kept its memory, the snapshot type the Labfile asked for and the host's words for
/// what it took, its size when the host told, and the seed its DVD drive held (which stays while the snapshot does).
/// </summary>
public sealed class LabSnapshotVm
{
    public string Name { get; set; } = "";
    public string HostVm { get; set; } = "";
    public bool WasRunning { get; set; }
    public bool WithMemory { get; set; }
    public string Requested { get; set; } = "";
    public string Type { get; set; } = "";
    public long? SizeBytes { get; set; }
    public string? Seed { get; set; }
}

/// <summary>
/// The project state that goes back with a snapshot, for its VMs only: the <c>run: once</c> provisioners that had run
/// (so the next 'lab provision' runs exactly those that ran after it), which VMs were seen ready, and the seed each
/// running VM had booted with.
/// </summary>
public sealed class SnapshotStateCopy
{
    public Dictionary<string, Dictionary<string, string>> Provisioned { get; set; } = new(StringComparer.OrdinalIgnoreCase);
    public List<string> ReadyVms { get; set; } = [];
    public Dictionary<string, string> BootedSeeds { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>What <paramref name="state"/> holds of <paramref name="vms"/>.</summary>
    public static SnapshotStateCopy Of(ProjectState state, IReadOnlyCollection<string> vms)
    {
        ArgumentNullException.ThrowIfNull(state);
        var copy = new SnapshotStateCopy();
        foreach (var vm in vms)
        {
            if (state.Provisioned.TryGetValue(vm, out var done)) copy.Provisioned[vm] = new Dictionary<string, string>(done, StringComparer.Ordinal);
            if (state.ReadyVms.Contains(vm, StringComparer.OrdinalIgnoreCase)) copy.ReadyVms.Add(vm);
            if (state.BootedSeeds.TryGetValue(vm, out var seed)) copy.BootedSeeds[vm] = seed;
        }
        return copy;
    }
}

/// <summary><c>stack.json</c>: the names 'lab snapshot push' took, bottom first.</summary>
public sealed class SnapshotStack
{
    public List<string> Entries { get; set; } = [];
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, RespectNullableAnnotations = true)]
[JsonSerializable(typeof(LabSnapshotRecord))]
[JsonSerializable(typeof(SnapshotStateCopy))]
[JsonSerializable(typeof(SnapshotStack))]
internal sealed partial class SnapshotJson : JsonSerializerContext;
