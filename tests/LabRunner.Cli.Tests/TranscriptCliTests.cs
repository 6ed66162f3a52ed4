using LabRunner.Core.Providers;
using System.Text.Json;
using LabRunner.Boxes.Tests.Support;
using LabRunner.Cli.Commands;
using LabRunner.Tests.Shared;
using LabRunner.Core.Tracing;
using LabRunner.HostCommon.Running;
using LabRunner.HostCommon.Tracing;
using LabRunner.Providers.Qemu;
using LabRunner.Providers.Qemu.Acceleration;
using LabRunner.Providers.Qemu.Vms;
using LabRunner.Providers.HyperV;
using LabRunner.Providers.HyperV.Cim;
using LabRunner.Providers.HyperV.Running;
using LabRunner.Providers.HyperV.Scripting;
using LabRunner.Providers.HyperV.Tests.Support;

namespace LabRunner.Cli.Tests;

/// <summary>
/// What LabRunner did to the host is kept: '--verbose' prints each host call as it runs, every run that
/// touches a host keeps a transcript in '.lab/logs/', secrets never reach either, and a failed run says where
/// its transcript is.
/// </summary>
public sealed class TranscriptCliTests : IDisposable
{
    private const string Labfile = """
        name: shop
        defaults: { box: ubuntu, memory: 1GB }
        networks:
          - { name: lan, type: nat }
        vms:
          - name: web
            networks: [lan]
        """;

    private readonly TempProject _project = new TempProject().With("Labfile.yml", Labfile).With("boxes/ubuntu.vhdx", "box");

    public void Dispose() => _project.Dispose();

    private string Logs => Path.Combine(_project.Root, ".lab", "logs");

    private Task<CliResult> Simulated(IReadOnlyDictionary<string, string>? more, params string[] args)
    {
        var variables = new Dictionary<string, string>
        {
            ["LABRUNNER_PROVIDER"] = "simulated",
            ["LABRUNNER_SIM_HOST"] = Path.Combine(_project.Root, "host.json"),
        };
        foreach (var (name, value) in more ?? new Dictionary<string, string>()) variables[name] = value;
        return Lab.RunAsync(_project.Root, variables, args);
    }

    [Fact]
    public async Task Verbose_prints_each_host_call_on_stderr_and_json_stays_one_clean_document()
    {
        var result = await Simulated(null, "up", "--verbose", "--json");

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        using var document = JsonDocument.Parse(result.Stdout);
        Assert.Equal("up", document.RootElement.GetProperty("command").GetString());
        Assert.Contains("lab: host #1: simulated-host CreateSwitch  # create internal switch 'LabRunner-shop-lan'", result.Stderr, StringComparison.Ordinal);
        Assert.Matches(@"lab: host #1: exit 0 after \d+\.\d{3} s", result.Stderr);
        Assert.Contains("simulated-host StartVm  # start VM 'shop-web'", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_verbose_nothing_is_printed_but_the_run_is_kept_in_an_owner_only_transcript()
    {
        var result = await Simulated(null, "up");

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        Assert.DoesNotContain("lab: host #", result.Stderr, StringComparison.Ordinal);
        var file = Assert.Single(Directory.GetFiles(Logs));
        Assert.EndsWith("-up.log", file, StringComparison.Ordinal);
        var text = File.ReadAllText(file);
        Assert.Contains("#1 run: simulated-host CreateSwitch", text, StringComparison.Ordinal);
        Assert.EndsWith("lab exited 0\n", text, StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Logs));
        }
        // The second run adds its own file; a run that calls nothing on the host ('up' again) keeps none.
        await Simulated(null, "down");
        await Simulated(null, "validate");
        Assert.Equal(2, Directory.GetFiles(Logs).Length);
    }

    [Fact]
    public async Task A_failed_host_operation_points_at_the_transcript_that_holds_it()
    {
        var result = await Simulated(new Dictionary<string, string> { ["LABRUNNER_SIM_FAIL_AT"] = "3" }, "up");

        Assert.True(result.ExitCode == ExitCodes.HostFailure, result.ToString());
        var file = Assert.Single(Directory.GetFiles(Logs));
        Assert.Contains($"lab: see {Path.Combine(".lab", "logs", Path.GetFileName(file))} for the host commands that ran and their output", result.Stderr, StringComparison.Ordinal);
        var text = File.ReadAllText(file);
        Assert.Contains("#3 exit 1 after", text, StringComparison.Ordinal);
        Assert.Contains("Injected fault", text, StringComparison.Ordinal);
        Assert.EndsWith("lab exited 3\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Commands_without_a_project_keep_no_transcript()
    {
        var empty = new TempProject();
        try
        {
            var result = await Lab.RunAsync(empty.Root, new Dictionary<string, string> { ["LABRUNNER_HOME"] = Path.Combine(empty.Root, "home") }, "box", "list", "--verbose");

            Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
            Assert.False(Directory.Exists(Path.Combine(empty.Root, ".lab")));
        }
        finally
        {
            empty.Dispose();
        }
    }

    [Fact]
    public async Task What_if_on_qemu_shows_the_reads_with_verbose_and_writes_no_transcript()
    {
        var services = new Services
        {
            // As DefaultServices composes QEMU (ForLocalHost): the runner records in the run's trace.
            Host = (_, _, env) =>
            {
                var qemu = new QemuProvider(new QemuProviderOptions(new VmRegistry(Path.Combine(_project.Root, "registry")), new TracingHostCommandRunner(new EmptyHost(), env.Trace))
                {
                    AcceleratorProbe = new FixedProbe(),
                    HostName = "testhost",
                    LockDirectory = Path.Combine(_project.Root, "locks"),
                });
                return new ProviderHost(qemu, qemu.LockPath);
            },
            Seeds = DefaultServices.Create().Seeds,
        };

        var result = await Lab.RunAsync(_project.Root, null, services, "up", "--what-if", "--verbose");

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        Assert.Contains("lab: host #1: ", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("nft -j list ruleset", result.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_project.Root, ".lab")), "--what-if writes nothing, not even a transcript");
    }

    [ToolFact("qemu-img")]
    public async Task The_disk_tool_of_a_box_up_adds_is_in_the_transcript()
    {
        HostTools.Require(false, "qemu-img");
        using var files = new BoxFiles();
        await using var server = new LoopbackServer();
        var disk = await files.DiskAsync("d.qcow2", "qcow2", "16M");
        var box = server.ServeFile("d.box", files.Box("d.box", "tar.gz", BoxFiles.Metadata("libvirt"), disk, "box.img"));
        _project.With("Labfile.yml", $$"""
            name: shop
            boxes:
              debian: { url: "{{box}}" }
            networks:
              - { name: lan, type: nat }
            vms:
              - name: web
                box: debian
                networks: [lan]
            """);

        var up = await Simulated(new Dictionary<string, string> { ["LABRUNNER_HOME"] = Path.Combine(_project.Root, "home") }, "up");

        Assert.True(up.ExitCode == ExitCodes.Success, up.ToString());
        var transcript = File.ReadAllText(Assert.Single(Directory.GetFiles(Logs)));
        Assert.Matches(@"#1 run: qemu-img ", transcript);
        Assert.Contains("simulated-host CreateVm", transcript, StringComparison.Ordinal);
    }

    /// <summary>A Linux host with nothing of LabRunner's on it: every read answers empty.</summary>
    private sealed class EmptyHost : IHostCommandRunner
    {
        public Task<HostCommandResult> RunAsync(HostCommand command, CancellationToken cancellationToken)
        {
            var argv = string.Join(' ', command.ToArgv());
            return Task.FromResult(new HostCommandResult(0, argv.Contains("nft", StringComparison.Ordinal) ? "{\"nftables\":[]}" : "[]", ""));
        }
    }

    private sealed class FixedProbe : IAcceleratorProbe
    {
        public AcceleratorFacts Probe() => new(true, null, PvmLoaded: true, Override: null);
    }

    public static TheoryData<int> HostileIndexes()
    {
        var data = new TheoryData<int>();
        for (var i = 0; i < Samples.Hostile.Length; i++) data.Add(i);
        return data;
    }

    [Theory]
    [MemberData(nameof(HostileIndexes))]
    public async Task The_administrator_password_never_reaches_the_transcript_or_verbose_output(int index)
    {
        var password = $"Pw-{Samples.Hostile[index]}-9x";
        var defaults = DefaultServices.Create();
        var services = new Services
        {
            // As DefaultServices composes Hyper-V: the runner records in the run's trace.
            Host = (_, _, env) => new ProviderHost(new HyperVProvider(new TracingPowerShellRunner(new LeakyRunner(password), env.Trace), new EmptyCim(), "TESTHOST"),
                Path.Combine(_project.Root, "host.lock")),
            Seeds = defaults.Seeds,
        };

        var result = await Lab.RunAsync(_project.Root, new Dictionary<string, string> { ["LABRUNNER_ADMIN_PASSWORD"] = password }, services, "up", "--verbose");

        Assert.True(result.ExitCode == ExitCodes.HostFailure, result.ToString());
        var transcript = File.ReadAllText(Assert.Single(Directory.GetFiles(Logs)));
        foreach (var text in new[] { transcript, result.Stderr, result.Stdout })
        {
            Assert.DoesNotContain(password, text, StringComparison.Ordinal);
            Assert.DoesNotContain(password.ReplaceLineEndings("\n"), text.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        }
        Assert.Contains("password=" + SecretRedactor.Mark, transcript, StringComparison.Ordinal);
        Assert.Contains("lab: see .lab", result.Stderr, StringComparison.Ordinal);
    }

    /// <summary>A PowerShell that fails and says the administrator password on stderr.</summary>
    private sealed class LeakyRunner(string password) : IPowerShellRunner
    {
        public string Executable => "powershell.exe";

        public Task<PowerShellRun> RunAsync(string script, Action<string> onStdoutLine, CancellationToken cancellationToken)
        {
            onStdoutLine(ScriptProtocol.BeginLine(1));
            return Task.FromResult(new PowerShellRun(1, $"New-VM : failed with password={password} (also {password})"));
        }
    }

    private sealed class EmptyCim : ICimClient
    {
        public Task<IReadOnlyList<CimRecord>> QueryAsync(string @namespace, string className, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<CimRecord>>([]);
    }
}
