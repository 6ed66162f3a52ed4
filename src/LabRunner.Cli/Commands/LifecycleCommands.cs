using System.Collections.Immutable;
using System.CommandLine;
using LabRunner.Cli.Rendering;
using LabRunner.Core.Reconciliation;
using LabRunner.Engine;
using LabRunner.Engine.Lifecycle;

namespace LabRunner.Cli.Commands;

/// <summary>up, halt, reload and down: the same engine run in four modes.</summary>
public static class LifecycleCommands
{
    public static Command Up(GlobalOptions global, CliEnvironment env, Services services)
    {
        var command = new Command("up",
            "Create and start the lab's VMs and networks - only what is missing. A second 'lab up' changes nothing. " +
            "Changes that need a VM off (memory, CPUs, …) are left for 'lab reload', and 'lab up' says so.");
        var vms = VmArgument();
        var whatIf = new Option<bool>("--what-if", "--dry-run") { Description = "Print the operations and what the provider would run for them (its script or commands); change nothing" };
        var parallel = OptionValues.WholeNumber("--parallel", 1, 16, EngineOptions.Default.Parallelism, "N",
            "How many VM batches (one provider call each) run at once");
        var adopt = AdoptOption("Take over this lab's VMs and switches marked by another project folder: after moving or renaming the folder, or for a lab made by an older LabRunner");
        var guest = new GuestOptions();
        command.Add(vms);
        command.Add(whatIf);
        command.Add(parallel);
        command.Add(adopt);
        guest.AddTo(command);
        command.SetAction((parse, ct) => Run(parse, global, env, services, ReconcileMode.Up, parse.GetValue(vms),
            EngineOptions.Default with { WhatIf = parse.GetValue(whatIf), Parallelism = parse.GetValue(parallel), Adopt = parse.GetValue(adopt) }, ct, guest));
        return command;
    }

    public static Command Halt(GlobalOptions global, CliEnvironment env, Services services)
    {
        var command = new Command("halt", "Shut the lab's VMs down through the guest, and turn off those that do not stop within the timeout.");
        var vms = VmArgument();
        var timeout = OptionValues.WholeNumber("--timeout", 1, 3600, (int)EngineOptions.Default.HaltTimeout.TotalSeconds, "SECONDS",
            "Seconds to wait for a guest shutdown before turning the VM off");
        command.Add(vms);
        command.Add(timeout);
        command.SetAction((parse, ct) => Run(parse, global, env, services, ReconcileMode.Halt, parse.GetValue(vms),
            EngineOptions.Default with { HaltTimeout = TimeSpan.FromSeconds(parse.GetValue(timeout)) }, ct));
        return command;
    }

    public static Command Reload(GlobalOptions global, CliEnvironment env, Services services)
    {
        var command = new Command("reload", "Stop the VMs, apply every change the Labfile asks for (including those that need a VM off), and start them again.");
        var vms = VmArgument();
        var whatIf = new Option<bool>("--what-if", "--dry-run") { Description = "Print the operations and what the provider would run for them (its script or commands); change nothing" };
        var guest = new GuestOptions();
        command.Add(vms);
        command.Add(whatIf);
        guest.AddTo(command);
        command.SetAction((parse, ct) => Run(parse, global, env, services, ReconcileMode.Reload, parse.GetValue(vms),
            EngineOptions.Default with { WhatIf = parse.GetValue(whatIf) }, ct, guest));
        return command;
    }

    public static Command Down(GlobalOptions global, CliEnvironment env, Services services)
    {
        var command = new Command("down",
            "Remove the lab: its VMs, disks and seeds, its port mappings and switches, and the shared NetNat when LabRunner created it and no lab uses it any more. " +
            "Nothing LabRunner did not create is touched.");
        // What Vagrant users type.
        command.Aliases.Add("destroy");
        var vms = VmArgument("Only these VMs, also those no longer in the Labfile; the networks stay [default: the whole lab]");
        var whatIf = new Option<bool>("--what-if", "--dry-run") { Description = "Print the operations and what the provider would run for them (its script or commands); change nothing" };
        var adopt = AdoptOption("Remove this lab also where its VMs and switches carry the mark of another project folder (this folder moved, or an older LabRunner made the lab)");
        var labName = new Option<string?>("--lab")
        {
            Description = "Remove this project's lab under an earlier name, after 'name:' in the Labfile changed",
            HelpName = "NAME",
        };
        // The earlier name is matched against the host's marks: one that no Labfile could have given is a typo, not "nothing to do".
        labName.Validators.Add(result =>
        {
            if (result.Tokens.Count > 0 && !Core.Labfile.Names.IsLabName(result.Tokens[^1].Value))
                result.AddError($"--lab must be a lab name (letters, digits and '-', up to 32, as 'name:' in a Labfile), not '{result.Tokens[^1].Value}'");
        });
        command.Add(vms);
        command.Add(whatIf);
        command.Add(adopt);
        command.Add(labName);
        command.SetAction((parse, ct) => Run(parse, global, env, services, ReconcileMode.Down, parse.GetValue(vms),
            EngineOptions.Default with { WhatIf = parse.GetValue(whatIf), Adopt = parse.GetValue(adopt), LabName = parse.GetValue(labName) }, ct));
        return command;
    }

    private static Option<bool> AdoptOption(string description) => new("--adopt") { Description = description };

    private static Argument<string[]> VmArgument(string description = "Only these VMs [default: all]")
    {
        var argument = new Argument<string[]>("VM")
        {
            Description = description,
            Arity = ArgumentArity.ZeroOrMore,
        };
        OptionValues.RefuseOptionsAsNames(argument);
        return argument;
    }

    private static async Task<int> Run(ParseResult parse, GlobalOptions global, CliEnvironment env, Services services,
        ReconcileMode mode, string[]? vms, EngineOptions options, CancellationToken ct, GuestOptions? guest = null)
    {
        var json = parse.GetValue(global.Json);
        var (project, host, engine) = services.Open(parse, global, env, quiet: json);
        var targets = (vms ?? []).ToImmutableHashSet();
        var lifecycle = new LabLifecycle(project, engine, host.Provider, new StoreBoxes(env, LabBoxes.Target(parse, global, env), json), GuestSteps.Access(services, env));
        // Otherwise the host's summary is shown before the guests are waited for; with --json the one document comes at the end.
        var view = new LifecycleView(env, services.Time, quiet: json, liveHost: !json && !options.WhatIf && LiveReporter.Suits(env),
            result => EngineResultRenderer.Render(result, mode, host, env, json, targets: targets));
        var run = await lifecycle.RunAsync(new LifecycleRequest(mode, targets, options) { Guests = guest?.Policy(parse) }, view, ct).ConfigureAwait(false);
        if (run.BoxFailure is { } failed) return LabBoxes.RenderFailure(env, failed, json);
        var hostResult = run.Host!;
        // The per-user registry 'lab global-status' reads: a lab that 'up' made is listed, one 'down' removed is forgotten.
        if (!options.WhatIf) GlobalStatusCommand.Note(parse, global, env, project, mode, targets, hostResult, services.Time);
        if (!run.GuestStage) return EngineResultRenderer.Render(hostResult, mode, host, env, json, targets: targets);
        var guestExit = GuestSteps.Report(env, json, run.Guests);
        if (json) return EngineResultRenderer.Render(hostResult, mode, host, env, json, run.Guests.Outcomes, guestExit, targets);
        var exit = view.HostExit ?? ExitCodes.Success;
        return exit == ExitCodes.Success ? guestExit : exit;
    }
}
