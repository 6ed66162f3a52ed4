using System.Globalization;
using LabRunner.Core.Hosting;
using LabRunner.Core.Net;
using LabRunner.Simulation.Model;

namespace LabRunner.Simulation;

/// <summary>Virtual disks and files on the host.</summary>
public sealed partial class HostModel
{
    /// <summary>
    /// New-VHD -Differencing: the parent must exist (in the model or on disk), the path must not,
    /// and both must be VHDX (or both VHD). With <paramref name="writePlaceholder"/> a small file is
    /// written at the path so PowerShell's own Test-Path and Remove-Item see it.
    /// </summary>
    public SimVhd NewDifferencingVhd(string path, string parentPath, bool writePlaceholder)
    {
        var format = VhdFormat(path);
        if (!FileExists(parentPath)) throw WindowsErrors.FileNotFound("Failed to create the virtual hard disk: the parent disk does not exist.", parentPath);
        if (!string.Equals(format, VhdFormat(parentPath), StringComparison.OrdinalIgnoreCase))
            throw WindowsErrors.InvalidArgument($"A differencing disk must have the format of its parent: '{path}' is {format.ToUpperInvariant()}, '{parentPath}' is not.");
        if (FileExists(path)) throw WindowsErrors.FileExists(path);
        if (writePlaceholder) WritePlaceholder(path, $"LabRunner simulated differencing disk; parent: {parentPath}\n");
        var vhd = new SimVhd { Path = path, ParentPath = parentPath, Placeholder = writePlaceholder };
        State.Vhds.Add(vhd);
        return vhd;
    }

    /// <summary>New-VHD -Dynamic / -Fixed: a new empty disk (a base image for tests and hand-made hosts).</summary>
    public SimVhd NewVhd(string path, bool writePlaceholder)
    {
        VhdFormat(path);
        if (FileExists(path)) throw WindowsErrors.FileExists(path);
        if (writePlaceholder) WritePlaceholder(path, "LabRunner simulated virtual hard disk\n");
        var vhd = new SimVhd { Path = path, Placeholder = writePlaceholder };
        State.Vhds.Add(vhd);
        return vhd;
    }

    private static void WritePlaceholder(string path, string text)
    {
        var directory = System.IO.Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(directory) && !Directory.Exists(directory))
            throw WindowsErrors.FileNotFound("Failed to create the virtual hard disk: the folder does not exist.", directory);
        File.WriteAllText(path, text);
    }

    /// <summary>
    /// Remove-Item of a VHD or seed: refused while a VM holds the file (any VM's hard disk, a running
    /// VM's DVD). The model's entry goes and so does the real file, if there is one.
    /// </summary>
    public void RemoveFile(string path)
    {
        var owner = HardDiskOwner(path) ?? DvdHolder(path);
        if (owner is not null) throw WindowsErrors.FileInUse(path, owner.Name);
        var vhd = FindVhd(path);
        var onDisk = File.Exists(path);
        if (vhd is null && !onDisk)
            throw new SimulatedHostException(HostErrorKind.NotFound, "PathNotFound,Microsoft.PowerShell.Commands.RemoveItemCommand",
                $"Cannot find path '{path}' because it does not exist.");
        if (vhd is not null) State.Vhds.Remove(vhd);
        if (onDisk) File.Delete(path);
    }

    private static string VhdFormat(string path)
    {
        var extension = System.IO.Path.GetExtension(path).TrimStart('.');
        if (extension.Equals("vhdx", StringComparison.OrdinalIgnoreCase) || extension.Equals("vhd", StringComparison.OrdinalIgnoreCase))
            return extension;
        throw WindowsErrors.InvalidArgument($"'{path}' is not a virtual hard disk file: the extension must be .vhdx or .vhd.");
    }
}
