using System.Formats.Tar;
using System.Text;
using LabRunner.Core.Planning;
using LabRunner.Engine.Guests;
using LabRunner.Guest.Access;

namespace LabRunner.Engine.Sync;

/// <summary>
/// A push over the guest's SSH session: deletions as NUL-separated names to <c>xargs rm</c>, the entries as one
/// pax tar stream written while the guest's <c>tar -x</c> reads it (names of any characters, links as links,
/// modes, times, and the folder's owner and group by name).
/// </summary>
public sealed class SshPushTransport(IGuestSession session, PushCommands commands) : IPushTransport
{
    public SshPushTransport(IGuestSession session) : this(session, new PushCommands())
    {
    }

    public async Task<string?> ReadTokenAsync(string key, CancellationToken cancellationToken)
    {
        var lines = new List<string>();
        var code = await session.RunAsync(commands.ReadToken(key), ReadOnlyMemory<byte>.Empty, lines.Add, _ => { }, cancellationToken).ConfigureAwait(false);
        return code == 0 && lines.Count > 0 && lines[0].Length > 0 ? lines[0].Trim() : null;
    }

    public async Task DeleteAsync(SyncedFolderPlan folder, IReadOnlyList<string> paths, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(paths);
        if (paths.Count == 0) return;
        var names = Encoding.UTF8.GetBytes(string.Concat(paths.Select(p => Checked(p) + "\0")));
        var errors = new List<string>();
        var code = await session.RunAsync(commands.Delete(folder.GuestPath), names, _ => { }, errors.Add, cancellationToken).ConfigureAwait(false);
        if (code != 0) throw Failed(folder, "removing what the host no longer has", code, errors);
    }

    public async Task SendAsync(SyncedFolderPlan folder, string hostRoot, IReadOnlyList<SyncEntry> entries, string key, string token, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(entries);
        var errors = new List<string>();
        var code = await session.RunAsync(commands.Extract(folder.GuestPath, folder.Owner, folder.Group, key, token),
            (stdin, ct) => TarStream.WriteAsync(stdin, hostRoot, entries, folder.Owner, folder.Group, ct), _ => { }, errors.Add, cancellationToken).ConfigureAwait(false);
        if (code != 0) throw Failed(folder, "writing into the guest", code, errors);
    }

    private static string Checked(string path) =>
        path.Length == 0 || path.StartsWith('/') || path.Split('/').Any(p => p is "" or "." or "..") || path.Contains('\0', StringComparison.Ordinal)
            ? throw new ArgumentException($"'{path}' is not a path inside the folder", nameof(path))
            : path;

    private static SyncException Failed(SyncedFolderPlan folder, string what, int code, List<string> errors) =>
        new($"{what} at {folder.GuestPath} failed with exit code {code}" + (errors.Count > 0 ? ": " + string.Join(" ", errors.Take(5)) : ""));
}

/// <summary>The entries of a push as a pax tar stream, read from the host as they are written.</summary>
public static class TarStream
{
    public static async Task WriteAsync(Stream output, string hostRoot, IReadOnlyList<SyncEntry> entries, string owner, string group, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
        await using (writer.ConfigureAwait(false))
        {
            foreach (var entry in entries)
            {
                var type = entry.Kind switch
                {
                    SyncEntryKind.Directory => TarEntryType.Directory,
                    SyncEntryKind.Symlink => TarEntryType.SymbolicLink,
                    _ => TarEntryType.RegularFile,
                };
                var tar = new PaxTarEntry(type, entry.Kind == SyncEntryKind.Directory ? entry.Path + "/" : entry.Path)
                {
                    Mode = (UnixFileMode)entry.Mode,
                    UserName = owner,
                    GroupName = group,
                    ModificationTime = new DateTimeOffset(entry.MtimeTicks, TimeSpan.Zero),
                };
                if (entry.Kind == SyncEntryKind.Symlink) tar.LinkName = entry.Target!;
                FileStream? content = null;
                try
                {
                    if (entry.Kind == SyncEntryKind.File)
                    {
                        var path = Path.Combine(hostRoot, entry.Path.Replace('/', Path.DirectorySeparatorChar));
                        try
                        {
                            content = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
                        }
                        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                        {
                            throw new SyncException($"cannot read '{path}': {ex.Message}", ex);
                        }
                        tar.DataStream = content;
                    }
                    await writer.WriteEntryAsync(tar, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    if (content is not null) await content.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
    }
}
