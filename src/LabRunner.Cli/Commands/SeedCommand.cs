using System.CommandLine;
using LabRunner.Cli.Rendering;
using LabRunner.Engine;

namespace LabRunner.Cli.Commands;

public static class SeedCommand
{
    public static Command Create(GlobalOptions global, CliEnvironment env, Services services)
    {
        var command = new Command("seed",
            "Write what a VM's guest will receive - cloud-init meta-data, user-data and network-config, or unattend.xml - " +
            "and the seed ISO (seed.iso) that carries them, so you can inspect them. Changes no host.");
        var vm = new Argument<string?>("VM") { Description = "The VM [default: the lab's only VM]", Arity = ArgumentArity.ZeroOrOne };
        var every = new Option<bool>("--all") { Description = "Every VM of the lab, each in its own folder under --out" };
        var outDir = new Option<string?>("--out", "-o")
        {
            Description = "Folder to write to [default: .lab/seed/VM next to the Labfile]",
            HelpName = "DIR",
        };
        OptionValues.RequireNonEmpty(outDir, "a folder");
        OptionValues.RefuseOptionsAsNames(vm);
        command.Validators.Add(result =>
        {
            var given = result.GetValue(vm);
            var named = given is not null;
            if (given is not null && given.StartsWith('-')) result.AddError(OptionValues.UnknownOption(given, result));
            else if (named && result.GetValue(every)) result.AddError("name one VM or pass --all, not both");
        });
        command.Add(vm);
        command.Add(every);
        command.Add(outDir);
        command.SetAction(parse =>
        {
            var name = parse.GetValue(vm);
            var rules = global.Providers.ForPlanning(parse.GetValue(global.Provider), env.ForProviders, refuseUnknown: false).Rules;
            var project = LabProject.Open(parse.GetValue(global.File), env.WorkingDirectory, env.GetVariable, rules).WithRecordedAllocations();
            LabBoxes.NoteLocal(project, env, parse);
            var result = project.Plan();
            if (DiagnosticPrinter.Failed(result.Diagnostics, result.Plan, env, parse))
                return ExitCodes.InvalidLabfile;
            // As 'lab ssh': a lab of one VM needs no name.
            if (name is null && !parse.GetValue(every))
            {
                if (result.Plan.Vms.Length != 1)
                    throw new UsageException($"the lab has {result.Plan.Vms.Length} VMs ({string.Join(", ", result.Plan.Vms.Select(v => v.Name))}); name one: lab seed VM, or pass --all");
                name = result.Plan.Vms[0].Name;
            }
            var vms = result.Plan.Vms.Where(v => name is null || string.Equals(v.Name, name, StringComparison.OrdinalIgnoreCase)).ToList();
            if (vms.Count == 0)
                throw new UsageException($"no VM named '{name}' in the Labfile (it has {string.Join(", ", result.Plan.Vms.Select(v => v.Name))})");

            var seeds = services.Seeds(project, env);
            var root = parse.GetValue(outDir) is { } o ? Path.GetFullPath(o, env.WorkingDirectory) : Path.Combine(project.StateDirectory, "seed");
            var json = Json.Requested(parse);
            var all = new List<Core.Diagnostics.Diagnostic>(result.Diagnostics);
            var written = new List<(string Vm, string Folder, IReadOnlyList<string> Files)>();
            foreach (var plan in vms)
            {
                var folder = name is not null && parse.GetValue(outDir) is not null ? root : Path.Combine(root, plan.Name);
                var diagnostics = new List<Core.Diagnostics.Diagnostic>();
                var (rendered, image) = seeds.Seed(result.Plan, plan, diagnostics);
                DiagnosticPrinter.Print(diagnostics, env.Error);
                all.AddRange(diagnostics);
                if (image is null) continue;
                // Owner-only like every seed: the password of a Windows VM, tokens in a Linux VM's user_data.
                try
                {
                    foreach (var file in rendered.Files)
                        HostCommon.Files.AtomicFile.WriteAllBytes(Path.Combine(folder, file.Name), file.Content, ownerOnly: true);
                    HostCommon.Files.AtomicFile.WriteAllBytes(Path.Combine(folder, "seed.iso"), image.Iso, ownerOnly: true);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new UsageException($"'{folder}' cannot be written: {Core.Hosting.FileFailure.Reason(e)}; choose another folder with --out");
                }
                var files = rendered.Files.Select(f => f.Name).Append("seed.iso").ToList();
                written.Add((plan.Name, folder, files));
                if (!json)
                    env.Stdout.WriteLine($"{plan.Name}: {string.Join(", ", rendered.Files.Select(f => f.Name))} and seed.iso in {Path.GetRelativePath(env.WorkingDirectory, folder)}");
            }
            var failed = written.Count < vms.Count;
            if (json)
            {
                Json.Emit(env, "seed", failed ? "invalid_labfile" : "done", failed ? ExitCodes.InvalidLabfile : ExitCodes.Success,
                    failed ? Summary.Errors(all) : null, all, w =>
                {
                    w.WriteString("lab", result.Plan.Lab);
                    w.WriteStartArray("vms");
                    foreach (var (vmName, folder, files) in written)
                    {
                        w.WriteStartObject();
                        w.WriteString("name", vmName);
                        w.WriteString("folder", folder);
                        w.WriteStartArray("files");
                        foreach (var file in files) w.WriteStringValue(file);
                        w.WriteEndArray();
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                });
            }
            return failed ? ExitCodes.InvalidLabfile : ExitCodes.Success;
        });
        return command;
    }
}
