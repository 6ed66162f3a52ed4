using System.Security.Cryptography;

namespace LabRunner.Engine.Sync;

/// <summary>What an entry of a synced folder is: pushed as a folder, a file's content, or a symbolic link (never followed).</summary>
public enum SyncEntryKind
{
    Directory,
    File,
    Symlink,
}

/// <summary>
/// One entry of a synced folder on the host: its path relative to the folder ('/'-separated), kind, size and
/// modification time (what says it may have changed), permission bits, SHA-256 of a file's content, a link's target.
/// </summary>
public sealed record SyncEntry(string Path, SyncEntryKind Kind, long Size, long MtimeTicks, int Mode, string? Hash, string? Target)
{
    /// <summary>Whether the guest's copy of <paramref name="pushed"/> must be replaced by this one.</summary>
    public bool Differs(SyncEntry pushed)
    {
        ArgumentNullException.ThrowIfNull(pushed);
        return Kind != pushed.Kind || Mode != pushed.Mode || Kind switch
        {
            SyncEntryKind.File => Hash != pushed.Hash || Size != pushed.Size,
            SyncEntryKind.Symlink => Target != pushed.Target,
            _ => false,
        };
    }
}

/// <summary>
/// Reads a synced folder on the host: every folder, file and symbolic link under it in path order, without
/// following links and without entering excluded folders or the folders <see cref="Skip"/> names (the project's
/// <c>.lab</c>: keys and disks never reach a guest). A file whose size and time match what the last push recorded
/// keeps its recorded hash; only the others are read.
/// </summary>
public sealed class HostTree(string root, ExcludeRules excludes)
{
    /// <summary>Full paths of folders never pushed, wherever they lie under the root.</summary>
    public IReadOnlyCollection<string> Skip { get; init; } = [];

    private const int DefaultFolderMode = 0b111_101_101; // 0755
    private const int DefaultFileMode = 0b110_100_100;   // 0644
    private const int LinkMode = 0b111_111_111;          // 0777

    /// <exception cref="SyncException">The folder is not there or cannot be read.</exception>
    public IReadOnlyList<SyncEntry> Scan(IReadOnlyDictionary<string, SyncEntry>? recorded)
    {
        if (!Directory.Exists(root))
            throw new SyncException($"the host folder '{root}' does not exist or is not a folder");
        var entries = new List<SyncEntry>();
        try
        {
            Walk(new DirectoryInfo(root), "", recorded, entries);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.SecurityException)
        {
            throw new SyncException($"cannot read the host folder '{root}': {ex.Message}", ex);
        }
        return entries;
    }

    private void Walk(DirectoryInfo folder, string prefix, IReadOnlyDictionary<string, SyncEntry>? recorded, List<SyncEntry> entries)
    {
        var children = folder.EnumerateFileSystemInfos().OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
        var folders = children.Where(c => c is DirectoryInfo && c.LinkTarget is null).ToDictionary(c => prefix + c.Name, StringComparer.Ordinal);
        var others = children.Where(c => !(c is DirectoryInfo && c.LinkTarget is null)).ToDictionary(c => prefix + c.Name, StringComparer.Ordinal);
        var excludedFolders = excludes.Excluded(folders.Keys, folders: true);
        var excludedOthers = excludes.Excluded(others.Keys, folders: false);
        foreach (var child in children)
        {
            var path = prefix + child.Name;
            if (child is DirectoryInfo directory && child.LinkTarget is null)
            {
                if (excludedFolders.Contains(path) || Skip.Any(s => SameFolder(s, directory.FullName))) continue;
                entries.Add(new SyncEntry(path, SyncEntryKind.Directory, 0, child.LastWriteTimeUtc.Ticks, ModeOf(child, DefaultFolderMode), null, null));
                Walk(directory, path + "/", recorded, entries);
            }
            else if (!excludedOthers.Contains(path))
            {
                entries.Add(Leaf(child, path, recorded?.GetValueOrDefault(path)));
            }
        }
    }

    private static SyncEntry Leaf(FileSystemInfo info, string path, SyncEntry? recorded)
    {
        var mtime = info.LastWriteTimeUtc.Ticks;
        if (info.LinkTarget is { } target)
            return new SyncEntry(path, SyncEntryKind.Symlink, 0, mtime, LinkMode, null, target.Replace('\\', '/'));
        var file = (FileInfo)info;
        var size = file.Length;
        var hash = recorded is { Kind: SyncEntryKind.File, Hash: { } known } && recorded.Size == size && recorded.MtimeTicks == mtime
            ? known
            : HashOf(file);
        return new SyncEntry(path, SyncEntryKind.File, size, mtime, ModeOf(info, DefaultFileMode), hash, null);
    }

    private static string HashOf(FileInfo file)
    {
        using var stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16, FileOptions.SequentialScan);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static int ModeOf(FileSystemInfo info, int fallback) =>
        OperatingSystem.IsWindows() ? fallback : (int)info.UnixFileMode & 0b111_111_111;

    private static bool SameFolder(string a, string b) =>
        string.Equals(Path.TrimEndingDirectorySeparator(Path.GetFullPath(a)), Path.TrimEndingDirectorySeparator(b),
            OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
}
