using LabRunner.Core.Hosting;
using LabRunner.Core.Providers;

namespace LabRunner.Simulation.Tests;

/// <summary>The simulated host boots no guests, and shows for --what-if the PowerShell the Hyper-V provider would run.</summary>
public class CapabilityTests
{
    [Fact]
    public void A_simulated_host_boots_no_guests_and_keeps_checkpoints_but_has_no_other_capability()
    {
        IHostProvider provider = new SimulatedProvider(SimulatedHost.InMemory());

        Assert.IsType<SimulatedSnapshots>(provider.Capability<ISnapshots>());
        Assert.Null(provider.Capability<IGuestBoot>());
        Assert.Null(provider.Capability<IDirectGuestAccess>());
        Assert.Null(provider.Capability<IConsoleLog>());
    }

    [Fact]
    public void Its_preview_is_the_hyper_v_providers_script_under_the_same_heading()
    {
        IHostProvider provider = new SimulatedProvider(SimulatedHost.InMemory());
        var batch = new OperationBatch("web", [new StartVm("shop-web")]);

        Assert.Equal("PowerShell for 'web' (one process)", provider.PreviewHeading(batch.Label));
        Assert.Equal(LabRunner.Providers.HyperV.HyperVProvider.RenderPreview(batch), provider.Preview(batch));
    }

    [Fact]
    public void The_descriptor_opens_the_host_of_LABRUNNER_SIM_HOST_with_the_engines_lock_beside_it_and_refuses_a_bad_fault_index()
    {
        var variables = new Dictionary<string, string> { [SimulatedHost.PathVariable] = "hosts/h.json" };
        var work = Path.Combine(Path.GetTempPath(), "work");
        var environment = new ProviderEnvironment(variables.GetValueOrDefault, work);
        var file = Path.Combine(work, "hosts", "h.json");

        var host = SimulatedProviderDescriptor.Instance.Open(environment);
        variables[SimulatedHost.FailAtVariable] = "0";
        var refused = Assert.Throws<ProviderException>(() => SimulatedProviderDescriptor.Instance.Open(environment));

        Assert.Equal($"simulated host at {file}", host.Provider.Description);
        Assert.Equal(file + ".engine.lock", host.LockPath);
        Assert.Contains("LABRUNNER_SIM_FAIL_AT='0' is not a positive whole number", refused.Message, StringComparison.Ordinal);
    }
}
