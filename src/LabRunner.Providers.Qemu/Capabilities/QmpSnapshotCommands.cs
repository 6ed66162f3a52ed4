using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using LabRunner.Core.Hosting;

namespace LabRunner.Providers.Qemu.Capabilities;

/// <summary>
/// The QMP side of QEMU's internal snapshots (QEMU ≥ 6.0, docs/interop "Snapshots"): the arguments of the
/// <c>snapshot-save</c>, <c>snapshot-load</c> and <c>snapshot-delete</c> jobs, and what <c>query-block</c>,
/// <c>query-jobs</c> and <c>qemu-img info --output=json</c> answer. Pure: JSON in, values out.
/// </summary>
/// <remarks>
/// A job names block nodes, not drives: <see cref="Nodes"/> finds them by the drive ids the command line gives
/// (<c>disk0</c>, <c>pflash1</c>). The vmstate goes to the overlay; the devices are the overlay and the UEFI variables.
/// The seed CD-ROM is never one of them: QEMU would refuse the job ("Device 'seed' is writable but does not support
/// snapshots"), and the seed is the engine's to rewrite.
/// </remarks>
public static class QmpSnapshotCommands
{
    /// <summary>The drive id of the VM's disk (its qcow2 overlay) on the command line.</summary>
    public const string DiskDrive = "disk0";

    /// <summary>The drive id QEMU gives the second pflash drive, the UEFI variables (<c>-drive if=pflash,unit=1</c>).</summary>
    public const string VarsDrive = "pflash1";

    /// <summary>What <see cref="VmSnapshot.Type"/> says of a QEMU snapshot.</summary>
    public const string SnapshotType = "qcow2 internal";

    /// <summary>The block nodes a job names: the disk's (where the vmstate goes) and, for UEFI VMs, the variables'.</summary>
    public sealed record JobNodes(string Disk, string? Vars)
    {
        // JsonValue.Create(string), not JsonArray.Add<T>: the generic one needs reflection, which the AOT-built CLI lacks.
        public JsonArray Devices() => Vars is null ? new(JsonValue.Create(Disk)) : new(JsonValue.Create(Disk), JsonValue.Create(Vars));
    }

    /// <summary><c>snapshot-save</c>: the VM's state (memory and devices) into the disk's node, the disks at this instant.</summary>
    public static JsonObject Save(string jobId, string tag, JobNodes nodes)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        return new JsonObject { ["job-id"] = jobId, ["tag"] = tag, ["vmstate"] = nodes.Disk, ["devices"] = nodes.Devices() };
    }

    /// <summary><c>snapshot-load</c>: the same arguments; the VM is stopped while it loads and keeps its run state.</summary>
    public static JsonObject Load(string jobId, string tag, JobNodes nodes) => Save(jobId, tag, nodes);

    /// <summary><c>snapshot-delete</c>: the tag from every device that has it.</summary>
    public static JsonObject Delete(string jobId, string tag, JobNodes nodes)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        return new JsonObject { ["job-id"] = jobId, ["tag"] = tag, ["devices"] = nodes.Devices() };
    }

    /// <summary>The node names of the VM's disk and UEFI variables in <c>query-block</c>'s answer; null when the disk is not there.</summary>
    public static JobNodes? Nodes(JsonElement queryBlock)
    {
        var disk = Inserted(queryBlock, DiskDrive);
        if (disk is not { } d || !d.TryGetProperty("node-name", out var diskNode)) return null;
        var vars = Inserted(queryBlock, VarsDrive) is { } v && v.TryGetProperty("node-name", out var varsNode) ? varsNode.GetString() : null;
        return new JobNodes(diskNode.GetString()!, vars);
    }

    /// <summary>The format of the UEFI variables' drive in <c>query-block</c>'s answer (<c>raw</c> for a store an older LabRunner made), or null.</summary>
    public static string? VarsFormat(JsonElement queryBlock) =>
        Inserted(queryBlock, VarsDrive) is { } v && v.TryGetProperty("drv", out var drv) ? drv.GetString() : null;

    /// <summary>The disk's internal snapshots as <c>query-block</c> reports them (its <c>inserted.image.snapshots</c>).</summary>
    public static ImmutableArray<VmSnapshot> SnapshotsInQueryBlock(JsonElement queryBlock) =>
        Inserted(queryBlock, DiskDrive) is { } d && d.TryGetProperty("image", out var image) ? SnapshotsInImageInfo(image) : [];

    /// <summary>
    /// The internal snapshots of an image as <c>qemu-img info --output=json</c> (or QMP's ImageInfo) lists them, oldest
    /// first: with memory when their <c>vm-state-size</c> is not 0, that size being what the snapshot holds on its own.
    /// </summary>
    public static ImmutableArray<VmSnapshot> SnapshotsInImageInfo(JsonElement imageInfo)
    {
        if (!imageInfo.TryGetProperty("snapshots", out var list) || list.ValueKind != JsonValueKind.Array) return [];
        return
        [
            .. list.EnumerateArray()
                .Select(s => (Id: long.TryParse(s.GetProperty("id").GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : 0, Snapshot: ToSnapshot(s)))
                .OrderBy(s => s.Snapshot.Created).ThenBy(s => s.Id)
                .Select(s => s.Snapshot),
        ];
    }

    private static VmSnapshot ToSnapshot(JsonElement s)
    {
        var vmState = s.TryGetProperty("vm-state-size", out var size) ? size.GetInt64() : 0;
        var created = DateTimeOffset.FromUnixTimeSeconds(s.GetProperty("date-sec").GetInt64())
            .AddTicks((s.TryGetProperty("date-nsec", out var ns) ? ns.GetInt64() : 0) / 100);
        // A disk-only snapshot's clusters are shared with the image and its other snapshots: qcow2 does not say how many are its own.
        return new VmSnapshot(s.GetProperty("name").GetString() ?? "", created, vmState > 0, SnapshotType, vmState > 0 ? vmState : null);
    }

    /// <summary>
    /// The job <paramref name="jobId"/> in <c>query-jobs</c>' answer: its status (<c>created</c>, <c>running</c>, …,
    /// <c>concluded</c>) and, once concluded, its error (null: it succeeded); null when QEMU has no such job.
    /// </summary>
    public static (string Status, string? Error)? Job(JsonElement queryJobs, string jobId)
    {
        if (queryJobs.ValueKind != JsonValueKind.Array) return null;
        foreach (var job in queryJobs.EnumerateArray())
        {
            if (job.TryGetProperty("id", out var id) && id.GetString() == jobId)
                return (job.GetProperty("status").GetString() ?? "", job.TryGetProperty("error", out var error) ? error.GetString() : null);
        }
        return null;
    }

    private static JsonElement? Inserted(JsonElement queryBlock, string device)
    {
        if (queryBlock.ValueKind != JsonValueKind.Array) return null;
        foreach (var block in queryBlock.EnumerateArray())
        {
            if (block.TryGetProperty("device", out var name) && name.GetString() == device && block.TryGetProperty("inserted", out var inserted))
                return inserted;
        }
        return null;
    }
}
