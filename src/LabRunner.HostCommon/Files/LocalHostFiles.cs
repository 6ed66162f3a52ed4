using System.Collections.Immutable;
using LabRunner.Core.Hosting;

namespace LabRunner.HostCommon.Files;

/// <summary>
/// The host's files when the host is this machine (Hyper-V on this Windows machine, QEMU on this Linux
/// machine, a simulated host): the paths are this machine's, written through <see cref="AtomicFile"/>.
/// IO failures become <see cref="HostUnavailableException"/>s that name the path and why, here and nowhere else.
/// </summary>
public sealed class LocalHostFiles : IHostFiles
{
    public static LocalHostFiles Instance { get; } = new();

    private LocalHostFiles()
    {
    }

    public Task<ImmutableHashSet<string>> ExistingAsync(IEnumerable<string> paths, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(paths);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(paths.Where(File.Exists).ToImmutableHashSet(StringComparer.OrdinalIgnoreCase));
    }

    public Task WriteAsync(string path, ReadOnlyMemory<byte> content, bool secret, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Run(path, "cannot be written", () => AtomicFile.WriteAllBytes(path, content.Span, ownerOnly: secret));
        return Task.CompletedTask;
    }

    public Task<ImmutableArray<string>> FilesAsync(string folder, string pattern, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Run<ImmutableArray<string>>(folder, "cannot be read", () =>
            Directory.Exists(folder) ? [.. Directory.EnumerateFiles(folder, pattern).Order(StringComparer.Ordinal)] : ImmutableArray<string>.Empty));
    }

    public Task<ImmutableArray<string>> FoldersAsync(string folder, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Run<ImmutableArray<string>>(folder, "cannot be read", () =>
            Directory.Exists(folder) ? [.. Directory.EnumerateDirectories(folder).Order(StringComparer.Ordinal)] : ImmutableArray<string>.Empty));
    }

    public Task DeleteAsync(string path, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        // File.Delete of a file that is not there does nothing; a missing folder above it throws, and is just as gone.
        Run(path, "cannot be removed", () =>
        {
            if (File.Exists(path)) File.Delete(path);
        });
        return Task.CompletedTask;
    }

    public Task DeleteFolderAsync(string folder, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Run(folder, "cannot be removed", () =>
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        });
        return Task.CompletedTask;
    }

    private static void Run(string path, string failure, Action action) => Run(path, failure, () =>
    {
        action();
        return true;
    });

    private static T Run<T>(string path, string failure, Func<T> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HostUnavailableException(new HostError(HostErrorKind.Unavailable, $"'{path}' {failure}: {FileFailure.Reason(e)}{InTheWay(path)}."));
        }
    }

    /// <summary>"; '…/vms' is a file, not a folder: move it away" when a file stands where a folder of the path should be; empty otherwise.</summary>
    private static string InTheWay(string path)
    {
        for (var dir = Path.GetDirectoryName(Path.GetFullPath(path)); !string.IsNullOrEmpty(dir); dir = Path.GetDirectoryName(dir))
        {
            var kind = FileEntry.Kind(dir, followLinks: true);
            if (kind == EntryKind.Directory) break;
            if (kind != EntryKind.Missing) return $"; '{dir}' is a file, not a folder: move it away";
        }
        return "";
    }
}
