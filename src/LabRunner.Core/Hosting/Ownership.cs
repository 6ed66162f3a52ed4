namespace LabRunner.Core.Hosting;

/// <summary>
/// LabRunner's mark on what it creates: the Notes of switches and VMs read
/// <c>labrunner:v1 lab=NAME project=ID</c>. Nothing without the mark is ever changed or removed;
/// the project id tells two copies of a lab with the same name apart.
/// </summary>
public sealed record LabIdentity(string Lab, string ProjectId)
{
    private const string Prefix = "labrunner:v1 ";

    public string Mark => $"{Prefix}lab={Lab} project={ProjectId}";

    /// <summary>
    /// The mark of objects several labs share (an external switch on a physical adapter): LabRunner
    /// created it, and removes it only when no VM on the host is connected to it any more.
    /// </summary>
    public const string SharedMark = Prefix + "shared";

    /// <summary>Marked by any LabRunner lab (used for the shared NetNat and bridge switches).</summary>
    public static bool IsLabRunner(string? notes) => notes is not null && notes.StartsWith(Prefix, StringComparison.Ordinal);

    public bool Owns(string? notes) => string.Equals(notes, Mark, StringComparison.Ordinal);

    /// <summary>The lab and project named by a mark, or null when the notes are not LabRunner's.</summary>
    public static LabIdentity? Parse(string? notes)
    {
        if (!IsLabRunner(notes)) return null;
        string? lab = null, project = null;
        foreach (var part in notes![Prefix.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part.StartsWith("lab=", StringComparison.Ordinal)) lab = part[4..];
            else if (part.StartsWith("project=", StringComparison.Ordinal)) project = part[8..];
        }
        return lab is null || project is null ? null : new LabIdentity(lab, project);
    }
}
