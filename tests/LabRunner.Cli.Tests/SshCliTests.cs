using System.Collections.Immutable;
using System.Diagnostics;
using LabRunner.Cli.Commands;
using LabRunner.Core.Hosting;
using LabRunner.Engine.Guests;

namespace LabRunner.Cli.Tests;

/// <summary>lab ssh and lab ssh-config on the simulated host: the argument vector handed to the system ssh, and a config the real ssh reads.</summary>
public sealed class SshCliTests : IDisposable
{
    private const string Labfile = """
        name: shop
        networks:
          - { name: lan, type: nat, subnet: 10.188.9.0/24 }
          - { name: back, type: isolated }
        vms:
          - name: web
            box: ubuntu
            networks: [{ network: lan, ip: 10.188.9.10 }]
          - name: hidden
            box: ubuntu
            networks: [back]
        """;

    private readonly TempProject _project = new TempProject().With("Labfile.yml", Labfile).With("boxes/ubuntu.vhdx", "box");
    private readonly List<(string Program, IReadOnlyList<string> Args)> _execs = [];
    private readonly FakePort _port = new();
    private int _sshExit = 42;

    public void Dispose() => _project.Dispose();

    /// <summary>
    /// lab on the simulated host, which here (unlike for users) claims to boot guests, so 'lab ssh' goes as far as
    /// starting ssh; nothing is sent anywhere: the port probe is a fake and the system ssh is recorded, not run.
    /// </summary>
    private Task<CliResult> Lab(params string[] args) => LabIn(_project.Root, bootsGuests: true, args);

    private Task<CliResult> LabIn(string folder, bool bootsGuests, params string[] args)
    {
        var defaults = DefaultServices.Create();
        var services = new Services
        {
            Host = (provider, project, env) =>
            {
                var host = defaults.Providers.Resolve(provider, env.ForProviders).Open(env.ForProviders);
                return bootsGuests ? host with { Provider = new BootingHost(host.Provider) } : host;
            },
            Seeds = defaults.Seeds,
            GuestConnector = _port,
            Exec = (program, a, _, _) =>
            {
                _execs.Add((program, a));
                _port.AfterSsh?.Invoke();
                return Task.FromResult(_sshExit);
            },
        };
        return Cli.Tests.Lab.RunAsync(folder, new Dictionary<string, string>
        {
            ["LABRUNNER_PROVIDER"] = "simulated",
            ["LABRUNNER_SIM_HOST"] = Path.Combine(_project.Root, "host.json"),
        }, services, args);
    }

    [Fact]
    public async Task Ssh_on_a_host_that_boots_no_guests_is_refused_as_provision_is()
    {
        Assert.Equal(0, (await LabIn(_project.Root, bootsGuests: false, "up")).ExitCode);

        var ssh = await LabIn(_project.Root, bootsGuests: false, "ssh", "web");
        var provision = await LabIn(_project.Root, bootsGuests: false, "provision");

        Assert.True(ssh.ExitCode == ExitCodes.Usage, ssh.ToString());
        Assert.Contains("boots no guests, so there is no VM to log in to", ssh.Stderr, StringComparison.Ordinal);
        Assert.True(provision.ExitCode == ExitCodes.Usage && provision.Stderr.Contains("boots no guests", StringComparison.Ordinal), provision.ToString());
        Assert.Empty(_execs);
    }

    [Fact]
    public async Task Up_and_reload_with_provision_on_a_host_that_boots_no_guests_say_what_provision_says_and_change_nothing()
    {
        var upProvision = await LabIn(_project.Root, bootsGuests: false, "up", "--provision");
        var status = await LabIn(_project.Root, bootsGuests: false, "status", "--json");
        Assert.Equal(0, (await LabIn(_project.Root, bootsGuests: false, "up")).ExitCode);
        var reloadProvision = await LabIn(_project.Root, bootsGuests: false, "reload", "--provision");
        var provision = await LabIn(_project.Root, bootsGuests: false, "provision");

        Assert.True(upProvision.ExitCode == ExitCodes.Usage, upProvision.ToString());
        var said = provision.Stderr.Trim();
        Assert.Contains("boots no guests, so there is nothing to provision", said, StringComparison.Ordinal);
        Assert.Equal(said, upProvision.Stderr.Trim());
        Assert.Equal(said, reloadProvision.Stderr.Trim());
        Assert.DoesNotContain("Nothing to do", upProvision.Stdout + reloadProvision.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("\"running\"", status.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ssh_to_a_vm_that_does_not_answer_names_the_vm_and_its_address_and_exits_255_without_running_ssh()
    {
        Assert.Equal(0, (await Lab("up", "--no-wait")).ExitCode);
        _port.Answers = false;

        var result = await Lab("ssh", "web", "--", "hostname");

        Assert.True(result.ExitCode == 255, result.ToString());
        Assert.Contains("VM 'web' does not answer at 10.188.9.10:22", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(_execs);
    }

    [Fact]
    public async Task A_255_from_ssh_is_explained_only_when_the_vm_stopped_answering_not_when_the_remote_command_exited_255()
    {
        Assert.Equal(0, (await Lab("up", "--no-wait")).ExitCode);
        _sshExit = 255;

        var remote = await Lab("ssh", "web", "--", "exit", "255");
        _port.AfterSsh = () => _port.Answers = false;
        var dropped = await Lab("ssh", "web");

        Assert.True(remote.ExitCode == 255 && remote.Stderr.Length == 0, remote.ToString());
        Assert.True(dropped.ExitCode == 255, dropped.ToString());
        Assert.Contains("VM 'web' does not answer at 10.188.9.10:22", dropped.Stderr, StringComparison.Ordinal);
        Assert.All(_execs, e => Assert.Contains("-oConnectTimeout=10", e.Args));
    }

    [Fact]
    public async Task Ssh_c_runs_the_command_line_as_vagrant_ssh_c_does_and_refuses_a_second_command()
    {
        Assert.Equal(0, (await Lab("up", "--no-wait")).ExitCode);

        var shortForm = await Lab("ssh", "web", "-c", "hostname -f && uname -a");
        var longForm = await Lab("ssh", "--command", "echo \"$HOME\"", "web");
        var both = await Lab("ssh", "web", "-c", "hostname", "--", "uname");

        Assert.True(shortForm.ExitCode == 42, shortForm.ToString());
        Assert.True(longForm.ExitCode == 42, longForm.ToString());
        Assert.Equal(["-T", "--", "10.188.9.10", "hostname -f && uname -a"], _execs[0].Args.TakeLast(4));
        Assert.Equal(["-T", "--", "10.188.9.10", "echo \"$HOME\""], _execs[1].Args.TakeLast(4));
        Assert.True(both.ExitCode == ExitCodes.Usage && both.Stderr.Contains("either with -c or after '--'", StringComparison.Ordinal), both.ToString());
        Assert.Equal(2, _execs.Count);
    }

    [Theory]
    [InlineData("my \"quoted\" lab")]
    [InlineData("it's a lab")]
    [InlineData("o'brien")]
    [InlineData("100% #lab")]
    [InlineData(@"back\slash\\double\")]
    [InlineData("$HOME-literal")]
    public async Task Ssh_config_and_ssh_work_in_a_project_path_with_quotes_percent_and_dollars_as_the_real_ssh_reads_it(string folderName)
    {
        if (!File.Exists("/usr/bin/ssh") && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"))) return;
        var folder = Path.Combine(_project.Root, folderName);
        Directory.CreateDirectory(Path.Combine(folder, "boxes"));
        File.WriteAllText(Path.Combine(folder, "Labfile.yml"), Labfile);
        File.WriteAllText(Path.Combine(folder, "boxes", "ubuntu.vhdx"), "box");
        Assert.Equal(0, (await LabIn(folder, bootsGuests: true, "up", "--no-wait")).ExitCode);

        var printed = await LabIn(folder, bootsGuests: true, "ssh-config", "web");
        var ssh = await LabIn(folder, bootsGuests: true, "ssh", "web");
        var config = Path.Combine(_project.Root, "ssh_config");
        File.WriteAllText(config, printed.Stdout);
        var fromConfig = await SshG(["-F", config, "web"]);
        var fromArguments = await SshG(["-F", "none", .. _execs.Single().Args.SkipLast(1).Where(a => a != "--"), "web"]);

        Assert.True(printed.ExitCode == 0, printed.ToString());
        Assert.True(ssh.ExitCode == 42, ssh.ToString());
        var knownHosts = Path.Combine(folder, ".lab", "known_hosts");
        foreach (var resolved in new[] { fromConfig, fromArguments })
        {
            Assert.Contains($"userknownhostsfile {knownHosts}\n", resolved, StringComparison.Ordinal);
            // ssh -G shows IdentityFile before its tokens are expanded ('%' written '%%').
            Assert.Contains($"identityfile {Path.Combine(folder, ".lab", "id_ecdsa").Replace("%", "%%", StringComparison.Ordinal)}\n", resolved, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_project_path_with_an_environment_reference_is_refused_with_exit_2_as_openssh_would_expand_it()
    {
        var folder = Path.Combine(_project.Root, "lab-${HOME}");
        Directory.CreateDirectory(Path.Combine(folder, "boxes"));
        File.WriteAllText(Path.Combine(folder, "Labfile.yml"), Labfile);
        File.WriteAllText(Path.Combine(folder, "boxes", "ubuntu.vhdx"), "box");
        Assert.Equal(0, (await LabIn(folder, bootsGuests: true, "up", "--no-wait")).ExitCode);

        var config = await LabIn(folder, bootsGuests: true, "ssh-config");
        var ssh = await LabIn(folder, bootsGuests: true, "ssh", "web");

        foreach (var result in new[] { config, ssh })
        {
            Assert.True(result.ExitCode == ExitCodes.Usage, result.ToString());
            Assert.Contains("holds '${', which OpenSSH reads as an environment variable", result.Stderr, StringComparison.Ordinal);
        }
        Assert.Empty(_execs);
    }

    private static async Task<string> SshG(IEnumerable<string> args)
    {
        var start = new ProcessStartInfo("ssh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-G");
        foreach (var a in args) start.ArgumentList.Add(a);
        using var ssh = Process.Start(start)!;
        var output = await ssh.StandardOutput.ReadToEndAsync();
        var error = await ssh.StandardError.ReadToEndAsync();
        await ssh.WaitForExitAsync();
        Assert.True(ssh.ExitCode == 0, $"ssh -G {string.Join(' ', args)}: {error}");
        return output;
    }

    /// <summary>The SSH port as the tests want it to answer, and a hook run when 'ssh' has been started.</summary>
    private sealed class FakePort : IGuestConnector
    {
        public bool Answers { get; set; } = true;
        public Action? AfterSsh { get; set; }

        public Task<bool> PortAnswersAsync(GuestLogin login, CancellationToken cancellationToken) => Task.FromResult(Answers);

        public Task<IGuestSession?> TryConnectAsync(GuestLogin login, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("lab ssh logs in through the system ssh, not SSH.NET");
    }

    /// <summary>A host that claims to boot guests, over the simulated host.</summary>
    private sealed class BootingHost(IHostProvider inner) : IHostProvider, IGuestBoot
    {
        public string Description => inner.Description;
        public HostRules Rules => inner.Rules;
        public IHostFiles Files => inner.Files;
        public string? Preview(OperationBatch batch) => inner.Preview(batch);
        public Task<HostInventory> GetInventoryAsync(ImmutableArray<string> filesOfInterest, CancellationToken cancellationToken) => inner.GetInventoryAsync(filesOfInterest, cancellationToken);
        public Task<ApplyResult> ApplyAsync(OperationBatch batch, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) => inner.ApplyAsync(batch, progress, cancellationToken);
    }

    [Theory]
    [InlineData("halt")]
    [InlineData("reload")]
    [InlineData("down")]
    public async Task Ssh_shares_one_connection_per_vm_through_a_socket_in_the_lab_folder_which_halt_reload_and_down_close(string command)
    {
        if (OperatingSystem.IsWindows()) return;
        Assert.Equal(0, (await Lab("up", "--no-wait")).ExitCode);

        var first = await Lab("ssh", "web", "--", "hostname");
        var control = _execs.Single().Args.Single(a => a.StartsWith("-oControlPath=", StringComparison.Ordinal))["-oControlPath=".Length..];
        // What a master killed with SIGKILL leaves: a socket file nothing listens at.
        DeadSocket(control);
        // A socket in place: the guest answered a moment ago, so no probe (which would fail here) delays ssh.
        _port.Answers = false;
        var warm = await Lab("ssh", "web", "--", "hostname");
        _port.Answers = true;
        var closing = command == "reload" ? await Lab(command, "web", "--no-wait") : await Lab(command, "web");

        Assert.True(first.ExitCode == 42 && warm.ExitCode == 42, first + "\n" + warm);
        Assert.Contains("-oControlMaster=auto", _execs[0].Args);
        Assert.Contains("-oControlPersist=10m", _execs[0].Args);
        Assert.Equal(Path.Combine(_project.Root, ".lab", "cm"), Path.GetDirectoryName(control));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(control)!));
        Assert.Equal(_execs[0].Args, _execs[1].Args);
        Assert.True(closing.ExitCode == 0, closing.ToString());
        Assert.False(File.Exists(control), $"'{command}' left the control socket {control}");
    }

    /// <summary>A unix socket file whose listener has gone (.NET removes the file of a socket it bound, so it is moved into place).</summary>
    private static void DeadSocket(string path)
    {
        using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        listener.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(path + ".bound"));
        listener.Listen();
        File.Move(path + ".bound", path);
    }

    [Fact]
    public async Task Ssh_runs_the_system_ssh_with_the_pinned_key_and_the_command_as_one_quoted_word_and_returns_its_exit_code()
    {
        Assert.Equal(0, (await Lab("up", "--no-wait")).ExitCode);

        var result = await Lab("ssh", "web", "--", "echo", "it's $HOME");

        Assert.True(result.ExitCode == 42, result.ToString());
        var (program, args) = Assert.Single(_execs);
        Assert.Equal("ssh", program);
        Assert.Equal(["-T", "--", "10.188.9.10", "echo 'it'\\''s $HOME'"], args.TakeLast(4));
        Assert.Contains("-oUserKnownHostsFile=" + Path.Combine(_project.Root, ".lab", "known_hosts"), args);
        Assert.Contains("-oStrictHostKeyChecking=yes", args);
        var knownHosts = File.ReadAllText(Path.Combine(_project.Root, ".lab", "known_hosts"));
        var hostKey = File.ReadAllText(Path.Combine(_project.Root, ".lab", "vms", "web", "ssh_host_ecdsa_key.pub")).Split(' ');
        Assert.Equal($"10.188.9.10 {hostKey[0]} {hostKey[1]}\n", knownHosts);
    }

    [Fact]
    public async Task Ssh_takes_options_before_and_after_the_vm_name_without_reading_their_values_as_vms()
    {
        Assert.Equal(0, (await Lab("up", "--no-wait")).ExitCode);

        var after = await Lab("ssh", "web", "--provider", "simulated", "--", "hostname");
        var before = await Lab("ssh", "--provider", "simulated", "web", "--", "hostname");
        var two = await Lab("ssh", "web", "db", "--", "hostname");

        Assert.True(after.ExitCode == 42, after.ToString());
        Assert.True(before.ExitCode == 42, before.ToString());
        Assert.Equal(2, _execs.Count);
        Assert.All(_execs, e => Assert.Equal(["10.188.9.10", "hostname"], e.Args.TakeLast(2)));
        Assert.True(two.ExitCode == ExitCodes.Usage && two.Stderr.Contains("takes one VM", StringComparison.Ordinal), two.ToString());
    }

    [Fact]
    public async Task Ssh_refuses_a_vm_that_is_not_running_or_not_reachable_and_needs_a_name_with_two_vms()
    {
        var notUp = await Lab("ssh", "web");
        Assert.Equal(0, (await Lab("up", "--no-wait")).ExitCode);
        var hidden = await Lab("ssh", "hidden");
        var unnamed = await Lab("ssh");

        Assert.True(notUp.ExitCode == ExitCodes.Usage && notUp.Stderr.Contains("not created", StringComparison.Ordinal), notUp.ToString());
        Assert.True(hidden.ExitCode == ExitCodes.Usage && hidden.Stderr.Contains("isolated", StringComparison.Ordinal), hidden.ToString());
        Assert.True(unnamed.ExitCode == ExitCodes.Usage && unnamed.Stderr.Contains("name one", StringComparison.Ordinal), unnamed.ToString());
        Assert.Empty(_execs);
    }

    [Fact]
    public async Task Ssh_config_is_read_by_the_real_ssh_with_the_labs_options()
    {
        if (!File.Exists("/usr/bin/ssh") && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"))) return;
        Assert.Equal(0, (await Lab("up", "--no-wait")).ExitCode);

        var result = await Lab("ssh-config");
        var config = Path.Combine(_project.Root, "ssh_config");
        File.WriteAllText(config, result.Stdout);
        var start = new ProcessStartInfo("ssh") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "-G", "-F", config, "web" }) start.ArgumentList.Add(a);
        using var ssh = Process.Start(start)!;
        var resolved = await ssh.StandardOutput.ReadToEndAsync();
        await ssh.WaitForExitAsync();

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("# hidden: not reachable from the host", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("hostname 10.188.9.10\n", resolved, StringComparison.Ordinal);
        Assert.Contains("user lab\n", resolved, StringComparison.Ordinal);
        Assert.Contains($"userknownhostsfile {Path.Combine(_project.Root, ".lab", "known_hosts")}\n", resolved, StringComparison.Ordinal);
        Assert.Contains("stricthostkeychecking true\n", resolved, StringComparison.Ordinal);
    }
}
