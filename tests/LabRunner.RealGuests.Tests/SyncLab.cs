using System.Diagnostics;
using LabRunner.RealGuests.Tests.Support;

// The labs of this assembly each boot real guests under TCG on a 2-core machine: one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace LabRunner.RealGuests.Tests;

/// <summary>
/// Issue 19's push on one real guest: a 1-VM lab (512 MB, a private network the host reaches) whose Labfile syncs
/// <c>./tree</c> to <c>/srv/app</c> with excludes and has a provisioner that lists what it sees there. The tree has
/// nested folders, a symbolic link, a name with spaces and Unicode, and an excluded folder. Booted once by
/// <c>lab up --provider qemu</c> in namespaces of its own; disposal runs <c>lab down</c> and removes everything by id.
/// </summary>
public sealed class SyncLab : IAsyncLifetime
{
    public const string GuestPath = "/srv/app";
    public const string Ip = "192.168.63.10";
    public const string SeenByProvisioner = "/var/tmp/lab-seen-by-provisioner";

    public string? NotRunnable { get; private set; }
    public Exception? SetupFailure { get; private set; }
    public string WorkDirectory { get; private set; } = "";
    public string ProjectDirectory => Path.Combine(WorkDirectory, "project");
    public string Tree => Path.Combine(ProjectDirectory, "tree");
    public Topology Topology { get; private set; } = null!;
    public LabCli Cli { get; private set; } = null!;
    public GuestShell Guests { get; private set; } = null!;
    public ProcResult FirstUp { get; private set; } = null!;

    public static string Labfile(string box) => $"""
        name: sync
        boxes:
          debian-12: {box}
        defaults:
          box: debian-12
          cpus: 1
          memory: 512MB
          boot_timeout: {(int)RealLab.BootTimeout.TotalSeconds}
        networks:
          - name: back
            type: private
            subnet: 192.168.63.0/24
        vms:
          - name: app
            networks:
              - network: back
                ip: {Ip}
            synced_folders:
              - host: ./tree
                guest: {GuestPath}
                exclude: [node_modules, "*.log"]
            provision:
              - shell:
                  inline: cd {GuestPath} && find . -mindepth 1 | sort > {SeenByProvisioner}
        """;

    public void Write(string relative, string content)
    {
        var full = Path.Combine(Tree, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
    }

    private void MakeTree()
    {
        Write("README.md", "# synced\n");
        Write("src/app/main.py", "print('hello')\n");
        Write("src/app/deep/er/data.json", "{\"n\": 1}\n");
        Write("docs/a file with spaces ü ñ 日本.txt", "unicode\n");
        Write("docs/remove me.txt", "deleted later\n");
        Write("node_modules/pkg/index.js", "excluded\n");
        Write("src/node_modules/x.js", "excluded at any depth\n");
        Write("build.log", "excluded by glob\n");
        File.CreateSymbolicLink(Path.Combine(Tree, "src", "readme-link"), "../README.md");
    }

    public async Task InitializeAsync()
    {
        NotRunnable = Requirements.WhyNot;
        if (NotRunnable is not null) return;
        try
        {
            WorkDirectory = Directory.CreateTempSubdirectory("lr-sync-").FullName;
            Directory.CreateDirectory(ProjectDirectory);
            Topology = await Topology.CreateAsync(WorkDirectory);
            Cli = new LabCli(Topology.Host, ProjectDirectory, Path.Combine(WorkDirectory, "qemu-state"), Path.Combine(WorkDirectory, "home"));
            await File.WriteAllTextAsync(Path.Combine(ProjectDirectory, "Labfile.yml"), Labfile(Requirements.Box!));
            MakeTree();
            FirstUp = await Cli.RunAsync(RealLab.CommandTimeout, "up");
            if (!FirstUp.Succeeded) throw new InvalidOperationException($"lab up: {FirstUp}");
            Guests = new GuestShell(Topology.Host, Path.Combine(ProjectDirectory, ".lab", "id_ecdsa"));
        }
        catch (Exception e)
        {
            SetupFailure = e;
        }
    }

    /// <summary>Fails the calling step when the lab could not be brought up (on CI also when it cannot run here).</summary>
    public void Require()
    {
        Requirements.Require();
        if (SetupFailure is not null) throw new Xunit.Sdk.XunitException($"the lab did not come up: {SetupFailure}");
    }

    /// <summary>
    /// What the host tree should look like in the guest: every entry but the excluded ones, as
    /// "path|kind|link target or SHA-256", sorted (the same form <see cref="GuestTreeAsync"/> gives).
    /// </summary>
    public List<string> ExpectedTree()
    {
        var lines = new List<string>();
        Walk(new DirectoryInfo(Tree), "");
        return [.. lines.Order(StringComparer.Ordinal)];

        void Walk(DirectoryInfo folder, string prefix)
        {
            foreach (var i in folder.EnumerateFileSystemInfos())
            {
                var path = prefix + i.Name;
                if (i.Name == "node_modules" || i.Name.EndsWith(".log", StringComparison.Ordinal)) continue;
                if (i.LinkTarget is { } target) lines.Add($"{path}|l|{target}");
                else if (i is DirectoryInfo d) { lines.Add($"{path}|d|"); Walk(d, path + "/"); }
                else lines.Add($"{path}|f|{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(i.FullName)))}");
            }
        }
    }

    /// <summary>The guest folder as "path|kind|link target or SHA-256" lines, sorted; and who owns its files.</summary>
    public async Task<List<string>> GuestTreeAsync()
    {
        var text = await Guests.RunAsync(Ip,
            $"cd {GuestPath} && find . -mindepth 1 \\( -type f -printf '%P|f|' -exec sh -c 'sha256sum < \"$1\" | cut -d\" \" -f1' sh {{}} \\; \\) -o \\( -type l -printf '%P|l|%l\\n' \\) -o \\( -type d -printf '%P|d|\\n' \\)");
        return [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal)];
    }

    /// <summary>Polls the guest until <paramref name="done"/> holds for its tree, for at most <paramref name="limit"/>.</summary>
    public async Task<(List<string> Tree, TimeSpan After)> WaitForTreeAsync(Func<List<string>, bool> done, TimeSpan limit)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var tree = await GuestTreeAsync();
            if (done(tree) || watch.Elapsed > limit) return (tree, watch.Elapsed);
            await Task.Delay(250);
        }
    }

    public async Task DisposeAsync()
    {
        if (NotRunnable is not null || Topology is null)
        {
            if (WorkDirectory.Length > 0) Directory.Delete(WorkDirectory, recursive: true);
            return;
        }
        try
        {
            if (Cli is not null)
            {
                var down = await Cli.RunAsync(TimeSpan.FromMinutes(3), "down");
                if (!down.Succeeded) SetupFailure ??= new InvalidOperationException($"cleanup: lab down: {down}");
            }
        }
        catch (Exception e) when (e is TimeoutException or IOException or InvalidOperationException)
        {
            // The namespaces go below, and with them anything left in them.
        }
        finally
        {
            await Topology.DisposeAsync();
            Directory.Delete(WorkDirectory, recursive: true);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class SyncLabCollection : ICollectionFixture<SyncLab>
{
    public const string Name = "sync lab";
}
