using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using LabRunner.Core.Labfile;
using LabRunner.Core.Planning;
using LabRunner.Engine;
using LabRunner.Engine.Guests;
using LabRunner.Engine.Sync;
using LabRunner.Guest.Access;
using LabRunner.Guest.Ssh;
using LabRunner.Providers.HyperV;

namespace LabRunner.Benchmarks;

/// <summary>
/// Issue 19: a synced folder's push of a 100 MiB tree of 5,000 files — the first (everything), an incremental one
/// (50 files edited, 10 deleted) and one with nothing to do — through the whole path: the host tree read and hashed,
/// the manifest, SSH.NET to a real OpenSSH server on 127.0.0.1 (its own config and keys, ended by pid), sudo and
/// GNU tar writing the guest folder. The guest side runs on this machine, so the figures are LabRunner's own cost
/// without a TCG guest's slow CPU. Needs root and sshd.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public static class SyncBenchmark
{
    public const int Files = 5000;
    public const long TotalBytes = 100L << 20;

    public static async Task RunAsync(TextWriter output)
    {
        var root = Directory.CreateTempSubdirectory("labrunner-syncbench").FullName;
        Process? sshd = null;
        try
        {
            var project = Path.Combine(root, "project");
            Directory.CreateDirectory(project);
            File.WriteAllText(Path.Combine(project, "Labfile.yml"), "name: bench\n");
            var tree = Path.Combine(project, "tree");
            var random = new Random(19);
            var size = (int)(TotalBytes / Files);
            for (var i = 0; i < Files; i++)
            {
                var folder = Path.Combine(tree, $"dir{i % 50:00}", $"sub{i % 7}");
                Directory.CreateDirectory(folder);
                var bytes = new byte[size];
                random.NextBytes(bytes);
                File.WriteAllBytes(Path.Combine(folder, $"file {i:0000}.bin"), bytes);
            }
            var (process, login) = StartSshd(root);
            sshd = process;
            var lab = LabProject.Open(null, project, _ => null, HyperVRules.Instance);
            var folderPlan = new SyncedFolderPlan(0, "tree", Path.Combine(root, "guest", "srv-app"), SyncedFolderType.Push, [], "root", "root");

            async Task<(PushResult Result, TimeSpan Wall)> PushAsync()
            {
                var watch = Stopwatch.StartNew();
                await using var session = (await new SshNetConnector().TryConnectAsync(login, CancellationToken.None))!;
                var result = await new FolderPush(lab, TimeProvider.System)
                    .PushAsync("bench", folderPlan, new SshPushTransport(session, new PushCommands(Path.Combine(root, "guest-state"))), CancellationToken.None);
                return (result, watch.Elapsed);
            }

            var first = await PushAsync();
            for (var i = 0; i < 50; i++)
                File.AppendAllText(Path.Combine(tree, $"dir{i % 50:00}", $"sub{i % 7}", $"file {i:0000}.bin"), "edited");
            for (var i = 100; i < 110; i++)
                File.Delete(Path.Combine(tree, $"dir{i % 50:00}", $"sub{i % 7}", $"file {i:0000}.bin"));
            var incremental = await PushAsync();
            var nothing = await PushAsync();

            output.WriteLine($"Push of a {TotalBytes >> 20} MiB tree of {Files} files to a local sshd (SSH.NET, sudo, GNU tar), {Environment.ProcessorCount} cores:");
            output.WriteLine();
            output.WriteLine("| push | sent | deleted | wall time (connect included) |");
            output.WriteLine("|---|---|---|---|");
            foreach (var (name, (result, wall)) in new[] { ("first (everything)", first), ("incremental (50 edited, 10 deleted)", incremental), ("nothing changed", nothing) })
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {result.Sent} ({result.Bytes / 1048576.0:0.0} MiB) | {result.Deleted} | {wall.TotalSeconds:0.00} s |"));
        }
        finally
        {
            if (sshd is { HasExited: false }) sshd.Kill();
            sshd?.WaitForExit();
            sshd?.Dispose();
            Directory.Delete(root, recursive: true);
        }
    }

    private static (Process Sshd, GuestLogin Login) StartSshd(string root)
    {
        var hostKey = SshKeys.Generate("bench");
        var userKey = SshKeys.Generate("bench");
        var keyFile = Path.Combine(root, "host_key");
        File.WriteAllText(keyFile, hostKey.PrivateKeyPem);
        File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var authorized = Path.Combine(root, "authorized_keys");
        File.WriteAllText(authorized, userKey.PublicKey + "\n");
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        var config = Path.Combine(root, "sshd_config");
        File.WriteAllText(config, $"ListenAddress 127.0.0.1\nPort {port}\nHostKey {keyFile}\nPidFile {Path.Combine(root, "sshd.pid")}\n" +
            $"AuthorizedKeysFile {authorized}\nPermitRootLogin prohibit-password\nPasswordAuthentication no\nUsePAM no\nStrictModes no\n");
        Directory.CreateDirectory("/run/sshd");
        var start = new ProcessStartInfo("/usr/sbin/sshd") { UseShellExecute = false, RedirectStandardError = true };
        foreach (var a in new[] { "-D", "-e", "-f", config }) start.ArgumentList.Add(a);
        var process = Process.Start(start)!;
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, port);
                break;
            }
            catch (SocketException)
            {
                Thread.Sleep(50);
            }
        }
        return (process, new GuestLogin("bench", Core.Net.Ipv4Address.Parse("127.0.0.1"), port, "root", userKey.PrivateKeyPem, hostKey.PublicKey));
    }
}
