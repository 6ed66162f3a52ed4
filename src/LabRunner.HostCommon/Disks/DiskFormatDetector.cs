namespace LabRunner.HostCommon.Disks;

/// <summary>
/// Tells a disk image's format from its magic bytes. Names lie (a <c>.img</c> is often qcow2), and
/// QEMU itself must be told: probing a backing file is unsafe (a raw guest disk can be made to look
/// like qcow2 from inside the guest), and QEMU's own probe does not recognise a <i>fixed</i> VHD, whose
/// only signature is its footer.
/// </summary>
public static class DiskFormatDetector
{
    /// <summary>How many bytes <see cref="Detect(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/> needs from each end of the file.</summary>
    public const int ProbeLength = 512;

    private static ReadOnlySpan<byte> Qcow2Magic => [(byte)'Q', (byte)'F', (byte)'I', 0xFB];
    private static ReadOnlySpan<byte> VhdxMagic => "vhdxfile"u8;
    private static ReadOnlySpan<byte> VhdMagic => "conectix"u8;

    /// <summary>
    /// The format of a disk whose first bytes are <paramref name="head"/> and whose last
    /// <see cref="ProbeLength"/> bytes are <paramref name="tail"/> (fewer when the file is shorter).
    /// </summary>
    public static DiskFormat Detect(ReadOnlySpan<byte> head, ReadOnlySpan<byte> tail)
    {
        if (head.StartsWith(Qcow2Magic)) return DiskFormat.Qcow2;
        if (head.StartsWith(VhdxMagic)) return DiskFormat.Vhdx;
        // A dynamic VHD starts with a copy of its footer; every VHD ends with it (512 bytes).
        if (head.StartsWith(VhdMagic)) return DiskFormat.Vhd;
        if (tail.Length == ProbeLength && tail.StartsWith(VhdMagic)) return DiskFormat.Vhd;
        return DiskFormat.Raw;
    }

    /// <summary>The format of the disk in a readable, seekable <paramref name="stream"/>; its position is left at the end of what was read.</summary>
    public static DiskFormat Detect(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanSeek) throw new ArgumentException("The stream must be seekable: a VHD's signature is at its end.", nameof(stream));

        var length = stream.Length;
        var head = new byte[(int)Math.Min(ProbeLength, length)];
        stream.Position = 0;
        stream.ReadExactly(head);

        var tail = Array.Empty<byte>();
        if (length >= ProbeLength)
        {
            tail = new byte[ProbeLength];
            stream.Position = length - ProbeLength;
            stream.ReadExactly(tail);
        }
        return Detect(head, tail);
    }

    /// <summary>The format of the disk image at <paramref name="path"/> (read-only, shared with writers).</summary>
    public static DiskFormat DetectFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1);
        return Detect(stream);
    }
}
