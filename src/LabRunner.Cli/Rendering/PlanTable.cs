using LabRunner.Boxes;
using LabRunner.Cli.Commands;
using LabRunner.Core.Hosting;
using LabRunner.Core.Net;
using LabRunner.Core.Planning;
using Spectre.Console;

namespace LabRunner.Cli.Rendering;

/// <summary>The human view of a plan: networks, then VMs with one row per adapter, then store boxes, then forwarded ports.</summary>
public static class PlanTable
{
    /// <summary>Writes the plan in the words of the host <paramref name="rules"/> describe (switches and NetNat, or bridges and nftables).</summary>
    public static void Write(IAnsiConsole console, LabPlan plan, HostRules rules, IReadOnlyList<PlannedBox> boxes)
    {
        ArgumentNullException.ThrowIfNull(boxes);
        ArgumentNullException.ThrowIfNull(rules);
        console.MarkupLine($"[bold]Lab[/] {Markup.Escape(plan.Lab)}" +
            (plan.Nat is { } nat ? $"   [bold]NAT[/] {Markup.Escape(rules.NatSummary(nat.Name, nat.Prefix))}" : ""));
        console.WriteLine();

        var networks = new Table().Border(TableBorder.Rounded).Title("Networks")
            .AddColumns("Network", "Type", Capitalized(rules.Words.Switch), "Subnet", "Host / gateway", "DNS");
        foreach (var n in plan.Networks)
            networks.AddRow(
                Markup.Escape(n.Name),
                n.Type.ToString().ToLowerInvariant(),
                Markup.Escape(rules.Words.KindOf(Enum.Parse<SwitchKind>(n.SwitchKind, ignoreCase: true)) is { Length: > 0 } kind ? $"{n.Switch} ({kind})" : n.Switch),
                n.Subnet?.ToString() ?? (n.Type == Core.Labfile.NetworkType.Bridged ? "LAN (DHCP)" : "-"),
                n.Gateway?.ToString() ?? "-",
                n.Dns.IsEmpty ? "-" : string.Join(", ", n.Dns));
        console.Write(networks);

        var vms = new Table().Border(TableBorder.Rounded).Title("VMs")
            .AddColumns("VM", "Size", "Network", "MAC", "IP", "Default route");
        foreach (var vm in plan.Vms)
        {
            var size = $"{vm.Cpus} CPU, {ByteSize.Format(vm.MemoryBytes)}, gen {vm.Generation}, {vm.Os.ToString().ToLowerInvariant()}";
            if (vm.Adapters.IsEmpty)
                vms.AddRow(Markup.Escape(vm.Name), size, "-", "-", "-", "-");
            for (var i = 0; i < vm.Adapters.Length; i++)
            {
                var a = vm.Adapters[i];
                vms.AddRow(
                    i == 0 ? Markup.Escape(vm.Name) : "",
                    i == 0 ? size : "",
                    Markup.Escape(a.Network),
                    a.Mac.ToString(),
                    a.Cidr ?? (a.Dhcp ? "DHCP" : "link-local"),
                    a.DefaultRoute ? (a.Gateway?.ToString() ?? "via DHCP") : "");
            }
        }
        console.Write(vms);

        if (boxes.Count > 0)
        {
            var store = new Table().Border(TableBorder.Rounded).Title("Boxes (box store)")
                .AddColumns("Box", "Version wanted", "Planned on", "From");
            foreach (var b in boxes)
                store.AddRow(
                    Markup.Escape(b.Name),
                    Markup.Escape(b.Constraint ?? "any"),
                    b.Stored is { } s ? Markup.Escape($"{s.Version} ({s.Provider})")
                        : b.Url is null ? Markup.Escape($"not in the store: 'lab box add {b.Name} SOURCE'") : "not in the store: 'lab up' adds it",
                    Markup.Escape(b.Url is null ? "the box store ('lab box add')" : BoxSource.Display(b.Url)));
            console.Write(store);
        }

        var ports = plan.Vms.SelectMany(vm => vm.ForwardedPorts.Select(p => (vm, p))).ToList();
        if (ports.Count == 0) return;
        var table = new Table().Border(TableBorder.Rounded).Title("Forwarded ports")
            .AddColumns("VM", "Host", "Guest", "From this host use");
        foreach (var (vm, p) in ports)
        {
            var protocol = p.Protocol.ToString().ToLowerInvariant();
            table.AddRow(Markup.Escape(vm.Name), $"{p.HostIp?.ToString() ?? "*"}:{p.HostPort}/{protocol}" + (p.AutoCorrect ? " (auto_correct)" : ""),
                $"{p.GuestIp}:{p.GuestPort}/{protocol}", $"{p.GuestIp}:{p.GuestPort}");
        }
        console.Write(table);
        console.MarkupLine($"[grey]{Markup.Escape(rules.ForwardedPortNote)}[/]");
    }

    private static string Capitalized(string word) => word.Length == 0 ? word : char.ToUpperInvariant(word[0]) + word[1..];
}
