using System.Collections.Immutable;
using System.CommandLine;
using System.Text.Json;
using LabRunner.Cli.Rendering;
using LabRunner.Core.Diagnostics;
using LabRunner.Core.Errors;
using LabRunner.Core.Reconciliation;
using LabRunner.Engine;
using Spectre.Console;

namespace LabRunner.Cli.Commands;

/// <summary>
/// <c>lab global-status</c>: every lab this user brought up on this host (with <c>--all</c> as root, every user's), read
/// from the <see cref="LabRegistry"/> that 'up' and 'down' keep, each with its VMs' states as 'lab status' reads them.
/// </summary>
public static class GlobalStatusCommand
{
    /// <summary>One lab's line: what the registry says, and what its project and host say now.</summary>
    private sealed record LabLine(RegisteredLab Lab, string Registry, string Condition, ImmutableArray<(string Name, string State)> Vms, string? Reason);

    public static Command Create(GlobalOptions global, CliEnvironment env, Services services)
    {
        var command = new Command("global-status",
            "List every lab this user has on this host: lab, project folder, provider, VMs and their states. " +
            "Labs are recorded by 'lab up' and forgotten by 'lab down'; a lab whose project folder is gone is shown as such.");
        var all = new Option<bool>("--all") { Description = "Every user's labs on this host (needs root or Administrator)" };
        var prune = new Option<bool>("--prune") { Description = "Forget labs whose project folder or Labfile is gone (never removes a VM: 'lab down' in the project does)" };
        command.Add(all);
        command.Add(prune);
        command.SetAction(async (parse, ct) =>
        {
            var json = parse.GetValue(global.Json);
            if (parse.GetValue(all) && !Environment.IsPrivilegedProcess)
                throw new UsageException("--all reads every user's labs and needs root (or an elevated prompt on Windows)");
            var paths = parse.GetValue(all) ? LabRegistry.EveryUsersPaths(env.GetVariable).ToList() : [LabRegistry.DefaultPath(env.GetVariable)];
            var problems = new List<string>();
            var lines = new List<LabLine>();
            var forgotten = new List<RegisteredLab>();
            foreach (var path in paths)
            {
                var registry = new LabRegistry(path);
                if (parse.GetValue(prune))
                    forgotten.AddRange(registry.Prune(l => Gone(l) is not null));
                var contents = registry.Read();
                if (contents.Problem is { } problem)
                    problems.Add($"The lab registry '{contents.Path}' is ignored: {problem}. 'lab up' in a project records its lab again.");
                foreach (var lab in contents.Labs.OrderBy(l => l.Lab, StringComparer.Ordinal).ThenBy(l => l.ProjectDirectory, StringComparer.Ordinal))
                    lines.Add(await ReadAsync(lab, contents.Path, env, services, ct).ConfigureAwait(false));
            }
            foreach (var problem in problems) env.Error.WriteLine($"lab: warning: {problem}");
            if (json)
            {
                Json.Emit(env, "global-status", "ok", ExitCodes.Success, problems.Count > 0 ? string.Join(" ", problems) : null, [], w => Write(w, lines, forgotten));
                return ExitCodes.Success;
            }
            foreach (var lab in forgotten)
                env.Stdout.WriteLine($"Forgot lab '{lab.Lab}' ({lab.Provider}) of {lab.ProjectDirectory}: {Gone(lab)}.");
            if (lines.Count == 0)
            {
                env.Stdout.WriteLine("No labs recorded on this host; 'lab up' in a project records its lab.");
                return ExitCodes.Success;
            }
            var table = new Table().Border(TableBorder.Rounded).AddColumns("Lab", "Provider", "Project", "VMs");
            foreach (var line in lines)
            {
                var vms = line.Condition != "present" ? $"[red]{Markup.Escape(line.Reason ?? line.Condition)}[/]"
                    : line.Reason is { } reason ? $"[yellow]{Markup.Escape(reason)}[/]"
                    : line.Vms.IsEmpty ? "[grey]no VMs[/]"
                    : string.Join(", ", line.Vms.Select(v => $"{Markup.Escape(v.Name)} {Colour(v.State)}"));
                table.AddRow(Markup.Escape(line.Lab.Lab), Markup.Escape(line.Lab.Provider), Markup.Escape(line.Lab.ProjectDirectory), vms);
            }
            env.Out.Write(table);
            if (lines.Any(l => l.Condition != "present"))
                env.Stdout.WriteLine("A lab whose project is gone may still have VMs on the host; 'lab global-status --prune' forgets it (and removes nothing).");
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>
    /// After 'up' or 'reload' the lab is recorded (even when a VM failed: what was made exists); after a whole-lab
    /// 'down' that finished it is forgotten. A registry that cannot be written is a warning, never the command's failure.
    /// </summary>
    public static void Note(ParseResult parse, GlobalOptions global, CliEnvironment env, LabProject project, ReconcileMode mode,
        IReadOnlyCollection<string> targets, EngineResult result, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(global);
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(time);
        if (result.Plan is not { } plan) return;
        string provider;
        try
        {
            provider = global.Providers.Resolve(parse.GetValue(global.Provider), env.ForProviders).Name;
        }
        catch (Core.Providers.ProviderException)
        {
            // A host the composition chose without a provider name (a test's fake host): nothing to record it under.
            return;
        }
        var labfile = Path.GetFullPath(project.Labfile.Path, env.WorkingDirectory);
        var registry = new LabRegistry(LabRegistry.DefaultPath(env.GetVariable));
        try
        {
            if (mode is ReconcileMode.Up or ReconcileMode.Reload)
                registry.Record(new RegisteredLab(plan.Lab, project.ProjectDirectory, labfile, provider, time.GetUtcNow()));
            else if (mode is ReconcileMode.Down && targets.Count == 0 && result.Outcome is EngineOutcome.Done or EngineOutcome.NothingToDo)
                registry.Forget(labfile, provider);
        }
        catch (LabRunnerException e)
        {
            env.Error.WriteLine($"lab: warning: {e.Message} 'lab global-status' may not show this lab as it is.");
        }
    }

    /// <summary>Why a recorded lab no longer exists here (its folder or Labfile is gone); null while it does.</summary>
    private static string? Gone(RegisteredLab lab) =>
        !Directory.Exists(lab.ProjectDirectory) ? "its project folder is gone"
        : !File.Exists(lab.LabfilePath) ? "its Labfile is gone"
        : null;

    /// <summary>The lab's VMs and states, read as 'lab status' reads them (no engine lock is taken); any failure becomes the line's reason.</summary>
    private static async Task<LabLine> ReadAsync(RegisteredLab lab, string registry, CliEnvironment env, Services services, CancellationToken ct)
    {
        if (Gone(lab) is { } gone)
            return new LabLine(lab, registry, "gone", [], gone);
        try
        {
            if (services.Providers.Find(lab.Provider) is not { } descriptor)
                return new LabLine(lab, registry, "present", [], $"unknown: it was made with provider '{OutsideText.Escape(lab.Provider)}', which this LabRunner does not know");
            var project = LabBoxes.WithStore(LabProject.Open(lab.LabfilePath, lab.ProjectDirectory, env.GetVariable, descriptor.Rules), env, descriptor.Boxes);
            var host = services.OpenHost(lab.Provider, project, env);
            var engine = new LabEngine(project, host.Provider, host.LockPath, services.Seeds(project, env), new ConsoleReporter(env, quiet: true));
            var status = await engine.StatusAsync(ct).ConfigureAwait(false);
            if (status.Plan is null)
                return new LabLine(lab, registry, "present", [], "its Labfile is invalid now ('lab validate' in its folder says why)");
            var vms = status.Vms.Select(v => (v.Name, v.State.Name())).Concat(status.Strays.Select(s => (s, "not in the Labfile"))).ToImmutableArray();
            return new LabLine(lab, registry, "present", vms, null);
        }
        catch (LabRunnerException e)
        {
            return new LabLine(lab, registry, "present", [], $"unknown: {e.Message}");
        }
    }

    private static string Colour(string state) => state switch
    {
        "running" => "[green]running[/]",
        "not_created" => "[grey]not_created[/]",
        _ => $"[yellow]{Markup.Escape(state)}[/]",
    };

    private static void Write(Utf8JsonWriter json, List<LabLine> lines, List<RegisteredLab> forgotten)
    {
        json.WriteStartArray("labs");
        foreach (var line in lines)
        {
            json.WriteStartObject();
            json.WriteString("lab", line.Lab.Lab);
            json.WriteString("provider", line.Lab.Provider);
            json.WriteString("project", line.Lab.ProjectDirectory);
            json.WriteString("labfile", line.Lab.LabfilePath);
            json.WriteString("registry", line.Registry);
            // present: the project is there; gone: its folder or Labfile is not.
            json.WriteString("project_state", line.Condition);
            json.WriteStringOrNull("reason", line.Reason);
            json.WriteStartArray("vms");
            foreach (var (name, state) in line.Vms)
            {
                json.WriteStartObject();
                json.WriteString("name", name);
                json.WriteString("state", state);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteStartArray("forgotten");
        foreach (var lab in forgotten)
        {
            json.WriteStartObject();
            json.WriteString("lab", lab.Lab);
            json.WriteString("provider", lab.Provider);
            json.WriteString("project", lab.ProjectDirectory);
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }
}
