using LabRunner.Core.Boxes;

namespace LabRunner.Boxes;

/// <summary>One box version installed in the store for one provider: its folder, disk and <c>box.json</c>.</summary>
public sealed record InstalledBox(BoxManifest Manifest, string Folder)
{
    public string Name => Manifest.Name;

    public BoxVersion Version => BoxVersion.Parse(Manifest.Version);

    public string Provider => Manifest.Provider;

    public string DiskPath => Path.Combine(Folder, Manifest.Disk);
}

/// <summary>A lab that uses a box, as the store's registry knows it.</summary>
public sealed record BoxUser(string Lab, string Project);
