using System.Collections.Immutable;
using LabRunner.Core.Errors;
using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Core.Planning;
using LabRunner.Engine.Sync;
using LabRunner.Guest.Access;

namespace LabRunner.Engine.Guests;

/// <summary>One VM to bring to ready, and whether its provisioners run once it is.</summary>
public sealed record GuestRequest(string Vm, bool Provision);

/// <summary>
/// How Windows guests are reached where the provider has a direct channel (Hyper-V: PowerShell Direct), and
/// the administrator password the lab's unattend.xml gave them (asked for only when a Windows guest is waited for).
/// </summary>
public sealed record DirectGuests(IDirectGuestAccess Access, Func<string> AdminPassword)
{
    /// <summary>The account LabRunner uses: the built-in Administrator, whose password unattend.xml sets and which it logs on as.</summary>
    public const string User = "Administrator";
}

/// <summary>
/// After <c>lab up</c> / <c>reload</c> (and for <c>lab provision</c>): every requested VM is waited for in
/// parallel, then provisioned. One VM's failure or timeout never stops the others.
/// </summary>
public sealed class GuestWork(LabProject project, IGuestConnector connector, TimeProvider time, IGuestReporter reporter)
{
    /// <summary>Lines of the console log shown after a timeout.</summary>
    public const int ConsoleTailLines = 25;

    /// <summary>How the error of a VM with no host-reachable address begins; the reason follows.</summary>
    public const string UnreachablePrefix = "started, not reachable from the host: ";

    /// <summary>Windows guests are waited for and provisioned through this, when the provider has one.</summary>
    public DirectGuests? Direct { get; init; }

    /// <summary>Where a guest that did not become ready shows why, when the provider keeps its VMs' consoles.</summary>
    public IConsoleLog? ConsoleLog { get; init; }

    /// <summary>
    /// How a guest that hung in its firmware after a restart is reset once (<see cref="RestartHangWatch"/>), when the
    /// provider can (with <see cref="ConsoleLog"/> to see the hang).
    /// </summary>
    public IVmReset? Reset { get; init; }

    /// <summary>How long a console may stay silent after a restart line before the VM counts as hung.</summary>
    public TimeSpan RestartSilence { get; init; } = RestartHangWatch.DefaultSilence;

    private Lazy<string>? _password;

    public async Task<ImmutableArray<GuestOutcome>> RunAsync(LabDefinition lab, LabPlan plan, IEnumerable<GuestRequest> requests, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lab);
        ArgumentNullException.ThrowIfNull(plan);
        GuestAccessFiles.WriteKnownHosts(project.StateDirectory, plan);
        var tasks = requests.Select(r => GuardedAsync(lab, plan, r, cancellationToken)).ToList();
        return [.. await Task.WhenAll(tasks).ConfigureAwait(false)];
    }

    /// <summary>
    /// One VM's work, whatever it throws: an error fails that VM alone with its reason, so every other VM still
    /// finishes and every VM has an outcome. Only Ctrl+C ends the whole run.
    /// </summary>
    private async Task<GuestOutcome> GuardedAsync(LabDefinition lab, LabPlan plan, GuestRequest request, CancellationToken ct)
    {
        var start = time.GetTimestamp();
        try
        {
            return await OneAsync(lab, plan, request, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (!(ex is OperationCanceledException && ct.IsCancellationRequested))
        {
            var elapsed = time.GetElapsedTime(start);
            reporter.Phase(request.Vm, GuestPhase.Failed, elapsed);
            return new GuestOutcome(request.Vm, GuestPhase.Failed, Reason(ex), [], elapsed);
        }
    }

    /// <summary>A failure's reason as the user reads it: LabRunner's own errors say it; anything else is named as the bug it is.</summary>
    public static string Reason(Exception ex) =>
        ex is LabRunnerException or IOException or UnauthorizedAccessException
            ? ex.Message
            : $"{ex.GetType().Name}: {ex.Message} (this is a bug in LabRunner; please report it)";

    private async Task<GuestOutcome> OneAsync(LabDefinition lab, LabPlan plan, GuestRequest request, CancellationToken ct)
    {
        // Every VM starts on a thread of its own: a slow first connection must not hold the others back.
        await Task.Yield();
        var vm = plan.Vms.First(v => string.Equals(v.Name, request.Vm, StringComparison.OrdinalIgnoreCase));
        var definition = lab.Vms.First(v => string.Equals(v.Name, vm.Name, StringComparison.OrdinalIgnoreCase));
        if (vm.Os == GuestOs.Windows)
            return Direct is { } direct
                ? await WindowsAsync(direct, vm, definition, request, ct).ConfigureAwait(false)
                : Unreachable(vm.Name, "started; Windows guests are waited for through PowerShell Direct, which only the Hyper-V provider has");
        var endpoint = GuestEndpoint.Of(vm);
        if (endpoint.Address is not { } address)
            return Unreachable(vm.Name, UnreachablePrefix + endpoint.Unreachable);

        if (LoginFor(project, plan, vm, address) is not { } login)
            return new GuestOutcome(vm.Name, GuestPhase.Failed, MissingKey(project), [], TimeSpan.Zero);

        var readiness = new GuestReadiness(connector, time, reporter);
        var start = time.GetTimestamp();
        var (outcome, session) = await WaitWatchedAsync(readiness, login, vm, TimeSpan.FromSeconds(definition.BootTimeoutSeconds), ct).ConfigureAwait(false);
        if (session is null) return outcome;
        await using (session.ConfigureAwait(false))
        {
            if (await PushAsync(outcome, vm, new SshPushTransport(session), start, ct).ConfigureAwait(false) is { } failed) return failed;
            return await ProvisionAsync(outcome, request, definition, new SshProvisionTransport(session), start, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The readiness wait, with the guest's console watched beside it where the provider keeps one and can reset a VM:
    /// a first hang in the firmware after a restart gets a hard reset, a second fails the VM with its console tail.
    /// </summary>
    private async Task<(GuestOutcome Outcome, IGuestSession? Session)> WaitWatchedAsync(GuestReadiness readiness, GuestLogin login, VmPlan vm, TimeSpan timeout, CancellationToken ct)
    {
        if (ConsoleLog is not { } console || Reset is not { } reset)
            return await readiness.WaitAsync(login, timeout, () => ConsoleTail(vm.HostVmName), ct).ConfigureAwait(false);
        var start = time.GetTimestamp();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var hang = new RestartHangWatch(console, reset, time, reporter, vm.Name, vm.HostVmName) { Silence = RestartSilence }.WatchAsync(stop.Token);
        var wait = readiness.WaitAsync(login, timeout, () => ConsoleTail(vm.HostVmName), stop.Token);
        if (await Task.WhenAny(wait, hang).ConfigureAwait(false) == hang && hang.IsCompletedSuccessfully)
        {
            await stop.CancelAsync().ConfigureAwait(false);
            try
            {
                if ((await wait.ConfigureAwait(false)).Session is { } late) await late.DisposeAsync().ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                // The wait was ended for the hang.
            }
            var elapsed = time.GetElapsedTime(start);
            reporter.Phase(vm.Name, GuestPhase.Failed, elapsed);
            return (new GuestOutcome(vm.Name, GuestPhase.Failed, "not ready: " + await hang.ConfigureAwait(false), [.. ConsoleTail(vm.HostVmName)], elapsed), null);
        }
        try
        {
            return await wait.ConfigureAwait(false);
        }
        finally
        {
            // The watch ends with the wait, however the wait ended.
            await stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await hang.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    /// <summary>How LabRunner logs in to <paramref name="vm"/> at <paramref name="address"/>: the lab's key and the host key it pinned; null without the key.</summary>
    public static GuestLogin? LoginFor(LabProject project, LabPlan plan, VmPlan vm, Core.Net.Ipv4Address address)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(vm);
        var identity = GuestAccessFiles.IdentityPath(project.StateDirectory);
        if (!File.Exists(identity)) return null;
        return new GuestLogin(vm.Name, address, GuestEndpoint.SshPort, vm.User, File.ReadAllText(identity),
            HostKeys.Load(project.StateDirectory, plan.Lab, vm.Name)?.PublicKey);
    }

    public static string MissingKey(LabProject project) =>
        $"the lab's SSH key {GuestAccessFiles.IdentityPath((project ?? throw new ArgumentNullException(nameof(project))).StateDirectory)} is missing; 'lab up' makes it with the VM's seed";

    /// <summary>PowerShell Direct: ready when it answers as the Administrator; provisioners run through it.</summary>
    private async Task<GuestOutcome> WindowsAsync(DirectGuests direct, VmPlan vm, VmDefinition definition, GuestRequest request, CancellationToken ct)
    {
        string password;
        try
        {
            // Once for all VMs: a prompt must not be shown per VM.
            Interlocked.CompareExchange(ref _password, new Lazy<string>(direct.AdminPassword), null);
            password = _password.Value;
        }
        catch (ProjectInputException ex)
        {
            reporter.Phase(vm.Name, GuestPhase.Failed, TimeSpan.Zero);
            return new GuestOutcome(vm.Name, GuestPhase.Failed, ex.Message, [], TimeSpan.Zero);
        }
        var guest = new DirectGuest(vm.HostVmName, DirectGuests.User, password);
        var start = time.GetTimestamp();
        var outcome = await new DirectGuestReadiness(direct.Access, time, reporter)
            .WaitAsync(vm.Name, guest, TimeSpan.FromSeconds(definition.BootTimeoutSeconds), () => ConsoleTail(vm.HostVmName), ct).ConfigureAwait(false);
        if (!outcome.Succeeded) return outcome;
        if (await PushAsync(outcome, vm, new DirectPushTransport(direct.Access, guest), start, ct).ConfigureAwait(false) is { } failed) return failed;
        return await ProvisionAsync(outcome, request, definition, new DirectProvisionTransport(direct.Access, guest), start, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The VM's push folders, once it is ready and before its provisioners (which may use them): one line each. A
    /// failed push fails the VM (its provisioners would miss the files); null when every folder was pushed.
    /// </summary>
    private async Task<GuestOutcome?> PushAsync(GuestOutcome outcome, VmPlan vm, IPushTransport transport, long start, CancellationToken ct)
    {
        foreach (var folder in FolderPush.PushFolders(vm))
        {
            try
            {
                var result = await new FolderPush(project, time).PushAsync(vm.Name, folder, transport, ct).ConfigureAwait(false);
                reporter.Output(vm.Name, "synced " + result.Line, error: false);
            }
            catch (Exception ex) when (!(ex is OperationCanceledException && ct.IsCancellationRequested))
            {
                var elapsed = time.GetElapsedTime(start);
                reporter.Phase(vm.Name, GuestPhase.Failed, elapsed);
                return outcome with { Phase = GuestPhase.Failed, Error = $"synced folder {folder.HostPath} -> {folder.GuestPath}: {Reason(ex)}", Elapsed = elapsed };
            }
        }
        return null;
    }

    private async Task<GuestOutcome> ProvisionAsync(GuestOutcome outcome, GuestRequest request, VmDefinition definition, IProvisionTransport transport, long start, CancellationToken ct)
    {
        if (!request.Provision || definition.Provisioners.IsEmpty) return outcome;
        reporter.Phase(definition.Name, GuestPhase.Provisioning, time.GetElapsedTime(start));
        string? failure;
        try
        {
            failure = await new ProvisionRunner(project, reporter).RunAsync(definition, transport, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (!(ex is OperationCanceledException && ct.IsCancellationRequested))
        {
            // The guest was ready (its outcome keeps when): only its provisioning failed.
            failure = "provisioning failed: " + Reason(ex);
        }
        var final = failure is null ? GuestPhase.Ready : GuestPhase.Failed;
        reporter.Phase(definition.Name, final, time.GetElapsedTime(start));
        return outcome with { Phase = final, Error = failure, Elapsed = time.GetElapsedTime(start) };
    }

    private GuestOutcome Unreachable(string vm, string why)
    {
        reporter.Phase(vm, GuestPhase.Unreachable, TimeSpan.Zero);
        return new GuestOutcome(vm, GuestPhase.Unreachable, why, [], TimeSpan.Zero);
    }

    /// <summary>The last lines of the VM's serial console, where the provider keeps one (<see cref="IConsoleLog"/>).</summary>
    private IReadOnlyList<string> ConsoleTail(string hostVmName) =>
        ConsoleLog?.Tail(hostVmName, ConsoleTailLines) ?? ["(no console log: this provider keeps none)"];
}
