using System.Collections.Immutable;
using System.CommandLine;
using System.Globalization;
using LabRunner.Cli.Rendering;
using LabRunner.Core.Hosting;
using LabRunner.Core.Planning;
using LabRunner.Core.Providers;
using LabRunner.Engine;
using LabRunner.Engine.Guests;
using LabRunner.Engine.Lifecycle;
using LabRunner.Guest.Access;

namespace LabRunner.Cli.Commands;

/// <summary>The options 'up' and 'reload' share for what happens in the guests after they start.</summary>
public sealed class GuestOptions
{
    public Option<bool> NoWait { get; } = new("--no-wait") { Description = "Return right after the VMs start, without waiting for SSH and cloud-init (and without provisioning)" };

    public Option<bool> Provision { get; } = new("--provision") { Description = "Run the provisioners also on VMs that were already running" };

    public Option<bool> NoProvision { get; } = new("--no-provision") { Description = "Wait for the guests but run no provisioners" };

    /// <summary>What this command line asks of the guests after they start.</summary>
    public GuestPolicy Policy(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        return new GuestPolicy(parse.GetValue(NoWait), ProvisionAll: parse.GetValue(Provision), ProvisionNone: parse.GetValue(NoProvision));
    }

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
/// The guests' part of 'up', 'reload' and 'provision' as the CLI shows it: how LabRunner reaches guests, and each
/// VM's outcome once the Engine's guest stage (<see cref="GuestStage"/>) is done.
/// </summary>
public static class GuestSteps
{
    /// <summary>How LabRunner reaches this command's guests: the services' connector and clock, and the administrator password asked for here.</summary>
    public static GuestAccess Access(Services services, CliEnvironment env)
    {
        ArgumentNullException.ThrowIfNull(services);
        return new GuestAccess(services.GuestConnector, services.Time, () => AdminPassword(env))
        {
            OpenSharedConnection = services.Start is { } start ? target => start("ssh", OpenSsh.MasterArguments(target), env) : null,
        };
    }

    /// <summary>Waits for (and provisions) <paramref name="requests"/> through the Engine's guest stage; prints each failure; exit 3 when any VM failed.</summary>
    internal static async Task<(int Exit, ImmutableArray<GuestOutcome> Guests)> WaitAsync(LabProject project, Services services, IHostProvider? provider, CliEnvironment env, bool quiet, LabPlan plan,
        IReadOnlyList<GuestRequest> requests, CancellationToken ct)
    {
        var stage = await new GuestStage(project, provider, Access(services, env))
            .RunAsync(plan, requests, new LifecycleView(env, services.Time, quiet, liveHost: false), ct).ConfigureAwait(false);
        return (Report(env, quiet, stage), stage.Outcomes);
    }

    /// <summary>Prints each VM's outcome (ready lines only without <paramref name="quiet"/>, failures always); returns the guests' exit code.</summary>
    public static int Report(CliEnvironment env, bool quiet, GuestStageResult stage)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(stage);
        if (stage.LabfileInvalid) return ExitCodes.InvalidLabfile;
        foreach (var o in stage.Outcomes)
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
        return stage.AnyFailed ? ExitCodes.HostFailure : ExitCodes.Success;
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
        NoGuestsException.ThrowUnlessBooted(host.Provider, nothing);
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

    /// <summary>
    /// The chosen VMs that run, for 'provision' and 'sync': a VM that does not is refused when it was named, and
    /// otherwise reported as skipped.
    /// </summary>
    public static List<VmStatus> RunningOnly(ImmutableArray<VmStatus> chosen, IReadOnlyCollection<string> names, CliEnvironment env)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(env);
        foreach (var vm in chosen.Where(v => v.State != LabVmState.Running))
        {
            if (names.Count > 0) throw new UsageException($"VM '{vm.Name}' is {vm.State.Words()}; 'lab up {vm.Name}' starts it");
            env.Error.WriteLine($"{vm.Name}: {vm.State.Words()}, skipped");
        }
        return [.. chosen.Where(v => v.State == LabVmState.Running)];
    }

    /// <summary>
    /// Whether the Labfile names a file or folder that is not there, as diagnostic <paramref name="code"/> (a provisioner's
    /// file, a synced folder), printed at its position: then the command stops before any guest is touched.
    /// </summary>
    public static bool MissingFiles(LabProject project, string code, CliEnvironment env, ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(project);
        var missing = project.PlanCheckingBoxFiles().Diagnostics.Where(d => d.Code == code).ToList();
        return missing.Count > 0 && DiagnosticPrinter.Failed(missing, (object?)null, env, parse);
    }
}
