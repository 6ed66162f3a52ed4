using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using LabRunner.Cli.Rendering;
using LabRunner.Core.Net;
using LabRunner.Engine;
using Spectre.Console;

namespace LabRunner.Cli.Commands;

public static class StatusCommand
{
    public static Command Create(GlobalOptions global, CliEnvironment env, Services services)
    {
        var command = new Command("status", "Show each VM's state (running, off, not_created, …) and its adapters with their MACs and IPs.");
        var vms = new Argument<string[]>("VM") { Description = "Only these VMs [default: all]", Arity = ArgumentArity.ZeroOrMore };
        OptionValues.RefuseOptionsAsNames(vms);
        command.Add(vms);
        command.SetAction(async (parse, ct) =>
        {
            var (_, host, engine) = services.Open(parse, global, env, quiet: true);
            var status = await engine.StatusAsync(ct).ConfigureAwait(false);
            if (DiagnosticPrinter.Failed(status.Diagnostics, status.Plan, env, parse))
                return ExitCodes.InvalidLabfile;
            status = Only(status, parse.GetValue(vms) ?? []);
            ArgumentNullException.ThrowIfNull(status.Plan);
            if (parse.GetValue(global.Json))
            {
                Json.Emit(env, "status", "ok", ExitCodes.Success, null, status.Diagnostics, json => Write(json, status));
                return ExitCodes.Success;
            }
            // Snapshots are counted where the host keeps them (and a VM of the lab exists to have some).
            var snapshots = status.Vms.Any(v => v.Snapshots is not null);
            var table = new Table().Border(TableBorder.Rounded).AddColumns(["VM", "State", "CPUs", "Memory", .. snapshots ? ["Snapshots"] : Array.Empty<string>(), "Network", "MAC", "IP"]);
            foreach (var vm in status.Vms)
            {
                var cpus = vm.Cpus?.ToString(CultureInfo.InvariantCulture) ?? "-";
                var memory = vm.MemoryBytes is { } bytes ? ByteSize.Format(bytes) : "-";
                string[] count = snapshots ? [vm.Snapshots?.ToString(CultureInfo.InvariantCulture) ?? "-"] : [];
                if (vm.Adapters.IsEmpty) table.AddRow([Markup.Escape(vm.Name), Colour(vm.State), cpus, memory, .. count, "-", "-", "-"]);
                for (var i = 0; i < vm.Adapters.Length; i++)
                {
                    var a = vm.Adapters[i];
                    var first = i == 0;
                    table.AddRow([first ? Markup.Escape(vm.Name) : "", first ? Colour(vm.State) : "", first ? cpus : "", first ? memory : "",
                        .. first ? count : count.Select(_ => ""),
                        Markup.Escape(a.Network), a.Mac.ToString(), a.Cidr ?? (a.Dhcp ? "DHCP" : "link-local")]);
                }
            }
            env.Out.MarkupLine($"[bold]Lab[/] {Markup.Escape(status.Plan.Lab)} on {Markup.Escape(host.Provider.Description)}");
            env.Out.Write(table);
            foreach (var vm in status.Vms.Where(v => v.StateReason is not null))
                env.Stdout.WriteLine($"State of '{vm.Name}' is unknown: {vm.StateReason}");
            foreach (var vm in status.Vms.Where(v => v.Pending is not null))
                env.Stdout.WriteLine($"Pending on '{vm.Name}', for '{vm.Pending!.Command}': {string.Join("; ", vm.Pending.Changes)}");
            foreach (var vm in status.Vms.Where(v => v.Box is not null))
                env.Stdout.WriteLine($"VM '{vm.Name}' runs on box '{vm.Box!.Name}' {vm.Box.Version} ({vm.Box.Provider}).");
            foreach (var stray in status.Strays)
                env.Stdout.WriteLine($"VM '{stray}' ({host.Provider.Rules.VmName(status.Plan.Lab, stray)}) of this lab is no longer in the Labfile; 'lab down {stray}' removes it.");
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The status of the named VMs only (as the Labfile names them); an unknown name is a usage error that lists the lab's VMs.</summary>
    private static StatusResult Only(StatusResult status, string[] names)
    {
        if (names.Length == 0) return status;
        var unknown = names.Where(n => !status.Vms.Any(v => string.Equals(v.Name, n, StringComparison.OrdinalIgnoreCase))
            && !status.Strays.Contains(n, StringComparer.OrdinalIgnoreCase)).ToList();
        if (unknown.Count > 0)
            throw new UsageException($"no VM named {string.Join(", ", unknown.Select(u => $"'{u}'"))} in the Labfile (it has {string.Join(", ", status.Vms.Select(v => v.Name))})");
        return status with
        {
            Vms = [.. status.Vms.Where(v => names.Contains(v.Name, StringComparer.OrdinalIgnoreCase))],
            Strays = [.. status.Strays.Where(s => names.Contains(s, StringComparer.OrdinalIgnoreCase))],
        };
    }

    private static string Colour(LabVmState state) => state switch
    {
        LabVmState.Running => $"[green]{state.Name()}[/]",
        LabVmState.NotCreated => $"[grey]{state.Name()}[/]",
        LabVmState.Foreign => $"[red]{state.Name()}[/]",
        _ => $"[yellow]{state.Name()}[/]",
    };

    private static void Write(Utf8JsonWriter json, StatusResult status)
    {
        json.WriteString("lab", status.Plan!.Lab);
        json.WriteStartArray("vms");
        foreach (var vm in status.Vms)
        {
            json.WriteStartObject();
            json.WriteString("name", vm.Name);
            json.WriteString("state", vm.State.Name());
            json.WriteStringOrNull("state_reason", vm.StateReason);
            if (vm.Cpus is { } cpus) json.WriteNumber("cpus", cpus);
            else json.WriteNull("cpus");
            if (vm.MemoryBytes is { } bytes) json.WriteNumber("memory_mb", bytes / (1024 * 1024));
            else json.WriteNull("memory_mb");
            if (vm.Snapshots is { } snapshotCount) json.WriteNumber("snapshots", snapshotCount);
            else json.WriteNull("snapshots");
            if (vm.Pending is { } pending)
            {
                json.WritePropertyName("pending_changes");
                EngineResultRenderer.WritePending(json, pending);
            }
            else
            {
                json.WriteNull("pending_changes");
            }
            if (vm.Box is { } box)
            {
                json.WriteStartObject("box");
                json.WriteString("name", box.Name);
                json.WriteString("version", box.Version);
                json.WriteString("provider", box.Provider);
                json.WriteEndObject();
            }
            else
            {
                // A VM on a box file (or one not known yet) has no store box: null, so every VM has the same keys.
                json.WriteNull("box");
            }
            json.WriteStartArray("adapters");
            foreach (var a in vm.Adapters)
            {
                json.WriteStartObject();
                json.WriteString("network", a.Network);
                json.WriteString("mac", a.Mac.ToString());
                json.WriteStringOrNull("ip", a.Cidr);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteStartArray("forwarded_ports");
            foreach (var p in vm.Ports)
                PortCommand.WritePort(json, p);
            json.WriteEndArray();
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteStartArray("stray_vms");
        foreach (var s in status.Strays) json.WriteStringValue(s);
        json.WriteEndArray();
    }
}
