using System.Text.Json;
using LabRunner.Boxes;
using LabRunner.Cli.Commands;
using LabRunner.Core.Planning;

namespace LabRunner.Cli.Rendering;

/// <summary>
/// The <c>lab plan --json</c> document. Keys are snake_case and always in this order; MACs are in
/// Hyper-V's dash form (<c>02-AB-CD-EF-01-23</c>); IPs are <c>a.b.c.d/nn</c> or null for DHCP.
/// </summary>
public static class PlanJson
{
    public static void Write(Utf8JsonWriter json, LabPlan plan, IReadOnlyList<PlannedBox> boxes)
    {
        ArgumentNullException.ThrowIfNull(boxes);
        json.WriteString("lab", plan.Lab);
        if (plan.Nat is { } nat)
        {
            json.WriteStartObject("nat");
            json.WriteString("name", nat.Name);
            json.WriteString("prefix", nat.Prefix.ToString());
            json.WriteEndObject();
        }
        else
        {
            json.WriteNull("nat");
        }

        json.WriteStartArray("networks");
        foreach (var n in plan.Networks)
        {
            json.WriteStartObject();
            json.WriteString("name", n.Name);
            json.WriteString("type", n.Type.ToString().ToLowerInvariant());
            json.WriteString("switch", n.Switch);
            json.WriteString("switch_type", n.SwitchKind.ToLowerInvariant());
            json.WriteStringOrNull("subnet", n.Subnet?.ToString());
            json.WriteStringOrNull("gateway", n.Gateway?.ToString());
            json.WriteStringOrNull("host_ip", n.HasHostVnic && n.Gateway is { } g && n.Subnet is { } s ? $"{g}/{s.PrefixLength}" : null);
            json.WriteStringOrNull("adapter", n.Adapter);
            WriteAddresses(json, "dns", n.Dns.Select(d => d.ToString()));
            json.WriteEndObject();
        }
        json.WriteEndArray();

        json.WriteStartArray("vms");
        foreach (var vm in plan.Vms)
        {
            json.WriteStartObject();
            json.WriteString("name", vm.Name);
            json.WriteString("host_vm_name", vm.HostVmName);
            json.WriteString("hostname", vm.Hostname);
            json.WriteString("os", vm.Os.ToString().ToLowerInvariant());
            json.WriteString("box", vm.Box);
            json.WriteNumber("cpus", vm.Cpus);
            json.WriteNumber("memory_mb", vm.MemoryBytes / (1024 * 1024));
            json.WriteNumber("generation", vm.Generation);
            json.WriteStartArray("adapters");
            foreach (var a in vm.Adapters)
            {
                json.WriteStartObject();
                json.WriteString("network", a.Network);
                json.WriteString("switch", a.Switch);
                json.WriteString("mac", a.Mac.ToString());
                json.WriteStringOrNull("ip", a.Cidr);
                json.WriteStringOrNull("gateway", a.DefaultRoute ? a.Gateway?.ToString() : null);
                json.WriteBoolean("dhcp", a.Dhcp);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteStartArray("forwarded_ports");
            foreach (var p in vm.ForwardedPorts)
            {
                json.WriteStartObject();
                json.WriteString("protocol", p.Protocol.ToString().ToLowerInvariant());
                json.WriteNumber("host_port", p.HostPort);
                json.WriteNumber("guest_port", p.GuestPort);
                json.WriteString("guest_ip", p.GuestIp.ToString());
                json.WriteStringOrNull("host_ip", p.HostIp?.ToString());
                json.WriteBoolean("auto_correct", p.AutoCorrect);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        json.WriteEndArray();

        json.WriteStartArray("boxes");
        foreach (var box in boxes)
        {
            json.WriteStartObject();
            json.WriteString("name", box.Name);
            json.WriteStringOrNull("url", box.Url is null ? null : BoxSource.Redact(box.Url)); // never a password
            json.WriteStringOrNull("constraint", box.Constraint);
            json.WriteBoolean("in_store", box.Stored is not null);
            json.WriteStringOrNull("version", box.Stored?.Version.Text);
            json.WriteStringOrNull("provider", box.Stored?.Provider);
            json.WriteStringOrNull("disk", box.Stored?.DiskPath);
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    private static void WriteAddresses(Utf8JsonWriter json, string name, IEnumerable<string> values)
    {
        json.WriteStartArray(name);
        foreach (var v in values) json.WriteStringValue(v);
        json.WriteEndArray();
    }
}
