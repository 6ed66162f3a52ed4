using System.Text.RegularExpressions;

namespace LabRunner.Cli.Tests;

/// <summary>
/// The layers as the project files declare them. The graph is written out here on purpose: a new reference between
/// layers is a design decision, made by changing this test. Providers are reached only through the catalog the CLI
/// composes, so neither Core, the Engine nor the box store names a provider.
/// </summary>
public partial class ArchitectureTests
{
    private static readonly Dictionary<string, string[]> Expected = new()
    {
        ["LabRunner.Core"] = [],
        ["LabRunner.Guest"] = ["LabRunner.Core"],
        ["LabRunner.HostCommon"] = ["LabRunner.Core"],
        ["LabRunner.Boxes"] = ["LabRunner.Core", "LabRunner.HostCommon"],
        ["LabRunner.Engine"] = ["LabRunner.Core", "LabRunner.Guest", "LabRunner.HostCommon"],
        ["LabRunner.Providers.HyperV"] = ["LabRunner.Core", "LabRunner.HostCommon"],
        ["LabRunner.Providers.Qemu"] = ["LabRunner.Core", "LabRunner.HostCommon"],
        // The simulated host is a Hyper-V host: Hyper-V's rules and the script its --what-if shows.
        ["LabRunner.Simulation"] = ["LabRunner.Core", "LabRunner.HostCommon", "LabRunner.Providers.HyperV"],
        // The one place that composes the catalog of providers.
        ["LabRunner.Cli"] = ["LabRunner.Boxes", "LabRunner.Core", "LabRunner.Engine", "LabRunner.Guest", "LabRunner.Providers.HyperV", "LabRunner.Providers.Qemu", "LabRunner.Simulation"],
    };

    [GeneratedRegex("""<ProjectReference Include="[^"]*[\\/](?<name>[^\\/"]+)\.csproj" """)]
    private static partial Regex ProjectReference();

    private static Dictionary<string, string[]> Actual() =>
        Directory.EnumerateFiles(Path.Combine(Repo.Root(), "src"), "*.csproj", SearchOption.AllDirectories).ToDictionary(
            p => Path.GetFileNameWithoutExtension(p),
            p => ProjectReference().Matches(File.ReadAllText(p)).Select(m => m.Groups["name"].Value).Distinct().Order(StringComparer.Ordinal).ToArray());

    [Fact]
    public void The_projects_reference_each_other_as_the_layers_say_and_no_more()
    {
        var actual = Actual();

        Assert.Equal(Expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        foreach (var (project, references) in Expected)
            Assert.True(references.Order(StringComparer.Ordinal).SequenceEqual(actual[project]), $"{project} references {string.Join(", ", actual[project])}");
    }

    [Fact]
    public void No_layer_below_the_cli_references_a_provider_but_the_simulated_hyper_v_host()
    {
        var actual = Actual();

        var strays = actual.Where(p => p.Key is not ("LabRunner.Cli" or "LabRunner.Simulation"))
            .SelectMany(p => p.Value.Where(r => r.StartsWith("LabRunner.Providers.", StringComparison.Ordinal) || r == "LabRunner.Simulation").Select(r => $"{p.Key} -> {r}"));
        Assert.Empty(strays);
    }
}
