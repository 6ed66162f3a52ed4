using System.Collections.Immutable;
using LabRunner.Core.Hosting;
using LabRunner.Core.Net;
using LabRunner.Providers.Qemu.Acceleration;
using LabRunner.HostCommon.Disks;
using LabRunner.HostCommon.Files;
using LabRunner.Providers.Qemu.Network;
using LabRunner.HostCommon.Running;
using LabRunner.Providers.Qemu.Vms;

namespace LabRunner.Providers.Qemu;

/// <summary>
/// What the parts of the QEMU provider share: its options, the accelerator chosen once, host commands run in
/// its network namespace, and the registry look-ups and refusals every operation uses.
/// </summary>
internal sealed class QemuHost
{
    /// <summary>A port mapping's external address meaning every address of the host.</summary>
    public static readonly Ipv4Address AnyAddress = Ipv4Address.Parse("0.0.0.0");

    private readonly Lazy<AcceleratorDecision> _accelerator;

    public QemuHost(QemuProviderOptions options)
    {
        Options = options;
        _accelerator = new Lazy<AcceleratorDecision>(() => AcceleratorPolicy.Choose(options.AcceleratorProbe.Probe()));
    }

    public QemuProviderOptions Options { get; }

    /// <summary>QEMU runs on this machine: the host's files are this machine's.</summary>
    public IHostFiles Files => LocalHostFiles.Instance;

    public VmRegistry Registry => Options.Registry;

    /// <summary>The accelerator for every VM this provider starts, or the error when an override cannot be honoured.</summary>
    public AcceleratorDecision Accelerator => _accelerator.Value;

    public Task<HostCommandResult> RunCheckedAsync(HostCommand command, CancellationToken ct) =>
        Options.Runner.RunCheckedAsync(command.InNamespace(Options.NetworkNamespace), ct);

    public async Task<ImmutableArray<HostInterface>> ReadLinksAsync(CancellationToken ct) =>
        IpJsonParser.ParseInterfaces((await RunCheckedAsync(QemuCommands.LinksShow(), ct).ConfigureAwait(false)).StandardOutput);

    public VmEntry Entry(HostOperation op) =>
        Registry.Find(op.Vm!) ?? throw Refuse(HostErrorKind.NotFound, op, $"there is no VM '{op.Vm}' in the QEMU registry ({Registry.Directory}).");

    public bool IsRunning(VmEntry entry) => Options.Processes.FindRunning(Registry.PidFile(entry.Name)) is not null;

    public static QemuOperationException Refuse(HostErrorKind kind, HostOperation operation, string why) => new(QemuErrors.Refused(kind, operation, why));

    public static bool SameName(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    public static OwnershipMark? MarkOf(string? notes)
    {
        if (notes is null) return null;
        var text = notes.EndsWith(QemuProvider.PrivateSuffix, StringComparison.Ordinal) ? notes[..^QemuProvider.PrivateSuffix.Length] : notes;
        return OwnershipMark.TryParse(text)?.Owner;
    }
}
