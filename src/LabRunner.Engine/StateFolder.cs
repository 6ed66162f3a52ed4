using System.Runtime.Versioning;
using System.Security.AccessControl;
using System.Security.Principal;
using LabRunner.Core.Hosting;
using LabRunner.HostCommon.Files;

namespace LabRunner.Engine;

/// <summary>
/// Creates a project's <c>.lab/</c> folder so that only its user can read it: it holds the lab's SSH
/// private key, the key that names seeds and every seed (a Windows administrator password, tokens in
/// user_data). On Unix the folder is 0700 (and secret files inside are 0600). On Windows a new folder
/// would inherit the project folder's ACL, often readable by every local user, and Windows' OpenSSH
/// refuses a private key that others can read; so <c>.lab/</c> gets a protected DACL (no inherited
/// entries) granting full control to the user, SYSTEM (the Hyper-V management service opens and
/// re-permissions the disks and seed ISOs attached to VMs) and Administrators (who can take any file
/// anyway) — the three principals Windows' OpenSSH accepts on a private key. Files and folders created
/// inside inherit exactly that. An existing <c>.lab/</c> whose DACL still inherits is tightened too.
/// </summary>
public static class StateFolder
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>What <c>.lab/.gitignore</c> holds: everything in the folder stays out of the user's git.</summary>
    public const string GitIgnore = "*\n";

    /// <summary>
    /// Makes the folder (or tightens an existing one, every time it is used: 0700, and its files 0600 on Unix;
    /// the protected ACL on Windows) and writes <c>.gitignore</c> into it when missing, so neither the
    /// lab's private key nor a seed's password reaches the user's repository.
    /// </summary>
    /// <exception cref="HostUnavailableException">The path is a file (or lies under one), or cannot be made.</exception>
    public static void Create(string path)
    {
        var kind = FileEntry.Kind(path, followLinks: true);
        if (kind is not (EntryKind.Missing or EntryKind.Directory) || (kind == EntryKind.Missing && Hint(path, path).Length > 0))
            throw new HostUnavailableException(new HostError(HostErrorKind.Unavailable,
                $"The project's state folder '{path}' cannot be made{(Hint(path, path) is { Length: > 0 } hint ? hint : $"; '{path}' is in the way: move it away")}."));
        try
        {
            if (OperatingSystem.IsWindows()) CreateOnWindows(path);
            else CreateOnUnix(path);
            var ignore = Path.Combine(path, ".gitignore");
            if (FileEntry.Kind(ignore, followLinks: false) == EntryKind.Missing)
                HostCommon.Files.AtomicFile.WriteAllText(ignore, GitIgnore, ownerOnly: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HostUnavailableException(new HostError(HostErrorKind.Unavailable,
                $"The project's state folder '{path}' cannot be used: {FileFailure.Reason(e)}{Hint(path, path)}."));
        }
    }

    /// <summary>
    /// Why a file in <paramref name="folder"/> (<paramref name="path"/> itself, or the folder) could not be made,
    /// when an entry of the wrong kind is in the way: "; '…/.lab' is a file, not a folder: move it away". Empty otherwise.
    /// </summary>
    public static string Hint(string folder, string path)
    {
        for (var dir = Path.GetFullPath(folder); !string.IsNullOrEmpty(dir); dir = Path.GetDirectoryName(dir))
        {
            var kind = FileEntry.Kind(dir, followLinks: true);
            if (kind == EntryKind.Directory) break;
            if (kind != EntryKind.Missing) return $"; '{dir}' is a file, not a folder: move it away (LabRunner keeps the lab's files in a folder there)";
        }
        return FileEntry.Kind(path, followLinks: false) == EntryKind.Directory && Path.GetFullPath(path) != Path.GetFullPath(folder)
            ? $"; '{path}' is a folder: move it away (LabRunner writes a file there)"
            : "";
    }

    [UnsupportedOSPlatform("windows")]
    private static void CreateOnUnix(string path)
    {
        if (FileEntry.Kind(path, followLinks: true) == EntryKind.Missing)
        {
            Directory.CreateDirectory(path, OwnerOnly);
            return;
        }
        // A folder the user made (0755, say) or an older LabRunner left readable: it holds keys and seeds.
        if ((File.GetUnixFileMode(path) & ~OwnerOnly) != 0) File.SetUnixFileMode(path, OwnerOnly);
        foreach (var file in Directory.EnumerateFiles(path))
        {
            if (FileEntry.Kind(file, followLinks: false) != EntryKind.Regular) continue;
            var mode = File.GetUnixFileMode(file);
            if ((mode & ~(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute)) != 0)
                File.SetUnixFileMode(file, mode & (UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
        }
    }

    /// <summary>
    /// The ACL for <c>.lab/</c> of the user <paramref name="userSid"/>: owner the user; DACL protected from
    /// inheritance; full file access for the user, SYSTEM and Administrators, inherited by files and
    /// subfolders. Pure, so tests check it on any OS (.NET's security descriptor types throw
    /// PlatformNotSupportedException off Windows).
    /// </summary>
    public static FolderAcl OwnerOnlyAcl(string userSid)
    {
        ArgumentException.ThrowIfNullOrEmpty(userSid);
        if (!userSid.StartsWith("S-1-", StringComparison.Ordinal) || userSid.Any(c => !(char.IsAsciiDigit(c) || c is 'S' or '-')))
            throw new ArgumentException($"'{userSid}' is not a SID such as S-1-5-21-…", nameof(userSid));
        return new FolderAcl(userSid, IsProtected: true,
            [new(userSid, FolderAcl.FullControl), new(FolderAcl.LocalSystem, FolderAcl.FullControl), new(FolderAcl.Administrators, FolderAcl.FullControl)]);
    }

    [SupportedOSPlatform("windows")]
    private static void CreateOnWindows(string path)
    {
        var user = WindowsIdentity.GetCurrent().User
            ?? throw new InvalidOperationException("the current Windows user has no SID");
        var folder = new DirectoryInfo(path);
        if (folder.Exists && folder.GetAccessControl().AreAccessRulesProtected) return;
        var security = new DirectorySecurity();
        security.SetSecurityDescriptorSddlForm(OwnerOnlyAcl(user.Value).ToSddl());
        if (folder.Exists)
            folder.SetAccessControl(security);
        else
            folder.Create(security);
    }
}

/// <summary>A folder's owner and DACL of allow entries that files and subfolders inherit.</summary>
public sealed record FolderAcl(string OwnerSid, bool IsProtected, System.Collections.Immutable.ImmutableArray<FolderAcl.Allow> Entries)
{
    /// <summary>FILE_ALL_ACCESS.</summary>
    public const int FullControl = 0x1F01FF;
    public const string LocalSystem = "S-1-5-18";
    public const string Administrators = "S-1-5-32-544";

    /// <summary>An access-allowed entry inherited by files and subfolders (OICI).</summary>
    public sealed record Allow(string Sid, int Mask);

    /// <summary>
    /// SDDL: <c>O:owner D:</c> then <c>P</c> (protected) <c>AI</c>, and per entry
    /// <c>(A;OICI;0x1f01ff;;;SID)</c>.
    /// </summary>
    public string ToSddl() =>
        $"O:{OwnerSid}D:{(IsProtected ? "P" : "")}AI" +
        string.Concat(Entries.Select(e => $"(A;OICI;0x{e.Mask.ToString("x", System.Globalization.CultureInfo.InvariantCulture)};;;{e.Sid})"));
}
