using LabRunner.Core.Hosting;
using LabRunner.Core.Reconciliation;
using LabRunner.HostCommon.Files;
using LabRunner.Simulation;

namespace LabRunner.Engine.Tests;

/// <summary>
/// The host's files (seeds, the VMs' folders) are the host's: the engine writes, checks and removes them through
/// the provider's <see cref="IHostProvider.Files"/>, never on this machine's file system directly, so a host on
/// another machine needs no change to the engine. A local host keeps them where they always were.
/// </summary>
public sealed class HostFilesTests : IDisposable
{
    private readonly TestLab _lab = new(TestLab.Three());
    private readonly RecordingHostFiles _files = new(LocalHostFiles.Instance);

    public void Dispose() => _lab.Dispose();

    private Task<EngineResult> Run(ReconcileMode mode, SimulatedHost host) =>
        _lab.Engine(new OwnFilesProvider(new SimulatedProvider(host), _files)).RunAsync(mode, [], EngineOptions.Default, CancellationToken.None);

    private string VmFolder(string vm) => Path.Combine(_lab.ProjectDirectory, ".lab", "vms", vm);

    [Fact]
    public async Task Up_checks_and_writes_every_seed_through_the_hosts_files_at_the_path_a_local_host_always_had()
    {
        var up = await Run(ReconcileMode.Up, _lab.Host());

        Assert.Equal(EngineOutcome.Done, up.Outcome);
        foreach (var vm in new[] { "web", "app", "db" })
        {
            var seed = Assert.Single(Directory.GetFiles(VmFolder(vm), "seed-*.iso"));
            Assert.Contains("check " + seed, _files.Calls);
            Assert.Contains("write " + seed, _files.Calls);
        }
    }

    [Fact]
    public async Task A_seed_the_host_no_longer_has_is_written_again_through_the_hosts_files()
    {
        var host = _lab.Host();
        await Run(ReconcileMode.Up, host);
        var seed = Assert.Single(Directory.GetFiles(VmFolder("db"), "seed-*.iso"));
        await LocalHostFiles.Instance.DeleteAsync(seed, CancellationToken.None);
        var before = _files.Calls.Count;

        var again = await Run(ReconcileMode.Up, host);

        Assert.Equal(EngineOutcome.Done, again.Outcome);
        Assert.Contains("write " + seed, _files.Calls.Skip(before));
        Assert.True(File.Exists(seed));
    }

    [Fact]
    public async Task A_seed_no_drive_holds_any_more_is_removed_through_the_hosts_files()
    {
        var host = _lab.Host();
        await Run(ReconcileMode.Up, host);
        var oldSeed = Assert.Single(Directory.GetFiles(VmFolder("db"), "seed-*.iso"));
        _lab.WriteLabfile(TestLab.Three(dbIp: "192.168.60.77"));

        await Run(ReconcileMode.Reload, host);

        Assert.Contains("delete " + oldSeed, _files.Calls);
        Assert.False(File.Exists(oldSeed));
    }

    [Fact]
    public async Task Down_removes_the_vm_folders_through_the_hosts_files()
    {
        var host = _lab.Host();
        await Run(ReconcileMode.Up, host);

        var down = await Run(ReconcileMode.Down, host);

        Assert.Equal(EngineOutcome.Done, down.Outcome);
        foreach (var vm in new[] { "web", "app", "db" })
        {
            Assert.Contains("delete folder " + VmFolder(vm), _files.Calls);
            Assert.False(Directory.Exists(VmFolder(vm)));
        }
    }
}
