using System.Globalization;

namespace LabRunner.Core.Hosting;

/// <summary>
/// Why a file could not be used, in LabRunner's own words, from the exception's type alone. The .NET
/// IO exceptions' messages are never shown: the native-AOT build strips the framework's resources, so
/// they read as resource keys (<c>UnauthorizedAccess_IODenied_Path</c>).
/// </summary>
public static class FileFailure
{
    /// <summary>A short clause such as "access is denied", to follow "cannot be read: ".</summary>
    public static string Reason(Exception exception) => exception switch
    {
        UnauthorizedAccessException => "access is denied",
        FileNotFoundException or DirectoryNotFoundException => "it does not exist",
        PathTooLongException => "the path is too long",
        IOException io when (io.HResult & 0xFFFF) is 32 or 33 => "another process has it open",
        IOException io when (io.HResult & 0xFFFF) is 112 => "the disk is full",
        IOException io => string.Create(CultureInfo.InvariantCulture, $"an input/output error (0x{io.HResult:X8})"),
        _ => $"an unexpected {exception.GetType().Name}",
    };
}
