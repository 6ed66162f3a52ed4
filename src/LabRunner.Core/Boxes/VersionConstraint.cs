using System.Collections.Immutable;

namespace LabRunner.Core.Boxes;

/// <summary>
/// A Vagrant version constraint: one or more comma-separated requirements, all of which must hold —
/// <c>= 1.2.3</c> (or just <c>1.2.3</c>), <c>!= 1.2.3</c>, <c>&gt; 1.2</c>, <c>&gt;= 1.2</c>, <c>&lt; 2</c>,
/// <c>&lt;= 2</c>, and the pessimistic <c>~&gt; 1.2</c> (&gt;= 1.2 and &lt; 2.0).
/// </summary>
public sealed class VersionConstraint
{
    /// <summary>Any version (no constraint written).</summary>
    public static readonly VersionConstraint Any = new("", []);

    private readonly ImmutableArray<(string Op, BoxVersion Version)> _requirements;

    private VersionConstraint(string text, ImmutableArray<(string, BoxVersion)> requirements)
    {
        Text = text;
        _requirements = requirements;
    }

    public string Text { get; }

    /// <summary>Whether the constraint names one exact version (<c>1.2.3</c> or <c>= 1.2.3</c>).</summary>
    public BoxVersion? Exact => _requirements.Length == 1 && _requirements[0].Op == "=" ? _requirements[0].Version : null;

    public const string Syntax = "a version such as 1.2.3, or constraints such as '>= 1.2, < 2' or '~> 1.2' (operators =, !=, >, >=, <, <=, ~>)";

    public static VersionConstraint Parse(string text) =>
        TryParse(text, out var c, out var error) ? c : throw new FormatException(error);

    public static bool TryParse(string? text, out VersionConstraint constraint, out string error)
    {
        constraint = Any;
        error = "";
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "the version constraint is empty; write " + Syntax;
            return false;
        }
        var requirements = ImmutableArray.CreateBuilder<(string, BoxVersion)>();
        foreach (var raw in text.Split(','))
        {
            var part = raw.Trim();
            var op = new[] { "~>", ">=", "<=", "!=", "=", ">", "<" }.FirstOrDefault(o => part.StartsWith(o, StringComparison.Ordinal)) ?? "";
            var versionText = part[op.Length..].Trim();
            if (!BoxVersion.TryParse(versionText, out var version))
            {
                error = $"'{part}' is not a version requirement; write " + Syntax;
                return false;
            }
            requirements.Add((op.Length == 0 ? "=" : op, version));
        }
        constraint = new VersionConstraint(text.Trim(), requirements.ToImmutable());
        return true;
    }

    public bool IsSatisfiedBy(BoxVersion version)
    {
        ArgumentNullException.ThrowIfNull(version);
        foreach (var (op, v) in _requirements)
        {
            var ok = op switch
            {
                "=" => version == v,
                "!=" => version != v,
                ">" => version > v,
                ">=" => version >= v,
                "<" => version < v,
                "<=" => version <= v,
                "~>" => version >= v && version < v.Bump(),
                _ => false,
            };
            if (!ok) return false;
        }
        return true;
    }

    /// <summary>
    /// Whether <paramref name="version"/> may be chosen: it satisfies the constraint, and it is a release
    /// unless the constraint itself names a pre-release (as RubyGems resolves; a catalog's <c>2.0.beta1</c>
    /// is never picked by <c>&gt;= 1.0</c>).
    /// </summary>
    public bool Admits(BoxVersion version) =>
        IsSatisfiedBy(version) && (!version.IsPrerelease || _requirements.Any(r => r.Version.IsPrerelease));

    /// <summary>The newest of <paramref name="versions"/> this constraint admits; null when none is.</summary>
    public BoxVersion? Newest(IEnumerable<BoxVersion> versions) =>
        versions.Where(Admits).OrderDescending().FirstOrDefault();

    public override string ToString() => Text.Length == 0 ? "any" : Text;
}
