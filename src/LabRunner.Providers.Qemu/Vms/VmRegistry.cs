using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace LabRunner.Providers.Qemu.Vms;

/// <summary>
/// The host-wide registry of the QEMU provider's VMs: one JSON file per VM in one directory
/// (<c>/var/lib/labrunner/qemu</c>, or <c>LABRUNNER_QEMU_STATE</c>), written atomically (temporary file and
/// rename), with the control files of running VMs (pid file, QMP socket) under <c>run/</c> — short paths, as a
/// unix socket's path holds at most 107 bytes. Names are compared case-insensitively, as Hyper-V's are.
/// </summary>
public sealed class VmRegistry(string directory)
{
    public const string DirectoryVariable = "LABRUNNER_QEMU_STATE";
    public const string DefaultDirectory = "/var/lib/labrunner/qemu";

    public string Directory { get; } = Path.GetFullPath(directory);

    public static VmRegistry FromEnvironment(Func<string, string?> getVariable)
    {
        ArgumentNullException.ThrowIfNull(getVariable);
        return new VmRegistry(getVariable(DirectoryVariable) is { Length: > 0 } path ? path : DefaultDirectory);
    }

    public IEnumerable<VmEntry> All()
    {
        if (!System.IO.Directory.Exists(Directory)) yield break;
        foreach (var file in System.IO.Directory.EnumerateFiles(Directory, "*.json").Order(StringComparer.Ordinal))
        {
            if (Load(file) is { } entry) yield return entry;
        }
    }

    public VmEntry? Find(string name) => Load(EntryPath(name));

    /// <summary>Writes the entry whole: a reader sees the old file or the new one, never half of one.</summary>
    public void Save(VmEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        System.IO.Directory.CreateDirectory(Directory);
        LabRunner.HostCommon.Files.AtomicFile.WriteAllText(EntryPath(entry.Name), JsonSerializer.Serialize(entry, VmEntryJsonContext.Default.VmEntry), ownerOnly: false);
    }

    public void Delete(string name)
    {
        File.Delete(EntryPath(name));
        File.Delete(PidFile(name));
        File.Delete(QmpSocket(name));
    }

    public string EntryPath(string name) => Path.Combine(Directory, Key(name) + ".json");

    public string PidFile(string name) => Path.Combine(Directory, "run", Id(name) + ".pid");

    public string QmpSocket(string name) => Path.Combine(Directory, "run", Id(name) + ".qmp");

    /// <summary>The vhost-user socket of the VM's share <paramref name="tag"/>: its virtiofsd listens, QEMU connects.</summary>
    public string ShareSocket(string name, string tag) => Path.Combine(Directory, "run", $"{Id(name)}-{Tag(tag)}.vfs");

    /// <summary>The pid of the virtiofsd that serves share <paramref name="tag"/>, written when the provider starts it.</summary>
    public string SharePidFile(string name, string tag) => Path.Combine(Directory, "run", $"{Id(name)}-{Tag(tag)}.vfs.pid");

    private static VmEntry? Load(string path)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), VmEntryJsonContext.Default.VmEntry);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
    }

    // VM names are Labfile names (letters, digits, '-', '_', '.'), checked before they get here; lower case
    // makes "Web" and "web" one file, as they are one VM.
    private static string Key(string name)
    {
        if (!Network.OwnershipMark.IsToken(name)) throw new ArgumentException($"'{name}' is not a VM name.", nameof(name));
        return name.ToLowerInvariant();
    }

    private static string Tag(string tag) =>
        Network.OwnershipMark.IsToken(tag) && tag.Length <= 36 ? tag : throw new ArgumentException($"'{tag}' is not a share tag.", nameof(tag));

    private static string Id(string name) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Key(name))).AsSpan(0, 6));
}
