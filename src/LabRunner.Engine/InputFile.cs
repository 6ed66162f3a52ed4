using System.Globalization;
using System.Text;
using LabRunner.Core.Hosting;
using LabRunner.HostCommon.Files;

namespace LabRunner.Engine;

/// <summary>
/// Reads the project's own text files — the Labfile, its local override, templates — refusing what is
/// not one. Links are followed, and the rules apply to what they lead to: it must be a regular file (a
/// folder, a device such as /dev/zero, a FIFO or socket is refused without being opened: a device would
/// not end and a FIFO would block the open), of at most <see cref="MaxBytes"/> (its own size, not the
/// link's, checked before reading, and never more than that read).
/// </summary>
public static class InputFile
{
    /// <summary>1 MiB: a Labfile is a few kilobytes, a 500-VM one about 50 KB. Documented in the README.</summary>
    public const int MaxBytes = 1024 * 1024;

    /// <summary>
    /// The text of the Labfile. An empty file is returned as it is: like one holding only comments it is an invalid
    /// Labfile (LAB008, exit 1). A folder, a device or a FIFO (or a link to one) is no Labfile at all (see <see cref="ReadText"/>).
    /// </summary>
    public static string ReadRequired(string fullPath, string displayPath) =>
        FileEntry.Kind(fullPath, followLinks: true) == EntryKind.Special
            ? throw new ProjectInputException($"'{displayPath}' is not a regular file; a Labfile is a text file with at least 'name'")
            : ReadText(fullPath, displayPath);

    /// <summary>Whether <paramref name="fullPath"/> names anything, a link to nothing included (which <see cref="ReadText"/> then refuses).</summary>
    public static bool IsPresent(string fullPath) => FileEntry.Kind(fullPath, followLinks: false) != EntryKind.Missing;

    /// <summary>The text of a regular file (UTF-8, a leading byte order mark dropped); empty for a file of size 0.</summary>
    /// <exception cref="ProjectInputException">The entry is not a regular file (after links), is too big, or cannot be read.</exception>
    public static string ReadText(string fullPath, string displayPath)
    {
        switch (FileEntry.Kind(fullPath, followLinks: true))
        {
            case EntryKind.Missing:
                throw new ProjectInputException(FileEntry.Kind(fullPath, followLinks: false) == EntryKind.SymbolicLink
                    ? $"'{displayPath}' is a link to nothing; point it at a file or remove it"
                    : $"'{displayPath}' does not exist");
            case EntryKind.Directory:
                throw new ProjectInputException($"'{displayPath}' is a folder; LabRunner reads a text file there");
            case EntryKind.Special:
                throw new ProjectInputException($"'{displayPath}' is not a regular file (a device, FIFO or socket, or a link to one); LabRunner reads only regular text files");
        }
        try
        {
            using var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1, FileOptions.SequentialScan);
            // The size of what was opened (the link's target), not of a link.
            var length = stream.Length;
            if (length > MaxBytes)
                throw new ProjectInputException(string.Create(CultureInfo.InvariantCulture,
                    $"'{displayPath}' is {length / 1024.0 / 1024.0:0.#} MiB; LabRunner reads files of at most 1 MiB (a Labfile is a few kilobytes)"));
            if (length == 0) return "";
            var buffer = new byte[length + 1];
            var read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            // The file grew while it was read: read again later rather than half a file.
            if (read > length)
                throw new ProjectInputException($"'{displayPath}' changed while it was read; run the command again");
            return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetString(buffer, 0, read).TrimStart('\uFEFF');
        }
        catch (IOException ex)
        {
            throw new ProjectInputException($"cannot read '{displayPath}': {FileFailure.Reason(ex)}");
        }
        catch (UnauthorizedAccessException)
        {
            throw new ProjectInputException($"cannot read '{displayPath}': permission denied");
        }
    }
}
