using System.CommandLine;
using LabRunner.Cli.Rendering;

namespace LabRunner.Cli.Commands;

public static class ValidateCommand
{
    public static Command Create(GlobalOptions global, CliEnvironment env)
    {
        var command = new Command("validate",
            "Check the Labfile (and Labfile.local.yml) and report every problem as PATH:LINE:COL: error LABnnn: message. " +
            "Exit code 0 when valid, 1 when not.");
        command.SetAction(parse =>
        {
            var project = LabBoxes.Open(parse, global, env);
            // Templates too: a project template 'up' and 'seed' would refuse (LAB6xx) makes the Labfile invalid here.
            var result = project.CheckingTemplates(project.PlanCheckingBoxFiles());
            if (parse.GetValue(global.Json))
            {
                Json.Emit(env, "validate", result.HasErrors ? "invalid_labfile" : "ok", result.HasErrors ? ExitCodes.InvalidLabfile : ExitCodes.Success,
                    result.HasErrors ? Summary.Errors(result.Diagnostics) : null, result.Diagnostics, json =>
                    {
                        json.WriteBoolean("valid", !result.HasErrors);
                        json.WriteString("file", project.Labfile.Path);
                    });
            }
            else
            {
                DiagnosticPrinter.Print(result.Diagnostics, env.Error);
            }
            if (result.HasErrors)
            {
                if (!parse.GetValue(global.Json))
                    env.Error.WriteLine(Summary.Errors(result.Diagnostics));
                return ExitCodes.InvalidLabfile;
            }
            if (!parse.GetValue(global.Json))
                env.Stdout.WriteLine($"{project.Labfile.Path} is valid: {Summary.Count(result.Plan!.Vms.Length, "VM")}, {Summary.Count(result.Plan.Networks.Length, "network")}.");
            return ExitCodes.Success;
        });
        return command;
    }
}
