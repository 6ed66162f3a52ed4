using LabRunner.Core.Hosting;
using LabRunner.HyperV.Emulation;
using LabRunner.HyperV.Emulation.Cim;
using LabRunner.Providers.HyperV;
using LabRunner.Simulation;

namespace LabRunner.Integration.Tests;

/// <summary>
/// A seed names its drive by what the drive holds, and each provider finds that drive on the host: the Hyper-V
/// provider's script through the real PowerShell engine and the emulated cmdlets, and the simulated host's
/// own translation, end in the same drives.
/// </summary>
public sealed class SeedDriveTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("labrunner-int-seeddrive-");

    public void Dispose() => _folder.Delete(recursive: true);

    public static TheoryData<bool> ThroughPowerShell => new() { true, false };

    private string File(string name)
    {
        var path = Path.Combine(_folder.FullName, name);
        System.IO.File.WriteAllText(path, name);
        return path;
    }

    private static IHostProvider Provider(SimulatedHost host, bool throughPowerShell) => throughPowerShell
        ? new HyperVProvider(new InProcessPowerShellRunner(host), new SimulatedCimClient(host), "test")
        : new SimulatedProvider(host);

    /// <summary>A running generation 2 VM with the user's disc in its first DVD drive and <paramref name="second"/> (or nothing) in its second.</summary>
    private SimulatedHost RunningVm(string? second)
    {
        var host = SimulatedHost.InMemory();
        var user = File("user's tools.iso");
        host.Mutate(m =>
        {
            var vm = m.NewVm("web", 2, 512L * 1024 * 1024, null, null, null);
            m.AddDvdDrive(vm, user);
            m.AddDvdDrive(vm, second);
            m.StartVm(vm);
        });
        return host;
    }

    private static List<string?> Discs(SimulatedHost host) =>
        [.. Assert.Single(host.Snapshot().Vms).DvdDrives.OrderBy(d => d.ControllerNumber).ThenBy(d => d.ControllerLocation).Select(d => d.Path)];

    [Theory]
    [MemberData(nameof(ThroughPowerShell))]
    public async Task A_new_seed_replaces_the_disc_of_the_drive_holding_the_earlier_seed_while_the_vm_runs(bool throughPowerShell)
    {
        var earlier = File("seed-1.iso");
        var next = File("seed-2.iso");
        var host = RunningVm(earlier);

        var result = await Provider(host, throughPowerShell).ApplyAsync(
            new OperationBatch("up", [new AttachSeed("web", next, new SeedDrive.Holding(earlier))]), null, CancellationToken.None);

        Assert.True(result.Succeeded, result.Error?.Message);
        Assert.Equal([Path.Combine(_folder.FullName, "user's tools.iso"), next], Discs(host));
    }

    [Theory]
    [MemberData(nameof(ThroughPowerShell))]
    public async Task A_seed_for_an_empty_drive_goes_into_the_one_the_vm_has_while_it_runs(bool throughPowerShell)
    {
        var seed = File("seed-1.iso");
        var host = RunningVm(second: null);

        var result = await Provider(host, throughPowerShell).ApplyAsync(
            new OperationBatch("up", [new AttachSeed("web", seed, new SeedDrive.Empty())]), null, CancellationToken.None);

        Assert.True(result.Succeeded, result.Error?.Message);
        Assert.Equal([Path.Combine(_folder.FullName, "user's tools.iso"), seed], Discs(host));
    }

    [Theory]
    [MemberData(nameof(ThroughPowerShell))]
    public async Task A_seed_for_a_drive_no_longer_holding_the_earlier_seed_changes_no_drive_and_says_so(bool throughPowerShell)
    {
        var seed = File("seed-2.iso");
        var host = RunningVm(second: null);
        var before = Discs(host);

        var result = await Provider(host, throughPowerShell).ApplyAsync(
            new OperationBatch("up", [new AttachSeed("web", seed, new SeedDrive.Holding(Path.Combine(_folder.FullName, "seed-1.iso")))]), null, CancellationToken.None);

        Assert.Equal(HostErrorKind.NotFound, result.Error?.Kind);
        Assert.Contains("seed-1.iso", result.Error!.Message, StringComparison.Ordinal);
        Assert.Equal(before, Discs(host));
    }
}
