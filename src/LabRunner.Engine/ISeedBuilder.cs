using LabRunner.Core.Diagnostics;
using LabRunner.Core.Planning;

namespace LabRunner.Engine;

/// <summary>A VM's seed ISO, built in memory; its file name carries a hash of its bytes.</summary>
public sealed record SeedImage(byte[] Iso, string Hash, bool ContainsSecret)
{
    public string FileName => $"seed-{Hash}.iso";
}

/// <summary>Builds what a guest receives (cloud-init or unattend.xml in a seed ISO) for one VM.</summary>
public interface ISeedBuilder
{
    /// <summary>The seed, or null with diagnostics (a template error) in <paramref name="diagnostics"/>.</summary>
    SeedImage? Build(LabPlan plan, VmPlan vm, ICollection<Diagnostic> diagnostics);

    /// <summary>
    /// The builder for '--what-if': it writes nothing (a key that does not exist yet is made in memory only,
    /// so the seed names it gives are those of this preview). A builder that never writes is its own.
    /// </summary>
    ISeedBuilder ForPreview() => this;
}
