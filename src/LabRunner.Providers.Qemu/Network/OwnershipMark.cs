using System.Text;

namespace LabRunner.Providers.Qemu.Network;

/// <summary>
/// The mark that says LabRunner created a host object and for which lab: in a bridge's or tap's alias
/// (<c>ip link set DEV alias 'labrunner:v1 lab=web project=1a2b3c4d'</c>) and in an nft rule's comment, as
/// Hyper-V objects carry it in their Notes. Only objects with a mark naming the lab are ever deleted.
/// </summary>
/// <param name="Lab">The lab's name.</param>
/// <param name="Project">A short id of the project directory (so two checkouts of one Labfile stay apart), or null.</param>
/// <param name="Nat">On an nft rule: the NAT network (its bridge) the rule belongs to, so the inventory can name it; null elsewhere.</param>
public sealed record OwnershipMark(string Lab, string? Project = null, string? Nat = null)
{
    public const string Prefix = "labrunner:v1";

    /// <summary>The mark's text: <c>labrunner:v1 lab=LAB[ project=PROJECT][ nat=BRIDGE]</c>.</summary>
    public string Render()
    {
        if (!IsToken(Lab)) throw new ArgumentException($"'{Lab}' cannot be used in an ownership mark.", nameof(Lab));
        if (Project is not null && !IsToken(Project)) throw new ArgumentException($"'{Project}' cannot be used in an ownership mark.", nameof(Project));
        var text = new StringBuilder(Prefix).Append(" lab=").Append(Lab);
        if (Nat is not null && !IsToken(Nat)) throw new ArgumentException($"'{Nat}' cannot be used in an ownership mark.", nameof(Nat));
        if (Project is not null) text.Append(" project=").Append(Project);
        if (Nat is not null) text.Append(" nat=").Append(Nat);
        return text.ToString();
    }

    /// <summary>Reads a mark from an alias or comment; null when the text is not one of LabRunner's marks.</summary>
    public static OwnershipMark? TryParse(string? text)
    {
        if (text is null) return null;
        var words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length < 2 || words[0] != Prefix) return null;
        string? lab = null, project = null, nat = null;
        foreach (var word in words.Skip(1))
        {
            var separator = word.IndexOf('=', StringComparison.Ordinal);
            if (separator <= 0) return null;
            var (key, value) = (word[..separator], word[(separator + 1)..]);
            if (!IsToken(value)) return null;
            switch (key)
            {
                case "lab": lab = value; break;
                case "project": project = value; break;
                case "nat": nat = value; break;
                default: break; // later versions may add keys
            }
        }
        return lab is null ? null : new OwnershipMark(lab, project, nat);
    }

    /// <summary>The lab's own mark, without <see cref="Nat"/>: what a LabRunner object's Notes read.</summary>
    public OwnershipMark Owner => this with { Nat = null };

    /// <summary>Values that need no quoting in an alias or an nft comment: ASCII letters, digits, <c>-</c>, <c>_</c>, <c>.</c>.</summary>
    public static bool IsToken(string value) =>
        value.Length is > 0 and <= 63 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}
