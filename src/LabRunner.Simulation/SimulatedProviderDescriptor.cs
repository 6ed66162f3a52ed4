using LabRunner.Core.Hosting;
using LabRunner.Core.Providers;
using LabRunner.Providers.HyperV;

namespace LabRunner.Simulation;

/// <summary>
/// The simulated host as the catalog lists it: a Hyper-V host in a JSON file, on any OS, used only by name. It
/// follows Hyper-V's rules and boots (on paper) Hyper-V's boxes, from the same store folder.
/// </summary>
public sealed class SimulatedProviderDescriptor : ProviderDescriptor
{
    public static SimulatedProviderDescriptor Instance { get; } = new();

    private SimulatedProviderDescriptor()
    {
    }

    public override string Name => "simulated";

    public override string Summary => "a simulated Hyper-V host in a JSON file, any OS";

    public override string Title => "a simulated host";

    public override HostRules Rules => HyperVRules.Instance;

    public override BoxSupport Boxes => HyperVProviderDescriptor.BoxSupport;

    /// <summary>Never the default: a lab on the simulated host is one asked for.</summary>
    public override string WhyNotDefaultHere(ProviderEnvironment environment) => "the simulated host is used only by name";

    public override string StandInHint =>
        $"To see what 'lab' would do here, use the simulated host: --provider {Name} (or {ProviderCatalog.ProviderVariable}={Name})";

    /// <summary>The host of <c>LABRUNNER_SIM_HOST</c>; the engine's lock is beside its file, apart from the file's own per-change lock.</summary>
    public override ProviderHost Open(ProviderEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var host = SimulatedHost.FromEnvironment(environment.GetVariable, environment.WorkingDirectory);
        return new ProviderHost(new SimulatedProvider(host) { Trace = environment.Trace }, host.FilePath + ".engine.lock");
    }
}
