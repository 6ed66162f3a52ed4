using LabRunner.Engine;
using System.CommandLine;
using LabRunner.Engine.Guests;
using LabRunner.Engine.Lifecycle;

namespace LabRunner.Cli.Commands;

/// <summary><c>lab provision [VM…]</c>: run the provisioners on running VMs (once items only when new or changed).</summary>
public static class ProvisionCommand
{
    /// <summary>What a host that boots no guests leaves to provision.</summary>
    public const string NothingToProvision = NoGuestsException.NothingToProvision;

    public static Command Create(GlobalOptions global, CliEnvironment env, Services services)
    {
        var command = new Command("provision",
            "Run the Labfile's provisioners on the running VMs: 'once' items that are new or changed since they last ran, and 'always' items.");
        var vms = new Argument<string[]>("VM") { Description = "Only these VMs [default: all running]", Arity = ArgumentArity.ZeroOrMore };
        OptionValues.RefuseOptionsAsNames(vms);
        command.Add(vms);
        command.SetAction(async (parse, ct) =>
        {
            var names = parse.GetValue(vms) ?? [];
            var (project, host, engine) = services.Open(parse, global, env, quiet: true);
            GuestSteps.RequireGuests(host, NothingToProvision);
            if (await GuestSteps.StatusAsync(engine, env, parse, names, ct).ConfigureAwait(false) is not var (plan, chosen))
                return ExitCodes.InvalidLabfile;
            var running = GuestSteps.RunningOnly(chosen, names, env);
            if (GuestSteps.MissingFiles(project, Core.Diagnostics.DiagnosticCodes.ProvisionFileMissing, env, parse))
                return ExitCodes.InvalidLabfile;
            var requests = running.Select(v => new GuestRequest(v.Name, Provision: true)).ToList();
            return (await GuestSteps.WaitAsync(project, services, host.Provider, env, parse.GetValue(global.Json), plan, requests, ct).ConfigureAwait(false)).Exit;
        });
        return command;
    }
}
