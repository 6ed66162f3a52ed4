using System.Collections.Immutable;
using LabRunner.Core.Hosting;
using LabRunner.Core.Net;
using LabRunner.Providers.Qemu.Acceleration;
using LabRunner.HostCommon.Disks;
using LabRunner.Providers.Qemu.Network;
using LabRunner.HostCommon.Running;
using LabRunner.Providers.Qemu.Vms;

namespace LabRunner.Providers.Qemu;

/// <summary>
/// A Linux host with QEMU: networks are Linux bridges marked in their alias, NAT and forwarded ports are
/// rules in LabRunner's own nftables table (<c>inet labrunner</c>, replaced whole at each change), VMs are
/// <c>qemu-system-x86_64</c> processes started from the host-wide <see cref="VmRegistry"/> and controlled
/// through QMP. Reads need no privileges (except nftables, see <see cref="GetInventoryAsync"/>); every
/// network change needs CAP_NET_ADMIN, and its refusal becomes AccessDenied with "run with sudo".
/// </summary>
/// <remarks>
/// Operations run one after the other. A failed VM operation skips the rest of that VM's operations; a
/// failed host networking operation ends the batch (<see cref="OperationBatch.SkipsAfter"/>).
/// </remarks>
public sealed class QemuProvider : IHostProvider, IGuestBoot
{
    /// <summary>The alias suffix of a bridge made for an isolated network (a Hyper-V private switch).</summary>
    public const string PrivateSuffix = " kind=private";

    private readonly QemuProviderOptions _options;
    private readonly QemuHost _host;
    private readonly QemuInventoryReader _inventory;
    private readonly QemuVmLifecycle _vms;
    private readonly QemuOperationApplier _applier;
    private readonly QemuPreview _preview;
    private readonly Capabilities.QemuSnapshots _snapshots;

    public QemuProvider(QemuProviderOptions options)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _host = new QemuHost(_options);
        var nftTable = new QemuNftTable(_host);
        _inventory = new QemuInventoryReader(_host, nftTable);
        _vms = new QemuVmLifecycle(_host, new QemuTaps(_host), new QemuShares(_host));
        _applier = new QemuOperationApplier(_host, nftTable, new QemuNetworkOperations(_host, nftTable), _vms);
        _preview = new QemuPreview(_host, _vms);
        _snapshots = new Capabilities.QemuSnapshots(_host, _vms);
    }

    /// <summary>
    /// The provider for this machine: the registry from <c>LABRUNNER_QEMU_STATE</c> (default
    /// <c>/var/lib/labrunner/qemu</c>), commands in the caller's own network namespace; every command, QMP command
    /// and kill recorded in <paramref name="trace"/>.
    /// </summary>
    public static QemuProvider ForLocalHost(Func<string, string?> getVariable, Core.Tracing.IHostTrace? trace = null)
    {
        ArgumentNullException.ThrowIfNull(getVariable);
        trace ??= Core.Tracing.NoHostTrace.Instance;
        return new QemuProvider(new QemuProviderOptions(VmRegistry.FromEnvironment(getVariable), new HostCommon.Tracing.TracingHostCommandRunner(new CliWrapHostCommandRunner(), trace))
        {
            Processes = new TracingVmProcesses(new LinuxVmProcesses(), trace),
            ShareDaemons = new TracingShareDaemons(new LinuxShareDaemons(), trace),
            Virtiofsd = getVariable(VirtiofsdVariable) is { Length: > 0 } virtiofsd ? virtiofsd : QemuCommands.DefaultVirtiofsd,
            CheckForwardPolicy = !string.Equals(getVariable(QemuProviderOptions.ForwardCheckVariable), "off", StringComparison.OrdinalIgnoreCase),
        });
    }

    /// <summary>Another virtiofsd program than Debian 12's (e.g. the Rust one at /usr/libexec/virtiofsd).</summary>
    public const string VirtiofsdVariable = "LABRUNNER_VIRTIOFSD";

    public VmRegistry Registry => _options.Registry;

    /// <summary>
    /// The engine's lock for this host: one per network namespace (bridges, addresses, host ports and the nft table
    /// are the namespace's), in a fixed host-wide folder, so labs with different registries still exclude each other.
    /// </summary>
    public string LockPath => NetnsLock.EnginePath(_options.LockDirectory, _options.NetworkNamespace);

    public HostRules Rules => QemuRules.Instance;

    public IHostFiles Files => _host.Files;

    /// <summary>"QEMU on HOST (TCG …)": the accelerator and why, said once in the output.</summary>
    public string Description
    {
        get
        {
            var where = _options.NetworkNamespace is { } ns ? $" (network namespace {ns})" : "";
            var accelerator = _host.Accelerator.Choice is { } choice ? choice.Reason : _host.Accelerator.Error;
            return $"QEMU on {_options.HostName}{where}, {accelerator}";
        }
    }

    /// <summary>The accelerator for every VM this provider starts, or the error when an override cannot be honoured.</summary>
    public AcceleratorDecision Accelerator => _host.Accelerator;

    /// <summary>The qemu-system-x86_64 command of a VM as the registry has it.</summary>
    public HostCommand QemuCommandOf(VmEntry entry, QemuAccelerator accelerator, DiskFormat diskFormat) =>
        _vms.QemuCommandOf(entry, accelerator, diskFormat);

    /// <summary>
    /// One <c>ip -d -j addr show</c>, one <c>nft -j list ruleset</c>, the registry, <c>/proc</c> and QMP for
    /// the running VMs. nft needs CAP_NET_ADMIN even to read: unprivileged, the NAT rules are unknown, which is
    /// harmless only while no LabRunner network exists on the host (then there are none of this host's rules
    /// to know, and plan/validate/status work without sudo); otherwise the read fails with "run with sudo".
    /// </summary>
    public Task<HostInventory> GetInventoryAsync(ImmutableArray<string> filesOfInterest, CancellationToken cancellationToken) =>
        _inventory.ReadAsync(filesOfInterest, cancellationToken);

    public Task<ApplyResult> ApplyAsync(OperationBatch batch, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        _applier.ApplyAsync(batch, progress, cancellationToken);

    /// <summary>
    /// What <c>lab up --what-if</c> prints: per operation, in this host's words, every command it runs in full
    /// (argument vectors, display-quoted, with their standard input) and, as <c>#</c> lines, the registry, file
    /// and QMP steps. Commands whose arguments depend on the host at the time are shown as they would be now: nft's
    /// whole table from the table the last inventory read, with the batch's earlier changes applied; a VM's QEMU
    /// command line from its registry entry as the batch's earlier operations leave it.
    /// </summary>
    public string? Preview(OperationBatch batch) => _preview.Render(batch, _inventory.LastSpec);

    public string PreviewHeading(string batchLabel) => $"commands for '{batchLabel}' (argument vectors; nothing is run through a shell)";

    /// <summary>
    /// Its guests boot (<see cref="IGuestBoot"/>), it keeps each VM's serial console (<see cref="IConsoleLog"/>), takes
    /// internal qcow2 snapshots of its VMs (<see cref="ISnapshots"/>) and can hard-reset a VM (<see cref="IVmReset"/>).
    /// </summary>
    public TCapability? Capability<TCapability>() where TCapability : class =>
        typeof(TCapability) == typeof(IConsoleLog) ? (TCapability)(object)new Capabilities.QemuConsoleLog(Registry)
        : typeof(TCapability) == typeof(ISnapshots) ? (TCapability)(object)_snapshots
        : typeof(TCapability) == typeof(IVmReset) ? (TCapability)(object)new Capabilities.QemuVmReset(Registry, _options.Processes)
        : this as TCapability;
}
