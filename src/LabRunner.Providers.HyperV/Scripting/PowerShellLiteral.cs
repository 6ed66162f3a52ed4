using System.Globalization;
using System.Text;

namespace LabRunner.Providers.HyperV.Scripting;

/// <summary>
/// The only way a value gets into PowerShell script text. Strings become single-quoted literals, in
/// which PowerShell expands nothing (no <c>$</c>, no backtick escapes, no subexpressions); numbers are
/// written culture-invariant. Nothing else in the provider concatenates values into script text.
/// </summary>
/// <remarks>
/// Inside a single-quoted string the only special characters are the quotes themselves, and the
/// PowerShell tokenizer counts four typographic quotes as single quotes too: U+2018, U+2019, U+201A
/// and U+201B (about_Quoting_Rules; <c>CharExtensions.IsSingleQuote</c>). A quote is written by
/// doubling it, and the tokenizer keeps the second of the pair, so doubling each quote character
/// with itself reproduces the value exactly. Any other character — newlines, <c>#</c>, <c>"</c>,
/// <c>@'</c>, <c>;</c>, backticks — is plain data inside the literal.
/// </remarks>
public static class PowerShellLiteral
{
    /// <summary>The characters PowerShell's tokenizer treats as a single quote.</summary>
    internal static bool IsSingleQuote(char c) => c is '\'' or '\u2018' or '\u2019' or '\u201A' or '\u201B';

    /// <summary>A single-quoted PowerShell string literal whose value is exactly <paramref name="value"/>.</summary>
    public static string Quote(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var sb = new StringBuilder(value.Length + 2);
        sb.Append('\'');
        foreach (var c in value)
        {
            if (IsSingleQuote(c)) sb.Append(c);
            sb.Append(c);
        }
        sb.Append('\'');
        return sb.ToString();
    }

    /// <summary>An integer literal, culture-invariant (no group separators, ASCII digits, leading '-').</summary>
    public static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary><c>$true</c> or <c>$false</c>: the automatic variables, never a value from outside.</summary>
    public static string Boolean(bool value) => value ? "$true" : "$false";
}
