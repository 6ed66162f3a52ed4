using LabRunner.Core.Hosting;

namespace LabRunner.Core.Providers;

/// <summary>
/// Everything LabRunner knows about a provider before it touches a host, registered once per provider project and
/// enumerated by the CLI and the box store (<see cref="ProviderCatalog"/>): its name, its host's rules, the boxes it
/// boots, when it is the default, how its preview is headed, and the factory that reaches its host. Nothing outside
/// the provider's own project names it; a new provider is a new project plus one entry in the catalog.
/// </summary>
public abstract class ProviderDescriptor
{
    /// <summary>The name <c>--provider</c> and <c>LABRUNNER_PROVIDER</c> take, lower case: <c>hyperv</c>, <c>qemu</c>, <c>simulated</c>.</summary>
    public abstract string Name { get; }

    /// <summary>Where its labs live, for the <c>--provider</c> help: "this Windows host".</summary>
    public abstract string Summary { get; }

    /// <summary>What it runs VMs on, for the root help: "Hyper-V".</summary>
    public abstract string Title { get; }

    /// <summary>
    /// The rules of its host (how switches and VMs are named, how NAT is shared, …), which <c>lab plan</c> uses
    /// without reaching the host.
    /// </summary>
    public abstract HostRules Rules { get; }

    /// <summary>The boxes it boots and where the store keeps them.</summary>
    public abstract BoxSupport Boxes { get; }

    /// <summary>
    /// When it is the provider used with none named, for the <c>--provider</c> help ("hyperv on Windows"); null
    /// for a provider only used by name.
    /// </summary>
    public virtual string? DefaultWhen => null;

    /// <summary>
    /// Null when this provider is the one to use here with none named; otherwise why not, which the error says when
    /// no provider is (a provider only used by name: always a reason, never said — see <see cref="StandInHint"/>).
    /// Probes the environment it is given, never the process's own.
    /// </summary>
    public abstract string? WhyNotDefaultHere(ProviderEnvironment environment);

    /// <summary>
    /// Whether this OS is the provider's home even where it is not installed (Hyper-V on Windows, QEMU elsewhere):
    /// with no provider named and none usable, boxes are added for it.
    /// </summary>
    public virtual bool HomeHere => false;

    /// <summary>
    /// For a provider that runs anywhere and stands in when no real one is usable (the simulated host): the
    /// sentence the error offers it with. Null for the others.
    /// </summary>
    public virtual string? StandInHint => null;

    /// <summary>
    /// Reaches the host: the provider and the lock that serialises lab commands on that host. May do IO (it is the
    /// provider project's); refuses an environment it cannot work in with a <see cref="ProviderException"/>.
    /// </summary>
    public abstract ProviderHost Open(ProviderEnvironment environment);

    public override string ToString() => Name;
}

/// <summary>What a provider's factory reads: the command line's variables and working folder, never the process's own; and the trace its host calls go to.</summary>
public sealed record ProviderEnvironment(Func<string, string?> GetVariable, string WorkingDirectory)
{
    /// <summary>Where the provider records each host call (<c>--verbose</c>, <c>.lab/logs/</c>).</summary>
    public Tracing.IHostTrace Trace { get; init; } = Tracing.NoHostTrace.Instance;
}

/// <summary>
/// A host a command works on: the provider, and the lock that keeps two lab commands from changing that host at once.
/// The lock lives with the host it protects, so its place is the provider's to say: a file on this machine for a
/// local host (Hyper-V's in ProgramData, QEMU's per network namespace in /run/labrunner, the simulated host's beside
/// its file).
/// </summary>
public sealed record ProviderHost(IHostProvider Provider, string LockPath);

/// <summary>A provider name or environment LabRunner cannot use: the user's to fix (exit 2).</summary>
public sealed class ProviderException(string message, Exception? inner = null) : Errors.LabRunnerException(Errors.ErrorCategory.Usage, message, inner);
