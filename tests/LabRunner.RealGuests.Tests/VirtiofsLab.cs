using System.Globalization;
using System.Text.Json.Nodes;
using LabRunner.RealGuests.Tests.Support;

namespace LabRunner.RealGuests.Tests;

/// <summary>
/// A small lab of its own for issue 19's two-way folders on QEMU: one Debian 12 guest (640 MB) on a NAT network in
/// its own namespaces, with the project's <c>site</c> folder as a <c>type: virtiofs</c> synced folder at
/// <c>/srv/site</c>. Disposal: <c>lab down</c>, then by pid whatever is left in the lab host's namespace and any
/// virtiofsd still named by this lab's pid files, the namespaces, the folders.
/// </summary>
public sealed class VirtiofsLab : IAsyncLifetime
{
    public const string GuestPath = "/srv/site";
    public const string Virtiofsd = "/usr/lib/qemu/virtiofsd";

    public string? NotRunnable { get; private set; }
    public Exception? SetupFailure { get; private set; }
    public string WorkDirectory { get; private set; } = "";
    public string ProjectDirectory => Path.Combine(WorkDirectory, "project");
    public string SiteDirectory => Path.Combine(ProjectDirectory, "site");
    public string StateDirectory => Path.Combine(WorkDirectory, "qemu-state");
    public Topology Topology { get; private set; } = null!;
    public LabCli Cli { get; private set; } = null!;
    public GuestShell Guests { get; private set; } = null!;
    public string Ip { get; private set; } = "";
    public JsonObject FirstUp { get; private set; } = null!;
    public TimeSpan FirstUpWall { get; private set; }
    public string? BrokenBy { get; set; }

    public static string Labfile(string box) => $"""
        name: vfs
        boxes:
          debian-12: {box}
        networks:
          - {"{ name: front, type: nat, subnet: 10.188.9.0/24 }"}
        vms:
          - name: share
            box: debian-12
            cpus: 1
            memory: 640MB
            generation: 2
            boot_timeout: {(int)RealLab.BootTimeout.TotalSeconds}
            networks: [front]
            synced_folders:
              - {"{"} host: ./site, guest: {GuestPath}, type: virtiofs {"}"}
        """;

    public async Task InitializeAsync()
    {
        NotRunnable = Requirements.WhyNot ?? (File.Exists(Virtiofsd) ? null : $"{Virtiofsd} is missing: apt-get install -y qemu-system-common");
        if (NotRunnable is not null) return;
        try
        {
            WorkDirectory = Directory.CreateTempSubdirectory("lr-vfs-").FullName;
            Directory.CreateDirectory(StateDirectory);
            // The guest's login user (uid 1000) writes here too: the folder is open to it, as a project folder of a user would be.
            Directory.CreateDirectory(SiteDirectory);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(SiteDirectory, (UnixFileMode)0b111_111_111);
            await File.WriteAllTextAsync(Path.Combine(SiteDirectory, "index.html"), "from the host before up\n");
            await File.WriteAllTextAsync(Path.Combine(ProjectDirectory, "Labfile.yml"), Labfile(Requirements.Box!));
            Topology = await Topology.CreateAsync(WorkDirectory);
            Cli = new LabCli(Topology.Host, ProjectDirectory, StateDirectory, Path.Combine(WorkDirectory, "home"));
            var plan = await Cli.RunAsync(TimeSpan.FromMinutes(2), "plan", "--json");
            if (!plan.Succeeded) throw new InvalidOperationException($"lab plan --json: {plan}");
            var parsed = LabPlan.Parse(plan.Stdout);
            Ip = parsed.SshIp(parsed.Vm("share"));
            var (up, result) = await Cli.JsonAsync(RealLab.CommandTimeout, "up");
            FirstUp = up;
            FirstUpWall = result.Elapsed;
            Guests = new GuestShell(Topology.Host, Path.Combine(ProjectDirectory, ".lab", "id_ecdsa"));
        }
        catch (Exception e)
        {
            SetupFailure = e;
        }
    }

    public void Require()
    {
        Requirements.Require();
        if (NotRunnable is not null) throw new Xunit.Sdk.XunitException(NotRunnable);
        if (SetupFailure is not null) throw new Xunit.Sdk.XunitException($"the lab did not come up: {SetupFailure}");
        if (BrokenBy is not null) throw new Xunit.Sdk.XunitException($"an earlier step left the lab broken: {BrokenBy}");
    }

    /// <summary>virtiofsd processes on this machine serving this lab (their command line names a socket under its registry); read-only.</summary>
    public IReadOnlyList<int> VirtiofsdOfThisLab()
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            try
            {
                var argv = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0');
                if (argv.Any(a => a.StartsWith("--socket-path=" + StateDirectory, StringComparison.Ordinal))) found.Add(pid);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return found;
    }

    /// <summary>The virtiofsd pids this lab's registry records (its run folder's pid files).</summary>
    public IReadOnlyList<int> RecordedVirtiofsd()
    {
        var run = Path.Combine(StateDirectory, "run");
        if (!Directory.Exists(run)) return [];
        return [.. Directory.EnumerateFiles(run, "*.vfs.pid")
            .Select(f => int.TryParse(File.ReadAllText(f).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : 0)];
    }

    public async Task DisposeAsync()
    {
        if (WorkDirectory.Length == 0) return;
        try
        {
            if (Cli is not null)
            {
                var down = await Cli.RunAsync(TimeSpan.FromMinutes(3), "down");
                if (!down.Succeeded) Console.Error.WriteLine($"cleanup: lab down: {down}");
            }
        }
        finally
        {
            // A virtiofsd this lab's registry still records (a failed step): killed by its recorded pid, if it is still that process.
            foreach (var pid in RecordedVirtiofsd())
                if (VirtiofsdOfThisLab().Contains(pid) && HostCommon.Running.LinuxProcess.Find(pid) is { } daemon)
                    daemon.Kill();
            if (Topology is not null) await Topology.DisposeAsync();
            Directory.Delete(WorkDirectory, recursive: true);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class VirtiofsLabCollection : ICollectionFixture<VirtiofsLab>
{
    public const string Name = "virtiofs lab";
}
