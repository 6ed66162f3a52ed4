using System.Text;

namespace LabRunner.Guest.Windows;

/// <summary>
/// The "hidden" password form of unattend.xml (<c>&lt;PlainText&gt;false&lt;/PlainText&gt;</c>), as
/// Windows System Image Manager writes it: Base64 of the UTF-16LE password followed by the setting's
/// name. This is obfuscation, not encryption — anyone with the file can decode it — so the answer file
/// must be treated as a secret all the same; it only keeps the password off a casual glance.
/// </summary>
public static class UnattendPassword
{
    /// <summary>Suffix for <c>UserAccounts/AdministratorPassword</c>.</summary>
    public const string AdministratorPassword = "AdministratorPassword";

    /// <summary>Suffix for <c>AutoLogon/Password</c> and <c>LocalAccount/Password</c>.</summary>
    public const string Password = "Password";

    public static string Encode(string password, string setting) =>
        Convert.ToBase64String(Encoding.Unicode.GetBytes(password + setting));
}
