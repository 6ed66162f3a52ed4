using LabRunner.Core.Hosting;
using LabRunner.Simulation.Model;
using static LabRunner.Simulation.Tests.TestHost;

namespace LabRunner.Simulation.Tests.Model;

public class DiskRulesTests
{
    [Fact]
    public void A_differencing_disk_needs_a_parent_the_model_knows_or_a_file_on_disk()
    {
        using var folder = new TempFolder();
        var realParent = folder.File("base.vhdx");
        File.WriteAllText(realParent, "base");
        var host = WithBaseImage();

        host.Mutate(m => m.NewDifferencingVhd(@"C:\lab\.lab\web.vhdx", @"C:\boxes\ubuntu.vhdx", writePlaceholder: false));
        host.Mutate(m => m.NewDifferencingVhd(folder.File("db.vhdx"), realParent, writePlaceholder: false));
        var refusal = Refusal(host, m => m.NewDifferencingVhd(@"C:\lab\.lab\x.vhdx", @"C:\boxes\missing.vhdx", writePlaceholder: false));

        Assert.Equal(HostErrorKind.NotFound, refusal.Kind);
        Assert.Contains("cannot find the file", refusal.Message, StringComparison.Ordinal);
        Assert.Equal([@"C:\lab\.lab\web.vhdx"], host.GetInventory([@"C:\lab\.lab\web.vhdx", @"C:\lab\.lab\x.vhdx"]).Files.ToArray());
    }

    [Fact]
    public void A_differencing_disk_may_not_overwrite_a_file()
    {
        var host = WithBaseImage();
        host.Mutate(m => m.NewDifferencingVhd(@"C:\lab\web.vhdx", @"C:\boxes\ubuntu.vhdx", false));

        var refusal = Refusal(host, m => m.NewDifferencingVhd(@"c:\LAB\web.vhdx", @"C:\boxes\ubuntu.vhdx", false));

        Assert.Equal(HostErrorKind.AlreadyExists, refusal.Kind);
    }

    [Fact]
    public void A_differencing_disk_has_its_parents_format()
    {
        var refusal = Refusal(WithBaseImage(), m => m.NewDifferencingVhd(@"C:\lab\web.vhd", @"C:\boxes\ubuntu.vhdx", false));

        Assert.Contains("format of its parent", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_placeholder_disk_exists_as_long_as_its_file()
    {
        using var folder = new TempFolder();
        var host = WithBaseImage();
        var path = folder.File("web.vhdx");

        host.Mutate(m => m.NewDifferencingVhd(path, @"C:\boxes\ubuntu.vhdx", writePlaceholder: true));
        var before = host.GetInventory([path]).Files.ToArray();
        File.Delete(path);
        var after = host.Mutate(m => m.FileExists(path));

        Assert.Equal([path], before);
        Assert.False(after);
    }

    [Fact]
    public void A_disk_attached_to_a_vm_cannot_be_removed_until_the_vm_is_gone()
    {
        var host = WithBaseImage();
        host.Mutate(m => m.NewVm("web", disk: @"C:\boxes\ubuntu.vhdx"));

        var refusal = Refusal(host, m => m.RemoveFile(@"C:\boxes\ubuntu.vhdx"));
        host.Mutate(m => m.RemoveVm(m.GetVm("web")));
        host.Mutate(m => m.RemoveFile(@"C:\boxes\ubuntu.vhdx"));

        Assert.Equal(HostErrorKind.Conflict, refusal.Kind);
        Assert.Contains("being used by another process", refusal.Message, StringComparison.Ordinal);
        Assert.Empty(host.GetInventory([@"C:\boxes\ubuntu.vhdx"]).Files.ToArray());
    }
}

public class VmRulesTests
{
    [Fact]
    public void Vm_names_are_unique_whatever_their_case()
    {
        var host = SimulatedHost.InMemory();
        host.Mutate(m => m.NewVm("web"));

        var refusal = Refusal(host, m => m.NewVm("WEB"));

        Assert.Equal(HostErrorKind.AlreadyExists, refusal.Kind);
    }

    [Theory]
    [InlineData(3, 1024L * 1024 * 1024, "generation 3")]
    [InlineData(2, 16L * 1024 * 1024, "minimum amount of memory")]
    [InlineData(2, 1025L * 1024 * 1024, "multiple of 2 MB")]
    public void New_vm_refuses_a_generation_or_memory_hyper_v_refuses(int generation, long memory, string why)
    {
        var refusal = Refusal(SimulatedHost.InMemory(), m => m.NewVm("web", generation, memory, null, null, null));

        Assert.Contains(why, refusal.Message, StringComparison.Ordinal);
        Assert.Equal("InvalidParameter", refusal.ErrorId);
    }

    [Fact]
    public void New_vm_needs_an_existing_disk_no_other_vm_uses()
    {
        var host = WithBaseImage();
        host.Mutate(m => m.NewVm("web", disk: @"C:\boxes\ubuntu.vhdx"));

        var missing = Refusal(host, m => m.NewVm("db", disk: @"C:\boxes\nope.vhdx"));
        var taken = Refusal(host, m => m.NewVm("db", disk: @"C:\BOXES\ubuntu.vhdx"));

        Assert.Equal(HostErrorKind.NotFound, missing.Kind);
        Assert.Equal(HostErrorKind.Conflict, taken.Kind);
        Assert.Contains("virtual machine 'web'", taken.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void New_vm_adds_the_unconnected_default_adapter_and_a_generation_1_dvd_drive()
    {
        var host = WithBaseImage();

        host.Mutate(m => m.NewVm("gen2", disk: @"C:\boxes\ubuntu.vhdx"));
        host.Mutate(m => m.NewVm("gen1", generation: 1));

        var inventory = host.GetInventory([]);
        var gen2 = inventory.Vm("gen2")!;
        Assert.Equal(VmState.Off, gen2.State);
        Assert.Equal(new HostVmAdapter("Network Adapter", null, null), gen2.Adapters.Single());
        Assert.Equal([@"C:\boxes\ubuntu.vhdx"], gen2.HardDisks.ToArray());
        Assert.Empty(gen2.DvdDrives.ToArray());
        Assert.True(gen2.SecureBoot);
        Assert.Equal([new HostDvdDrive(1, 0, "")], inventory.Vm("gen1")!.DvdDrives.ToArray());
        Assert.False(inventory.Vm("gen1")!.SecureBoot);
    }

    [Fact]
    public void Processors_and_memory_change_only_while_off_but_notes_always()
    {
        var host = SimulatedHost.InMemory();
        host.Mutate(m => m.StartVm(m.NewVm("web")));

        var refusal = Refusal(host, m => m.SetVm(m.GetVm("web"), processorCount: 2));
        host.Mutate(m => m.SetVm(m.GetVm("web"), notes: "labrunner:v1 lab=x project=y"));

        Assert.Equal(HostErrorKind.InvalidState, refusal.Kind);
        Assert.StartsWith("The operation cannot be performed while the virtual machine is in its current state.", refusal.Message, StringComparison.Ordinal);
        Assert.Equal("labrunner:v1 lab=x project=y", host.GetInventory([]).Vm("web")!.Notes);
    }

    [Fact]
    public void A_vm_gets_no_more_processors_than_the_host_has()
    {
        var refusal = Refusal(SimulatedHost.InMemory(), m => m.SetVm(m.NewVm("web"), processorCount: 64));

        Assert.Contains("8 logical processors", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Start_and_stop_follow_hyper_vs_states()
    {
        var host = SimulatedHost.InMemory();
        host.Mutate(m => m.NewVm("web"));

        var first = host.Mutate(m => m.StartVm(m.GetVm("web")));
        var again = host.Mutate(m => m.StartVm(m.GetVm("web")));
        host.Mutate(m => m.StopVm(m.GetVm("web"), turnOff: false, save: true));
        var shutdownOfSaved = Refusal(host, m => m.StopVm(m.GetVm("web"), turnOff: false));
        var turnOffOfSaved = Refusal(host, m => m.StopVm(m.GetVm("web"), turnOff: true));
        host.Mutate(m => m.RemoveSavedState(m.GetVm("web")));
        var stopOfOff = host.Mutate(m => m.StopVm(m.GetVm("web"), turnOff: false));

        Assert.Equal(VmTransition.Changed, first);
        Assert.Equal(VmTransition.AlreadyInState, again);
        Assert.Equal(HostErrorKind.InvalidState, shutdownOfSaved.Kind);
        Assert.Equal(HostErrorKind.InvalidState, turnOffOfSaved.Kind);
        Assert.Equal(VmTransition.AlreadyInState, stopOfOff);
        Assert.Equal(VmState.Off, host.GetInventory([]).Vm("web")!.State);
    }

    [Fact]
    public void A_paused_vm_is_resumed_or_turned_off_and_refuses_a_shutdown_a_start_and_device_changes()
    {
        var host = SimulatedHost.InMemory();
        host.Mutate(m => m.NewVm("web", generation: 2));
        host.Mutate(m => m.StartVm(m.GetVm("web")));
        host.Mutate(m => m.SuspendVm(m.GetVm("web")));

        var shutdown = Refusal(host, m => m.StopVm(m.GetVm("web"), turnOff: false));
        var start = Refusal(host, m => m.StartVm(m.GetVm("web")));
        var adapter = Refusal(host, m => m.AddVmNetworkAdapter(m.GetVm("web"), "eth9", null, null));
        var resumed = host.Mutate(m => m.ResumeVm(m.GetVm("web")));
        var resumeOfRunning = host.Mutate(m => m.ResumeVm(m.GetVm("web")));
        host.Mutate(m => m.SuspendVm(m.GetVm("web")));
        host.Mutate(m => m.StopVm(m.GetVm("web"), turnOff: true));
        var resumeOfOff = Refusal(host, m => m.ResumeVm(m.GetVm("web")));
        var discardOfOff = Refusal(host, m => m.RemoveSavedState(m.GetVm("web")));

        Assert.All(new[] { shutdown, start, adapter, resumeOfOff, discardOfOff }, e => Assert.Equal(HostErrorKind.InvalidState, e.Kind));
        Assert.Equal((VmTransition.Changed, VmTransition.AlreadyInState), (resumed, resumeOfRunning));
        Assert.Equal(VmState.Off, host.GetInventory([]).Vm("web")!.State);
    }

    [Fact]
    public void A_saved_vm_refuses_hardware_and_device_changes()
    {
        var host = SimulatedHost.InMemory();
        host.Mutate(m => m.NewVm("web", generation: 2));
        host.Mutate(m => m.StartVm(m.GetVm("web")));
        host.Mutate(m => m.StopVm(m.GetVm("web"), turnOff: false, save: true));

        var hardware = Refusal(host, m => m.SetVm(m.GetVm("web"), processorCount: 2));
        var adapter = Refusal(host, m => m.AddVmNetworkAdapter(m.GetVm("web"), "eth9", null, null));
        var restored = host.Mutate(m => m.StartVm(m.GetVm("web")));

        Assert.Equal((HostErrorKind.InvalidState, HostErrorKind.InvalidState), (hardware.Kind, adapter.Kind));
        Assert.Equal(VmTransition.Changed, restored);
        Assert.Equal(VmState.Running, host.GetInventory([]).Vm("web")!.State);
    }

    [Fact]
    public void A_vm_does_not_start_without_its_disk()
    {
        using var folder = new TempFolder();
        var disk = folder.File("base.vhdx");
        File.WriteAllText(disk, "x");
        var host = SimulatedHost.InMemory();
        host.Mutate(m => m.NewVm("web", disk: disk));
        File.Delete(disk);

        var refusal = Refusal(host, m => m.StartVm(m.GetVm("web")));

        Assert.Equal(HostErrorKind.NotFound, refusal.Kind);
    }

    [Fact]
    public void A_running_vm_cannot_be_removed_and_a_removed_one_leaves_its_disks()
    {
        var host = WithBaseImage();
        host.Mutate(m => m.StartVm(m.NewVm("web", disk: @"C:\boxes\ubuntu.vhdx")));

        var refusal = Refusal(host, m => m.RemoveVm(m.GetVm("web")));
        host.Mutate(m => m.StopVm(m.GetVm("web"), turnOff: true));
        host.Mutate(m => m.RemoveVm(m.GetVm("web")));

        Assert.Equal(HostErrorKind.InvalidState, refusal.Kind);
        Assert.Null(host.GetInventory([]).Vm("web"));
        Assert.Equal([@"C:\boxes\ubuntu.vhdx"], host.GetInventory([@"C:\boxes\ubuntu.vhdx"]).Files.ToArray());
    }

    [Fact]
    public void An_unknown_vm_is_not_found_in_hyper_vs_words()
    {
        var refusal = Refusal(SimulatedHost.InMemory(), m => m.GetVm("ghost"));

        Assert.Equal(HostErrorKind.NotFound, refusal.Kind);
        Assert.Equal("Hyper-V was unable to find a virtual machine with name \"ghost\".", refusal.Message);
    }
}

public class VmAdapterRulesTests
{
    [Fact]
    public void A_generation_1_vm_takes_and_loses_adapters_only_while_off_a_generation_2_vm_at_any_time()
    {
        var host = SimulatedHost.InMemory();
        host.Mutate(m =>
        {
            m.NewSwitch("lab", SwitchKind.Private, null, false, null);
            m.StartVm(m.NewVm("old", generation: 1));
            m.StartVm(m.NewVm("new", generation: 2));
        });

        var add = Refusal(host, m => m.AddVmNetworkAdapter(m.GetVm("old"), "lan", "lab", null));
        var remove = Refusal(host, m => m.RemoveVmNetworkAdapter(m.GetVm("old"), m.GetVm("old").NetworkAdapters[0]));
        host.Mutate(m => m.AddVmNetworkAdapter(m.GetVm("new"), "lan", "lab", null));
        host.Mutate(m => m.RemoveVmNetworkAdapter(m.GetVm("new"), m.VmAdapters(m.GetVm("new"), "Network Adapter")[0]));

        Assert.Equal(HostErrorKind.InvalidState, add.Kind);
        Assert.Equal(HostErrorKind.InvalidState, remove.Kind);
        Assert.Equal([new HostVmAdapter("lan", "lab", null)], host.GetInventory([]).Vm("new")!.Adapters.ToArray());
    }

    [Fact]
    public void An_adapter_connects_only_to_a_switch_that_exists()
    {
        var refusal = Refusal(SimulatedHost.InMemory(), m => m.AddVmNetworkAdapter(m.NewVm("web"), "lan", "nowhere", null));

        Assert.Equal("Hyper-V was unable to find a virtual switch with name \"nowhere\".", refusal.Message);
    }

    [Fact]
    public void A_vm_has_at_most_eight_adapters()
    {
        var host = SimulatedHost.InMemory();
        host.Mutate(m =>
        {
            var vm = m.NewVm("web");
            for (var i = 1; i < 8; i++) m.AddVmNetworkAdapter(vm, $"n{i}", null, null);
        });

        var refusal = Refusal(host, m => m.AddVmNetworkAdapter(m.GetVm("web"), "n9", null, null));

        Assert.Equal(HostErrorKind.Conflict, refusal.Kind);
    }

    [Theory]
    [InlineData("00-00-00-00-00-00", "not valid")]
    [InlineData("01-15-5D-00-00-01", "multicast")]
    public void A_static_mac_is_unicast_and_not_zero(string mac, string why)
    {
        var refusal = Refusal(SimulatedHost.InMemory(), m => m.AddVmNetworkAdapter(m.NewVm("web"), "lan", null, Mac(mac)));

        Assert.Contains(why, refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_static_mac_is_unique_on_the_host()
    {
        var host = SimulatedHost.InMemory();
        host.Mutate(m => m.AddVmNetworkAdapter(m.NewVm("web"), "lan", null, Mac("02-AB-00-00-00-01")));

        var otherVm = Refusal(host, m => m.AddVmNetworkAdapter(m.NewVm("db"), "lan", null, Mac("02:ab:00:00:00:01")));
        var hostNic = Refusal(host, m => m.AddVmNetworkAdapter(m.NewVm("db"), "lan", null, Mac("3C-52-82-4A-10-01")));

        Assert.Equal(HostErrorKind.Conflict, otherVm.Kind);
        Assert.Contains("virtual machine 'web'", otherVm.Message, StringComparison.Ordinal);
        Assert.Contains("'Ethernet'", hostNic.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_running_vm_gets_dynamic_macs_from_hyper_vs_pool()
    {
        var host = SimulatedHost.InMemory();

        host.Mutate(m => m.StartVm(m.NewVm("web")));

        var adapter = host.Read(m => m.GetVm("web").NetworkAdapters.Single());
        Assert.Null(adapter.StaticMacAddress);
        Assert.StartsWith("00155D", adapter.DynamicMacAddress!.Value.ToBareString(), StringComparison.Ordinal);
    }
}

public class DvdAndFirmwareRulesTests
{
    [Fact]
    public void A_dvd_drive_is_added_only_while_off_with_media_that_exists()
    {
        using var folder = new TempFolder();
        var seed = folder.File("seed.iso");
        File.WriteAllText(seed, "iso");
        var host = SimulatedHost.InMemory();
        host.Mutate(m => m.NewVm("web"));

        var missing = Refusal(host, m => m.AddDvdDrive(m.GetVm("web"), folder.File("nope.iso")));
        host.Mutate(m => m.AddDvdDrive(m.GetVm("web"), seed));
        host.Mutate(m => m.StartVm(m.GetVm("web")));
        var running = Refusal(host, m => m.AddDvdDrive(m.GetVm("web"), seed));

        Assert.Equal(HostErrorKind.NotFound, missing.Kind);
        Assert.Equal(HostErrorKind.InvalidState, running.Kind);
        Assert.Equal([seed], host.GetInventory([]).Vm("web")!.DvdDrives.Select(d => d.Path).ToArray());
    }

    [Fact]
    public void A_running_vm_holds_its_seed_open()
    {
        using var folder = new TempFolder();
        var seed = folder.File("seed.iso");
        File.WriteAllText(seed, "iso");
        var host = SimulatedHost.InMemory();
        host.Mutate(m =>
        {
            var vm = m.NewVm("web");
            m.AddDvdDrive(vm, seed);
            m.StartVm(vm);
        });

        var refusal = Refusal(host, m => m.RemoveFile(seed));

        Assert.Equal(HostErrorKind.Conflict, refusal.Kind);
        Assert.True(File.Exists(seed));
    }

    [Fact]
    public void Firmware_is_set_on_a_generation_2_vm_that_is_off()
    {
        var host = WithBaseImage();
        host.Mutate(m =>
        {
            m.NewVm("old", generation: 1);
            m.NewVm("new", disk: @"C:\boxes\ubuntu.vhdx");
        });

        var gen1 = Refusal(host, m => m.SetFirmware(m.GetVm("old"), true, null, null));
        var template = Refusal(host, m => m.SetFirmware(m.GetVm("new"), true, "Ubuntu", null));
        host.Mutate(m => m.SetFirmware(m.GetVm("new"), true, "MicrosoftUEFICertificateAuthority", HostModel.BootDeviceOf(m.GetVm("new").HardDisks[0], dvd: false)));
        host.Mutate(m => m.StartVm(m.GetVm("new")));
        var running = Refusal(host, m => m.SetFirmware(m.GetVm("new"), false, null, null));

        Assert.Contains("generation 2", gen1.Message, StringComparison.Ordinal);
        Assert.Contains("secure boot template named 'Ubuntu'", template.Message, StringComparison.Ordinal);
        Assert.Equal(HostErrorKind.InvalidState, running.Kind);
        Assert.Equal("MicrosoftUEFICertificateAuthority", host.Read(m => m.GetVm("new").Firmware!.SecureBootTemplate));
    }
}

public class AutomaticCheckpointTests
{
    [Fact]
    public void A_new_vm_on_a_client_host_takes_an_automatic_checkpoint_at_its_first_start_and_runs_on_the_avhdx()
    {
        var host = WithBaseImage();
        host.Mutate(m => m.NewDifferencingVhd(@"C:\lab\.lab\web.vhdx", @"C:\boxes\ubuntu.vhdx", writePlaceholder: false));
        host.Mutate(m => m.NewVm("web", disk: @"C:\lab\.lab\web.vhdx"));

        Assert.True(host.GetInventory([]).Vm("web")!.AutomaticCheckpoints);
        host.Mutate(m => m.StartVm(m.GetVm("web")));

        var disk = Assert.Single(host.Snapshot().Vms.Single().HardDisks).Path!;
        Assert.Matches(@"^C:\\lab\\\.lab\\web_[0-9A-F-]{36}\.avhdx$", disk);
        Assert.Equal(@"C:\lab\.lab\web.vhdx", host.Snapshot().Vhds.Single(v => v.Path == disk).ParentPath);
    }

    [Fact]
    public void With_automatic_checkpoints_turned_off_a_start_keeps_the_disk()
    {
        var host = WithBaseImage();
        host.Mutate(m => m.SetVm(m.NewVm("web", disk: @"C:\boxes\ubuntu.vhdx"), automaticCheckpoints: false));

        host.Mutate(m => m.StartVm(m.GetVm("web")));

        Assert.Equal(@"C:\boxes\ubuntu.vhdx", Assert.Single(host.Snapshot().Vms.Single().HardDisks).Path);
        Assert.False(host.GetInventory([]).Vm("web")!.AutomaticCheckpoints);
    }

    [Fact]
    public void A_server_host_makes_new_vms_without_automatic_checkpoints()
    {
        var state = DefaultHost.Create();
        state.NewVmsTakeAutomaticCheckpoints = false;
        var host = SimulatedHost.InMemory(state);

        host.Mutate(m => m.NewVm("web"));

        Assert.False(host.GetInventory([]).Vm("web")!.AutomaticCheckpoints);
    }
}
