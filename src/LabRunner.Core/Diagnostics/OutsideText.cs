using System.Globalization;
using System.Text;

namespace LabRunner.Core.Diagnostics;

/// <summary>
/// Text LabRunner did not write (a catalog's names and architectures, an archive's metadata, an HTTP reason
/// phrase, a URL) as it may appear inside a message: control and invisible formatting characters (escape
/// sequences, newlines, bidirectional overrides) are shown as <c>\x1b</c>, <c>\n</c> or <c>\u202e</c>, so no
/// outside text can move the cursor, recolour, retitle or forge a line of the user's terminal.
/// </summary>
public static class OutsideText
{
    /// <summary>Longer text is cut, so a hostile document cannot flood a message.</summary>
    public const int MaxLength = 512;

    public static string Escape(string? text) => Escape(text, MaxLength);

    /// <summary>As <see cref="Escape(string?)"/>, cut at <paramref name="maxLength"/> characters (a whole message of LabRunner's: <see cref="int.MaxValue"/>).</summary>
    public static string Escape(string? text, int maxLength)
    {
        if (text is null) return "";
        var cut = text.Length > maxLength;
        if (cut) text = text[..maxLength];
        if (!cut && !text.Any(NeedsEscape)) return text;
        var b = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            if (!NeedsEscape(c)) { b.Append(c); continue; }
            b.Append(c switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                < '\u0100' => string.Create(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}"),
                _ => string.Create(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"),
            });
        }
        if (cut) b.Append('…');
        return b.ToString();
    }

    // Control characters (C0, DEL, C1), format characters (bidirectional overrides, zero-width) and line separators.
    private static bool NeedsEscape(char c) =>
        char.IsControl(c) || CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;
}
