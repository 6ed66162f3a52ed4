using System.Security.AccessControl;
using System.Security.Principal;

namespace LabRunner.Engine.Tests;

/// <summary>
/// <c>.lab/</c> holds the SSH private key, the seed-name key and every seed: only its user may read it.
/// The Windows DACL is built as SDDL by a pure function and checked here, on any OS, by parsing it
/// with .NET's own security descriptor reader.
/// </summary>
public class StateFolderTests
{
    private const string User = "S-1-5-21-1004336348-1177238915-682003330-1001";
    private const int FullControl = 0x1F01FF; // FILE_ALL_ACCESS

    [Fact]
    public void The_windows_acl_is_protected_and_grants_full_control_to_the_user_system_and_administrators_only()
    {
        var acl = StateFolder.OwnerOnlyAcl(User);

        Assert.Equal(User, acl.OwnerSid);
        Assert.True(acl.IsProtected, "inheritance from the project folder must be off");
        Assert.Equal([User, "S-1-5-18", "S-1-5-32-544"], acl.Entries.Select(e => e.Sid));
        Assert.All(acl.Entries, e => Assert.Equal(FullControl, e.Mask));
        Assert.Equal($"O:{User}D:PAI(A;OICI;0x1f01ff;;;{User})(A;OICI;0x1f01ff;;;S-1-5-18)(A;OICI;0x1f01ff;;;S-1-5-32-544)", acl.ToSddl());
        if (OperatingSystem.IsWindows()) AssertWindowsReads(acl.ToSddl());
    }

    /// <summary>Windows' own reader agrees (its security descriptor types throw PlatformNotSupportedException elsewhere).</summary>
    [System.Runtime.Versioning.SupportedOSPlatform("windows")]
    private static void AssertWindowsReads(string sddl)
    {
        var descriptor = new RawSecurityDescriptor(sddl);
        Assert.True(descriptor.ControlFlags.HasFlag(ControlFlags.DiscretionaryAclProtected));
        var aces = descriptor.DiscretionaryAcl!.Cast<CommonAce>().ToList();
        Assert.Equal([User, "S-1-5-18", "S-1-5-32-544"], aces.Select(a => a.SecurityIdentifier.Value));
        Assert.All(aces, a =>
        {
            Assert.Equal(AceQualifier.AccessAllowed, a.AceQualifier);
            Assert.Equal(FullControl, a.AccessMask);
            Assert.Equal(InheritanceFlags.ContainerInherit | InheritanceFlags.ObjectInherit, a.InheritanceFlags);
            Assert.False(a.IsInherited);
        });
    }

    [Theory]
    [InlineData("")]
    [InlineData("WD")]
    [InlineData("S-1-1-0)(A;OICI;FA;;;WD")]
    public void Only_a_sid_can_become_the_owner(string notASid) =>
        Assert.ThrowsAny<ArgumentException>(() => StateFolder.OwnerOnlyAcl(notASid));

    [Fact]
    public void The_state_folder_is_readable_by_its_user_only()
    {
        var project = Directory.CreateTempSubdirectory("labrunner-state-");
        try
        {
            var path = Path.Combine(project.FullName, ".lab");

            StateFolder.Create(path);

            Assert.True(Directory.Exists(path));
            if (OperatingSystem.IsWindows())
                AssertOwnerOnlyOnWindows(path);
            else
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(path));
            }
        }
        finally
        {
            project.Delete(recursive: true);
        }
    }

    [System.Runtime.Versioning.SupportedOSPlatform("windows")]
    private static void AssertOwnerOnlyOnWindows(string path)
    {
        var security = new DirectoryInfo(path).GetAccessControl();
        Assert.True(security.AreAccessRulesProtected);
        Assert.Equal(
            new[] { WindowsIdentity.GetCurrent().User!.Value, "S-1-5-18", "S-1-5-32-544" }.Order(),
            security.GetAccessRules(true, true, typeof(SecurityIdentifier)).Cast<FileSystemAccessRule>().Select(r => r.IdentityReference.Value).Order());
    }
}
