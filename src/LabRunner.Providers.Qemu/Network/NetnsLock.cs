using System.Globalization;
using LabRunner.Core.Hosting;
using LabRunner.HostCommon.Files;

namespace LabRunner.Providers.Qemu.Network;

/// <summary>
/// Locks that cover what one network namespace holds for every lab in it — bridges, addresses, host ports and
/// LabRunner's nft table <c>inet labrunner</c> — whichever registry (<c>LABRUNNER_QEMU_STATE</c>) a lab uses.
/// They live in one fixed host-wide folder (<c>/run/labrunner</c>), named after the namespace: the inode of
/// <c>/proc/self/ns/net</c> for the caller's own, or the name for one the provider runs commands in
/// (<c>ip netns exec NAME</c>). OS file locks: the OS releases them when the process dies.
/// </summary>
public static class NetnsLock
{
    public const string DefaultDirectory = "/run/labrunner";

    /// <summary>The namespace's key: <c>name-NAME</c> for a named namespace, else <c>inode-N</c> of the caller's own.</summary>
    public static string KeyOf(string? namespaceName)
    {
        if (namespaceName is not null)
        {
            if (!OwnershipMark.IsToken(namespaceName))
                throw new ArgumentException($"'{namespaceName}' is not a network namespace name LabRunner uses.", nameof(namespaceName));
            return "name-" + namespaceName;
        }
        try
        {
            // "net:[4026531840]": the namespace's inode, the same for every process in it.
            var target = File.ResolveLinkTarget("/proc/self/ns/net", returnFinalTarget: false)?.Name ?? "";
            var open = target.IndexOf('[', StringComparison.Ordinal);
            var close = target.IndexOf(']', StringComparison.Ordinal);
            if (open >= 0 && close > open && ulong.TryParse(target.AsSpan(open + 1, close - open - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var inode))
                return string.Create(CultureInfo.InvariantCulture, $"inode-{inode}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return "self";
    }

    /// <summary>The engine's lock for labs in this namespace (held for a whole up/halt/reload/down).</summary>
    public static string EnginePath(string directory, string? namespaceName) => Path.Combine(directory, $"qemu-netns-{KeyOf(namespaceName)}.lock");

    /// <summary>The lock around each read-modify-write of LabRunner's nft table in this namespace (a separate file: the engine holds its own).</summary>
    public static string NftPath(string directory, string? namespaceName) => Path.Combine(directory, $"qemu-netns-{KeyOf(namespaceName)}.nft.lock");

    /// <summary>Holds the lock file at <paramref name="path"/> exclusively; waits for another holder up to <paramref name="timeout"/>.</summary>
    /// <exception cref="QemuOperationException">Still held after the timeout, or the file cannot be made.</exception>
    public static async Task<IDisposable> AcquireAsync(string path, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            // Shared by every user who runs lab in this namespace: not owner-only.
            return await FileLock.AcquireAsync(path, timeout, new LockWait { OwnerOnly = false }, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new QemuOperationException(new HostError(HostErrorKind.Unavailable, string.Create(CultureInfo.InvariantCulture,
                $"Another lab command has held LabRunner's lock '{path}' for more than {timeout.TotalSeconds:0} s; run the command again when it is done.")));
        }
        catch (UnauthorizedAccessException e)
        {
            throw new QemuOperationException(new HostError(HostErrorKind.AccessDenied, $"LabRunner's lock '{path}' cannot be opened: {e.Message} {QemuErrors.SudoHint}"));
        }
        catch (IOException e)
        {
            throw new QemuOperationException(new HostError(HostErrorKind.Unavailable, $"LabRunner's lock '{path}' cannot be opened: {FileFailure.Reason(e)}."));
        }
    }
}
