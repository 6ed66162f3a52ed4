using System.Text;

namespace LabRunner.Guest.Access;

/// <summary>
/// Quoting for the guest's POSIX shell (<c>/bin/sh</c>, which sshd hands a command line to). Every
/// value from a Labfile or a command line that reaches a guest command goes through <see cref="Quote"/>:
/// inside single quotes nothing is special, and a single quote itself is written as <c>'\''</c>.
/// </summary>
public static class PosixShell
{
    /// <summary>One word that the shell reads back as exactly <paramref name="value"/>.</summary>
    /// <exception cref="ArgumentException">The value holds a NUL character, which no shell word or argv entry can carry.</exception>
    public static string Quote(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Contains('\0', StringComparison.Ordinal))
            throw new ArgumentException("A shell word cannot hold a NUL character.", nameof(value));
        // Plain words stay readable in previews and logs; anything else is quoted.
        if (value.Length > 0 && value.All(IsPlain)) return value;
        return "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }

    /// <summary>The words quoted and joined by spaces: a command line that runs exactly this argument vector.</summary>
    public static string Join(IEnumerable<string> words)
    {
        var sb = new StringBuilder();
        foreach (var word in words)
        {
            if (sb.Length > 0) sb.Append(' ');
            sb.Append(Quote(word));
        }
        return sb.ToString();
    }

    private static bool IsPlain(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/' or ',' or ':' or '@' or '+' or '%';
}
