using System.Collections.Immutable;
using LabRunner.Core.Hosting;
using LabRunner.Providers.Qemu.Acceleration;
using LabRunner.Providers.Qemu.Tests.Support;
using LabRunner.Providers.Qemu.Vms;
using LabRunner.Tests.Shared;

namespace LabRunner.Providers.Qemu.Tests.Provider;

/// <summary>
/// 'type: virtiofs' synced folders on the QEMU provider, with fake processes: a virtiofsd per share started before QEMU
/// and recorded by pid, QEMU given the share, and the daemon stopped by that pid with the VM — also when it outlived it.
/// </summary>
public sealed class VirtiofsShareTests : IDisposable
{
    private const string Mark = "labrunner:v1 lab=web project=0123abcd";
    private const string Vm = "web-app";

    private readonly string _directory = Directory.CreateTempSubdirectory("lr-vfs-").FullName;
    private readonly FakeHostCommandRunner _runner = new();
    private readonly FakeVmProcesses _processes = new();
    private readonly FakeShareDaemons _daemons = new();
    private readonly QemuProvider _provider;

    public VirtiofsShareTests()
    {
        Directory.CreateDirectory(Path.Combine(_directory, "boxes"));
        Directory.CreateDirectory(Site);
        File.WriteAllBytes(Box, DiskImages.Qcow2());
        File.WriteAllText(Virtiofsd, "");
        _provider = new QemuProvider(new QemuProviderOptions(new VmRegistry(Path.Combine(_directory, "registry")), _runner)
        {
            Processes = _processes,
            ShareDaemons = _daemons,
            Virtiofsd = Virtiofsd,
            AcceleratorProbe = new FixedVirtiofsProbe(new AcceleratorFacts(true, null, PvmLoaded: true, Override: null)),
            HostName = "testhost",
            PollInterval = TimeSpan.FromMilliseconds(1),
            ShareStartTimeout = TimeSpan.FromSeconds(5),
            LockDirectory = Path.Combine(_directory, "locks"),
        });
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Box => Path.Combine(_directory, "boxes", "debian-12.img");
    private string Virtiofsd => Path.Combine(_directory, "virtiofsd");
    private string Site => Path.Combine(_directory, "project", "site,v2");
    private string Folder => Path.Combine(_directory, "project", ".lab", "vms", "app");
    private string Disk => Path.Combine(Folder, "app.qcow2");
    private string Socket => _provider.Registry.ShareSocket(Vm, "lab0");
    private string PidFile => _provider.Registry.SharePidFile(Vm, "lab0");

    private ImmutableArray<HostOperation> UpBatch() =>
    [
        new CreateDisk(Vm, Disk, Box),
        new CreateVm(Vm, 1, 512L * 1024 * 1024, Folder, Disk, Mark),
        new SetVmHardware(Vm, 1, 512L * 1024 * 1024),
        new AddVmShare(Vm, "lab0", Site),
        new StartVm(Vm),
    ];

    private async Task UpAsync()
    {
        var result = await _provider.ApplyAsync(new OperationBatch("up", UpBatch()), null, CancellationToken.None);
        Assert.True(result.Succeeded, string.Join("; ", result.Errors.Select(e => e.Error.Message)));
        _processes.Running[_provider.Registry.PidFile(Vm)] = 4242;
    }

    [Fact]
    public async Task A_share_starts_its_virtiofsd_before_qemu_and_qemu_gets_shared_memory_and_the_device()
    {
        await UpAsync();

        var daemon = Assert.Single(_daemons.Started);
        Assert.Equal([Virtiofsd, "--socket-path=" + Socket, "-o", "source=" + Site.Replace(",", "\\,", StringComparison.Ordinal), "-o", "cache=auto", "-o", "sandbox=namespace"], daemon);
        Assert.Equal("7000", File.ReadAllText(PidFile).Trim());
        var qemu = Assert.Single(_runner.Commands, c => c.Executable == "qemu-system-x86_64").Arguments;
        Assert.Contains("memory-backend-memfd,id=mem,size=512M,share=on", qemu);
        Assert.Contains("node,memdev=mem", qemu);
        Assert.Contains($"socket,id=fs0,path={Socket}", qemu);
        Assert.Contains("vhost-user-fs-pci,chardev=fs0,tag=lab0", qemu);
        var inventory = await _provider.GetInventoryAsync([], CancellationToken.None);
        Assert.Equal([new HostVmShare("lab0", Site)], Assert.Single(inventory.Vms).Shares.AsEnumerable());
    }

    [Fact]
    public async Task Halting_the_vm_stops_its_virtiofsd_by_the_recorded_pid()
    {
        await UpAsync();

        var result = await _provider.ApplyAsync(new OperationBatch("halt", [new StopVm(Vm, TurnOff: false)]), null, CancellationToken.None);

        Assert.True(result.Succeeded);
        Assert.Equal([7000], _daemons.Killed);
        Assert.Empty(_daemons.Running);
        Assert.False(File.Exists(PidFile));
        Assert.False(File.Exists(Socket));
    }

    [Fact]
    public async Task A_virtiofsd_that_outlived_its_vm_is_stopped_at_the_next_start_and_only_by_its_own_pid()
    {
        await UpAsync();
        _processes.Running.Clear(); // QEMU was killed; its virtiofsd (pid 7000) still runs
        _daemons.Running[9999] = ["/usr/lib/qemu/virtiofsd", "--socket-path=/elsewhere.vfs"]; // someone else's

        var result = await _provider.ApplyAsync(new OperationBatch("up", [new StartVm(Vm)]), null, CancellationToken.None);

        Assert.True(result.Succeeded, string.Join("; ", result.Errors.Select(e => e.Error.Message)));
        Assert.Equal([7000], _daemons.Killed);
        Assert.Equal("7001", File.ReadAllText(PidFile).Trim());
        Assert.Equal([7001, 9999], _daemons.Running.Keys.Order());
    }

    [Fact]
    public async Task Down_of_a_crashed_vm_stops_its_leftover_virtiofsd()
    {
        await UpAsync();
        _processes.Running.Clear();

        var result = await _provider.ApplyAsync(new OperationBatch("down", [new RemoveVm(Vm)]), null, CancellationToken.None);

        Assert.True(result.Succeeded, string.Join("; ", result.Errors.Select(e => e.Error.Message)));
        Assert.Equal([7000], _daemons.Killed);
        Assert.Empty(_daemons.Running);
        Assert.False(File.Exists(PidFile));
    }

    [Fact]
    public async Task A_share_changes_only_while_the_vm_is_off()
    {
        await UpAsync();

        var add = await _provider.ApplyAsync(new OperationBatch("vm", [new AddVmShare(Vm, "lab1", Site)]), null, CancellationToken.None);
        var remove = await _provider.ApplyAsync(new OperationBatch("vm", [new RemoveVmShare(Vm, "lab0")]), null, CancellationToken.None);

        Assert.Equal(HostErrorKind.InvalidState, Assert.Single(add.Errors).Error.Kind);
        Assert.Equal(HostErrorKind.InvalidState, Assert.Single(remove.Errors).Error.Kind);
        Assert.Equal(["lab0"], _provider.Registry.Find(Vm)!.Shares.Select(s => s.Tag));
    }

    [Fact]
    public async Task A_virtiofsd_that_exits_at_once_fails_the_start_with_its_log_and_qemu_is_not_started()
    {
        _daemons.OpensSocket = false;

        var result = await _provider.ApplyAsync(new OperationBatch("up", UpBatch()), null, CancellationToken.None);

        var error = Assert.Single(result.Errors);
        Assert.Equal(HostErrorKind.Failed, error.Error.Kind);
        Assert.Contains("fuse: bad mount point", error.Error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_runner.Commands, c => c.Executable == "qemu-system-x86_64");
        Assert.False(File.Exists(PidFile));
    }

    [Fact]
    public async Task A_missing_shared_folder_refuses_the_start_before_any_process()
    {
        Directory.Delete(Site);

        var result = await _provider.ApplyAsync(new OperationBatch("up", UpBatch()), null, CancellationToken.None);

        Assert.Equal(HostErrorKind.NotFound, Assert.Single(result.Errors).Error.Kind);
        Assert.Empty(_daemons.Started);
        Assert.DoesNotContain(_runner.Commands, c => c.Executable == "qemu-system-x86_64");
    }

    [Fact]
    public async Task A_missing_virtiofsd_is_unavailable_with_the_package_that_has_it()
    {
        File.Delete(Virtiofsd);

        var result = await _provider.ApplyAsync(new OperationBatch("up", UpBatch()), null, CancellationToken.None);

        var error = Assert.Single(result.Errors).Error;
        Assert.Equal(HostErrorKind.Unavailable, error.Kind);
        Assert.Contains("apt-get install -y qemu-system-common", error.Message, StringComparison.Ordinal);
        Assert.Empty(_daemons.Started);
    }

    [Fact]
    public void What_if_shows_the_virtiofsd_before_the_qemu_that_connects_to_it()
    {
        var preview = _provider.Preview(new OperationBatch("up", UpBatch()))!;

        var virtiofsd = preview.IndexOf($"{Virtiofsd} --socket-path=", StringComparison.Ordinal);
        var qemu = preview.IndexOf("qemu-system-x86_64 ", StringComparison.Ordinal);
        Assert.True(virtiofsd >= 0 && qemu > virtiofsd, preview);
        Assert.Contains("vhost-user-fs-pci,chardev=fs0,tag=lab0", preview, StringComparison.Ordinal);
    }
}

internal sealed class FixedVirtiofsProbe(AcceleratorFacts facts) : IAcceleratorProbe
{
    public AcceleratorFacts Probe() => facts;
}
