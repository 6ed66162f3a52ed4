using LabRunner.Core.Hosting;
using LabRunner.Core.Net;
using LabRunner.HyperV.Emulation;
using LabRunner.HyperV.Emulation.Cim;
using LabRunner.Providers.HyperV;
using LabRunner.Simulation;

namespace LabRunner.Integration.Tests;

/// <summary>
/// Values a Labfile can never hold (validation refuses them) still cannot become code: operations carrying
/// them run through the provider's scripts, the real PowerShell engine and the emulated cmdlets, and arrive
/// in the simulated host exactly as they were — and read back through CIM exactly so.
/// </summary>
public class HostileValueTests
{
    public static TheoryData<string> Hostile => new()
    {
        "it's",
        "it’s ‘curly’ ‚low‛",
        "$([Environment]::SetEnvironmentVariable('LABRUNNER_INJECTED', 'ran'))",
        "`$x `n `0 ``",
        "a'; Remove-VM -Name * -Force; '",
        "first line\nsecond line",
        "crlf\r\nnext\u2028sep",
        "\"double\" $env:HOME ${x}",
        "@'\nhere-string\n'@ #not a comment",
        "ё Ω 漢字 \U0001F600",
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public async Task Hostile_notes_names_and_paths_arrive_in_the_host_byte_exact(string hostile)
    {
        var host = SimulatedHost.InMemory();
        var provider = new HyperVProvider(new InProcessPowerShellRunner(host), new SimulatedCimClient(host), "test");
        var folder = Directory.CreateTempSubdirectory("labrunner-int-hostile-");
        try
        {
            // A path may hold anything but the separator — and ':', which Windows file names cannot hold and
            // PowerShell reads as a provider qualifier ('X::path') even with -LiteralPath. An object name may
            // hold anything but wildcard characters.
            var fileName = hostile.Replace('/', '_').Replace(':', '_');
            var name = new string([.. hostile.Where(c => c is not ('*' or '?' or '[' or ']' or '`'))]);
            var box = Path.Combine(folder.FullName, "base.vhdx");
            File.WriteAllText(box, "base\n");
            var disk = Path.Combine(folder.FullName, $"disk {fileName}.vhdx");
            var seed = Path.Combine(folder.FullName, $"seed {fileName}.iso");
            File.WriteAllText(seed, "seed\n");
            var switchName = $"sw {name}";
            var vmName = $"vm {name}";

            var up = await provider.ApplyAsync(new OperationBatch("hostile up", [
                new CreateSwitch(switchName, SwitchKind.Internal, null, hostile),
                new AssignHostIp(switchName, Ipv4Address.Parse("10.188.3.1"), 24),
                new CreateDisk(vmName, disk, box),
                new CreateVm(vmName, 2, 512L * 1024 * 1024, folder.FullName, disk, hostile),
                new AddVmAdapter(vmName, "eth0", switchName, MacAddress.Parse("02-00-00-00-00-01")),
                new AttachSeed(vmName, seed),
                new SetFirmware(vmName, true, "MicrosoftUEFICertificateAuthority", disk),
                new StartVm(vmName),
            ]), null, CancellationToken.None);

            Assert.True(up.Succeeded, up.Error?.Message);
            var state = host.Snapshot();
            var sw = Assert.Single(state.Switches, s => s.Name == switchName);
            Assert.Equal(hostile, sw.Notes);
            Assert.Equal([new HostIp(Ipv4Address.Parse("10.188.3.1"), 24)], state.NetAdapters.Single(a => a.Name == $"vEthernet ({switchName})").Addresses);
            var vm = Assert.Single(state.Vms);
            Assert.Equal((vmName, hostile, folder.FullName), (vm.Name, vm.Notes, vm.Path));
            Assert.Equal(disk, Assert.Single(vm.HardDisks).Path);
            Assert.True(File.Exists(disk));
            Assert.Equal(seed, Assert.Single(vm.DvdDrives).Path);
            Assert.Equal(switchName, Assert.Single(vm.NetworkAdapters).SwitchName);

            var inventory = await provider.GetInventoryAsync([disk, seed], CancellationToken.None);
            Assert.Equal(hostile, inventory.Switch(switchName)!.Notes);
            var read = inventory.Vm(vmName)!;
            Assert.Equal((hostile, VmState.Running), (read.Notes, read.State));
            Assert.Equal<string>([disk], read.HardDisks);
            Assert.Equal<string>([seed], read.DvdDrives.Select(d => d.Path));
            Assert.Equal([disk, seed], inventory.Files.Order(StringComparer.Ordinal));

            var down = await provider.ApplyAsync(new OperationBatch("hostile down", [
                new StopVm(vmName, TurnOff: true),
                new RemoveVm(vmName),
                new RemoveFile(vmName, disk),
                new RemoveFile(vmName, seed),
                new RemoveSwitch(switchName),
            ]), null, CancellationToken.None);

            Assert.True(down.Succeeded, down.Error?.Message);
            Assert.False(File.Exists(disk));
            Assert.False(File.Exists(seed));
            Assert.True(File.Exists(box), "only the named files went");
            Assert.Empty(host.Snapshot().Vms);
            Assert.DoesNotContain(host.Snapshot().Switches, s => s.Name == switchName);
            Assert.Null(Environment.GetEnvironmentVariable("LABRUNNER_INJECTED"));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_name_that_would_act_as_a_wildcard_is_refused_before_any_powershell_runs()
    {
        var host = SimulatedHost.InMemory();
        host.Mutate(m => m.NewVm("web", 2, 512L * 1024 * 1024, null, null, null));
        var runner = new InProcessPowerShellRunner(host);
        var provider = new HyperVProvider(runner, new SimulatedCimClient(host), "test");

        var result = await provider.ApplyAsync(new OperationBatch("wildcard", [new RemoveVm("w*")]), null, CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.Contains("wildcard", result.Error!.Message, StringComparison.Ordinal);
        Assert.Equal(0, runner.ProcessesStarted);
        Assert.Single(host.Snapshot().Vms);
    }
}
