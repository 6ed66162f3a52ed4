using System.CommandLine;
using LabRunner.Cli.Rendering;

namespace LabRunner.Cli.Commands;

public static class PlanCommand
{
    public static Command Create(GlobalOptions global, CliEnvironment env)
    {
        var command = new Command("plan",
            "Show what the Labfile asks for: switches, subnets, host vNIC addresses, the NAT slice, " +
            "each adapter's MAC and IP, and the forwarded ports. Changes nothing.");
        command.SetAction(parse =>
        {
            // Addresses the lab's VMs already hold stay theirs, as 'lab up' will keep them.
            var project = LabBoxes.Open(parse, global, env).WithRecordedAllocations();
            // Switch and VM names on the host are the provider's: plan for the one 'lab up' would use.
            var rules = global.Providers.ForPlanning(parse.GetValue(global.Provider), env.ForProviders).Rules;
            // A box named alone (or by 'version' alone) that the store does not have is an error here, as in 'up'.
            var result = project.CheckingTemplates(project.PlanCheckingStoreBoxes(project.Context with { Rules = rules }));
            if (DiagnosticPrinter.Failed(result.Diagnostics, result.Plan, env, parse))
                return ExitCodes.InvalidLabfile;
            // Store boxes are planned against the version installed here; one not installed yet is 'lab up''s to add.
            var boxes = LabBoxes.Planned(project, result.Lab!);
            if (parse.GetValue(global.Json))
                Json.Emit(env, "plan", "ok", ExitCodes.Success, null, result.Diagnostics, json => PlanJson.Write(json, result.Plan, boxes));
            else
                PlanTable.Write(env.Out, result.Plan, rules, boxes);
            return ExitCodes.Success;
        });
        return command;
    }
}
