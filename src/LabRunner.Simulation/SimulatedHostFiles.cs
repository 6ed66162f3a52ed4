using System.Collections.Immutable;
using LabRunner.Core.Hosting;
using LabRunner.HostCommon.Files;

namespace LabRunner.Simulation;

/// <summary>
/// The simulated host's files: this machine's, as for any local host, except that a disk the host made may exist
/// only in its model (a simulated New-VHD writes no file), and is there all the same.
/// </summary>
public sealed class SimulatedHostFiles(SimulatedHost host) : IHostFiles
{
    private static readonly LocalHostFiles Local = LocalHostFiles.Instance;

    public Task<ImmutableHashSet<string>> ExistingAsync(IEnumerable<string> paths, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(paths);
        cancellationToken.ThrowIfCancellationRequested();
        var list = paths.ToList();
        return Task.FromResult(host.Read(m => list.Where(m.FileExists).ToImmutableHashSet(StringComparer.OrdinalIgnoreCase)));
    }

    public Task WriteAsync(string path, ReadOnlyMemory<byte> content, bool secret, CancellationToken cancellationToken) =>
        Local.WriteAsync(path, content, secret, cancellationToken);

    public Task<ImmutableArray<string>> FilesAsync(string folder, string pattern, CancellationToken cancellationToken) =>
        Local.FilesAsync(folder, pattern, cancellationToken);

    public Task<ImmutableArray<string>> FoldersAsync(string folder, CancellationToken cancellationToken) =>
        Local.FoldersAsync(folder, cancellationToken);

    public Task DeleteAsync(string path, CancellationToken cancellationToken) => Local.DeleteAsync(path, cancellationToken);

    public Task DeleteFolderAsync(string folder, CancellationToken cancellationToken) => Local.DeleteFolderAsync(folder, cancellationToken);
}
