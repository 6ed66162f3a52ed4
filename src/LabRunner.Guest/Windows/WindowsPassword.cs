namespace LabRunner.Guest.Windows;

/// <summary>
/// Windows' "Password must meet complexity requirements" policy (on by default on Windows Server and
/// in every domain), checked before a seed is built: Windows Setup does not report a refused answer-file
/// password, it leaves an account without the password the user expects. The rules, from Microsoft's
/// documentation of that policy and of passfilt.dll:
/// <list type="bullet">
/// <item>at least <see cref="MinimumLength"/> characters: the Default Domain Policy's minimum password
/// length, which a lab VM promoted to a domain controller applies;</item>
/// <item>characters from three of five categories: uppercase letters, lowercase letters, digits 0–9,
/// the non-alphanumeric characters <c>~!@#$%^&amp;*_-+=`|\(){}[]:;"'&lt;&gt;,.?/</c>, and other Unicode
/// letters (neither upper- nor lowercase, such as most Asian scripts);</item>
/// <item>not containing an account's name (case-insensitive; names under three characters are not
/// checked), nor any token of three or more characters of its display name split at
/// <c>, . - _ # space tab</c>.</item>
/// </list>
/// </summary>
public static class WindowsPassword
{
    public const int MinimumLength = 7;

    private const string Special = "~!@#$%^&*_-+=`|\\(){}[]:;\"'<>,.?/";
    private static readonly char[] NameDelimiters = [',', '.', '-', '_', '#', ' ', '\t'];

    /// <summary>
    /// What Windows would object to in <paramref name="password"/> for these accounts, or null when it
    /// meets the policy. The message never quotes the password.
    /// </summary>
    /// <param name="accounts">Account names; each is also its display name (LabRunner's unattend.xml sets both to the same).</param>
    public static string? Problem(string password, IEnumerable<string> accounts)
    {
        ArgumentNullException.ThrowIfNull(password);
        ArgumentNullException.ThrowIfNull(accounts);
        if (password.Length < MinimumLength)
            return $"it has {password.Length} characters; Windows needs at least {MinimumLength}";

        var categories = new[]
        {
            password.Any(char.IsUpper),
            password.Any(char.IsLower),
            password.Any(char.IsAsciiDigit),
            password.Any(c => Special.Contains(c, StringComparison.Ordinal)),
            password.Any(c => char.IsLetter(c) && !char.IsUpper(c) && !char.IsLower(c)),
        }.Count(has => has);
        if (categories < 3)
            return $"it uses only {categories} of the kinds of characters Windows counts (uppercase, lowercase, digits, symbols such as !$#%, other letters); Windows needs 3";

        foreach (var account in accounts)
        {
            var parts = account.Split(NameDelimiters, StringSplitOptions.RemoveEmptyEntries).Prepend(account);
            if (parts.Any(p => p.Length >= 3 && password.Contains(p, StringComparison.OrdinalIgnoreCase)))
                return $"it contains the account name '{account}', which Windows refuses";
        }
        return null;
    }
}
