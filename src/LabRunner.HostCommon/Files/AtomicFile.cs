using System.Diagnostics;
using System.Globalization;

namespace LabRunner.HostCommon.Files;

/// <summary>
/// The one way LabRunner replaces a file whole (project state, keys, seeds, the box store's records, the
/// simulated host, the QEMU registry): the bytes go to a temporary file of a unique name beside the target,
/// are flushed to the disk, and the temporary file is renamed over the target, so a reader — or a crash —
/// sees the old file or the new one, never half of one. A private file is created owner-only (0600) on
/// Unix before any byte is written, so it is never readable by others, not even for a moment.
/// Temporary files a killed process left behind (its pid no longer runs) are removed by the next write.
/// </summary>
public static class AtomicFile
{
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Writes <paramref name="text"/> as UTF-8 without a byte order mark.</summary>
    public static void WriteAllText(string path, string text, bool ownerOnly) =>
        WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(text), ownerOnly);

    /// <summary>Replaces <paramref name="path"/> with <paramref name="bytes"/>; the folder is created when missing.</summary>
    /// <exception cref="IOException">The file or its folder cannot be written; no temporary file is left.</exception>
    /// <exception cref="UnauthorizedAccessException">Access is denied; no temporary file is left.</exception>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes, bool ownerOnly)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        var temp = TemporaryPath(full);
        try
        {
            WriteTemporary(temp, bytes, ownerOnly);
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    File.Move(temp, full, overwrite: true);
                    break;
                }
                catch (IOException) when (OperatingSystem.IsWindows() && attempt < 20)
                {
                    // Windows refuses to replace a file a reader holds open without FileShare.Delete; it is brief.
                    Thread.Sleep(10);
                }
            }
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
        RemoveStaleTemporaries(full);
    }

    /// <summary>Writes a new temporary file (never an existing one) and flushes it to disk before it is renamed into place.</summary>
    private static void WriteTemporary(string temp, ReadOnlySpan<byte> bytes, bool ownerOnly)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (ownerOnly && !OperatingSystem.IsWindows())
            options.UnixCreateMode = OwnerReadWrite;
        using var stream = new FileStream(temp, options);
        stream.Write(bytes);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>
    /// Creates <paramref name="path"/> with <paramref name="bytes"/> only if it does not exist yet (create-new
    /// semantics, whole or not at all): the content is written and flushed under a temporary name, then linked
    /// into place without replacing anything. False, and nothing changed, when another process made it first:
    /// the caller uses theirs.
    /// </summary>
    public static bool CreateNew(string path, ReadOnlySpan<byte> bytes, bool ownerOnly)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = TemporaryPath(full);
        try
        {
            WriteTemporary(temp, bytes, ownerOnly);
            if (Directory.Exists(full)) throw new IOException($"'{full}' is a folder");
            if (File.Exists(full)) return false;
            try
            {
                // Without overwrite, .NET links the new name on Unix (link(2) fails if it exists): no check-then-act race.
                File.Move(temp, full, overwrite: false);
                return true;
            }
            catch (IOException) when (File.Exists(full))
            {
                return false;
            }
        }
        finally
        {
            TryDelete(temp);
        }
    }

    /// <summary>
    /// <c>.NAME.PID.GUID.tmp</c> beside the target: unique across processes and threads, and the pid says
    /// whether the writer may still be running.
    /// </summary>
    public static string TemporaryPath(string path)
    {
        var full = Path.GetFullPath(path);
        return Path.Combine(Path.GetDirectoryName(full)!,
            string.Create(CultureInfo.InvariantCulture, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp"));
    }

    /// <summary>
    /// Deletes the temporary files of <paramref name="path"/> whose writer no longer runs: this helper's
    /// <c>.NAME.PID.GUID.tmp</c>, and the <c>NAME.PID.GUID.tmp</c> and <c>.NAME.PID.tmp</c> of earlier
    /// versions. A file of a process that still runs is left alone: it may be writing it now.
    /// </summary>
    public static void RemoveStaleTemporaries(string path)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        var name = Path.GetFileName(full);
        IEnumerable<string> candidates;
        try
        {
            candidates = Directory.EnumerateFiles(directory, "*" + name + ".*.tmp").ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }
        foreach (var candidate in candidates)
        {
            if (WriterPid(Path.GetFileName(candidate), name) is not { } pid) continue;
            if (pid == Environment.ProcessId || IsRunning(pid)) continue;
            TryDelete(candidate);
        }
    }

    /// <summary>The pid in a temporary file's name of <paramref name="target"/>, or null when the name is not one.</summary>
    public static int? WriterPid(string fileName, string target)
    {
        var rest = fileName.StartsWith('.') && fileName.AsSpan(1).StartsWith(target + ".", StringComparison.Ordinal)
            ? fileName[(target.Length + 2)..]
            : fileName.StartsWith(target + ".", StringComparison.Ordinal) ? fileName[(target.Length + 1)..] : null;
        if (rest is null || !rest.EndsWith(".tmp", StringComparison.Ordinal)) return null;
        var parts = rest[..^4].Split('.');
        if (parts.Length is not (1 or 2)) return null;
        if (parts.Length == 2 && (parts[1].Length != 32 || !parts[1].All(char.IsAsciiHexDigit))) return null;
        return int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 0 ? pid : null;
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for the next write to take.
        }
    }
}
