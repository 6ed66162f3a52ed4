using LabRunner.Cli.Commands;
using LabRunner.Core.Providers;

namespace LabRunner.Cli.Tests;

/// <summary>Which provider a command gets from the catalog: named, from LABRUNNER_PROVIDER, or by default what this OS has.</summary>
public sealed class ProviderCatalogTests : IDisposable
{
    private readonly string _bin = Directory.CreateTempSubdirectory("lr-path-").FullName;

    public void Dispose() => Directory.Delete(_bin, recursive: true);

    private static readonly ProviderCatalog Providers = DefaultServices.Providers;

    private static ProviderEnvironment Env(Dictionary<string, string> variables) => new(name => variables.GetValueOrDefault(name), "/");

    [Fact]
    public void Qemu_is_a_provider_by_name_and_by_variable()
    {
        Assert.Equal("qemu", Providers.Resolve("QEMU", Env([])).Name);
        Assert.Equal("qemu", Providers.Resolve(null, Env(new() { [ProviderCatalog.ProviderVariable] = "qemu" })).Name);
        Assert.Contains("hyperv, qemu or simulated", Assert.Throws<ProviderException>(() => Providers.Resolve("kvm", Env([]))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void On_linux_qemu_is_the_default_when_qemu_system_x86_64_is_on_the_path_and_otherwise_the_error_says_how_to_get_it()
    {
        if (!OperatingSystem.IsLinux()) return;
        File.WriteAllText(Path.Combine(_bin, "qemu-system-x86_64"), "");

        var withQemu = Providers.Resolve(null, Env(new() { ["PATH"] = "/nonexistent:" + _bin })).Name;
        var without = Assert.Throws<ProviderException>(() => Providers.Resolve(null, Env(new() { ["PATH"] = "/nonexistent" })));

        Assert.Equal("qemu", withQemu);
        Assert.Contains("apt-get install -y qemu-system-x86", without.Message, StringComparison.Ordinal);
        Assert.Contains("--provider simulated", without.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_names_switches_by_the_rules_of_the_provider_up_would_use()
    {
        Assert.Equal("qemu", Providers.ForPlanning("qemu", Env([])).Rules.Name);
        Assert.Equal("hyperv", Providers.ForPlanning("simulated", Env([])).Rules.Name);
        // Nothing named and nothing usable here: the Labfile's home, Hyper-V.
        Assert.Equal("hyperv", Providers.ForPlanning(null, Env(new() { ["PATH"] = "/nonexistent" })).Rules.Name);
        // A provider named wrongly is still an error.
        Assert.Throws<ProviderException>(() => Providers.ForPlanning("kvm", Env([])));
    }

    [Fact]
    public async Task Plan_speaks_each_providers_own_words()
    {
        using var project = new TempProject().With("Labfile.yml", Repo.Labfile("everything.yml"));

        var qemu = await Lab.RunAsync(project.Root, new Dictionary<string, string> { ["LABRUNNER_PROVIDER"] = "qemu" }, "plan");
        var hyperv = await Lab.RunAsync(project.Root, new Dictionary<string, string> { ["LABRUNNER_PROVIDER"] = "hyperv" }, "plan");

        Assert.True(qemu.ExitCode == 0, qemu.ToString());
        Assert.Contains("an nftables masquerade per NAT network", qemu.Stdout, StringComparison.Ordinal);
        Assert.Contains("Bridge", qemu.Stdout, StringComparison.Ordinal);
        Assert.Contains("(isolated)", qemu.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("LabRunnerNAT", qemu.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("(internal)", qemu.Stdout, StringComparison.Ordinal);
        Assert.True(hyperv.ExitCode == 0, hyperv.ToString());
        Assert.Contains("LabRunnerNAT", hyperv.Stdout, StringComparison.Ordinal);
        Assert.Contains("(internal)", hyperv.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plan_json_with_the_qemu_provider_names_bridges_within_linux_interface_limits()
    {
        using var project = new TempProject().With("Labfile.yml", Repo.Labfile("everything.yml"));

        var qemu = await Lab.RunAsync(project.Root, new Dictionary<string, string> { ["LABRUNNER_PROVIDER"] = "qemu" }, "plan", "--json");
        var hyperv = await Lab.RunAsync(project.Root, new Dictionary<string, string> { ["LABRUNNER_PROVIDER"] = "hyperv" }, "plan", "--json");

        Assert.Equal(0, qemu.ExitCode);
        var bridges = System.Text.Json.JsonDocument.Parse(qemu.Stdout).RootElement.GetProperty("networks").EnumerateArray()
            .Where(n => n.GetProperty("type").GetString() != "bridged").Select(n => n.GetProperty("switch").GetString()!).ToList();
        Assert.NotEmpty(bridges);
        Assert.All(bridges, b => Assert.True(b.Length <= 15 && b.StartsWith("lr", StringComparison.Ordinal), b));
        Assert.Contains("LabRunner-", hyperv.Stdout, StringComparison.Ordinal);
    }
}
