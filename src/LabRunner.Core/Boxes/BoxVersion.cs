using System.Globalization;

namespace LabRunner.Core.Boxes;

/// <summary>
/// A box version as Vagrant reads it (RubyGems' <c>Gem::Version</c>): dot-separated segments compared
/// one by one, numbers numerically; a segment with letters marks a pre-release, older than any number
/// (<c>1.2.rc1</c> &lt; <c>1.2</c>); missing trailing segments count as 0 (<c>1.2</c> = <c>1.2.0</c>).
/// </summary>
public sealed class BoxVersion : IComparable<BoxVersion>, IEquatable<BoxVersion>
{
    /// <summary>The version a box added without one gets, as Vagrant does.</summary>
    public static readonly BoxVersion Unversioned = Parse("0");

    private readonly object[] _segments; // long or string

    private BoxVersion(string text, object[] segments)
    {
        Text = text;
        _segments = segments;
    }

    /// <summary>The version as written.</summary>
    public string Text { get; }

    /// <summary>Whether any segment has letters (a pre-release such as <c>2.0.beta1</c>).</summary>
    public bool IsPrerelease => _segments.Any(s => s is string);

    public static BoxVersion Parse(string text) =>
        TryParse(text, out var version) ? version : throw new FormatException($"'{text}' is not a version such as 1.2.3");

    public static bool TryParse(string? text, out BoxVersion version)
    {
        version = null!;
        if (string.IsNullOrEmpty(text) || text.Length > 64) return false;
        var segments = new List<object>();
        foreach (var part in text.Split('.'))
        {
            if (part.Length == 0 || !part.All(char.IsAsciiLetterOrDigit)) return false;
            // "1rc2" is three segments for RubyGems: 1, rc, 2.
            var start = 0;
            for (var i = 1; i <= part.Length; i++)
            {
                if (i < part.Length && char.IsAsciiDigit(part[i]) == char.IsAsciiDigit(part[i - 1])) continue;
                var run = part[start..i];
                if (char.IsAsciiDigit(run[0]))
                {
                    if (!long.TryParse(run, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) return false;
                    segments.Add(n);
                }
                else
                {
                    segments.Add(run.ToLowerInvariant());
                }
                start = i;
            }
        }
        if (segments[0] is not long) return false;
        version = new BoxVersion(text, [.. segments]);
        return true;
    }

    /// <summary>
    /// The exclusive upper bound of <c>~&gt; this</c>: the last segment dropped (when there are several) and
    /// the one before it incremented — <c>~&gt; 1.2</c> allows up to 2.0, <c>~&gt; 1.2.3</c> up to 1.3.
    /// </summary>
    public BoxVersion Bump()
    {
        var release = _segments.TakeWhile(s => s is long).Cast<long>().ToList();
        if (release.Count > 1) release.RemoveAt(release.Count - 1);
        release[^1]++;
        return Parse(string.Join('.', release.Select(n => n.ToString(CultureInfo.InvariantCulture))));
    }

    public int CompareTo(BoxVersion? other)
    {
        if (other is null) return 1;
        var n = Math.Max(_segments.Length, other._segments.Length);
        for (var i = 0; i < n; i++)
        {
            var a = i < _segments.Length ? _segments[i] : 0L;
            var b = i < other._segments.Length ? other._segments[i] : 0L;
            var c = (a, b) switch
            {
                (long x, long y) => x.CompareTo(y),
                (string x, string y) => string.CompareOrdinal(x, y),
                (string, long) => -1, // a pre-release is older than any release segment
                _ => 1,
            };
            if (c != 0) return c;
        }
        return 0;
    }

    public bool Equals(BoxVersion? other) => other is not null && CompareTo(other) == 0;

    public override bool Equals(object? obj) => obj is BoxVersion v && Equals(v);

    public override int GetHashCode()
    {
        // Equal versions differ only by trailing zeros: hash without them.
        var hash = new HashCode();
        var last = _segments.Length - 1;
        while (last > 0 && _segments[last] is 0L) last--;
        for (var i = 0; i <= last; i++) hash.Add(_segments[i]);
        return hash.ToHashCode();
    }

    public static bool operator ==(BoxVersion? a, BoxVersion? b) => a is null ? b is null : a.Equals(b);
    public static bool operator !=(BoxVersion? a, BoxVersion? b) => !(a == b);
    public static bool operator <(BoxVersion a, BoxVersion b) => a.CompareTo(b) < 0;
    public static bool operator >(BoxVersion a, BoxVersion b) => a.CompareTo(b) > 0;
    public static bool operator <=(BoxVersion a, BoxVersion b) => a.CompareTo(b) <= 0;
    public static bool operator >=(BoxVersion a, BoxVersion b) => a.CompareTo(b) >= 0;

    public override string ToString() => Text;
}
