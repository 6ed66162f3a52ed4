using System.Globalization;
using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.HostCommon.Running;
using LabRunner.HostCommon.Tracing;
using LabRunner.Providers.Qemu.Acceleration;
using LabRunner.Providers.Qemu.Network;
using LabRunner.Providers.Qemu.Tests.Support;
using LabRunner.Providers.Qemu.Vms;

namespace LabRunner.Providers.Qemu.Tests.Provider;

/// <summary>What the QEMU provider does to the host is in the run's trace: each command with its input, exit code and stderr, each QMP command and kill.</summary>
public sealed class QemuTraceTests : IDisposable
{
    private const string Mark = "labrunner:v1 lab=web project=0123abcd";

    private readonly string _directory = Directory.CreateTempSubdirectory("lr-qtrace-").FullName;
    private readonly HostTrace _trace = new(TimeProvider.System, _ => { });
    private readonly StringWriter _verbose = new(CultureInfo.InvariantCulture);

    public QemuTraceTests()
    {
        _trace.KeepTranscript(Path.Combine(_directory, "logs"), "up");
        _trace.PrintTo(_verbose);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_refused_network_change_is_in_the_transcript_with_its_input_exit_code_and_stderr()
    {
        var runner = new FakeHostCommandRunner
        {
            Respond = c => c.Executable == "ip" && c.Arguments[0] == "-batch"
                ? new HostCommandResult(2, "", "RTNETLINK answers: Operation not permitted\n")
                : null,
        };
        var provider = new QemuProvider(new QemuProviderOptions(new VmRegistry(Path.Combine(_directory, "registry")), new TracingHostCommandRunner(runner, _trace))
        {
            Processes = new TracingVmProcesses(new FakeVmProcesses(), _trace),
            AcceleratorProbe = new FixedProbe(new AcceleratorFacts(true, null, PvmLoaded: true, Override: null)),
            HostName = "testhost",
            LockDirectory = Path.Combine(_directory, "locks"),
        });
        var bridge = InterfaceNames.Bridge("web", "nat");

        var result = await provider.ApplyAsync(new OperationBatch("network", [new CreateSwitch(bridge, SwitchKind.Internal, null, Mark)]), null, CancellationToken.None);

        Assert.False(result.Succeeded);
        var transcript = File.ReadAllText(_trace.TranscriptPath!);
        Assert.Contains($"run: ip -batch -\n    stdin:\n      link add name {bridge} type bridge", transcript, StringComparison.Ordinal);
        Assert.Matches(@"#\d+ exit 2 after \d+\.\d{3} s\n    stderr:\n      RTNETLINK answers: Operation not permitted\n", transcript);
        Assert.Contains("lab: host #", _verbose.ToString(), StringComparison.Ordinal);
        Assert.True(_trace.AnyFailed);
    }

    [Fact]
    public async Task Qmp_commands_and_kills_are_recorded_and_status_polls_are_not()
    {
        var inner = new FakeVmProcesses();
        var processes = new TracingVmProcesses(inner, _trace);

        await processes.QueryStatusAsync("/run/web/qmp.sock", CancellationToken.None);
        await processes.ExecuteAsync("/run/web/qmp.sock", "system_powerdown", CancellationToken.None);
        processes.Kill(new LinuxProcess(4242, 1));

        Assert.Equal(["system_powerdown"], inner.Sent);
        var transcript = File.ReadAllText(_trace.TranscriptPath!);
        Assert.Contains("#1 run: qmp /run/web/qmp.sock system_powerdown\n", transcript, StringComparison.Ordinal);
        Assert.Contains("#2 run: kill -KILL 4242\n", transcript, StringComparison.Ordinal);
        Assert.DoesNotContain("query-status", transcript, StringComparison.Ordinal);
    }

    private sealed class FixedProbe(AcceleratorFacts facts) : IAcceleratorProbe
    {
        public AcceleratorFacts Probe() => facts;
    }
}
