using System.CommandLine;
using System.Text.Json;
using LabRunner.Cli.Rendering;
using LabRunner.Core.Reconciliation;
using Spectre.Console;

namespace LabRunner.Cli.Commands;

public static class PortCommand
{
    public static Command Create(GlobalOptions global, CliEnvironment env, Services services)
    {
        var command = new Command("port", "List the ports the host forwards for this lab: host port -> guest IP:port, and the address to use from this host itself.");
        var vm = new Argument<string?>("VM") { Description = "Only this VM [default: all]", Arity = ArgumentArity.ZeroOrOne };
        OptionValues.RefuseOptionsAsNames(vm);
        command.Add(vm);
        command.SetAction(async (parse, ct) =>
        {
            var (_, host, engine) = services.Open(parse, global, env, quiet: true);
            var status = await engine.StatusAsync(ct).ConfigureAwait(false);
            if (DiagnosticPrinter.Failed(status.Diagnostics, status.Plan, env, parse))
                return ExitCodes.InvalidLabfile;
            var only = parse.GetValue(vm);
            if (only is not null && !status.Vms.Any(v => string.Equals(v.Name, only, StringComparison.OrdinalIgnoreCase)))
                throw new UsageException($"no VM named '{only}' in the Labfile (it has {string.Join(", ", status.Vms.Select(v => v.Name))})");
            var ports = status.Vms.Where(v => only is null || string.Equals(v.Name, only, StringComparison.OrdinalIgnoreCase))
                .SelectMany(v => v.Ports).ToList();
            if (parse.GetValue(global.Json))
            {
                Json.Emit(env, "port", "ok", ExitCodes.Success, null, status.Diagnostics, json =>
                {
                    json.WriteString("lab", status.Plan.Lab);
                    json.WriteStartArray("forwarded_ports");
                    foreach (var p in ports) WritePort(json, p);
                    json.WriteEndArray();
                    json.WriteString("note", host.Provider.Rules.ForwardedPortNote);
                });
                return ExitCodes.Success;
            }
            if (ports.Count == 0)
            {
                var declared = status.Plan.Vms.Any(v => (only is null || string.Equals(v.Name, only, StringComparison.OrdinalIgnoreCase)) && !v.ForwardedPorts.IsEmpty);
                env.Stdout.WriteLine(!declared
                    ? only is null ? "No forwarded ports in this lab." : $"VM '{only}' forwards no ports."
                    : "No port is forwarded on this host yet; 'lab up' forwards those the Labfile declares.");
                return ExitCodes.Success;
            }
            Write(env, ports, host.Provider.Rules.ForwardedPortNote);
            return ExitCodes.Success;
        });
        return command;
    }

    public static void Write(CliEnvironment env, IEnumerable<EffectivePortMapping> ports, string note)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumns("VM", "Host port", "Guest", "From this host");
        foreach (var p in ports)
        {
            var proto = p.Protocol.ToString().ToLowerInvariant();
            table.AddRow(Markup.Escape(p.Vm), $"{p.HostIp?.ToString() ?? "*"}:{p.HostPort}/{proto}" + (p.Corrected ? $" (asked {p.RequestedHostPort})" : ""),
                $"{p.GuestIp}:{p.GuestPort}/{proto}", $"{p.GuestIp}:{p.GuestPort}");
        }
        env.Out.Write(table);
        env.Stdout.WriteLine(note);
    }

    public static void WritePort(Utf8JsonWriter json, EffectivePortMapping p)
    {
        json.WriteStartObject();
        json.WriteString("vm", p.Vm);
        json.WriteString("protocol", p.Protocol.ToString().ToLowerInvariant());
        json.WriteNumber("host_port", p.HostPort);
        json.WriteNumber("requested_host_port", p.RequestedHostPort);
        json.WriteStringOrNull("host_ip", p.HostIp?.ToString());
        json.WriteString("guest_ip", p.GuestIp.ToString());
        json.WriteNumber("guest_port", p.GuestPort);
        json.WriteString("from_host", $"{p.GuestIp}:{p.GuestPort}");
        json.WriteEndObject();
    }
}
