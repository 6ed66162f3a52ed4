using System.Collections.Immutable;
using System.Text.Json.Serialization;

namespace LabRunner.Providers.Qemu.Vms;

/// <summary>
/// One VM as the QEMU provider keeps it: QEMU has no VM objects of its own, so what Hyper-V stores in a VM
/// (its name, Notes with LabRunner's mark, generation, CPUs, memory, adapters, disk, DVD) is this file in the
/// host-wide registry, and the process is started from it. Whether the VM runs is never stored: it is read
/// from the pid file, <c>/proc</c> and QMP.
/// </summary>
/// <param name="Folder">The VM's folder (the project's <c>.lab/vms/VM</c>): overlay, seed, console log, UEFI variables.</param>
/// <param name="Seed">The seed ISO in the VM's CD-ROM, or null for an empty drive.</param>
/// <param name="FirmwareVars">Generation 2: this VM's copy of the UEFI variable store.</param>
public sealed record VmEntry(
    string Name,
    string Notes,
    int Generation,
    int Cpus,
    long MemoryBytes,
    string Folder,
    string Disk,
    string? Seed,
    string? FirmwareVars,
    ImmutableArray<VmAdapterEntry> Adapters)
{
    /// <summary>The serial console's log, in the VM's folder.</summary>
    [JsonIgnore]
    public string ConsoleLog => Path.Combine(Folder, "console.log");

    /// <summary>Host folders shared with the guest (virtiofs), each served by its own virtiofsd while the VM runs; empty in entries written before shares existed.</summary>
    public ImmutableArray<VmShareEntry> Shares { get; init; } = [];

    /// <summary>The log of a share's virtiofsd, in the VM's folder.</summary>
    public string VirtiofsdLog(string tag) => Path.Combine(Folder, $"virtiofsd-{tag}.log");
}

/// <summary>A host folder shared with the guest: the tag the guest mounts it by and the folder's full path on the host.</summary>
public sealed record VmShareEntry(string Tag, string Path);

/// <summary>A network adapter: its name in the Labfile, the bridge it is on, its MAC (lower case with colons: <c>02:…</c> as LabRunner derives it, or the Labfile's own) and the tap that carries it.</summary>
public sealed record VmAdapterEntry(string Name, string Switch, string Mac, string Tap);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(VmEntry))]
internal sealed partial class VmEntryJsonContext : JsonSerializerContext;
