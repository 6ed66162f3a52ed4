using LabRunner.Guest.Windows;

namespace LabRunner.Guest.Tests;

/// <summary>Windows' "Password must meet complexity requirements" rules, as LabRunner checks them before building a seed.</summary>
public class WindowsPasswordTests
{
    private static readonly string[] Accounts = ["Administrator", "lab"];

    [Theory]
    [InlineData("S3cret-Pa$$w0rd")]
    [InlineData("Abcdef1")] // 7 characters, upper + lower + digit
    [InlineData("abcdef1!")] // lower + digit + symbol
    [InlineData("ABCDEF1!")] // upper + digit + symbol
    [InlineData("パスワードab1")] // other letters + lower + digit
    [InlineData("Admin1-xyz")] // a part of 'Administrator' is allowed: only the whole name counts
    [InlineData("La1-xyzw")] // a name token under three characters is not checked
    public void Passwords_windows_accepts_pass(string password) =>
        Assert.Null(WindowsPassword.Problem(password, Accounts));

    [Theory]
    [InlineData("Ab1!xy", "6 characters")]
    [InlineData("", "0 characters")]
    [InlineData("alllowercase", "only 1 of")]
    [InlineData("lowercase123", "only 2 of")]
    [InlineData("UPPER€€€€€", "only 1 of")] // currency symbols are not among Windows' symbols
    [InlineData("xADMINISTRATOR1", "'Administrator'")]
    [InlineData("Mylab-Pa55", "'lab'")]
    public void Passwords_windows_refuses_are_explained_without_quoting_them(string password, string expected)
    {
        var problem = WindowsPassword.Problem(password, Accounts);

        Assert.NotNull(problem);
        Assert.Contains(expected, problem, StringComparison.Ordinal);
        if (password.Length > 0) Assert.DoesNotContain(password, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_token_of_a_display_name_counts()
    {
        Assert.NotNull(WindowsPassword.Problem("Pa55-dev.ops", ["jane.ops"]));
        Assert.Null(WindowsPassword.Problem("Pa55-dev.ops", ["jane.op"]));
    }
}
