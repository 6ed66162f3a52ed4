using System.Security.Cryptography;
using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Core.Planning;
using LabRunner.Engine;
using LabRunner.Engine.Sync;
using LabRunner.HyperV.Emulation;
using LabRunner.Providers.HyperV;
using LabRunner.Providers.HyperV.Guests;
using LabRunner.Simulation;

namespace LabRunner.Integration.Tests;

/// <summary>
/// A synced folder pushed into a Windows guest through PowerShell Direct: the provider's exact PowerShell Direct
/// script and the push's guest scripts run by the real PowerShell engine against the emulated Invoke-Command,
/// New-PSSession and Copy-Item -ToSession, whose guests are runspaces of this process (so the guest's folder is a
/// folder here). Only a Windows host can confirm it against real guests.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class DirectPushTests : IDisposable
{
    private const string Password = "Pa$$w0rd 'q'";
    private readonly SimulatedHost _host = SimulatedHost.InMemory();
    private readonly EmulatedGuests _guests = new();
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("labrunner-directpush-");
    private string Project => Path.Combine(_root.FullName, "project");
    private string Guest => Path.Combine(_root.FullName, "guest", "C app");

    public void Dispose() => _root.Delete(recursive: true);

    private DirectPushTransport Transport()
    {
        _host.Mutate(m => m.StartVm(m.NewVm("win", 2, 512L * 1024 * 1024, null, null, null)));
        _guests.Boot("win", "Administrator", Password);
        var direct = new PowerShellDirect(new InProcessPowerShellRunner(_host, guests: _guests));
        return new DirectPushTransport(direct, new DirectGuest("win", "Administrator", Password), Path.Combine(_root.FullName, "guest-state"));
    }

    private void Write(string path, string content)
    {
        var full = Path.Combine(Project, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
    }

    private static List<string> Files(string root) =>
        [.. Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f) + "|" + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(f))))
            .Order(StringComparer.Ordinal)];

    [Fact]
    public async Task A_windows_guest_gets_the_tree_and_later_only_the_changes_and_deletions()
    {
        Directory.CreateDirectory(Project);
        File.WriteAllText(Path.Combine(Project, "Labfile.yml"), "name: demo\n");
        var project = LabProject.Open(null, Project, _ => null, HyperVRules.Instance);
        Write("app/main.ps1", "'hello'\n");
        Write("app/deep/a file ü 'q' $(x).txt", "unicode and quotes\n");
        Write("-Force", "a name that looks like a parameter\n");
        Write("logs/out.log", "excluded\n");
        File.CreateSymbolicLink(Path.Combine(Project, "app/link"), "main.ps1");
        var folder = new SyncedFolderPlan(0, ".", Guest, SyncedFolderType.Push, ["logs/"], "lab", "lab");
        var transport = Transport();
        var push = new FolderPush(project, TimeProvider.System);

        var first = await push.PushAsync("win", folder, transport, CancellationToken.None);
        var afterFirst = Files(Guest);
        Write("app/main.ps1", "'changed'\n");
        File.Delete(Path.Combine(Project, "-Force"));
        var second = await push.PushAsync("win", folder, transport, CancellationToken.None);
        var third = await push.PushAsync("win", folder, transport, CancellationToken.None);

        Assert.Equal(Files(Project).Where(f => !f.StartsWith("logs/", StringComparison.Ordinal) && !f.StartsWith(".lab/", StringComparison.Ordinal) && !f.StartsWith("app/link|", StringComparison.Ordinal))
            .Append("-Force|" + Convert.ToHexStringLower(SHA256.HashData("a name that looks like a parameter\n"u8))).Select(f => f.StartsWith("app/main.ps1|", StringComparison.Ordinal) ? "app/main.ps1|" + Convert.ToHexStringLower(SHA256.HashData("'hello'\n"u8)) : f)
            .Order(StringComparer.Ordinal), afterFirst.Where(f => !f.StartsWith("app/link|", StringComparison.Ordinal)));
        Assert.Equal("main.ps1", new FileInfo(Path.Combine(Guest, "app", "link")).LinkTarget);
        Assert.True(first.Full);
        Assert.Equal((1, 1, false), (second.Sent, second.Deleted, second.Full));
        Assert.False(File.Exists(Path.Combine(Guest, "-Force")));
        Assert.Equal("'changed'\n", File.ReadAllText(Path.Combine(Guest, "app", "main.ps1")));
        Assert.Equal((0, 0), (third.Sent, third.Deleted));
    }
}
