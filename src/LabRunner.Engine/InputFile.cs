using System.Globalization;
using System.Text;

namespace LabRunner.Engine;

/// <summary>
/// Reads the project's own text files — the Labfile, its local override, templates — refusing what is
/// not one: more than <see cref="MaxBytes"/> (checked from the file system before reading, and never
/// more than that read), or an entry the file system gives no size (a device such as /dev/zero, a pipe,
/// a FIFO), which is never opened: a device would not end and a FIFO would block the open.
/// </summary>
public static class InputFile
{
    /// <summary>1 MiB: a Labfile is a few kilobytes, a 500-VM one about 50 KB. Documented in the README.</summary>
    public const int MaxBytes = 1024 * 1024;

    /// <summary>
    /// The text of the Labfile. An empty file is returned as it is: like one holding only comments it is an invalid
    /// Labfile (LAB008, exit 1). A system entry with no size (a device such as /dev/zero) is not a Labfile at all.
    /// </summary>
    public static string ReadRequired(string fullPath, string displayPath)
    {
        var text = ReadText(fullPath, displayPath);
        if (text.Length > 0 || !IsSystemEntry(fullPath)) return text;
        throw new UsageException($"'{displayPath}' is not a regular file; a Labfile is a text file with at least 'name'");
    }

    // .NET tells a device from an empty file by neither size nor attributes; devices live under these folders.
    private static bool IsSystemEntry(string fullPath) =>
        !OperatingSystem.IsWindows() && (fullPath.StartsWith("/dev/", StringComparison.Ordinal) || fullPath.StartsWith("/proc/", StringComparison.Ordinal) || fullPath.StartsWith("/sys/", StringComparison.Ordinal));

    /// <summary>The text of a file (UTF-8, a leading byte order mark dropped); empty for an entry of size 0.</summary>
    public static string ReadText(string fullPath, string displayPath)
    {
        try
        {
            var length = new FileInfo(fullPath).Length;
            if (length > MaxBytes)
                throw new UsageException(string.Create(CultureInfo.InvariantCulture,
                    $"'{displayPath}' is {length / 1024.0 / 1024.0:0.#} MiB; LabRunner reads files of at most 1 MiB (a Labfile is a few kilobytes)"));
            if (length == 0) return "";

            using var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1, FileOptions.SequentialScan);
            var buffer = new byte[length + 1];
            var read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            // The file grew while it was read: read again later rather than half a file.
            if (read > length)
                throw new UsageException($"'{displayPath}' changed while it was read; run the command again");
            return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetString(buffer, 0, read).TrimStart('\uFEFF');
        }
        catch (IOException ex)
        {
            throw new UsageException($"cannot read '{displayPath}': {ex.Message}");
        }
        catch (UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read '{displayPath}': permission denied");
        }
    }
}
