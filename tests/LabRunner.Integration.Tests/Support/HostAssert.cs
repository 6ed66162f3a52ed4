using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Core.Planning;
using LabRunner.Engine;
using LabRunner.Providers.HyperV;
using LabRunner.Simulation.Model;

namespace LabRunner.Integration.Tests.Support;

/// <summary>What the simulated host must hold after a lab command.</summary>
internal static class HostAssert
{
    public static IEnumerable<SimVm> LabVms(SimulatedHostState state) => state.Vms.Where(v => LabIdentity.IsLabRunner(v.Notes));

    /// <summary>The simulated host holds exactly what <paramref name="plan"/> asks for, marked as this lab's.</summary>
    /// <param name="secureBootTemplates">
    /// Whether to check each VM's secure boot template. The inventory does not carry the template, so a VM
    /// whose creation was interrupted before Set-VMFirmware keeps Hyper-V's default (MicrosoftWindows) and
    /// no later 'up' corrects it (see FaultInjectionTests): the fault tests check everything else.
    /// </param>
    public static void Holds(Lab lab, LabPlan plan, string natName, VmState vmState)
    {
        var state = lab.Host.Snapshot();
        var mark = new LabIdentity(plan.Lab, ProjectIdentity.Of(lab.Directory)).Mark;

        var switches = state.Switches.Where(s => LabIdentity.IsLabRunner(s.Notes)).ToList();
        Assert.Equal(plan.Networks.Select(n => n.Switch).Order(StringComparer.Ordinal), switches.Select(s => s.Name).Order(StringComparer.Ordinal));
        foreach (var network in plan.Networks)
        {
            var sw = switches.Single(s => s.Name == network.Switch);
            Assert.Equal(mark, sw.Notes);
            Assert.Equal(network.Type == NetworkType.Isolated ? SwitchKind.Private : SwitchKind.Internal, sw.SwitchType);
            var vnic = state.NetAdapters.SingleOrDefault(a => a.Name == HyperVRules.VnicName(network.Switch));
            if (network.HasHostVnic)
                Assert.Equal([new HostIp(network.Gateway!.Value, network.Subnet!.Value.PrefixLength)], vnic!.Addresses);
            else
                Assert.Null(vnic);
        }

        var nat = Assert.Single(state.Nats);
        Assert.Equal(natName, nat.Name);
        Assert.All(plan.Networks.Where(n => n.Type == NetworkType.Nat), n => Assert.True(nat.InternalIPInterfaceAddressPrefix.Contains(n.Subnet!.Value)));
        var expectedMappings = plan.Vms.SelectMany(v => v.ForwardedPorts)
            .Select(p => $"{natName} {p.Protocol} 0.0.0.0:{p.HostPort} -> {p.GuestIp}:{p.GuestPort}")
            .Order(StringComparer.Ordinal);
        var labSubnets = plan.Networks.Where(n => n.Type == NetworkType.Nat).Select(n => n.Subnet!.Value).ToList();
        Assert.Equal(expectedMappings, state.StaticMappings.Where(m => labSubnets.Any(s => s.Contains(m.InternalIPAddress)))
            .Select(m => $"{m.NatName} {m.Protocol} {m.ExternalIPAddress}:{m.ExternalPort} -> {m.InternalIPAddress}:{m.InternalPort}").Order(StringComparer.Ordinal));

        var vms = LabVms(state).ToList();
        Assert.Equal(plan.Vms.Select(v => v.HostVmName).Order(StringComparer.Ordinal), vms.Select(v => v.Name).Order(StringComparer.Ordinal));
        foreach (var planned in plan.Vms)
        {
            var vm = vms.Single(v => v.Name == planned.HostVmName);
            Assert.Equal(mark, vm.Notes);
            Assert.Equal((planned.Generation, planned.MemoryBytes, planned.Cpus, vmState), (vm.Generation, vm.MemoryStartupBytes, vm.ProcessorCount, vm.State));
            Assert.Equal(
                planned.Adapters.Select(a => $"{a.GuestInterfaceName} {a.Switch} {a.Mac}"),
                vm.NetworkAdapters.Select(a => $"{a.Name} {a.SwitchName} {a.StaticMacAddress}"));
            var disk = Assert.Single(vm.HardDisks);
            Assert.Equal(lab.DiskPath(planned.Name), disk.Path);
            Assert.True(File.Exists(disk.Path), "New-VHD left its file where Test-Path and Remove-Item see it");
            var dvd = Assert.Single(vm.DvdDrives);
            Assert.Equal(Path.Combine(lab.StateDirectory, "vms", planned.Name), Path.GetDirectoryName(dvd.Path));
            Assert.Matches(@"^seed-[0-9a-f]{12}\.iso$", Path.GetFileName(dvd.Path));
            Assert.True(File.Exists(dvd.Path), "the seed ISO the DVD drive holds is on disk");
            var firmware = vm.Firmware!;
            Assert.True(firmware.SecureBoot);
            Assert.Equal("MicrosoftUEFICertificateAuthority", firmware.SecureBootTemplate);
            Assert.Equal((SimBootDeviceType.HardDiskDrive, disk.ControllerNumber, disk.ControllerLocation),
                (firmware.FirstBootDevice!.DeviceType, firmware.FirstBootDevice.ControllerNumber, firmware.FirstBootDevice.ControllerLocation));
        }
    }

    /// <summary>No object of any LabRunner lab is left, none of its files, and everything of others is as it was.</summary>
    public static void NothingOfTheLabRemains(Lab lab, string foreignBefore)
    {
        var after = lab.Host.Snapshot();
        Assert.Empty(LabVms(after));
        Assert.DoesNotContain(after.Vms, v => string.IsNullOrEmpty(v.Notes) && v.Name != Labfiles.ForeignVm);
        Assert.DoesNotContain(after.Switches, s => LabIdentity.IsLabRunner(s.Notes));
        Assert.DoesNotContain(after.NetAdapters, a => a.Name.StartsWith("vEthernet (LabRunner-", StringComparison.Ordinal));
        Assert.DoesNotContain(after.Nats, n => n.Name == PlanRules.NatName);
        Assert.DoesNotContain(after.StaticMappings, m => m.NatName == PlanRules.NatName || !m.InternalIPAddress.ToString().StartsWith("10.188.250.", StringComparison.Ordinal));
        Assert.Empty(after.Vhds);
        var vms = Path.Combine(lab.StateDirectory, "vms");
        Assert.False(Directory.Exists(vms) && Directory.EnumerateFileSystemEntries(vms, "*", SearchOption.AllDirectories).Any(),
            "down leaves no disk, seed or folder of the lab's VMs");
        Assert.Equal(foreignBefore, Labfiles.ForeignPart(after));
    }
}
