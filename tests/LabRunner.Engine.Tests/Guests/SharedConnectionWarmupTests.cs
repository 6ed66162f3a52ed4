using LabRunner.Engine.Guests;
using LabRunner.Guest.Access;

namespace LabRunner.Engine.Tests.Guests;

/// <summary>
/// Issue 16.4: while 'up' waits, the shared SSH connection of each Linux guest is opened at its first login (the
/// cloud-init phase), once; never for a Windows guest or where a socket is already there; and a guest whose connection
/// dropped (a reboot) has its master ended and gets a new one at its next login.
/// </summary>
public sealed class SharedConnectionWarmupTests : IDisposable
{
    private readonly TestLab _lab = new("""
        name: demo
        networks:
          - { name: back, type: private, subnet: 192.168.70.0/24 }
        vms:
          - { name: web, box: ubuntu, networks: [{ network: back, ip: 192.168.70.10 }] }
          - { name: db, box: ubuntu, networks: [{ network: back, ip: 192.168.70.11 }] }
          - { name: win, box: ubuntu, os: windows, networks: [{ network: back, ip: 192.168.70.12 }] }
        """);

    public void Dispose() => _lab.Dispose();

    [Fact]
    public void Each_linux_guest_gets_its_shared_connection_at_its_first_login_and_the_phases_still_reach_the_view()
    {
        if (OperatingSystem.IsWindows()) return;   // no connection sharing there: SshMasters gives no socket path
        var (project, _, plan) = _lab.Planned();
        var shown = new RecordingReporter();
        var opened = new List<SshTarget>();
        var warmup = new SharedConnectionWarmup(shown, project.StateDirectory, plan, opened.Add);

        foreach (var vm in new[] { "web", "db", "win" })
        {
            warmup.Phase(vm, GuestPhase.Booting, TimeSpan.Zero);
            warmup.Phase(vm, GuestPhase.Network, TimeSpan.FromSeconds(1));
        }
        Assert.Empty(opened);   // not before a login
        warmup.Phase("web", GuestPhase.CloudInit, TimeSpan.FromSeconds(2));
        warmup.Phase("web", GuestPhase.CloudInit, TimeSpan.FromSeconds(3));
        warmup.Phase("win", GuestPhase.CloudInit, TimeSpan.FromSeconds(3));
        warmup.Phase("web", GuestPhase.Ready, TimeSpan.FromSeconds(4));

        var web = Assert.Single(opened);
        Assert.Equal("web", web.Vm);
        Assert.Equal("192.168.70.10", web.Address.ToString());
        Assert.Equal(SshMasters.FolderPath(project.StateDirectory), Path.GetDirectoryName(web.ControlPath));
        Assert.True(File.Exists(GuestAccessFiles.KnownHostsPath(project.StateDirectory)), "known_hosts was not written before ssh was started");
        Assert.Equal(10, shown.Phases.Count);

        // A socket already there (a master an earlier 'lab ssh' left): nothing is started for db.
        File.WriteAllText(SshMasters.ControlPath(project.StateDirectory, "db", Core.Net.Ipv4Address.Parse("192.168.70.11"), 22, plan.Vms.First(v => v.Name == "db").User)!, "");
        warmup.Phase("db", GuestPhase.CloudInit, TimeSpan.FromSeconds(5));
        Assert.Single(opened);
    }

    [Fact]
    public void A_guest_whose_connection_dropped_gets_a_new_shared_connection_at_its_next_login()
    {
        if (OperatingSystem.IsWindows()) return;
        var (project, _, plan) = _lab.Planned();
        var opened = new List<SshTarget>();
        var warmup = new SharedConnectionWarmup(new RecordingReporter(), project.StateDirectory, plan, opened.Add);

        warmup.Phase("web", GuestPhase.CloudInit, TimeSpan.FromSeconds(2));
        // Stands for the master ssh made: a socket file nothing listens at once the guest rebooted.
        File.WriteAllText(opened[0].ControlPath!, "");
        warmup.Phase("web", GuestPhase.Booting, TimeSpan.FromSeconds(3));   // the connection dropped: a reboot
        var removed = !File.Exists(opened[0].ControlPath!);
        warmup.Phase("web", GuestPhase.Network, TimeSpan.FromSeconds(30));
        warmup.Phase("web", GuestPhase.CloudInit, TimeSpan.FromSeconds(31));

        Assert.True(removed, "the old master's socket was left for the next 'lab ssh' to run into");
        Assert.Equal(2, opened.Count);
        Assert.Equal(opened[0].ControlPath, opened[1].ControlPath);
    }
}
