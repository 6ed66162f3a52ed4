using System.Runtime.CompilerServices;
using LabRunner.Providers.Qemu.Acceleration;
using LabRunner.Providers.Qemu.CommandLine;
using LabRunner.Tests.Shared;

namespace LabRunner.Providers.Qemu.Tests.CommandLine;

/// <summary>
/// The argv of representative VMs, as <c>lab up --what-if</c> will print them. Regenerate with
/// <c>LABRUNNER_UPDATE_GOLDEN=1 dotnet test tests/LabRunner.Providers.Qemu.Tests</c> and review the diff.
/// </summary>
public class QemuCommandLineTests
{
    internal static QemuCommandLine Generation2(string directory) => QemuCommandLine.ForVm("web")
        .WithGeneration(2, Path.Combine(directory, "OVMF_VARS_4M.fd"))
        .WithAccelerator(QemuAccelerator.Tcg)
        .WithCpus(2)
        .WithMemory(2048)
        .WithDisk(Path.Combine(directory, "disk.qcow2"))
        .WithSeedIso(Path.Combine(directory, "seed.iso"))
        .WithAdapter("lt35116602", "52:54:00:aa:bb:01")
        .WithAdapter("lt4ee5d157", "52-54-00-AA-BB-02")
        .WithControlFiles(Path.Combine(directory, "qemu.pid"), Path.Combine(directory, "qmp.sock"), Path.Combine(directory, "console.log"));

    internal static QemuCommandLine Generation1(string directory) => QemuCommandLine.ForVm("db")
        .WithGeneration(1)
        .WithAccelerator(QemuAccelerator.Kvm)
        .WithDisk(Path.Combine(directory, "disk.qcow2"))
        .WithAdapter("ltdfdcfd1c", "52:54:00:aa:bb:03")
        .WithControlFiles(Path.Combine(directory, "qemu.pid"), Path.Combine(directory, "qmp.sock"), Path.Combine(directory, "console.log"));

    [Theory]
    [InlineData("gen2-uefi-tcg.argv")]
    [InlineData("gen1-bios-kvm.argv")]
    public void The_argv_matches_its_golden_file(string file)
    {
        var line = file.StartsWith("gen2", StringComparison.Ordinal) ? Generation2("/lab/.lab/vms/web") : Generation1("/lab/.lab/vms/db");
        var actual = string.Join('\n', [QemuCommandLine.Executable, .. line.ToArguments()]) + "\n";
        var path = Path.Combine(GoldenDirectory(), file);

        if (GoldenFiles.UpdateRequested())
            File.WriteAllText(path, actual);

        Assert.True(File.Exists(path), $"{path} is missing: run with LABRUNNER_UPDATE_GOLDEN=1");
        Assert.Equal(File.ReadAllText(path), actual);
    }

    [Fact]
    public void Generation_2_is_q35_with_ovmf_code_read_only_and_the_vms_own_variable_store_as_qcow2_for_snapshots()
    {
        var args = Generation2("/v").ToArguments();

        Assert.Equal("q35", After(args, "-machine"));
        Assert.Contains("if=pflash,unit=0,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd", args);
        Assert.Contains("if=pflash,unit=1,format=qcow2,file=/v/OVMF_VARS_4M.fd", args);
    }

    [Fact]
    public void Generation_1_is_pc_with_seabios_and_no_pflash()
    {
        var args = Generation1("/v").ToArguments();

        Assert.Equal("pc", After(args, "-machine"));
        Assert.DoesNotContain(args, a => a.Contains("pflash", StringComparison.Ordinal));
    }

    [Fact]
    public void The_seed_is_a_cdrom_on_virtio_scsi_never_on_ahci()
    {
        var args = Generation2("/v").ToArguments();

        Assert.Contains("virtio-scsi-pci,id=scsi0", args);
        Assert.Contains("if=none,id=seed,media=cdrom,readonly=on,format=raw,file=/v/seed.iso", args);
        Assert.Contains("scsi-cd,bus=scsi0.0,drive=seed", args);
        Assert.DoesNotContain("-cdrom", args);
    }

    [Fact]
    public void Each_adapter_is_a_tap_netdev_with_its_planned_mac_in_lower_case()
    {
        var args = Generation2("/v").ToArguments();

        Assert.Contains($"tap,id=net1,ifname={"lt4ee5d157"},script=no,downscript=no", args);
        Assert.Contains("virtio-net-pci,netdev=net1,mac=52:54:00:aa:bb:02", args);
    }

    [Fact]
    public void A_comma_in_a_path_cannot_add_an_option()
    {
        var args = Generation2("/labs/a,readonly=off").ToArguments();

        Assert.Contains("if=none,id=disk0,format=qcow2,file=/labs/a,,readonly=off/disk.qcow2", args);
        Assert.Contains("socket,id=qmp,path=/labs/a,,readonly=off/qmp.sock,server=on,wait=off", args);
    }

    [Fact]
    public void Builders_return_new_objects_and_leave_the_original_unchanged()
    {
        var original = Generation1("/v");

        var changed = original.WithMemory(4096).WithAdapter("lt00000000", "52:54:00:00:00:09");

        Assert.Equal(1024, original.MemoryMiB);
        Assert.Single(original.Adapters);
        Assert.Equal(4096, changed.MemoryMiB);
        Assert.Equal(2, changed.Adapters.Length);
    }

    [Theory]
    [InlineData("lt0;rm -rf", "52:54:00:00:00:01")]
    [InlineData("a-name-longer-than-15", "52:54:00:00:00:01")]
    [InlineData("lt00000000", "52:54:00:00:00")]
    [InlineData("lt00000000", "52:54:00:00:00:01,model=e1000")]
    public void Adapters_with_an_invalid_tap_or_mac_are_refused(string tap, string mac) =>
        Assert.Throws<ArgumentException>(() => QemuCommandLine.ForVm("web").WithAdapter(tap, mac));

    [Fact]
    public void Generation_2_needs_the_vms_own_variable_store() =>
        Assert.ThrowsAny<ArgumentException>(() => QemuCommandLine.ForVm("web").WithGeneration(2));

    [Fact]
    public void A_command_line_without_a_disk_is_incomplete() =>
        Assert.Throws<InvalidOperationException>(() => QemuCommandLine.ForVm("web").ToArguments());

    [Fact]
    public void Paused_and_foreground_are_options()
    {
        var args = Generation1("/v").WithStartPaused(true).WithDaemonize(false).ToArguments();

        Assert.Contains("-S", args);
        Assert.DoesNotContain("-daemonize", args);
    }

    [Fact]
    public void A_share_puts_the_memory_on_a_shared_memfd_backend_and_adds_a_vhost_user_fs_device_per_share()
    {
        var args = Generation1("/v").WithMemory(768).WithShare("lab0", "/run/a,b.vfs").WithShare("lab1", "/run/c.vfs").ToArguments().ToList();

        Assert.Equal("768M", After(args, "-m"));
        Assert.Equal("memory-backend-memfd,id=mem,size=768M,share=on", After(args, "-object"));
        Assert.Equal("node,memdev=mem", After(args, "-numa"));
        Assert.Contains("socket,id=fs0,path=/run/a,,b.vfs", args);
        Assert.Contains("vhost-user-fs-pci,chardev=fs0,tag=lab0", args);
        Assert.Contains("socket,id=fs1,path=/run/c.vfs", args);
        Assert.Contains("vhost-user-fs-pci,chardev=fs1,tag=lab1", args);
    }

    [Fact]
    public void Without_shares_the_memory_stays_private_and_no_share_tag_can_be_option_syntax()
    {
        var args = Generation1("/v").ToArguments();

        Assert.DoesNotContain("-object", args);
        Assert.DoesNotContain("-numa", args);
        Assert.Throws<ArgumentException>(() => Generation1("/v").WithShare("lab0,id=x", "/run/a.vfs"));
        Assert.Throws<ArgumentException>(() => Generation1("/v").WithShare("lab0", "/run/a.vfs").WithShare("lab0", "/run/b.vfs"));
    }

    private static string After(IReadOnlyList<string> args, string option) => args[args.ToList().IndexOf(option) + 1];

    private static string GoldenDirectory([CallerFilePath] string thisFile = "") => Path.Combine(Path.GetDirectoryName(thisFile)!, "..", "Golden");
}
