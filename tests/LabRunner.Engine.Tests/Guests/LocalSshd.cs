using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using LabRunner.Core.Net;
using LabRunner.Engine.Guests;
using LabRunner.Guest.Ssh;

namespace LabRunner.Engine.Tests.Guests;

/// <summary>
/// A real OpenSSH server on 127.0.0.1 for the test's lifetime: its own config, the host key LabRunner
/// generates (the same kind a guest gets through cloud-init), root logging in with a key pair made for
/// the test. No system service is touched; the server is ended by its process id.
/// </summary>
public sealed class LocalSshd : IDisposable
{
    public const string Sshd = "/usr/sbin/sshd";
    private readonly Process _process;
    private readonly DirectoryInfo _folder;

    public SshKeyPair HostKey { get; } = SshKeys.Generate("test");
    public SshKeyPair UserKey { get; } = SshKeys.Generate("test");
    public int Port { get; }

    /// <summary>Why it cannot run here (no sshd, not root), or null. On CI a reason fails the test.</summary>
    public static string? WhyNot() =>
        OperatingSystem.IsWindows() ? "needs Linux"
        : !File.Exists(Sshd) ? "sshd is not installed; install it with: apt-get install -y openssh-server"
        : Environment.UserName != "root" ? "needs root (sshd logs users in)"
        : null;

    public LocalSshd()
    {
        if (WhyNot() is { } why) throw new Xunit.Sdk.XunitException(why);
        _folder = Directory.CreateTempSubdirectory("labrunner-sshd");
        var hostKey = Path.Combine(_folder.FullName, "host_key");
        File.WriteAllText(hostKey, HostKey.PrivateKeyPem);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(hostKey, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var authorized = Path.Combine(_folder.FullName, "authorized_keys");
        File.WriteAllText(authorized, UserKey.PublicKey + "\n");
        Port = FreePort();
        var config = Path.Combine(_folder.FullName, "sshd_config");
        File.WriteAllText(config, $"""
            ListenAddress 127.0.0.1
            Port {Port}
            HostKey {hostKey}
            PidFile {Path.Combine(_folder.FullName, "sshd.pid")}
            AuthorizedKeysFile {authorized}
            PermitRootLogin prohibit-password
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            UsePAM no
            StrictModes no
            Subsystem sftp internal-sftp
            """);
        Directory.CreateDirectory("/run/sshd");
        var start = new ProcessStartInfo(Sshd) { UseShellExecute = false, RedirectStandardError = true };
        foreach (var a in new[] { "-D", "-e", "-f", config }) start.ArgumentList.Add(a);
        _process = Process.Start(start)!;
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!Listening() && DateTime.UtcNow < deadline && !_process.HasExited) Thread.Sleep(50);
        if (!Listening()) throw new InvalidOperationException($"sshd did not start on port {Port} (exited: {_process.HasExited})");
    }

    public GuestLogin Login(string? pinnedHostKey = "pinned") =>
        new("local", Ipv4Address.Parse("127.0.0.1"), Port, "root", UserKey.PrivateKeyPem, pinnedHostKey == "pinned" ? HostKey.PublicKey : pinnedHostKey);

    private bool Listening()
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, Port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Ends the listening server: no new connection is accepted; sessions already made (forked processes) go on.</summary>
    public void StopListening()
    {
        if (!_process.HasExited) _process.Kill();
        // With a timeout: the sessions it forked keep its stderr open, which WaitForExit() would wait for.
        _process.WaitForExit(TimeSpan.FromSeconds(10));
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill();
        _process.WaitForExit();
        _process.Dispose();
        _folder.Delete(recursive: true);
    }
}

/// <summary>Runs where sshd can; off CI a missing sshd or root skips with the reason, on CI it fails.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class SshdFactAttribute : FactAttribute
{
    public SshdFactAttribute()
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"))) return;
        Skip = LocalSshd.WhyNot();
    }
}
