using System.Collections.Immutable;
using LabRunner.Core.Labfile;
using LabRunner.Core.Planning;
using LabRunner.Guest.Access;

namespace LabRunner.Engine.Guests;

/// <summary>One VM to bring to ready, and whether its provisioners run once it is.</summary>
public sealed record GuestRequest(string Vm, bool Provision);

/// <summary>
/// After <c>lab up</c> / <c>reload</c> (and for <c>lab provision</c>): every requested VM is waited for in
/// parallel, then provisioned. One VM's failure or timeout never stops the others.
/// </summary>
public sealed class GuestWork(LabProject project, IGuestConnector connector, TimeProvider time, IGuestReporter reporter)
{
    /// <summary>Lines of the console log shown after a timeout.</summary>
    public const int ConsoleTailLines = 25;

    public async Task<ImmutableArray<GuestOutcome>> RunAsync(LabDefinition lab, LabPlan plan, IEnumerable<GuestRequest> requests, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lab);
        ArgumentNullException.ThrowIfNull(plan);
        GuestAccessFiles.WriteKnownHosts(project.StateDirectory, plan);
        var tasks = requests.Select(r => OneAsync(lab, plan, r, cancellationToken)).ToList();
        return [.. await Task.WhenAll(tasks).ConfigureAwait(false)];
    }

    private async Task<GuestOutcome> OneAsync(LabDefinition lab, LabPlan plan, GuestRequest request, CancellationToken ct)
    {
        // Every VM starts on a thread of its own: a slow first connection must not hold the others back.
        await Task.Yield();
        var vm = plan.Vms.First(v => string.Equals(v.Name, request.Vm, StringComparison.OrdinalIgnoreCase));
        var definition = lab.Vms.First(v => string.Equals(v.Name, vm.Name, StringComparison.OrdinalIgnoreCase));
        if (vm.Os == GuestOs.Windows)
            return Unreachable(vm.Name, "started; Windows guests are not waited for yet (PowerShell Direct readiness needs a Windows host)");
        var endpoint = GuestEndpoint.Of(vm);
        if (endpoint.Address is not { } address)
            return Unreachable(vm.Name, $"started, not reachable from the host: {endpoint.Unreachable}");

        var identity = GuestAccessFiles.IdentityPath(project.StateDirectory);
        if (!File.Exists(identity))
            return new GuestOutcome(vm.Name, GuestPhase.Failed, $"the lab's SSH key {identity} is missing; 'lab up' makes it with the VM's seed", [], TimeSpan.Zero);
        var login = new GuestLogin(vm.Name, address, GuestEndpoint.SshPort, vm.User, File.ReadAllText(identity),
            HostKeys.Load(project.StateDirectory, plan.Lab, vm.Name)?.PublicKey);

        var readiness = new GuestReadiness(connector, time, reporter);
        var start = time.GetTimestamp();
        var (outcome, session) = await readiness.WaitAsync(login, TimeSpan.FromSeconds(definition.BootTimeoutSeconds), () => ConsoleTail(vm.Name), ct).ConfigureAwait(false);
        if (session is null) return outcome;
        await using (session.ConfigureAwait(false))
        {
            if (!request.Provision || definition.Provisioners.IsEmpty) return outcome;
            reporter.Phase(vm.Name, GuestPhase.Provisioning, time.GetElapsedTime(start));
            var failure = await new ProvisionRunner(project, reporter).RunAsync(definition, session, ct).ConfigureAwait(false);
            var final = failure is null ? GuestPhase.Ready : GuestPhase.Failed;
            reporter.Phase(vm.Name, final, time.GetElapsedTime(start));
            return outcome with { Phase = final, Error = failure, Elapsed = time.GetElapsedTime(start) };
        }
    }

    private GuestOutcome Unreachable(string vm, string why)
    {
        reporter.Phase(vm, GuestPhase.Unreachable, TimeSpan.Zero);
        return new GuestOutcome(vm, GuestPhase.Unreachable, why, [], TimeSpan.Zero);
    }

    /// <summary>The last lines of the VM's serial console, where the provider keeps one (QEMU: <c>.lab/vms/VM/console.log</c>).</summary>
    private IReadOnlyList<string> ConsoleTail(string vm)
    {
        var path = Path.Combine(project.StateDirectory, "vms", vm, "console.log");
        if (!File.Exists(path)) return ["(no console log: this provider keeps none)"];
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            // The tail only: a console log can grow large.
            const int MaxBytes = 64 * 1024;
            if (stream.Length > MaxBytes) stream.Seek(-MaxBytes, SeekOrigin.End);
            using var reader = new StreamReader(stream);
            var lines = reader.ReadToEnd().Replace("\r", "", StringComparison.Ordinal).Split('\n');
            return [.. lines.Where(l => l.Length > 0).TakeLast(ConsoleTailLines).Select(l => new string([.. l.Select(c => char.IsControl(c) && c != '\t' ? '?' : c)]))];
        }
        catch (IOException ex)
        {
            return [$"(console log unreadable: {ex.Message})"];
        }
    }
}
