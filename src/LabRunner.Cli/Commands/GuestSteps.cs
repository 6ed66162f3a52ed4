using System.Collections.Immutable;
using System.CommandLine;
using System.Globalization;
using LabRunner.Cli.Rendering;
using LabRunner.Core.Hosting;
using LabRunner.Core.Planning;
using LabRunner.Core.Providers;
using LabRunner.Engine;
using LabRunner.Engine.Guests;

namespace LabRunner.Cli.Commands;

/// <summary>The options 'up' and 'reload' share for what happens in the guests after they start.</summary>
public sealed class GuestOptions
{
    public Option<bool> NoWait { get; } = new("--no-wait") { Description = "Return right after the VMs start, without waiting for SSH and cloud-init (and without provisioning)" };

    public Option<bool> Provision { get; } = new("--provision") { Description = "Run the provisioners also on VMs that were already running" };

    public Option<bool> NoProvision { get; } = new("--no-provision") { Description = "Wait for the guests but run no provisioners" };

    public void AddTo(Command command)
    {
        command.Add(NoWait);
        command.Add(Provision);
        command.Add(NoProvision);
        command.Validators.Add(result =>
        {
            if (result.GetValue(Provision) && result.GetValue(NoProvision))
                result.AddError("--provision and --no-provision contradict each other");
        });
    }
}

/// <summary>
/// After the host work of 'up' / 'reload': wait until every VM the run concerned is ready, in parallel,
/// and run its provisioners (on the VMs this run started, or every running one with --provision).
/// </summary>
public static class GuestSteps
{
    /// <returns>The exit code for the guests (0 when none failed) and each VM's outcome; no outcomes when nothing was waited for.</returns>
    public static async Task<(int Exit, ImmutableArray<GuestOutcome> Guests)> AfterStartAsync(ParseResult parse, GuestOptions options, EngineResult result, LabProject project, Services services,
        ProviderHost host, CliEnvironment env, bool quiet, IReadOnlySet<string> targets, CancellationToken ct)
    {
        if (result.Plan is null || result.Outcome is not (EngineOutcome.Done or EngineOutcome.NothingToDo) || host.Provider.Capability<IGuestBoot>() is null)
            return (ExitCodes.Success, []);
        var started = result.Reconciliation?.All.OfType<StartVm>().Select(s => s.VmName).ToHashSet(StringComparer.OrdinalIgnoreCase) ?? [];
        var created = result.Reconciliation?.All.OfType<CreateVm>().Select(s => s.VmName).ToHashSet(StringComparer.OrdinalIgnoreCase) ?? [];
        var startedVms = result.Plan.Vms.Where(v => started.Contains(v.HostVmName) || created.Contains(v.HostVmName)).Select(v => v.Name).ToList();
        var createdVms = result.Plan.Vms.Where(v => created.Contains(v.HostVmName)).Select(v => v.Name).ToList();
        // Whatever comes next, a VM this run (re)started has not been seen ready since; and a VM made anew has run
        // nothing yet, whatever state.json remembers of an earlier VM of that name.
        var state = ProjectState.Update(project.StateDirectory, s => s.SetReady(startedVms, ready: false) | s.ForgetProvisioned(createdVms));
        if (parse.GetValue(options.NoWait)) return (ExitCodes.Success, []);
        var requests = Requests(result, targets, startedVms, state.ReadyVms,
            provisionAll: parse.GetValue(options.Provision), provisionNone: parse.GetValue(options.NoProvision));
        return await WaitAsync(project, services, host.Provider, env, quiet, result.Plan, requests, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The VMs to wait for after 'up'/'reload' (in the Labfile's order): of the VMs the command concerned and did not fail,
    /// those it started, those never seen ready since they last started (after --no-wait, an interrupted 'up', a start
    /// outside LabRunner), and with --provision every one. Provisioners run on the started ones, or all with --provision.
    /// </summary>
    public static IReadOnlyList<GuestRequest> Requests(EngineResult result, IReadOnlySet<string> targets, IReadOnlyCollection<string> started,
        IReadOnlyCollection<string> ready, bool provisionAll, bool provisionNone)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(targets);
        var failed = result.VmOutcomes.Where(o => o.Kind is not (VmOutcomeKind.Done or VmOutcomeKind.NothingToDo)).Select(o => o.Vm).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return
        [
            .. (result.Plan?.Vms ?? [])
                .Where(v => (targets.Count == 0 || targets.Contains(v.Name, StringComparer.OrdinalIgnoreCase)) && !failed.Contains(v.Name))
                .Where(v => provisionAll || started.Contains(v.Name, StringComparer.OrdinalIgnoreCase) || !ready.Contains(v.Name, StringComparer.OrdinalIgnoreCase))
                .Select(v => new GuestRequest(v.Name, !provisionNone && (provisionAll || started.Contains(v.Name, StringComparer.OrdinalIgnoreCase)))),
        ];
    }

    /// <summary>
    /// Waits for (and provisions) <paramref name="requests"/>; prints each failure; exit 3 when any VM failed.
    /// <paramref name="provider"/>'s capabilities are used where it has them: a way into Windows guests without a network
    /// (PowerShell Direct), the VMs' consoles for a guest that did not become ready.
    /// </summary>
    public static async Task<int> RunAsync(LabProject project, Services services, IHostProvider? provider, CliEnvironment env, bool quiet, LabPlan plan,
        IReadOnlyList<GuestRequest> requests, CancellationToken ct) =>
        (await WaitAsync(project, services, provider, env, quiet, plan, requests, ct).ConfigureAwait(false)).Exit;

    internal static async Task<(int Exit, ImmutableArray<GuestOutcome> Guests)> WaitAsync(LabProject project, Services services, IHostProvider? provider, CliEnvironment env, bool quiet, LabPlan plan,
        IReadOnlyList<GuestRequest> requests, CancellationToken ct)
    {
        if (requests.Count == 0) return (ExitCodes.Success, []);
        var loaded = project.Load();
        if (loaded.Lab is null) return (ExitCodes.InvalidLabfile, []);
        if (!quiet) env.Stdout.WriteLine($"==> guests: waiting for {string.Join(", ", requests.Select(r => r.Vm))}");
        var direct = provider?.Capability<IDirectGuestAccess>() is { } access ? new DirectGuests(access, () => AdminPassword(env)) : null;
        Task<ImmutableArray<GuestOutcome>> Work(IGuestReporter reporter) =>
            new GuestWork(project, services.GuestConnector, services.Time, reporter) { Direct = direct, ConsoleLog = provider?.Capability<IConsoleLog>() }.RunAsync(loaded.Lab, plan, requests, ct);
        // A live row per VM on a terminal; plain lines when redirected. Failures and cloud-init's problems follow either way.
        var outcomes = !quiet && LiveReporter.Suits(env)
            ? await LiveGuestReporter.RunAsync(env, services.Time, requests.Select(r => r.Vm), Work).ConfigureAwait(false)
            : await Work(new GuestLineReporter(env, quiet)).ConfigureAwait(false);
        foreach (var o in outcomes)
        {
            switch (o.Phase)
            {
                case GuestPhase.Ready when !quiet:
                    var boot = o.ReachableAfter is { } r ? $", SSH answered after {Seconds(r)}" : "";
                    env.Stdout.WriteLine($"{o.Vm}: ready after {Seconds(o.ReadyAfter ?? o.Elapsed)}{boot}");
                    foreach (var line in o.Problems) env.Error.WriteLine($"  {o.Vm}: cloud-init: {line}");
                    break;
                case GuestPhase.Unreachable:
                    env.Error.WriteLine($"{o.Vm}: {o.Error}");
                    break;
                case GuestPhase.Failed:
                    env.Error.WriteLine($"lab: {o.Vm}: {o.Error}");
                    foreach (var line in o.Problems) env.Error.WriteLine($"  {o.Vm}| {line}");
                    break;
            }
        }
        // Seen ready once (even if a provisioner failed later): the next idle 'lab up' need not wait for it again.
        ProjectState.Update(project.StateDirectory, s =>
            s.SetReady(outcomes.Where(o => o.ReadyAfter is not null).Select(o => o.Vm), ready: true)
            | s.SetReady(outcomes.Where(o => o.ReadyAfter is null).Select(o => o.Vm), ready: false));
        return (outcomes.Any(o => o.Phase == GuestPhase.Failed) ? ExitCodes.HostFailure : ExitCodes.Success, outcomes);
    }

    /// <summary>The "guests" array of 'up --json' / 'reload --json': each VM waited for, how far it got and when.</summary>
    public static void WriteJson(System.Text.Json.Utf8JsonWriter json, ImmutableArray<GuestOutcome> guests)
    {
        json.WriteStartArray("guests");
        foreach (var g in guests)
        {
            json.WriteStartObject();
            json.WriteString("vm", g.Vm);
            json.WriteString("state", GuestLineReporter.Name(g.Phase).Replace(' ', '_'));
            json.WriteStringOrNull("error", g.Error);
            WriteSeconds(json, "reachable_after_s", g.ReachableAfter);
            WriteSeconds(json, "ready_after_s", g.Phase == GuestPhase.Ready ? g.ReadyAfter ?? g.Elapsed : null);
            WriteSeconds(json, "elapsed_s", g.Elapsed);
            json.WriteStringOrNull("ready_at", g.ReadyAt?.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            json.WriteStartArray("problems");
            foreach (var p in g.Problems) json.WriteStringValue(p);
            json.WriteEndArray();
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    private static void WriteSeconds(System.Text.Json.Utf8JsonWriter json, string name, TimeSpan? value)
    {
        if (value is { } v) json.WriteNumber(name, Math.Round(v.TotalSeconds, 3));
        else json.WriteNull(name);
    }

    /// <summary>The Windows guests' administrator password, as 'lab up' asked for it for their seeds.</summary>
    private static string AdminPassword(CliEnvironment env) =>
        ProjectSecrets.AdminPassword(env.GetVariable,
            env.ReadSecret is { } ask ? () => ask($"Administrator password for the lab's Windows VMs ({ProjectSecrets.AdminPasswordVariable} is not set):") : null);

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s";

    /// <summary>
    /// Refuses a command that needs guests on a host that boots none (the simulated host), in the same words for
    /// 'provision', 'up/reload --provision' and 'ssh'.
    /// </summary>
    public static void RequireGuests(ProviderHost host, string nothing)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (host.Provider.Capability<IGuestBoot>() is null)
            throw new UsageException($"{host.Provider.Description} boots no guests, so there is {nothing}");
    }

    /// <summary>The lab's VMs as the host has them now, for ssh, ssh-config and provision; names checked against the Labfile.</summary>
    public static async Task<(LabPlan Plan, ImmutableArray<VmStatus> Vms)?> StatusAsync(LabEngine engine, CliEnvironment env, ParseResult parse, IReadOnlyCollection<string> names, CancellationToken ct)
    {
        var status = await engine.StatusAsync(ct).ConfigureAwait(false);
        if (DiagnosticPrinter.Failed(status.Diagnostics, status.Plan, env, parse)) return null;
        var unknown = names.Where(n => !status.Vms.Any(v => string.Equals(v.Name, n, StringComparison.OrdinalIgnoreCase))).ToList();
        if (unknown.Count > 0)
            throw new UsageException($"no VM named {string.Join(", ", unknown.Select(u => $"'{u}'"))} in the Labfile (it has {string.Join(", ", status.Vms.Select(v => v.Name))})");
        var chosen = names.Count == 0 ? status.Vms : [.. status.Vms.Where(v => names.Contains(v.Name, StringComparer.OrdinalIgnoreCase))];
        return (status.Plan!, chosen);
    }
}
