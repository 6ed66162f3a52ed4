using System.Runtime.Versioning;
using System.Security.AccessControl;
using System.Security.Principal;

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

    public static void Create(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            CreateOnWindows(path);
            return;
        }
        if (!Directory.Exists(path)) Directory.CreateDirectory(path, OwnerOnly);
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
