using System.Collections.Immutable;

namespace LabRunner.Core.Hosting;

/// <summary>
/// The files LabRunner keeps on a host for its VMs — seeds, disks and overlays, the VMs' folders — reached
/// through the host's provider (<see cref="IHostProvider.Files"/>), never through this machine's file system,
/// so that the host may be another machine. Paths are the host's. A local host's files are this machine's,
/// at the paths they have always had (<c>LabRunner.HostCommon.Files.LocalHostFiles</c>).
/// </summary>
/// <remarks>A file or folder that cannot be read, written or removed is a <see cref="HostUnavailableException"/> that names it and says why.</remarks>
public interface IHostFiles
{
    /// <summary>Which of <paramref name="paths"/> are files on the host.</summary>
    Task<ImmutableHashSet<string>> ExistingAsync(IEnumerable<string> paths, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces <paramref name="path"/> whole — a reader sees the old file or the new one, never half of one —
    /// making its folder; a <paramref name="secret"/> file is readable by its owner only from its first byte.
    /// </summary>
    Task WriteAsync(string path, ReadOnlyMemory<byte> content, bool secret, CancellationToken cancellationToken);

    /// <summary>The files directly in <paramref name="folder"/> whose names match <paramref name="pattern"/> (<c>*</c>, <c>?</c>); none when there is no such folder.</summary>
    Task<ImmutableArray<string>> FilesAsync(string folder, string pattern, CancellationToken cancellationToken);

    /// <summary>The folders directly in <paramref name="folder"/>; none when there is no such folder.</summary>
    Task<ImmutableArray<string>> FoldersAsync(string folder, CancellationToken cancellationToken);

    /// <summary>Removes the file <paramref name="path"/>; one that is already gone is fine.</summary>
    Task DeleteAsync(string path, CancellationToken cancellationToken);

    /// <summary>Removes <paramref name="folder"/> with everything in it; one that is already gone is fine.</summary>
    Task DeleteFolderAsync(string folder, CancellationToken cancellationToken);
}
