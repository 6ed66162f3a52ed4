using System.Diagnostics;
using LabRunner.Cli.Commands;

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

    public void Dispose() => _project.Dispose();

    private Task<CliResult> Lab(params string[] args)
    {
        var services = DefaultServices.Create();
        services = new Services
        {
            Host = services.Host,
            Seeds = services.Seeds,
            Exec = (program, a, _, _) =>
            {
                _execs.Add((program, a));
                return Task.FromResult(42);
            },
        };
        return Cli.Tests.Lab.RunAsync(_project.Root, new Dictionary<string, string>
        {
            ["LABRUNNER_PROVIDER"] = "simulated",
            ["LABRUNNER_SIM_HOST"] = Path.Combine(_project.Root, "host.json"),
        }, services, args);
    }

    [Fact]
    public async Task Ssh_runs_the_system_ssh_with_the_pinned_key_and_the_command_as_one_quoted_word_and_returns_its_exit_code()
    {
        Assert.Equal(0, (await Lab("up")).ExitCode);

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
        Assert.Equal(0, (await Lab("up")).ExitCode);

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
        Assert.Equal(0, (await Lab("up")).ExitCode);
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
        Assert.Equal(0, (await Lab("up")).ExitCode);

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
