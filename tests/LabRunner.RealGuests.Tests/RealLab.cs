using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using LabRunner.RealGuests.Tests.Support;

namespace LabRunner.RealGuests.Tests;

/// <summary>
/// One real lab for the whole collection, booted once: the namespaces (lab host and upstream), a foreign bridge and
/// a foreign nft table in the lab host that LabRunner must leave alone, a project folder with a 3-VM Labfile on the
/// Debian 12 box, <c>lab up --provider qemu</c>, and every guest waited for over SSH until cloud-init is done.
/// Disposal removes everything by id, after failures too: <c>lab down</c>, then any process left in the lab host's
/// namespace (QEMU) by pid, the namespaces, the temporary folders.
/// </summary>
public sealed class RealLab : IAsyncLifetime
{
    public const string NatSubnet = "10.188.7.0/24";
    public const string ForeignBridge = "usrbr0";
    public const string ForeignBridgeAlias = "the user's own bridge";
    public const string ForeignTable = """
        table inet userfw {
        	chain input {
        		type filter hook input priority filter; policy accept;
        		tcp dport 9999 accept
        	}
        }
        """;

    /// <summary>
    /// The test host's hang timeout (<c>--blame-hang-timeout</c> in <c>.ci/run</c>): a step still running after this is
    /// killed with the whole test host, so every wait of a step must end well before it, with LabRunner's own message.
    /// </summary>
    public static readonly TimeSpan HangTimeout = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Under CI load on 2 cores three TCG guests boot slowly; the wait is generous, but db's (twice this: it boots
    /// twice) plus the host's work stays under <see cref="HangTimeout"/>, so a guest stuck in its firmware fails its
    /// step with its console tail rather than ending the run.
    /// </summary>
    public static readonly TimeSpan BootTimeout = TimeSpan.FromSeconds(
        int.TryParse(Environment.GetEnvironmentVariable("LABRUNNER_TEST_BOOT_TIMEOUT"), CultureInfo.InvariantCulture, out var s) ? s : 360);

    /// <summary>
    /// How long one lab command may take before the harness calls it hung: a 'lab up' that makes db waits for its two
    /// boots (db reboots from its user_data), plus the host's work.
    /// </summary>
    public static readonly TimeSpan CommandTimeout = 2 * BootTimeout + TimeSpan.FromMinutes(2);

    private readonly ConcurrentQueue<string> _log = new();

    public string? NotRunnable { get; private set; }
    public Exception? SetupFailure { get; private set; }
    public string WorkDirectory { get; private set; } = "";
    public string ProjectDirectory => Path.Combine(WorkDirectory, "project");
    public string StateDirectory => Path.Combine(WorkDirectory, "qemu-state");
    public string Box { get; private set; } = "";
    public Topology Topology { get; private set; } = null!;
    public Netns Host => Topology.Host;
    public LabCli Cli { get; private set; } = null!;
    public GuestShell Guests { get; private set; } = null!;
    public LabPlan Plan { get; private set; } = null!;
    public HostSnapshot Before { get; private set; } = null!;
    public JsonObject FirstUp { get; private set; } = null!;
    public TimeSpan FirstUpWall { get; private set; }
    public IReadOnlyDictionary<string, TimeSpan> SshAfter { get; private set; } = new Dictionary<string, TimeSpan>();
    public TimeSpan AllCloudInitDone { get; private set; }

    /// <summary>Set by a destructive step that failed: the later steps say so instead of failing obscurely.</summary>
    public string? BrokenBy { get; set; }

    public IEnumerable<string> Log => _log;

    public void Note(string line) => _log.Enqueue(line);

    /// <summary>The script of the web VMs' path provisioner (run unprivileged, with hostile arguments and an env value).</summary>
    public const string SetupScript = """
        #!/bin/sh
        set -e
        {
          echo "user=$(id -un) role=$ROLE"
          for a in "$@"; do printf 'arg=[%s]\n' "$a"; done
        } >> /var/tmp/lab-setup.log
        """;

    /// <summary>An argument that would do harm if any shell on the way interpreted it.</summary>
    public const string HostileArgument = "it's $HOME; `touch /tmp/pwned` $(id) \"q\"";

    /// <summary>The file provisioner's source: bytes a careless copy would change (tabs, no final newline, UTF-8).</summary>
    public const string AppIni = "[app]\nname = \"e2e\"\tvalue='x'\ncafé = 1";

    /// <summary>
    /// db's runcmd: reboot once, in the middle of cloud-init (runcmd blocks until the shutdown ends it, so cloud-init never
    /// says "done" on the first boot); its second boot finishes cloud-init. The marker keeps it to one reboot. Booting
    /// twice, db has twice the others' boot_timeout.
    /// </summary>
    public const string RebootMarker = "/var/lib/lab-rebooted";

    private const string RebootOnce = "test -e " + RebootMarker + " || { touch " + RebootMarker + "; sync; systemctl reboot; sleep 600; }";

    /// <summary>Where the <c>run: once</c> provisioner the snapshot steps add (<see cref="Labfile"/>'s onceProvisioner) appends a line.</summary>
    public const string OnceLog = "/var/tmp/lab-once.log";

    public static string Labfile(string box, int dbMemoryMb = 640, bool extraVm = false, bool failingDbProvisioner = false, bool onceProvisioner = false) => $"""
        name: e2e
        boxes:
          debian-12: {box}
        defaults:
          box: debian-12
          cpus: 1
          memory: 640MB
          generation: 2
          boot_timeout: {(int)BootTimeout.TotalSeconds}
          provision:
            - shell:
                inline: echo "defaults on $(hostname)" >> /var/tmp/lab-provision.log
        {(onceProvisioner ? "    - shell:\n        inline: date +%s.%N >> " + OnceLog + "\n        run: once\n" : "")}networks:
          - name: front
            type: nat
            subnet: {NatSubnet}
            dns: [{Topology.UpstreamIp}, 198.51.100.53]
          - name: back
            type: private
            subnet: 192.168.61.0/24
          - name: store
            type: isolated
            subnet: 172.31.201.0/24
        vms:
          - name: web-{"{n}"}
            count: 2
            networks:
              - front
              - network: back
                ip: 192.168.61.21
              - network: store
                ip: 172.31.201.21
            forwarded_ports:
              - {"{ guest: 80, host: 8080 }"}
            user_data:
              runcmd:
                - [sh, -c, "mkdir -p /srv/www && hostname > /srv/www/index.html"]
                - [systemd-run, --unit=lab-http, python3, -m, http.server, "80", --directory, /srv/www]
            provision:
              - shell:
                  path: scripts/setup.sh
                  args: ["--fast", '{HostileArgument.Replace("'", "''", StringComparison.Ordinal)}']
                  env:
                    ROLE: web
                  privileged: false
              - file:
                  source: conf/app.ini
                  destination: /etc/lab-app.ini
              - shell:
                  inline: date +%s.%N >> /var/tmp/lab-always.log
                  run: always
          - name: db
            memory: {dbMemoryMb}MB
            boot_timeout: {(int)(2 * BootTimeout).TotalSeconds}
            user_data:
              runcmd:
                - [sh, -c, "{RebootOnce}"]
            networks:
              - network: back
                ip: 192.168.61.10
              - network: store
                ip: 172.31.201.10
        {(failingDbProvisioner ? """
            provision:
              - shell:
                  inline: echo "db provisioning broke" >&2; exit 7

        """ : "")}{(extraVm ? """
          - name: extra
            memory: 256MB
            boot_timeout: 20
            networks:
              - network: back
                ip: 192.168.61.30

        """ : "")}
        """;

    public Task WriteLabfileAsync(int dbMemoryMb = 640, bool extraVm = false, bool failingDbProvisioner = false, bool onceProvisioner = false) =>
        File.WriteAllTextAsync(Path.Combine(ProjectDirectory, "Labfile.yml"), Labfile(BoxEntry, dbMemoryMb, extraVm, failingDbProvisioner, onceProvisioner));

    public const string BoxFileName = "debian-12-1.0.0-libvirt.box";
    public const string BoxVersion = "1.0.0";

    public static string CatalogUrl => $"http://{Topology.UpstreamIp}:{Topology.UpstreamPort}/debian-12.json";

    /// <summary>The Labfile's 'boxes:' entry: the catalog and a version constraint (the box store has it after 'lab box add').</summary>
    public static string BoxEntry => $"{{ url: \"{CatalogUrl}\", version: \">= 1.0\" }}";

    /// <summary>LABRUNNER_HOME of every lab command: the box store is the test's own.</summary>
    public string HomeDirectory => Path.Combine(WorkDirectory, "home");

    public ProcResult BoxAdd { get; private set; } = null!;

    /// <summary>
    /// Puts the Debian box on the upstream web server as Vagrant publishes boxes: a libvirt <c>.box</c> (a tar of
    /// <c>metadata.json</c> and the qcow2 as <c>box.img</c>) and a catalog naming it with its SHA-256.
    /// </summary>
    private async Task PublishBoxAsync()
    {
        var staging = Directory.CreateDirectory(Path.Combine(WorkDirectory, "box-staging")).FullName;
        File.CreateSymbolicLink(Path.Combine(staging, "box.img"), Box);
        await File.WriteAllTextAsync(Path.Combine(staging, "metadata.json"), """{"provider": "libvirt", "format": "qcow2", "virtual_size": 4}""");
        var boxFile = Path.Combine(Topology.Www, BoxFileName);
        await Proc.CheckedAsync("tar", ["--dereference", "-cf", boxFile, "-C", staging, "metadata.json", "box.img"], TimeSpan.FromMinutes(5));
        string sha256;
        await using (var stream = File.OpenRead(boxFile))
            sha256 = Convert.ToHexStringLower(await System.Security.Cryptography.SHA256.HashDataAsync(stream));
        var catalog = new System.Text.Json.Nodes.JsonObject
        {
            ["name"] = "labrunner/debian-12",
            ["versions"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject
            {
                ["version"] = BoxVersion,
                ["providers"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject
                {
                    ["name"] = "libvirt",
                    ["url"] = $"http://{Topology.UpstreamIp}:{Topology.UpstreamPort}/{BoxFileName}",
                    ["checksum_type"] = "sha256",
                    ["checksum"] = sha256,
                    ["architecture"] = "amd64",
                }),
            }),
        };
        await File.WriteAllTextAsync(Path.Combine(Topology.Www, "debian-12.json"), catalog.ToJsonString());
        Directory.Delete(staging, recursive: true);
    }

    /// <summary>The provisioners' files next to the Labfile.</summary>
    public void WriteProvisionerFiles(string setupScript = SetupScript) => WriteProvisionerFiles(ProjectDirectory, setupScript);

    public static void WriteProvisionerFiles(string projectDirectory, string setupScript = SetupScript)
    {
        Directory.CreateDirectory(Path.Combine(projectDirectory, "scripts"));
        Directory.CreateDirectory(Path.Combine(projectDirectory, "conf"));
        File.WriteAllText(Path.Combine(projectDirectory, "scripts", "setup.sh"), setupScript);
        File.WriteAllText(Path.Combine(projectDirectory, "conf", "app.ini"), AppIni);
    }

    public string KeyPath => Path.Combine(ProjectDirectory, ".lab", "id_ecdsa");

    public string ConsoleTail(string vm)
    {
        var file = Directory.Exists(ProjectDirectory)
            ? Directory.EnumerateFiles(ProjectDirectory, "console.log", SearchOption.AllDirectories).FirstOrDefault(f => f.Contains($"{Path.DirectorySeparatorChar}{vm}{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            : null;
        if (file is null) return $"(no console.log for {vm})";
        var lines = File.ReadAllLines(file);
        return $"console of {vm} (last 30 lines):\n" + string.Join('\n', lines.TakeLast(30));
    }

    public async Task InitializeAsync()
    {
        NotRunnable = Requirements.WhyNot;
        if (NotRunnable is not null) return;
        try
        {
            await SetUpAsync();
        }
        catch (Exception e)
        {
            SetupFailure = e;
        }
    }

    private async Task SetUpAsync()
    {
        Box = Requirements.Box!;
        WorkDirectory = Directory.CreateTempSubdirectory("lr-e2e-").FullName;
        Directory.CreateDirectory(ProjectDirectory);
        Directory.CreateDirectory(StateDirectory);
        Topology = await Topology.CreateAsync(WorkDirectory);
        Note($"namespaces {Host.Name} and {Topology.Upstream.Name} in {WorkDirectory}");

        // Foreign objects LabRunner must leave byte-identical.
        await Host.IpAsync("link", "add", ForeignBridge, "type", "bridge");
        await Host.IpAsync("link", "set", ForeignBridge, "alias", ForeignBridgeAlias);
        await Host.IpAsync("addr", "add", "10.250.0.1/24", "dev", ForeignBridge);
        await Proc.CheckedAsync("ip", Host.Exec("nft", "-f", "-"), stdin: ForeignTable);
        Before = await HostSnapshot.TakeAsync(Host);

        // The box reaches the lab as a team's would: a Vagrant .box with a catalog on a web server (the upstream
        // namespace's), added with 'lab box add'; the Labfile names the catalog and a version constraint.
        Cli = new LabCli(Host, ProjectDirectory, StateDirectory, HomeDirectory);
        await PublishBoxAsync();
        BoxAdd = await Cli.RunAsync(CommandTimeout, "box", "add", "debian-12", CatalogUrl, "--version", ">= 1.0");
        if (!BoxAdd.Succeeded) throw new InvalidOperationException($"lab box add: {BoxAdd}");
        Note($"lab box add debian-12 {CatalogUrl} (a {new FileInfo(Path.Combine(Topology.Www, BoxFileName)).Length / 1048576} MiB .box over HTTP): {BoxAdd.Elapsed.TotalSeconds:0.0} s");
        await WriteLabfileAsync();
        WriteProvisionerFiles();
        var plan = await Cli.RunAsync(TimeSpan.FromMinutes(2), "plan", "--json");
        if (!plan.Succeeded) throw new InvalidOperationException($"lab plan --json: {plan}");
        Plan = LabPlan.Parse(plan.Stdout);

        var watch = Stopwatch.StartNew();
        var (up, result) = await Cli.JsonAsync(CommandTimeout, "up");
        FirstUp = up;
        FirstUpWall = result.Elapsed;
        Note($"first lab up (waits for the guests and provisions them): {result.Elapsed.TotalSeconds:0.0} s, outcome {up["outcome"]}, {LabCli.Operations(up).Count} operations");
        // Issue 16.4: 'up' opened each guest's shared SSH connection while it waited, before anything else ran ssh here.
        foreach (var vm in Plan.Vms) MasterAfterUp[vm.Name] = await MasterAsync(vm.Name);
        Guests = new GuestShell(Host, KeyPath);
        // What each guest says right after 'lab up' returned: cloud-init must already be done, not still running.
        foreach (var vm in Plan.Vms)
        {
            var ip = Plan.SshIp(vm);
            CloudInitRightAfterUp[vm.Name] = (await Guests.RunAsync(ip, "cloud-init status")).Split('\n')[0].Trim();
            var guestDone = Seconds(await Guests.RunAsync(ip, "date -r /run/cloud-init/result.json +%s.%N"));
            var (offset, error) = await Guests.ClockOffsetAsync(ip, WorkDirectory);
            var readyAt = DateTimeOffset.Parse((string)up["guests"]!.AsArray().Single(g => (string?)g!["vm"] == vm.Name)!["ready_at"]!, CultureInfo.InvariantCulture);
            ReadyAfterCloudInit[vm.Name] = (readyAt.ToUnixTimeMilliseconds() / 1000.0 - (guestDone - offset), error);
        }
        await WaitForGuestsAsync(watch);
    }

    private static double Seconds(string unix) => double.Parse(unix.Trim(), CultureInfo.InvariantCulture);

    /// <summary>Per guest, what <c>ssh -O check</c> said of its shared connection in <c>.lab/cm/</c> right after the first <c>lab up</c>.</summary>
    public Dictionary<string, string> MasterAfterUp { get; } = [];

    /// <summary>
    /// The VM's newest control socket in <c>.lab/cm/</c>, or null: its name begins with 6 hex digits of the VM name's
    /// SHA-256 (then the address's and key's).
    /// </summary>
    public string? ControlSocket(string vm)
    {
        var folder = Path.Combine(ProjectDirectory, ".lab", "cm");
        var prefix = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(vm)))[..6];
        return Directory.Exists(folder) ? Directory.GetFiles(folder, prefix + "*").OrderByDescending(File.GetLastWriteTimeUtc).FirstOrDefault() : null;
    }

    /// <summary><c>ssh -O check</c> on the VM's newest control socket ("Master running (pid=…)"), or why there is none.</summary>
    public async Task<string> MasterAsync(string vm)
    {
        if (ControlSocket(vm) is not { } socket) return "no control socket";
        var check = await Host.RunAsync(TimeSpan.FromSeconds(30), "ssh", "-O", "check", "-o", "ControlPath=" + socket, vm);
        return check.Stderr.Trim();
    }

    /// <summary>The first line of <c>cloud-init status</c> on each guest, asked right after the first <c>lab up</c> returned.</summary>
    public Dictionary<string, string> CloudInitRightAfterUp { get; } = [];

    /// <summary>
    /// Per guest: how long after the guest's cloud-init finished (its result.json written, guest clock mapped to the host's
    /// over an established SSH connection) LabRunner knew it ready (<c>ready_at</c>), and the error of that mapping: LabRunner's own
    /// waiting overhead.
    /// </summary>
    public Dictionary<string, (double Seconds, double Error)> ReadyAfterCloudInit { get; } = [];

    /// <summary>Waits for SSH on every guest, then for cloud-init; records when each answered (since <paramref name="since"/> started).</summary>
    public async Task WaitForGuestsAsync(Stopwatch since, IEnumerable<PlannedVm>? vms = null)
    {
        var times = new ConcurrentDictionary<string, TimeSpan>();
        await Task.WhenAll((vms ?? Plan.Vms).Select(async vm =>
        {
            var ip = Plan.SshIp(vm);
            await Guests.WaitForSshAsync(ip, BootTimeout, () => ConsoleTail(vm.Name));
            times[vm.Name] = since.Elapsed;
            Note($"{vm.Name}: SSH at {ip} after {since.Elapsed.TotalSeconds:0} s");
            var status = await Guests.TryAsync(ip, "cloud-init status --wait", BootTimeout);
            Note($"{vm.Name}: cloud-init '{status.Stdout.Trim().Split('\n').LastOrDefault()}' after {since.Elapsed.TotalSeconds:0} s");
        }));
        SshAfter = times;
        AllCloudInitDone = since.Elapsed;
    }

    /// <summary>Fails the calling step when the lab could not be brought up (on CI also when it cannot run here).</summary>
    public void Require()
    {
        Requirements.Require();
        if (SetupFailure is not null) throw new Xunit.Sdk.XunitException($"the lab did not come up: {SetupFailure}\n{string.Join('\n', Log)}");
        if (BrokenBy is not null) throw new Xunit.Sdk.XunitException($"an earlier step left the lab broken: {BrokenBy}");
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
            if (File.Exists(Path.Combine(ProjectDirectory, "Labfile.yml")) && Cli is not null)
            {
                var down = await Cli.RunAsync(TimeSpan.FromMinutes(3), "down");
                if (!down.Succeeded) Note($"cleanup: lab down: {down}");
            }
        }
        catch (Exception e) when (e is TimeoutException or IOException or InvalidOperationException)
        {
            Note($"cleanup: lab down: {e.Message}");
        }
        finally
        {
            // QEMU and anything else still in the lab host's namespace, by pid; then the namespaces and folders.
            await Topology.DisposeAsync();
            Directory.Delete(WorkDirectory, recursive: true);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class RealLabCollection : ICollectionFixture<RealLab>
{
    public const string Name = "real lab";
}
