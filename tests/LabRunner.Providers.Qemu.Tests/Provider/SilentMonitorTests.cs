using LabRunner.Core.Hosting;
using LabRunner.HostCommon.Running;
using LabRunner.Providers.Qemu.Acceleration;
using LabRunner.Providers.Qemu.Qmp;
using LabRunner.Providers.Qemu.Tests.Qmp;
using LabRunner.Providers.Qemu.Tests.Support;
using LabRunner.Providers.Qemu.Vms;

namespace LabRunner.Providers.Qemu.Tests.Provider;

/// <summary>
/// Issue 13.2: a QEMU whose monitor accepts and never greets, or greets and never answers. The real QMP client
/// (through <see cref="LinuxVmProcesses"/>) talks to a fake monitor socket; only the process table is faked.
/// </summary>
public sealed class SilentMonitorTests : IDisposable
{
    private const string Vm = "lab-web";
    private const string Mark = "labrunner:v1 lab=lab project=0123abcd";
    // Only the silence being tested is short: a monitor that greets late on a loaded machine must not look like one that never greets.
    private static readonly QmpClientOptions Short = new(TimeSpan.FromMilliseconds(300), TimeSpan.FromMilliseconds(300));
    private static readonly QmpClientOptions ShortAnswers = new(TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(300));

    private readonly string _directory = Directory.CreateTempSubdirectory("lr-silent-").FullName;
    private readonly VmRegistry _registry;
    private readonly ProcessTable _processes = new();
    private QemuProvider _provider;

    public SilentMonitorTests()
    {
        _registry = new VmRegistry(Path.Combine(_directory, "registry"));
        _provider = Provider(Short);
    }

    private QemuProvider Provider(QmpClientOptions qmp)
    {
        _processes.Qmp = new LinuxVmProcesses(qmp);
        _registry.Save(new VmEntry(Vm, Mark, 1, 1, 512L * 1024 * 1024, Path.Combine(_directory, "vm"), Path.Combine(_directory, "vm", "disk.qcow2"), null, null, []));
        _processes.Running[_registry.PidFile(Vm)] = 4242;
        return new QemuProvider(new QemuProviderOptions(_registry, new FakeHostCommandRunner())
        {
            Processes = _processes,
            AcceleratorProbe = new FixedProbe(),
            PollInterval = TimeSpan.FromMilliseconds(1),
            TurnOffTimeout = TimeSpan.FromMilliseconds(50),
            LockDirectory = Path.Combine(_directory, "locks"),
        });
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_monitor_that_never_greets_makes_the_state_unknown_with_why_instead_of_failing()
    {
        await using var monitor = new FakeQmpServer(_registry.QmpSocket(Vm));
        var accepting = monitor.AcceptAsync();

        var inventory = await _provider.GetInventoryAsync([], CancellationToken.None);
        await accepting;

        var vm = Assert.Single(inventory.Vms);
        Assert.NotNull(vm.UnknownStateReason);
        Assert.Contains("did not greet", vm.UnknownStateReason, StringComparison.Ordinal);
        Assert.Contains("4242", vm.UnknownStateReason, StringComparison.Ordinal);
        // The process is there: planning treats it as running, so halt and down still stop it.
        Assert.Equal(VmState.Running, vm.State);
    }

    [Fact]
    public async Task A_monitor_that_greets_and_never_answers_makes_the_state_unknown_with_why()
    {
        _provider = Provider(ShortAnswers);
        await using var monitor = new FakeQmpServer(_registry.QmpSocket(Vm));
        var silent = Task.Run(async () =>
        {
            await monitor.AcceptAndNegotiateAsync();
            return await monitor.ReceiveAsync(); // query-status, never answered
        });

        var inventory = await _provider.GetInventoryAsync([], CancellationToken.None);

        Assert.Equal("query-status", (await silent).GetProperty("execute").GetString());
        var vm = Assert.Single(inventory.Vms);
        Assert.Contains("got no answer", vm.UnknownStateReason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Halt_or_turn_off_with_a_monitor_that_never_greets_falls_through_to_the_kill(bool turnOff)
    {
        await using var monitor = new FakeQmpServer(_registry.QmpSocket(Vm));
        var accepting = monitor.AcceptAsync();

        var result = await _provider.ApplyAsync(new OperationBatch("vm", [new StopVm(Vm, turnOff)]), null, CancellationToken.None);
        await accepting;

        Assert.True(result.Succeeded, string.Join("; ", result.Errors.Select(e => e.Error.Message)));
        Assert.Equal([4242], _processes.Killed);
        Assert.Empty(_processes.Running);
    }

    [Fact]
    public async Task Halt_with_a_monitor_that_greets_and_never_answers_falls_through_to_the_kill()
    {
        _provider = Provider(ShortAnswers);
        await using var monitor = new FakeQmpServer(_registry.QmpSocket(Vm));
        var silent = Task.Run(async () =>
        {
            await monitor.AcceptAndNegotiateAsync();
            return await monitor.ReceiveAsync();
        });

        var result = await _provider.ApplyAsync(new OperationBatch("vm", [new StopVm(Vm, TurnOff: false)]), null, CancellationToken.None);

        Assert.Equal("system_powerdown", (await silent).GetProperty("execute").GetString());
        Assert.True(result.Succeeded, string.Join("; ", result.Errors.Select(e => e.Error.Message)));
        Assert.Equal([4242], _processes.Killed);
    }

    /// <summary>The real QMP side of <see cref="LinuxVmProcesses"/> with short timeouts; the processes are a table.</summary>
    private sealed class ProcessTable : IVmProcesses
    {
        public LinuxVmProcesses Qmp { get; set; } = new(Short);

        public Dictionary<string, int> Running { get; } = new(StringComparer.Ordinal);

        public List<int> Killed { get; } = [];

        public LinuxProcess? FindRunning(string pidFile) => Running.TryGetValue(pidFile, out var pid) ? new LinuxProcess(pid, 1) : null;

        public Task<string?> QueryStatusAsync(string qmpSocket, CancellationToken cancellationToken) => Qmp.QueryStatusAsync(qmpSocket, cancellationToken);

        public Task ExecuteAsync(string qmpSocket, string command, CancellationToken cancellationToken) => Qmp.ExecuteAsync(qmpSocket, command, cancellationToken);

        public Task<LabRunner.Providers.Qemu.Qmp.IQmpSession> OpenQmpAsync(string qmpSocket, TimeSpan commandTimeout, CancellationToken cancellationToken) => Qmp.OpenQmpAsync(qmpSocket, commandTimeout, cancellationToken);

        public bool IsAlive(LinuxProcess process) => Running.ContainsValue(process.Pid);

        public void Kill(LinuxProcess process)
        {
            Killed.Add(process.Pid);
            Running.Clear();
        }
    }

    private sealed class FixedProbe : IAcceleratorProbe
    {
        public AcceleratorFacts Probe() => new(true, null, PvmLoaded: true, Override: null);
    }
}
