using LabRunner.Cli.Commands;
using LabRunner.Core.Hosting;
using LabRunner.Providers.HyperV;
using LabRunner.Simulation;

namespace LabRunner.Cli.Tests;

/// <summary>What the Hyper-V provider refuses, validate reports, and no provider does.</summary>
public sealed class BridgedAdapterTests : IDisposable
{
    private const string Labfile = """
        name: shop
        defaults: { box: ubuntu }
        networks:
          - { name: office, type: bridged, adapter: "Ethernet [2]" }
        vms:
          - name: web
            networks: [office]
        """;

    private readonly TempProject _project = new TempProject().With("Labfile.yml", Labfile).With("boxes/ubuntu.vhdx", "box");

    public void Dispose() => _project.Dispose();

    private Task<CliResult> Lab(params string[] args) => Cli.Tests.Lab.RunAsync(_project.Root, new Dictionary<string, string>
    {
        ["LABRUNNER_PROVIDER"] = "simulated",
        ["LABRUNNER_SIM_HOST"] = Path.Combine(_project.Root, "host.json"),
    }, args);

    [Theory]
    [InlineData("validate")]
    [InlineData("up", "--what-if")]
    [InlineData("up")]
    public async Task An_adapter_name_with_wildcard_characters_is_a_labfile_error_at_the_adapter(params string[] args)
    {
        var result = await Lab(args);

        Assert.True(result.ExitCode == ExitCodes.InvalidLabfile, result.ToString());
        Assert.Contains("Labfile.yml:4:45: error LAB101: adapter name 'Ethernet [2]'", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("cannot be rendered", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_batch_that_cannot_be_rendered_for_HyperV_is_an_internal_error_not_a_preview_on_either_host_that_shows_it()
    {
        var batch = new OperationBatch("host networking", [new CreateSwitch("LabRunner-Bridge-Eth*", SwitchKind.External, "Eth*", "labrunner:v1 lab=shop project=p")]);

        var error = Assert.Throws<InvalidOperationException>(() => HyperVProvider.RenderPreview(batch));
        var simulated = Assert.Throws<InvalidOperationException>(() => new SimulatedProvider(SimulatedHost.InMemory()).Preview(batch));

        Assert.Contains("wildcard", error.Message, StringComparison.Ordinal);
        Assert.Contains("wildcard", simulated.Message, StringComparison.Ordinal);
    }
}
