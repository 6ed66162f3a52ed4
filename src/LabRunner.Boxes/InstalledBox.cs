using LabRunner.Core.Boxes;

namespace LabRunner.Boxes;

/// <summary>
/// One box version installed in the store for one provider: its folder, disk and <c>box.json</c>, with the
/// manifest's version parsed once, when the store read it (a box.json whose version is not one is no box).
/// </summary>
public sealed record InstalledBox(BoxManifest Manifest, string Folder, BoxVersion Version)
{
    public string Name => Manifest.Name;

    public string Provider => Manifest.Provider;

    public string DiskPath => Path.Combine(Folder, Manifest.Disk);
}

/// <summary>A lab that uses a box, as the store's registry knows it.</summary>
public sealed record BoxUser(string Lab, string Project);
