using System.Diagnostics;
using System.Net.Sockets;
using LabRunner.Core.Net;
using LabRunner.Engine.Guests;
using LabRunner.Guest.Access;

namespace LabRunner.Engine.Tests.Guests;

/// <summary>
/// OpenSSH connection sharing for the lab's guests: control socket paths that fit a unix socket, a real ssh master
/// against a real sshd reused by the next ssh, and 'halt'/'down' ending it through OpenSSH's own mux protocol.
/// </summary>
public sealed class SshMastersTests : IDisposable
{
    // Short on purpose: the socket path must fit 104 bytes.
    private readonly DirectoryInfo _state = Directory.CreateTempSubdirectory("lr-cm");

    public void Dispose() => _state.Delete(recursive: true);

    [Fact]
    public void A_control_path_is_per_vm_and_address_and_fits_a_unix_socket_or_there_is_none()
    {
        var address = Ipv4Address.Parse("10.10.0.5");

        var web = SshMasters.ControlPath(_state.FullName, "web", address, 22, "lab");
        var moved = SshMasters.ControlPath(_state.FullName, "web", Ipv4Address.Parse("10.10.0.9"), 22, "lab");
        var db = SshMasters.ControlPath(_state.FullName, "db", address, 22, "lab");
        var rekeyed = SshMasters.ControlPath(_state.FullName, "web", address, 22, "lab", "ecdsa-sha2-nistp256 AAAAother");
        var deep = SshMasters.ControlPath(Path.Combine(_state.FullName, new string('d', 70), ".lab"), "web", address, 22, "lab");

        if (OperatingSystem.IsWindows())
        {
            Assert.Null(web);
            return;
        }
        Assert.NotNull(web);
        Assert.Equal(Path.Combine(_state.FullName, SshMasters.FolderName), Path.GetDirectoryName(web));
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(web) + SshMasters.OpenSshTemporarySuffix < SshMasters.MaxSocketPathBytes, web);
        Assert.Equal(web, SshMasters.ControlPath(_state.FullName, "web", address, 22, "lab"));
        Assert.NotEqual(web, moved);
        // Another pinned key is checked by a connection of its own, never passed by the old one.
        Assert.NotEqual(web, rekeyed);
        // One VM's sockets share the first characters of their names, so closing a VM finds all of them.
        Assert.Equal(Path.GetFileName(web)[..6], Path.GetFileName(moved)![..6]);
        Assert.NotEqual(Path.GetFileName(web)[..6], Path.GetFileName(db)![..6]);
        Assert.Null(deep);
    }

    [Fact]
    public void The_folder_of_the_sockets_is_owner_only()
    {
        if (OperatingSystem.IsWindows()) return;
        Directory.CreateDirectory(SshMasters.FolderPath(_state.FullName));
        File.SetUnixFileMode(SshMasters.FolderPath(_state.FullName), (UnixFileMode)0b111_101_101);

        Assert.True(SshMasters.TryCreateFolder(_state.FullName));

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(SshMasters.FolderPath(_state.FullName)));
    }

    [Fact]
    public async Task A_socket_nothing_listens_at_any_more_is_removed_and_other_vms_sockets_are_left()
    {
        if (OperatingSystem.IsWindows()) return;
        SshMasters.TryCreateFolder(_state.FullName);
        var web = SshMasters.ControlPath(_state.FullName, "web", Ipv4Address.Parse("10.10.0.5"), 22, "lab")!;
        var db = SshMasters.ControlPath(_state.FullName, "db", Ipv4Address.Parse("10.10.0.6"), 22, "lab")!;
        DeadSocket(web);
        DeadSocket(db);

        var closed = await SshMasters.CloseAsync(_state.FullName, ["web"], CancellationToken.None);

        Assert.Equal(0, closed);
        Assert.False(File.Exists(web));
        Assert.True(File.Exists(db));
        Assert.Equal(MuxClose.Stale, await OpenSshMux.CloseAsync(db, CancellationToken.None));
        Assert.False(File.Exists(db));
    }

    [SshdFact]
    public async Task The_second_ssh_runs_over_the_first_ones_connection_and_halt_ends_it()
    {
        using var sshd = new LocalSshd();
        var (target, key) = Target(sshd);
        Assert.NotNull(target.ControlPath);

        var first = Ssh(target, "echo first");
        var master = await OpenSshMux.CheckAsync(target.ControlPath, CancellationToken.None);
        // No new connection can be made any more: sshd's listener ends (the sessions it forked stay).
        sshd.StopListening();
        var second = Ssh(target, "echo second");
        var same = await OpenSshMux.CheckAsync(target.ControlPath, CancellationToken.None);
        var closed = await SshMasters.CloseAsync(_state.FullName, [], CancellationToken.None);

        Assert.Equal((0, "first"), first);
        Assert.NotNull(master);
        Assert.Equal((0, "second"), second);
        Assert.Equal(master, same);
        Assert.Equal(1, closed);
        Assert.True(Exited(master.Value), $"the master (pid {master}) still runs");
        Assert.False(File.Exists(target.ControlPath));
        Assert.Null(await OpenSshMux.CheckAsync(target.ControlPath, CancellationToken.None));
        File.Delete(key);
    }

    [SshdFact]
    public async Task The_master_up_opens_in_the_background_serves_the_next_ssh_and_a_second_one_adds_nothing()
    {
        using var sshd = new LocalSshd();
        var (target, key) = Target(sshd);

        var opened = Run(OpenSsh.MasterArguments(target));
        var master = await OpenSshMux.CheckAsync(target.ControlPath!, CancellationToken.None);
        var again = Run(OpenSsh.MasterArguments(target));
        var same = await OpenSshMux.CheckAsync(target.ControlPath!, CancellationToken.None);
        sshd.StopListening();   // from here only the master's connection can carry a session
        var session = Ssh(target, "echo over-the-master");
        var closed = await SshMasters.CloseAsync(_state.FullName, ["web"], CancellationToken.None);

        Assert.Equal(0, opened);   // ssh -f returned once logged in, leaving the master in the background
        Assert.NotNull(master);
        Assert.Equal(0, again);
        Assert.Equal(master, same);
        Assert.Equal((0, "over-the-master"), session);
        Assert.Equal(1, closed);
        Assert.True(Exited(master.Value), $"the master (pid {master}) still runs");
        File.Delete(key);
    }

    /// <summary>The system's ssh with these arguments, input closed; its exit code once it returns.</summary>
    private static int Run(IReadOnlyList<string> arguments)
    {
        var start = new ProcessStartInfo("ssh") { UseShellExecute = false, RedirectStandardInput = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)), "ssh did not return");
        return process.ExitCode;
    }

    private (SshTarget Target, string Key) Target(LocalSshd sshd)
    {
        var key = Path.Combine(_state.FullName, "id_ecdsa");
        File.WriteAllText(key, sshd.UserKey.PrivateKeyPem);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var knownHosts = Path.Combine(_state.FullName, "known_hosts");
        var address = Ipv4Address.Parse("127.0.0.1");
        File.WriteAllText(knownHosts, OpenSsh.KnownHostsLine([address], sshd.HostKey.PublicKey, sshd.Port) + "\n");
        Assert.True(SshMasters.TryCreateFolder(_state.FullName));
        return (new SshTarget("web", address, "root", key, knownHosts, sshd.Port)
        {
            ControlPath = SshMasters.ControlPath(_state.FullName, "web", address, sshd.Port, "root"),
        }, key);
    }

    /// <summary>The system's ssh with <c>lab ssh</c>'s arguments; its exit code and output.</summary>
    private static (int, string) Ssh(SshTarget target, string command)
    {
        var start = new ProcessStartInfo("ssh") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var argument in OpenSsh.Arguments(target, command, terminal: false)) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        // The master goes to the background with its standard streams on /dev/null, so reading to the end returns.
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)), "ssh did not end");
        return process.ExitCode == 0 ? (0, output.Trim()) : (process.ExitCode, error);
    }

    private static bool Exited(int pid)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            // Gone, or a zombie waiting for its parent (init reaps a daemon's).
            if (!File.Exists($"/proc/{pid}/stat") || File.ReadAllText($"/proc/{pid}/stat").Split(") ")[1].StartsWith('Z')) return true;
            Thread.Sleep(50);
        }
        return false;
    }

    /// <summary>A unix socket file whose listener has gone, as a master killed with SIGKILL leaves behind.</summary>
    private static void DeadSocket(string path)
    {
        // .NET removes the file of a socket it bound when the socket closes: bind elsewhere, move the file into place.
        var bound = path + ".bound";
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(bound));
        listener.Listen();
        File.Move(bound, path);
    }
}
