using LabRunner.Cli.Commands;
using LabRunner.Cli.Tests.TinyProvider;

namespace LabRunner.Cli.Tests;

/// <summary>
/// A provider is a project plus one catalog entry: the tiny provider (in this test project, nothing of it in the CLI,
/// Core or Boxes) is added to the real catalog, and 'lab' chooses it, plans by its rules and previews through it.
/// </summary>
public sealed class ExtraProviderTests : IDisposable
{
    private const string Labfile = """
        name: shop
        boxes:
          disk: boxes/disk.img
        defaults: { box: disk, memory: 1GB }
        networks:
          - { name: lan, type: private, subnet: 192.168.71.0/24 }
        vms:
          - { name: web, networks: [lan] }
        """;

    private readonly TempProject _project = new TempProject().With("Labfile.yml", Labfile).With("boxes/disk.img", new string('\0', 512));

    public void Dispose() => _project.Dispose();

    private Task<CliResult> Lab(params string[] args) => Cli.Tests.Lab.RunAsync(_project.Root, new Dictionary<string, string>(),
        DefaultServices.Create(DefaultServices.Providers.With(TinyProviderDescriptor.Instance)), args);

    [Fact]
    public async Task Plan_names_switches_and_vms_by_the_rules_of_a_provider_the_test_registered()
    {
        var plan = await Lab("plan", "--provider", "tiny");
        var json = await Lab("plan", "--provider", "tiny", "--json");

        Assert.True(plan.ExitCode == 0, plan.ToString());
        Assert.Contains("tiny-shop-lan", plan.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("LabRunner-shop-lan", plan.Stdout, StringComparison.Ordinal);
        var vm = System.Text.Json.JsonDocument.Parse(json.Stdout).RootElement.GetProperty("vms")[0];
        Assert.Equal("web.shop", vm.GetProperty("host_vm_name").GetString());
    }

    [Fact]
    public async Task Up_what_if_previews_through_the_registered_provider_and_changes_nothing()
    {
        var whatIf = await Lab("up", "--what-if", "--provider", "tiny");

        Assert.True(whatIf.ExitCode == 0, whatIf.ToString());
        Assert.Contains("--- tiny commands for 'host networking' ---", whatIf.Stdout, StringComparison.Ordinal);
        Assert.Contains("tiny-do ", whatIf.Stdout, StringComparison.Ordinal);
        Assert.Contains("tiny-shop-lan", whatIf.Stdout, StringComparison.Ordinal);
        Assert.Contains("web.shop", whatIf.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("PowerShell", whatIf.Stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_project.Root, ".lab", "tiny.lock")));
    }

    [Fact]
    public async Task The_registered_provider_is_accepted_by_name_and_listed_in_the_help()
    {
        var help = await Lab("--help");
        var unknown = await Lab("plan", "--provider", "huge");

        Assert.Contains("'tiny' (a test's host that changes nothing)", help.Stdout, StringComparison.Ordinal);
        Assert.Contains("a tiny test host", help.Stdout, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Usage, unknown.ExitCode);
        Assert.Contains("'hyperv' or 'qemu' or 'simulated' or 'tiny', not 'huge'", unknown.Stderr, StringComparison.Ordinal);
    }
}
