using System.Runtime.InteropServices;

namespace LabRunner.HostCommon.Files;

/// <summary>What a path names on the file system.</summary>
public enum EntryKind
{
    /// <summary>Nothing (or a link whose target does not exist, when links are followed).</summary>
    Missing,
    Regular,
    Directory,
    /// <summary>A symbolic link (only when links are not followed).</summary>
    SymbolicLink,
    /// <summary>A FIFO, a device, a socket: never opened, as a read could block or never end.</summary>
    Special,
}

/// <summary>
/// The kind of a file system entry, told without opening it. .NET says whether a path is a folder or a
/// link but not whether it is a FIFO or a device (both have length 0 and would block or never end when
/// read), so on Unix the mode comes from <c>stat</c>/<c>lstat</c> itself.
/// </summary>
public static partial class FileEntry
{
    /// <summary>The kind of <paramref name="path"/>; with <paramref name="followLinks"/>, of what its links lead to.</summary>
    public static EntryKind Kind(string path, bool followLinks)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (OperatingSystem.IsWindows() || ModeOffset() is not { } offset) return KindFromInfo(path, followLinks);
        Span<byte> buffer = stackalloc byte[512];
        int result;
        try
        {
            result = followLinks ? Stat(path, buffer) : LStat(path, buffer);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return KindFromInfo(path, followLinks);
        }
        if (result != 0) return EntryKind.Missing;
        var mode = BitConverter.ToUInt32(buffer.Slice(offset, 4)) & (OperatingSystem.IsMacOS() ? 0xFFFFu : 0xFFFFFFFFu);
        return (mode & 0xF000) switch
        {
            0x8000 => EntryKind.Regular,
            0x4000 => EntryKind.Directory,
            0xA000 => EntryKind.SymbolicLink,
            _ => EntryKind.Special,
        };
    }

    /// <summary>Where <c>st_mode</c> lies in <c>struct stat</c> on this platform; null where it is not known.</summary>
    private static int? ModeOffset() => RuntimeInformation.ProcessArchitecture switch
    {
        _ when OperatingSystem.IsMacOS() => 4,
        Architecture.X64 when OperatingSystem.IsLinux() => 24,
        Architecture.Arm64 or Architecture.LoongArch64 or Architecture.RiscV64 when OperatingSystem.IsLinux() => 16,
        _ => null,
    };

    private static EntryKind KindFromInfo(string path, bool followLinks)
    {
        FileSystemInfo info = new FileInfo(path);
        if (info.Attributes == (FileAttributes)(-1)) return EntryKind.Missing;
        if (info.LinkTarget is not null)
        {
            if (!followLinks) return EntryKind.SymbolicLink;
            try
            {
                info = info.ResolveLinkTarget(returnFinalTarget: true) ?? info;
            }
            catch (IOException)
            {
                return EntryKind.Missing;
            }
            if (!info.Exists && !Directory.Exists(info.FullName)) return EntryKind.Missing;
        }
        return (info.Attributes & FileAttributes.Directory) != 0 || Directory.Exists(info.FullName) ? EntryKind.Directory : EntryKind.Regular;
    }

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Stat(string path, Span<byte> buffer);

    [LibraryImport("libc", EntryPoint = "lstat", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LStat(string path, Span<byte> buffer);
}
