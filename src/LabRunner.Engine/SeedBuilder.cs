using System.Security.Cryptography;
using LabRunner.Core.Diagnostics;
using LabRunner.Core.Planning;
using LabRunner.Guest;
using LabRunner.Guest.Iso;
using LabRunner.Guest.Templates;

namespace LabRunner.Engine;

/// <summary>
/// Renders a VM's guest files and packs them into its seed ISO (volume <c>cidata</c>). The ISO's
/// timestamps are fixed, so the same plan gives the same bytes and the same file name; a changed
/// network configuration, hostname or password gives a new name, which is how <c>lab up</c> sees that
/// a seed changed. The name is an HMAC of the ISO under the project's own random key
/// (<paramref name="nameKey"/>), not a plain hash: the ISO is reproducible from the Labfile and the
/// password, so a plain hash would let anyone who sees a name test password guesses offline.
/// </summary>
public sealed class SeedBuilder(GuestConfigRenderer renderer, Func<string, VmPlan, GuestSecrets> secrets, Func<byte[]> nameKey) : ISeedBuilder
{
    private readonly Lazy<byte[]> _nameKey = new(nameKey);

    /// <summary>The same builder with secrets and a name key that are only read, never written (see <see cref="ISeedBuilder.ForPreview"/>).</summary>
    public ISeedBuilder? Preview { get; init; }

    public ISeedBuilder ForPreview() => Preview ?? this;

    /// <summary>Every seed carries this date: reproducible bytes matter more than a real one.</summary>
    public static readonly DateTimeOffset Timestamp = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public SeedImage? Build(LabPlan plan, VmPlan vm, ICollection<Diagnostic> diagnostics) => Seed(plan, vm, diagnostics).Image;

    /// <summary>The rendered files and the ISO made of them, rendered once (<c>lab seed</c> writes both).</summary>
    public (GuestRenderResult Rendered, SeedImage? Image) Seed(LabPlan plan, VmPlan vm, ICollection<Diagnostic> diagnostics)
    {
        var guestSecrets = secrets(plan.Lab, vm);
        // The share server is the host's address on the VM's network, which only the whole plan knows.
        if (guestSecrets.Smb is { } smb && Core.Hosting.ShareNames.Server(plan, vm) is { } server)
            guestSecrets = guestSecrets with { Smb = smb with { Server = server.ToString() } };
        var rendered = renderer.Render(plan.Lab, vm, guestSecrets);
        foreach (var d in rendered.Diagnostics) diagnostics.Add(d);
        if (rendered.HasErrors) return (rendered, null);
        var iso = SeedIsoWriter.Build(SeedIsoWriter.NoCloudVolumeLabel, [.. rendered.Files.Select(f => new IsoFile(f.Name, f.Content))], Timestamp);
        var hash = Convert.ToHexStringLower(HMACSHA256.HashData(_nameKey.Value, iso))[..12];
        // Every seed is written owner-only: a Windows seed carries the (encoded) administrator password,
        // a Linux one whatever the Labfile's user_data holds (tokens, keys).
        return (rendered, new SeedImage(iso, hash, ContainsSecret: true));
    }
}

/// <summary>The project's own templates: <c>&lt;project&gt;/templates/cloud-init/user-data</c> and friends override the defaults.</summary>
public sealed class ProjectTemplateSource(string projectDirectory) : ITemplateSource
{
    public TemplateText? Find(string relativePath)
    {
        var display = Path.Combine("templates", relativePath);
        var full = Path.Combine(projectDirectory, display);
        // Anything of that name counts (a folder, a FIFO, a link to nothing): it is read or refused, never skipped.
        return InputFile.IsPresent(full) ? new TemplateText(display, InputFile.ReadText(full, display)) : null;
    }
}
