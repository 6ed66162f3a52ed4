using System.Globalization;
using System.Text.RegularExpressions;

namespace LabRunner.Engine.Snapshots;

/// <summary>
/// What a lab snapshot may be called. The name becomes a folder under <c>.lab/snapshots/</c>, a Hyper-V checkpoint's
/// name and a QEMU snapshot tag, so it is kept to letters, digits, '-' and '_' (no path, no pattern, no quoting).
/// Names of the push stack (<c>push-1</c>, <c>push-2</c>, …) are the stack's own: 'save' refuses them.
/// </summary>
public static partial class SnapshotName
{
    public const int MaxLength = 64;

    /// <summary>How the names 'lab snapshot push' gives begin.</summary>
    public const string PushPrefix = "push-";

    /// <summary>Why <paramref name="name"/> cannot name a snapshot, or null when it can.</summary>
    public static string? Problem(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!Pattern().IsMatch(name))
            return string.Create(CultureInfo.InvariantCulture,
                $"'{name}' is not a snapshot name: letters, digits, '-' and '_', starting with a letter or digit, up to {MaxLength}");
        if (name.All(char.IsAsciiDigit))
            return $"'{name}' is not a snapshot name: it needs a letter, '-' or '_' (QEMU and qemu-img read a number as a snapshot's id)";
        return null;
    }

    /// <summary>Why 'save' refuses <paramref name="name"/> (a bad name, or one of the push stack's), or null.</summary>
    public static string? SaveProblem(string name) =>
        Problem(name) ?? (IsPushName(name) ? $"'{name}' is a name of the push stack ('lab snapshot push' gives it); choose another" : null);

    /// <summary>Whether <paramref name="name"/> is a name the push stack gives (<c>push-N</c>, any case).</summary>
    public static bool IsPushName(string name) => PushPattern().IsMatch(name);

    /// <summary>The number of a push name (<c>push-12</c> → 12), or null.</summary>
    public static int? PushNumber(string name) =>
        PushPattern().Match(name) is { Success: true } m && int.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;

    public static string Push(int number) => PushPrefix + number.ToString(CultureInfo.InvariantCulture);

    /// <exception cref="LabSnapshotException">The name cannot be used (a usage error).</exception>
    internal static void Check(string name, bool pushed)
    {
        if ((pushed ? Problem(name) : SaveProblem(name)) is { } problem)
            throw new LabSnapshotException(Core.Errors.ErrorCategory.Usage, problem);
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]
    private static partial Regex Pattern();

    [GeneratedRegex("^push-([0-9]{1,9})$", RegexOptions.IgnoreCase)]
    private static partial Regex PushPattern();
}
