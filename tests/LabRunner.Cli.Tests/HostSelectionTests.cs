using LabRunner.Cli.Commands;
using LabRunner.Engine;
using Spectre.Console.Testing;

namespace LabRunner.Cli.Tests;

/// <summary>Which provider a command gets: named, from LABRUNNER_PROVIDER, or by default what this OS has.</summary>
public sealed class HostSelectionTests : IDisposable
{
    private readonly string _bin = Directory.CreateTempSubdirectory("lr-path-").FullName;

    public void Dispose() => Directory.Delete(_bin, recursive: true);

    private static CliEnvironment Env(Dictionary<string, string> variables) =>
        new(new TestConsole(), new StringWriter(), "/", name => variables.GetValueOrDefault(name));

    [Fact]
    public void Qemu_is_a_provider_by_name_and_by_variable()
    {
        Assert.Equal("qemu", HostSelection.Resolve("QEMU", Env([])));
        Assert.Equal("qemu", HostSelection.Resolve(null, Env(new() { [HostSelection.ProviderVariable] = "qemu" })));
        Assert.Contains("hyperv, qemu or simulated", Assert.Throws<UsageException>(() => HostSelection.Resolve("kvm", Env([]))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void On_linux_qemu_is_the_default_when_qemu_system_x86_64_is_on_the_path_and_otherwise_the_error_says_how_to_get_it()
    {
        if (!OperatingSystem.IsLinux()) return;
        File.WriteAllText(Path.Combine(_bin, "qemu-system-x86_64"), "");

        var withQemu = HostSelection.Resolve(null, Env(new() { ["PATH"] = "/nonexistent:" + _bin }));
        var without = Assert.Throws<UsageException>(() => HostSelection.Resolve(null, Env(new() { ["PATH"] = "/nonexistent" })));

        Assert.Equal("qemu", withQemu);
        Assert.Contains("apt-get install -y qemu-system-x86", without.Message, StringComparison.Ordinal);
        Assert.Contains("--provider simulated", without.Message, StringComparison.Ordinal);
    }
}
