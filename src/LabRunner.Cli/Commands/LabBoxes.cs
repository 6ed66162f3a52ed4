using System.CommandLine;
using LabRunner.Boxes;
using LabRunner.Cli.Rendering;
using LabRunner.Core.Boxes;
using LabRunner.Core.Diagnostics;
using LabRunner.Core.Errors;
using LabRunner.Core.Labfile;
using LabRunner.Core.Providers;
using LabRunner.Engine;
using LabRunner.Engine.Lifecycle;

namespace LabRunner.Cli.Commands;

/// <summary>
/// A lab's store boxes and the user's box store: where the engine finds them, adding the missing 'url' ones
/// before 'lab up' creates anything, and recording which labs use which box versions.
/// </summary>
public static class LabBoxes
{
    /// <summary>
    /// The Labfile's project (-f, or the working folder's), with the user's box store for this command line's provider:
    /// what plan, validate and every host command open.
    /// </summary>
    public static LabProject Open(ParseResult parse, GlobalOptions global, CliEnvironment env)
    {
        ArgumentNullException.ThrowIfNull(global);
        ArgumentNullException.ThrowIfNull(env);
        // Planned by the rules of the provider named (or this machine's); the engine plans again with its host's.
        var rules = global.Providers.ForPlanning(parse.GetValue(global.Provider), env.ForProviders, refuseUnknown: false).Rules;
        var project = LabProject.Open(parse.GetValue(global.File), env.WorkingDirectory, env.GetVariable, rules);
        NoteLocal(project, env, parse);
        return WithStore(project, env, Target(parse, global, env));
    }

    /// <summary>Says on stderr (not with --json) that a Labfile.local.yml is merged: what it changes is nowhere in the Labfile.</summary>
    public static void NoteLocal(LabProject project, CliEnvironment env, ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(env);
        if (project.Local is { } local && !Json.Requested(parse))
            env.Error.WriteLine($"lab: note: {local.Path} is merged over {project.Labfile.Path}");
    }

    /// <summary>The project with the user's box store for <paramref name="target"/>: its store boxes (by 'url', by 'version', by name alone) resolve there.</summary>
    public static LabProject WithStore(LabProject project, CliEnvironment env, BoxSupport target)
    {
        ArgumentNullException.ThrowIfNull(project);
        var store = BoxStore.ForHome(BoxStore.DefaultHome(env.GetVariable));
        // How the engine finds a store box: the newest installed version that fits the Labfile's constraint.
        return project.WithBoxStore(target.StoreName,
            box => store.Find(box.Name, Constraint(box), target) is { } found
                ? new StoreBox(found.DiskPath, found.Name, found.Version, found.Provider)
                : null,
            () => [.. store.List().Where(b => b.Provider == target.StoreName).Select(b => b.Name).Distinct(StringComparer.Ordinal)]);
    }

    private static VersionConstraint Constraint(BoxDefinition box) => box.Version ?? VersionConstraint.Any;

    /// <summary>
    /// Adds every 'url' box a VM of the lab uses that the store does not have (with progress), so that
    /// 'lab up' creates nothing before its boxes are there. A Labfile with errors is left to the engine to report.
    /// </summary>
    /// <returns>Why a box could not be added; null when all are there.</returns>
    public static async Task<LabRunnerException?> EnsureAsync(LabProject project, CliEnvironment env, BoxSupport target, bool json, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(project);
        var loaded = project.Load();
        if (loaded.HasErrors || loaded.Lab is not { } lab) return null;
        var missing = UrlBoxesUsed(lab).Where(b => project.StoreBoxOf(lab, b.Name) is null).ToList();
        if (missing.Count == 0) return null;
        var service = BoxCommands.Service(env, [target]);
        try
        {
            foreach (var box in missing)
            {
                var request = new BoxAddRequest(box.Name, box.Url!)
                {
                    Version = Constraint(box),
                    Checksum = box.Checksum,
                    // The lab's provider, converting when the box was made for another: 'lab up' needs it there.
                    Target = target,
                    HostTarget = target,
                };
                if (!json) env.Stdout.WriteLine($"==> Adding box '{box.Name}' from {BoxSource.Display(box.Url!)}");
                var added = await BoxCommands.WithProgress(env, json, reporter => service.AddAsync(request, reporter, ct)).ConfigureAwait(false);
                if (!json) env.Stdout.WriteLine($"    box '{added.Box.Name}' {added.Box.Manifest.Version} ({added.Box.Provider}, {added.Box.Manifest.Format}) is in the store");
            }
            return null;
        }
        catch (BoxException e)
        {
            return e;
        }
    }

    /// <summary>Says that a box 'lab up' needs could not be added, and that nothing was created; returns the exit code.</summary>
    public static int RenderFailure(CliEnvironment env, LabRunnerException failure, bool json)
    {
        ArgumentNullException.ThrowIfNull(env);
        var (code, outcome) = LabApp.ExitOf(failure);
        var message = OutsideText.Escape(failure.Message, int.MaxValue);
        env.Error.WriteLine($"lab: {message}");
        env.Error.WriteLine("Nothing was created: 'lab up' adds a lab's boxes before anything else.");
        if (json) Json.WriteFailure(env, "up", outcome, code, message, []);
        return code;
    }

    /// <summary>Records in the store that this lab uses its store boxes (after 'up'), or nothing any more (after 'down').</summary>
    public static async Task RecordUsesAsync(LabProject project, CliEnvironment env, bool released, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(project);
        var loaded = project.Load();
        if (loaded.Lab is not { } lab) return;
        var uses = released ? [] : project.StoreBoxesUsed(lab).Select(b => project.StoreBoxOf(lab, b.Name)).OfType<StoreBox>()
            .Select(b => new BoxUse(b.Name, b.Version, b.Provider)).ToList();
        if (uses.Count == 0 && !released) return;
        var store = BoxStore.ForHome(BoxStore.DefaultHome(env.GetVariable));
        try
        {
            await store.RecordUsesAsync(project.ProjectDirectory, lab.Name, uses, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or BoxException)
        {
            env.Error.WriteLine($"lab: warning: could not record this lab's boxes in the box store: {e.Message}");
        }
    }

    /// <summary>
    /// The store boxes the lab's VMs use ('url' boxes, 'version'-only entries, names alone), each with the
    /// store's version that fits its constraint (null: 'lab up' adds it from its 'url').
    /// </summary>
    public static IReadOnlyList<PlannedBox> Planned(LabProject project, LabDefinition lab)
    {
        ArgumentNullException.ThrowIfNull(project);
        return [.. project.StoreBoxesUsed(lab).Select(b => new PlannedBox(b.Name, b.Url, b.Version?.Text, project.StoreBoxOf(lab, b.Name)))];
    }

    private static IEnumerable<BoxDefinition> UrlBoxesUsed(LabDefinition lab) =>
        lab.Boxes.Where(b => b.Url is not null && lab.Vms.Any(v => string.Equals(v.Box, b.Name, StringComparison.OrdinalIgnoreCase)));

    /// <summary>The provider boxes are installed for, for this command line.</summary>
    public static BoxSupport Target(ParseResult parse, GlobalOptions global, CliEnvironment env) => BoxCommands.Target(parse, global, env);
}

/// <summary>The user's box store as a lab's lifecycle uses it: boxes added before 'up', uses recorded after.</summary>
internal sealed class StoreBoxes(CliEnvironment env, BoxSupport target, bool json) : ILabBoxes
{
    public Task<LabRunnerException?> EnsureAsync(LabProject project, CancellationToken cancellationToken) =>
        LabBoxes.EnsureAsync(project, env, target, json, cancellationToken);

    public Task RecordUsesAsync(LabProject project, bool released, CancellationToken cancellationToken) =>
        LabBoxes.RecordUsesAsync(project, env, released, cancellationToken);
}

/// <summary>
/// A store box as 'plan' shows it: the Labfile's name, URL (null for a box the store must already have) and
/// constraint, and the installed version that fits, if any.
/// </summary>
public sealed record PlannedBox(string Name, string? Url, string? Constraint, StoreBox? Stored);
