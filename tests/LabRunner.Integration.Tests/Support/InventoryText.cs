using System.Globalization;
using LabRunner.Core.Hosting;

namespace LabRunner.Integration.Tests.Support;

/// <summary>
/// An inventory as lines of text, one object a line, every field written out. HostInventory's records hold
/// ImmutableArrays, which compare by reference, so two inventories are compared through this text; a
/// difference then shows as the line that differs. Lists whose order the host does not define (adapters,
/// switches, VMs, a VM's adapters) are sorted; a VM's disks and DVD drives keep their order.
/// </summary>
internal static class InventoryText
{
    public static IReadOnlyList<string> Lines(HostInventory inventory)
    {
        var lines = new List<string>();
        foreach (var a in inventory.NetAdapters.OrderBy(a => a.Name, StringComparer.OrdinalIgnoreCase))
            lines.Add($"adapter {Q(a.Name)} desc={Q(a.InterfaceDescription)} physical={a.IsPhysical} ips=[{string.Join(", ", a.Addresses.Select(ip => ip.ToString()).Order(StringComparer.Ordinal))}]");
        foreach (var s in inventory.Switches.OrderBy(s => s.Name, StringComparer.OrdinalIgnoreCase))
            lines.Add($"switch {Q(s.Name)} kind={s.Kind} uplink={Q(s.NetAdapterName)} notes={Q(s.Notes)}");
        foreach (var n in inventory.Nats.OrderBy(n => n.Name, StringComparer.OrdinalIgnoreCase))
            lines.Add($"nat {Q(n.Name)} prefix={n.InternalPrefix}");
        foreach (var m in inventory.PortMappings.OrderBy(m => m.NatName, StringComparer.Ordinal).ThenBy(m => m.Protocol).ThenBy(m => m.ExternalIp).ThenBy(m => m.ExternalPort))
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"mapping {Q(m.NatName)} {m.Protocol} {m.ExternalIp}:{m.ExternalPort} -> {m.InternalIp}:{m.InternalPort}"));
        foreach (var v in inventory.Vms.OrderBy(v => v.Name, StringComparer.OrdinalIgnoreCase))
        {
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"vm {Q(v.Name)} state={v.State} gen={v.Generation} memory={v.MemoryBytes} cpus={v.Cpus} secureboot={v.SecureBoot} template={v.SecureBootTemplate} checkpoints={v.AutomaticCheckpoints} snapshots={v.SnapshotType} notes={Q(v.Notes)} disks=[{string.Join(", ", v.HardDisks.Select(Q))}] snapshot-disks=[{string.Join(", ", (v.SnapshotDisks.IsDefault ? [] : v.SnapshotDisks).Order(StringComparer.OrdinalIgnoreCase).Select(Q))}] dvds=[{string.Join(", ", v.DvdDrives.Select(d => $"{d.ControllerNumber}:{d.ControllerLocation} {Q(d.Path)}"))}]"));
            foreach (var a in v.Adapters.OrderBy(a => a.Name, StringComparer.OrdinalIgnoreCase))
                lines.Add($"  vm-adapter {Q(v.Name)}/{Q(a.Name)} switch={Q(a.SwitchName)} mac={a.Mac?.ToString() ?? "dynamic"}");
        }
        foreach (var f in inventory.Files.Order(StringComparer.Ordinal))
            lines.Add($"file {Q(f)}");
        return lines;
    }

    /// <summary>Quoted so that empty, null and whitespace differ visibly; control characters escaped.</summary>
    private static string Q(string? text) => text is null ? "null" : "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal).Replace("\r", "\\r", StringComparison.Ordinal) + "\"";
}
