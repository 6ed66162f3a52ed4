using System.Collections.Immutable;
using System.Net;
using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Core.Net;
using LabRunner.Providers.Qemu.Acceleration;
using LabRunner.Providers.Qemu.CommandLine;
using LabRunner.HostCommon.Disks;
using LabRunner.Providers.Qemu.Network;
using LabRunner.Providers.Qemu.Qmp;
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
public sealed class QemuProvider : IHostProvider
{
    /// <summary>The alias suffix of a bridge made for an isolated network (a Hyper-V private switch).</summary>
    public const string PrivateSuffix = " kind=private";

    private static readonly Ipv4Address AnyAddress = Ipv4Address.Parse("0.0.0.0");

    private readonly QemuProviderOptions _options;
    private readonly Lazy<AcceleratorDecision> _accelerator;

    /// <summary>LabRunner's nft table as the last inventory read it: what --what-if's nft scripts start from.</summary>
    private NftRulesetSpec? _inventorySpec;

    public QemuProvider(QemuProviderOptions options)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _accelerator = new Lazy<AcceleratorDecision>(() => AcceleratorPolicy.Choose(_options.AcceleratorProbe.Probe()));
    }

    /// <summary>
    /// The provider for this machine: the registry from <c>LABRUNNER_QEMU_STATE</c> (default
    /// <c>/var/lib/labrunner/qemu</c>), commands in the caller's own network namespace.
    /// </summary>
    public static QemuProvider ForLocalHost(Func<string, string?> getVariable)
    {
        ArgumentNullException.ThrowIfNull(getVariable);
        return new QemuProvider(new QemuProviderOptions(VmRegistry.FromEnvironment(getVariable), new CliWrapHostCommandRunner())
        {
            CheckForwardPolicy = !string.Equals(getVariable(QemuProviderOptions.ForwardCheckVariable), "off", StringComparison.OrdinalIgnoreCase),
        });
    }

    public VmRegistry Registry => _options.Registry;

    /// <summary>
    /// The engine's lock for this host: one per network namespace (bridges, addresses, host ports and the nft table
    /// are the namespace's), in a fixed host-wide folder, so labs with different registries still exclude each other.
    /// </summary>
    public string LockPath => NetnsLock.EnginePath(_options.LockDirectory, _options.NetworkNamespace);

    public HostRules Rules => QemuRules.Instance;

    /// <summary>"QEMU on HOST (TCG …)": the accelerator and why, said once in the output.</summary>
    public string Description
    {
        get
        {
            var where = _options.NetworkNamespace is { } ns ? $" (network namespace {ns})" : "";
            var accelerator = _accelerator.Value.Choice is { } choice ? choice.Reason : _accelerator.Value.Error;
            return $"QEMU on {_options.HostName}{where}, {accelerator}";
        }
    }

    // ---------------------------------------------------------------- inventory

    /// <summary>
    /// One <c>ip -d -j addr show</c>, one <c>nft -j list ruleset</c>, the registry, <c>/proc</c> and QMP for
    /// the running VMs. nft needs CAP_NET_ADMIN even to read: unprivileged, the NAT rules are unknown, which is
    /// harmless only while no LabRunner network exists on the host (then there are none of this host's rules
    /// to know, and plan/validate/status work without sudo); otherwise the read fails with "run with sudo".
    /// </summary>
    public async Task<HostInventory> GetInventoryAsync(ImmutableArray<string> filesOfInterest, CancellationToken cancellationToken)
    {
        var interfaces = await ReadInterfacesAsync(cancellationToken).ConfigureAwait(false);
        var nft = await ReadNftForInventoryAsync(interfaces, cancellationToken).ConfigureAwait(false);
        var spec = nft is null ? NftRulesetSpec.Empty : nft.Value.Spec;
        _inventorySpec = spec;

        var adapters = interfaces
            .Where(i => i.Name != "lo" && i.Kind is not (HostInterfaceKind.Tap or HostInterfaceKind.Macvtap))
            .Select(i => new HostNetAdapter(i.Name, i.InfoKind ?? "device", i.Kind is HostInterfaceKind.Device or HostInterfaceKind.Veth,
                [.. i.Addresses.Select(a => new HostIp(Ipv4Address.Parse(a.Address.ToString()), a.PrefixLength))]))
            .ToImmutableArray();
        var switches = interfaces.Where(i => i.Kind == HostInterfaceKind.Bridge).Select(SwitchOf).ToImmutableArray();
        var nats = spec.Masquerades
            .Select(m => new HostNat(m.Nat ?? NftRuleset.TableName, Ipv4Subnet.Parse(m.Subnet.ToString()), new OwnershipMark(m.Lab, m.Project).Render()))
            .ToImmutableArray();
        var mappings = spec.PortForwards
            .Select(f => new HostPortMapping(f.Nat ?? "", f.Protocol == NftProtocol.Tcp ? PortProtocol.Tcp : PortProtocol.Udp,
                f.HostAddress is null ? AnyAddress : Ipv4Address.Parse(f.HostAddress.ToString()), f.HostPort,
                Ipv4Address.Parse(f.GuestAddress.ToString()), f.GuestPort))
            .ToImmutableArray();

        List<VmEntry> entries;
        try
        {
            entries = [.. Registry.All()];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            throw new HostUnavailableException(e is System.Text.Json.JsonException
                ? new HostError(HostErrorKind.Failed, $"The QEMU VM registry in '{Registry.Directory}' holds a file that is not a VM entry: {e.Message}")
                : QemuErrors.FromFile(null, Registry.Directory, e));
        }
        var vms = ImmutableArray.CreateBuilder<HostVm>();
        foreach (var entry in entries)
            vms.Add(VmOf(entry, await StateOfAsync(entry, cancellationToken).ConfigureAwait(false)));

        var files = filesOfInterest.IsDefault ? [] : filesOfInterest.Where(File.Exists).ToImmutableArray();
        return new HostInventory(adapters, switches, nats, mappings, vms.ToImmutable(), files);
    }

    private static HostSwitch SwitchOf(HostInterface bridge)
    {
        var alias = bridge.Alias ?? "";
        if (!LabIdentity.IsLabRunner(alias))
            return new HostSwitch(bridge.Name, SwitchKind.External, bridge.Name, alias);
        return alias.EndsWith(PrivateSuffix, StringComparison.Ordinal)
            ? new HostSwitch(bridge.Name, SwitchKind.Private, null, alias[..^PrivateSuffix.Length])
            : new HostSwitch(bridge.Name, SwitchKind.Internal, null, alias);
    }

    private static HostVm VmOf(VmEntry entry, (VmState State, string? UnknownBecause) state) => new(
        entry.Name,
        state.State,
        entry.Notes,
        entry.Generation,
        entry.MemoryBytes,
        entry.Cpus,
        [.. entry.Adapters.Select(a => new HostVmAdapter(a.Name, a.Switch, MacAddress.Parse(a.Mac)))],
        [entry.Disk],
        entry.Seed is null ? [] : [new HostDvdDrive(0, 0, entry.Seed)],
        SecureBoot: false,
        UnknownStateReason: state.UnknownBecause);

    /// <summary>
    /// Off unless the pid file names a live QEMU of this VM; then what QMP says. When the monitor does not
    /// answer, the state is unknown, with why: the process is there, so it counts as running for planning
    /// (halt and down stop it, falling back to a kill).
    /// </summary>
    private async Task<(VmState State, string? UnknownBecause)> StateOfAsync(VmEntry entry, CancellationToken cancellationToken)
    {
        var socket = Registry.QmpSocket(entry.Name);
        if (_options.Processes.FindRunning(Registry.PidFile(entry.Name)) is not { } process) return (VmState.Off, null);
        string? status;
        try
        {
            status = await _options.Processes.QueryStatusAsync(socket, cancellationToken).ConfigureAwait(false);
        }
        catch (QmpException e)
        {
            if (!_options.Processes.IsAlive(process)) return (VmState.Off, null);
            return (VmState.Running, $"QEMU ({process}) runs, but its monitor {socket} did not answer: {e.Message}");
        }
        return (status switch
        {
            null or "running" => VmState.Running,
            "paused" or "prelaunch" or "suspended" => VmState.Paused,
            "shutdown" => VmState.Stopping,
            _ => VmState.Other,
        }, null);
    }

    private async Task<ImmutableArray<HostInterface>> ReadInterfacesAsync(CancellationToken cancellationToken)
    {
        try
        {
            var result = await RunCheckedAsync(QemuCommands.AddressesShow(), cancellationToken).ConfigureAwait(false);
            return IpJsonParser.ParseInterfaces(result.StandardOutput);
        }
        catch (HostCommandStartException e)
        {
            throw new HostUnavailableException(QemuErrors.FromStart(e));
        }
        catch (HostCommandFailedException e)
        {
            throw new HostUnavailableException(new HostError(QemuErrors.KindOf(e.Result.StandardError), $"Reading the host's interfaces failed: {QemuErrors.OneLine(e.Result.StandardError)}"));
        }
        catch (FormatException e)
        {
            throw new HostUnavailableException(new HostError(HostErrorKind.Failed, e.Message));
        }
    }

    private async Task<(NftInventory Inventory, NftRulesetSpec Spec)?> ReadNftForInventoryAsync(ImmutableArray<HostInterface> interfaces, CancellationToken cancellationToken)
    {
        try
        {
            return await ReadNftAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (QemuOperationException e)
        {
            var ours = interfaces.Where(i => i.Kind == HostInterfaceKind.Bridge && LabIdentity.IsLabRunner(i.Alias)).Select(i => i.Name).ToList();
            if (ours.Count == 0) return null;
            throw new HostUnavailableException(e.Error with
            {
                Message = $"LabRunner's networks ({string.Join(", ", ours)}) have NAT and port rules in nftables, which cannot be read: {e.Error.Message}",
            });
        }
    }

    /// <exception cref="QemuOperationException">nft is missing or refuses (AccessDenied without CAP_NET_ADMIN).</exception>
    private async Task<(NftInventory Inventory, NftRulesetSpec Spec)> ReadNftAsync(CancellationToken cancellationToken)
    {
        HostCommandResult result;
        try
        {
            result = await RunCheckedAsync(QemuCommands.NftListRuleset(), cancellationToken).ConfigureAwait(false);
        }
        catch (HostCommandStartException e)
        {
            throw new QemuOperationException(QemuErrors.FromStart(e));
        }
        catch (HostCommandFailedException e)
        {
            var kind = QemuErrors.KindOf(e.Result.StandardError);
            throw new QemuOperationException(new HostError(kind,
                $"nft -j list ruleset failed: {QemuErrors.OneLine(e.Result.StandardError)}." + (kind == HostErrorKind.AccessDenied ? " " + QemuErrors.SudoHint : "")));
        }
        try
        {
            return (NftInventory.Parse(result.StandardOutput), NftRulesetReader.Read(result.StandardOutput));
        }
        catch (FormatException e)
        {
            throw new QemuOperationException(new HostError(HostErrorKind.Failed, e.Message));
        }
    }

    // ---------------------------------------------------------------- apply

    public async Task<ApplyResult> ApplyAsync(OperationBatch batch, IProgress<OperationProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var operations = batch.Operations.IsDefault ? [] : batch.Operations;
        var statuses = new OperationStatus[operations.Length];
        var errors = ImmutableArray.CreateBuilder<OperationError>();
        var context = new BatchContext();

        if (await PreflightAsync(operations, context, cancellationToken).ConfigureAwait(false) is { } refused)
            return new ApplyResult([.. statuses], [refused]);

        for (var i = 0; i < operations.Length; i++)
        {
            if (errors.Any(e => batch.SkipsAfter(e.Index, i))) continue;
            cancellationToken.ThrowIfCancellationRequested();
            var operation = operations[i].In(Rules.Words);
            progress?.Report(new OperationProgress(batch, i, operation, Done: false));
            var error = await TryApplyAsync(operation, context, cancellationToken).ConfigureAwait(false);
            if (error is not null)
            {
                statuses[i] = OperationStatus.Failed;
                errors.Add(new OperationError(i, error));
                continue;
            }
            statuses[i] = OperationStatus.Done;
            progress?.Report(new OperationProgress(batch, i, operation, Done: true));
        }
        return new ApplyResult([.. statuses], errors.ToImmutable());
    }

    /// <summary>State read once per batch: LabRunner's nft table as it is now (read at the first change to it).</summary>
    private sealed class BatchContext
    {
        public NftRulesetSpec? Spec { get; set; }
    }

    /// <summary>
    /// Before any change: a NAT or port change while another table's forward chain drops by default (Docker
    /// sets the iptables FORWARD policy to DROP) would leave NAT networks silently unrouted — refused as a
    /// conflict, with the fix. Also reads LabRunner's table once for the batch.
    /// </summary>
    private async Task<OperationError?> PreflightAsync(ImmutableArray<HostOperation> operations, BatchContext context, CancellationToken cancellationToken)
    {
        var first = operations.Select((o, i) => (o, i)).FirstOrDefault(x => TouchesNft(x.o));
        if (first.o is null) return null;
        (NftInventory Inventory, NftRulesetSpec Spec) nft;
        try
        {
            nft = await ReadNftAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (QemuOperationException e)
        {
            return new OperationError(first.i, e.Error);
        }
        context.Spec = nft.Spec;
        if (!_options.CheckForwardPolicy) return null;
        var nat = operations.Select((o, i) => (o, i)).FirstOrDefault(x => x.o is CreateNat or AddPortMapping);
        if (nat.o is null) return null;
        var blockers = nft.Inventory.ForeignForwardDropChains().ToList();
        if (blockers.Count == 0) return null;
        var chains = string.Join(", ", blockers.Select(c => $"'{c.Family} {c.Table} {c.Name}'"));
        return new OperationError(nat.i, QemuErrors.Refused(HostErrorKind.Conflict, nat.o,
            $"the forward chain {chains} of another table drops forwarded packets by default (Docker does this), so this lab's NAT network would not reach outside. " +
            "Nothing was changed. Accept LabRunner's bridges there (with Docker: iptables -I DOCKER-USER -i BRIDGE -j ACCEPT and iptables -I DOCKER-USER -o BRIDGE -j ACCEPT, " +
            $"BRIDGE being each 'lr…' bridge of the lab; see 'lab plan'), then set {QemuProviderOptions.ForwardCheckVariable}=off."));
    }

    private static bool TouchesNft(HostOperation operation) => operation is CreateNat or RemoveNat or AddPortMapping or RemovePortMapping or RemoveSwitch
        || operation is CreateSwitch { Kind: SwitchKind.Private };

    private async Task<HostError?> TryApplyAsync(HostOperation operation, BatchContext context, CancellationToken cancellationToken)
    {
        try
        {
            await ApplyOneAsync(operation, context, cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (QemuOperationException e)
        {
            return e.Error;
        }
        catch (HostCommandFailedException e)
        {
            return QemuErrors.FromCommand(operation, e);
        }
        catch (HostCommandStartException e)
        {
            return QemuErrors.FromStart(e);
        }
        catch (QmpException e)
        {
            return QemuErrors.FromQmp(operation, e);
        }
        catch (ArgumentException e)
        {
            // A name or value the host commands refuse to carry (validated before anything runs).
            return new HostError(HostErrorKind.Failed, $"{operation.Describe()}: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return QemuErrors.FromFile(operation, (e as FileNotFoundException)?.FileName ?? Registry.Directory, e);
        }
    }

    private Task ApplyOneAsync(HostOperation operation, BatchContext context, CancellationToken ct) => operation switch
    {
        CreateSwitch op => CreateSwitchAsync(op, context, ct),
        AssignHostIp op => RunCheckedAsync(QemuCommands.AddressAdd(op.Ip.ToString(), op.PrefixLength, op.SwitchName), ct),
        CreateNat op => CreateNatAsync(op, context, ct),
        RemoveNat op => ChangeNftAsync(context, s => s with { Masquerades = [.. s.Masquerades.Where(m => m.Nat != op.Name)] }, ct),
        AddPortMapping op => AddPortMappingAsync(op, context, ct),
        RemovePortMapping op => ChangeNftAsync(context, s => s with { PortForwards = [.. s.PortForwards.Where(f => !Same(f, op))] }, ct),
        RemoveSwitch op => RemoveSwitchAsync(op, context, ct),
        SetSwitchNotes op => SetSwitchNotesAsync(op, ct),
        CreateDisk op => CreateDiskAsync(op, ct),
        CreateVm op => Sync(() => CreateVm(op)),
        SetVmHardware op => Sync(() => UpdateOffline(op, e => e with { Cpus = op.Cpus, MemoryBytes = op.MemoryBytes })),
        AddVmAdapter op => Sync(() => UpdateOffline(op, e => e.Adapters.Any(a => SameName(a.Name, op.AdapterName))
            ? throw Refuse(HostErrorKind.AlreadyExists, op, $"the VM already has an adapter '{op.AdapterName}'.")
            : e with { Adapters = e.Adapters.Add(new VmAdapterEntry(op.AdapterName, op.SwitchName, op.Mac.ToString(':').ToLowerInvariant(), InterfaceNames.TapOf(e.Name, op.AdapterName))) })),
        RemoveVmAdapter op => Sync(() => UpdateOffline(op, e => e with { Adapters = [.. e.Adapters.Where(a => !SameName(a.Name, op.AdapterName))] })),
        ConnectVmAdapter op => ConnectVmAdapterAsync(op, ct),
        AttachSeed op => Sync(() => UpdateOffline(op, e => e with { Seed = op.IsoPath })),
        DisableAutomaticCheckpoints op => Sync(() => Entry(op)),
        DiscardSavedState op => Sync(() => Entry(op)),
        SetFirmware op => Sync(() =>
        {
            if (op.SecureBoot)
                throw Refuse(HostErrorKind.Failed, op, "QEMU boots generation 2 VMs with OVMF without secure boot; a plan for QEMU never asks for it (this is a bug in LabRunner: please report it).");
            Entry(op);
        }),
        StartVm op => StartVmAsync(op, ct),
        StopVm op => StopVmAsync(op, ct),
        ResumeVm op => ResumeVmAsync(op, ct),
        RemoveVm op => RemoveVmAsync(op, ct),
        RemoveFile op => Sync(() => File.Delete(op.Path)),
        SetVmNotes op => Sync(() => Registry.Save(Entry(op) with { Notes = op.Notes })),
        _ => throw Refuse(HostErrorKind.Failed, operation, $"the QEMU provider does not know the operation {operation.GetType().Name}."),
    };

    private static Task Sync(Action action)
    {
        action();
        return Task.CompletedTask;
    }

    private static QemuOperationException Refuse(HostErrorKind kind, HostOperation operation, string why) => new(QemuErrors.Refused(kind, operation, why));

    private static bool SameName(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    // ---------------------------------------------------------------- networks

    private async Task CreateSwitchAsync(CreateSwitch op, BatchContext context, CancellationToken ct)
    {
        if (op.Kind == SwitchKind.External)
            throw Refuse(HostErrorKind.Unavailable, op,
                $"the QEMU provider does not create a bridge on a physical adapter ('{op.NetAdapterName}'). Make a Linux bridge on it yourself " +
                "(e.g. with NetworkManager or systemd-networkd, so the host keeps its own connection), then name that bridge as the network's 'adapter' in Labfile.local.yml.");
        if (!InterfaceNames.IsValid(op.Name))
            throw Refuse(HostErrorKind.Failed, op, $"'{op.Name}' is not a Linux interface name (at most {InterfaceNames.MaxLength} letters, digits, '-', '_', '.').");
        var alias = op.Kind == SwitchKind.Private ? op.Notes + PrivateSuffix : op.Notes;
        await RunCheckedAsync(QemuCommands.BridgeCreate(op.Name, alias), ct).ConfigureAwait(false);
        if (op.Kind == SwitchKind.Private)
        {
            var mark = MarkOf(op.Notes) ?? new OwnershipMark("unknown");
            await ChangeNftAsync(context, s => s with
            {
                NoForwards = [.. s.NoForwards.Where(n => n.Bridge != op.Name), new NftNoForward(mark.Lab, op.Name) { Project = mark.Project }],
            }, ct).ConfigureAwait(false);
        }
    }

    private async Task RemoveSwitchAsync(RemoveSwitch op, BatchContext context, CancellationToken ct)
    {
        var existing = (await ReadLinksAsync(ct).ConfigureAwait(false)).FirstOrDefault(i => i.Name == op.Name);
        if (existing is not null && !LabIdentity.IsLabRunner(existing.Alias))
            throw Refuse(HostErrorKind.Conflict, op, $"'{op.Name}' does not carry LabRunner's mark; LabRunner never removes an interface it did not create.");
        var spec = await SpecAsync(context, ct).ConfigureAwait(false);
        if (spec.NoForwards.Any(n => n.Bridge == op.Name))
            await ChangeNftAsync(context, s => s.NoForwards.Any(n => n.Bridge == op.Name) ? s with { NoForwards = [.. s.NoForwards.Where(n => n.Bridge != op.Name)] } : s, ct).ConfigureAwait(false);
        if (existing is not null)
            await RunCheckedAsync(QemuCommands.LinkDelete(op.Name), ct).ConfigureAwait(false);
    }

    private async Task SetSwitchNotesAsync(SetSwitchNotes op, CancellationToken ct)
    {
        var existing = (await ReadLinksAsync(ct).ConfigureAwait(false)).FirstOrDefault(i => i.Name == op.Name && i.Kind == HostInterfaceKind.Bridge)
            ?? throw Refuse(HostErrorKind.NotFound, op, $"there is no bridge '{op.Name}'.");
        var suffix = existing.Alias?.EndsWith(PrivateSuffix, StringComparison.Ordinal) == true ? PrivateSuffix : "";
        await RunCheckedAsync(QemuCommands.LinkSetAlias(op.Name, op.Notes + suffix), ct).ConfigureAwait(false);
    }

    private async Task CreateNatAsync(CreateNat op, BatchContext context, CancellationToken ct)
    {
        var mark = MarkOf(op.Mark) ?? await NatMarkAsync(op, op.Name, ct).ConfigureAwait(false);
        var subnet = IPNetwork.Parse(op.InternalPrefix.ToString());
        await ChangeNftAsync(context, s => s with
        {
            Masquerades = [.. s.Masquerades.Where(m => m.Nat != op.Name), new NftMasquerade(mark.Lab, subnet) { Project = mark.Project, Nat = op.Name }],
        }, ct).ConfigureAwait(false);
        await RunCheckedAsync(QemuCommands.EnableForwarding(), ct).ConfigureAwait(false);
    }

    private async Task AddPortMappingAsync(AddPortMapping op, BatchContext context, CancellationToken ct)
    {
        var spec = await SpecAsync(context, ct).ConfigureAwait(false);
        var nat = spec.Masquerades.FirstOrDefault(m => m.Nat == op.NatName);
        var mark = nat is not null ? new OwnershipMark(nat.Lab, nat.Project) : await NatMarkAsync(op, op.NatName, ct).ConfigureAwait(false);
        var protocol = op.Protocol == PortProtocol.Tcp ? NftProtocol.Tcp : NftProtocol.Udp;
        IPAddress? host = op.ExternalIp == AnyAddress ? null : IPAddress.Parse(op.ExternalIp.ToString());
        var forward = new NftPortForward(mark.Lab, protocol, host, op.ExternalPort, IPAddress.Parse(op.InternalIp.ToString()), op.InternalPort)
        {
            Project = mark.Project,
            Nat = OwnershipMark.IsToken(op.NatName) ? op.NatName : null,
        };
        // The clash is checked on the table as read under the lock, where another lab's new rule is seen.
        await ChangeNftAsync(context, s =>
        {
            var clash = s.PortForwards.FirstOrDefault(f => f.Protocol == protocol && f.HostPort == op.ExternalPort
                && (f.HostAddress is null || host is null || f.HostAddress.Equals(host)));
            if (clash is null) return s with { PortForwards = s.PortForwards.Add(forward) };
            if (clash.GuestAddress.Equals(forward.GuestAddress) && clash.GuestPort == op.InternalPort && Equals(clash.HostAddress, host)) return s;
            throw Refuse(HostErrorKind.Conflict, op, $"host port {op.Protocol.ToString().ToLowerInvariant()}/{op.ExternalPort} is already forwarded to {clash.GuestAddress}:{clash.GuestPort} (lab '{clash.Lab}').");
        }, ct).ConfigureAwait(false);
    }

    private static bool Same(NftPortForward f, RemovePortMapping op) =>
        f.Protocol == (op.Protocol == PortProtocol.Tcp ? NftProtocol.Tcp : NftProtocol.Udp) && f.HostPort == op.ExternalPort
        && (f.HostAddress?.ToString() ?? "0.0.0.0") == op.ExternalIp.ToString()
        && f.GuestAddress.ToString() == op.InternalIp.ToString() && f.GuestPort == op.InternalPort;

    /// <summary>The lab's mark for a NAT rule: the mark of the NAT network's bridge (this lab's, created before it).</summary>
    private async Task<OwnershipMark> NatMarkAsync(HostOperation op, string bridge, CancellationToken ct)
    {
        var link = (await ReadLinksAsync(ct).ConfigureAwait(false)).FirstOrDefault(i => i.Name == bridge);
        return MarkOf(link?.Alias) ?? throw Refuse(HostErrorKind.NotFound, op, $"there is no LabRunner bridge '{bridge}' whose mark the rule could carry.");
    }

    private static OwnershipMark? MarkOf(string? notes)
    {
        if (notes is null) return null;
        var text = notes.EndsWith(PrivateSuffix, StringComparison.Ordinal) ? notes[..^PrivateSuffix.Length] : notes;
        return OwnershipMark.TryParse(text)?.Owner;
    }

    private async Task<NftRulesetSpec> SpecAsync(BatchContext context, CancellationToken ct)
    {
        context.Spec ??= (await ReadNftAsync(ct).ConfigureAwait(false)).Spec;
        return context.Spec;
    }

    /// <summary>
    /// Replaces LabRunner's table with <paramref name="change"/> applied, in one nft transaction. The table is the
    /// whole namespace's (every lab's NAT and port rules, whatever its registry), so it is read again under the
    /// namespace's nft lock and replaced before the lock is released: a batch never writes back a stale copy.
    /// <paramref name="change"/> returns its argument itself when there is nothing to change.
    /// </summary>
    private async Task ChangeNftAsync(BatchContext context, Func<NftRulesetSpec, NftRulesetSpec> change, CancellationToken ct)
    {
        using var held = await NetnsLock.AcquireAsync(NetnsLock.NftPath(_options.LockDirectory, _options.NetworkNamespace), _options.NftLockTimeout, ct).ConfigureAwait(false);
        var current = (await ReadNftAsync(ct).ConfigureAwait(false)).Spec;
        context.Spec = current;
        var next = change(current);
        if (ReferenceEquals(next, current)) return;
        var empty = next.Masquerades.IsEmpty && next.PortForwards.IsEmpty && next.NoForwards.IsEmpty;
        await RunCheckedAsync(QemuCommands.NftApply(empty ? NftRuleset.RenderDelete() : NftRuleset.Render(next)), ct).ConfigureAwait(false);
        context.Spec = next;
    }

    private async Task<ImmutableArray<HostInterface>> ReadLinksAsync(CancellationToken ct) =>
        IpJsonParser.ParseInterfaces((await RunCheckedAsync(QemuCommands.LinksShow(), ct).ConfigureAwait(false)).StandardOutput);

    // ---------------------------------------------------------------- VMs

    private VmEntry Entry(HostOperation op) =>
        Registry.Find(op.Vm!) ?? throw Refuse(HostErrorKind.NotFound, op, $"there is no VM '{op.Vm}' in the QEMU registry ({Registry.Directory}).");

    private bool IsRunning(VmEntry entry) => _options.Processes.FindRunning(Registry.PidFile(entry.Name)) is not null;

    /// <summary>A change QEMU takes only at the next start (QemuRules: adapters, seed and hardware change while the VM is off).</summary>
    private void UpdateOffline(HostOperation op, Func<VmEntry, VmEntry> change)
    {
        var entry = Entry(op);
        if (IsRunning(entry))
            throw Refuse(HostErrorKind.InvalidState, op, "the VM is running; QEMU takes this change only while it is off (lab reload applies it).");
        Registry.Save(change(entry));
    }

    private async Task CreateDiskAsync(CreateDisk op, CancellationToken ct)
    {
        if (File.Exists(op.Path))
            throw Refuse(HostErrorKind.AlreadyExists, op, $"'{op.Path}' already exists; LabRunner does not overwrite a disk.");
        var parent = Path.GetFullPath(op.ParentPath);
        // The engine refuses such a box before planning (LAB314); checked again where the overlay is made on it,
        // so no path here gives QEMU (root) a backing chain or data file into the host's own files.
        var check = DiskImageInspector.InspectFile(parent);
        if (check.Refusal is { } refusal)
            throw Refuse(HostErrorKind.InvalidState, op, $"the box '{parent}' {refusal}; {DiskImageInspector.Why}.");
        var format = check.Format;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(op.Path))!);
        await RunCheckedAsync(QemuCommands.OverlayCreate(Path.GetFullPath(op.Path), parent, format), ct).ConfigureAwait(false);
    }

    private void CreateVm(CreateVm op)
    {
        if (Registry.Find(op.VmName) is not null)
            throw Refuse(HostErrorKind.AlreadyExists, op, $"a VM '{op.VmName}' is already in the QEMU registry ({Registry.Directory}).");
        if (op.Generation is not (1 or 2))
            throw Refuse(HostErrorKind.Failed, op, $"generation {op.Generation} is neither 1 (BIOS) nor 2 (UEFI).");
        Directory.CreateDirectory(op.Path);
        string? vars = null;
        if (op.Generation == 2)
        {
            vars = Path.Combine(op.Path, "OVMF_VARS.fd");
            if (!File.Exists(_options.OvmfVarsTemplate))
                throw Refuse(HostErrorKind.Unavailable, op, $"the UEFI firmware is missing ({_options.OvmfVarsTemplate}); install it with: apt-get install -y ovmf");
            File.Copy(_options.OvmfVarsTemplate, vars, overwrite: true);
        }
        Registry.Save(new VmEntry(op.VmName, op.Notes, op.Generation, 1, op.MemoryBytes, op.Path, op.DiskPath, null, vars, []));
    }

    private async Task ConnectVmAdapterAsync(ConnectVmAdapter op, CancellationToken ct)
    {
        var entry = Entry(op);
        var adapter = entry.Adapters.FirstOrDefault(a => SameName(a.Name, op.AdapterName))
            ?? throw Refuse(HostErrorKind.NotFound, op, $"the VM has no adapter '{op.AdapterName}'.");
        // A running VM's tap moves to the other bridge at once; the guest sees a link that changed network.
        if (IsRunning(entry))
            await RunCheckedAsync(QemuCommands.LinkSetMaster(adapter.Tap, op.SwitchName), ct).ConfigureAwait(false);
        Registry.Save(entry with { Adapters = [.. entry.Adapters.Select(a => a == adapter ? a with { Switch = op.SwitchName } : a)] });
    }

    /// <summary>The accelerator for every VM this provider starts, or the error when an override cannot be honoured.</summary>
    public AcceleratorDecision Accelerator => _accelerator.Value;

    /// <summary>The qemu-system-x86_64 command of a VM as the registry has it.</summary>
    public HostCommand QemuCommandOf(VmEntry entry, QemuAccelerator accelerator, DiskFormat diskFormat)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var line = QemuCommandLine.ForVm(entry.Name)
            .WithGeneration(entry.Generation, entry.FirmwareVars)
            .WithOvmfCode(_options.OvmfCode)
            .WithAccelerator(accelerator)
            .WithCpus(entry.Cpus)
            .WithMemory((int)(entry.MemoryBytes / (1024 * 1024)))
            .WithDisk(entry.Disk, diskFormat)
            .WithSeedIso(entry.Seed)
            .WithControlFiles(Registry.PidFile(entry.Name), Registry.QmpSocket(entry.Name), entry.ConsoleLog);
        foreach (var adapter in entry.Adapters) line = line.WithAdapter(adapter.Tap, adapter.Mac);
        return line.ToHostCommand();
    }

    private async Task StartVmAsync(StartVm op, CancellationToken ct)
    {
        var entry = Entry(op);
        if (IsRunning(entry)) return;
        var accelerator = _accelerator.Value.Choice ?? throw Refuse(HostErrorKind.Unavailable, op, _accelerator.Value.Error!);
        DiskFormat format;
        try
        {
            format = DiskFormatDetector.DetectFile(entry.Disk);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new QemuOperationException(QemuErrors.FromFile(op, entry.Disk, e));
        }
        if (entry.Generation == 2 && entry.FirmwareVars is { } vars && !File.Exists(vars))
            File.Copy(_options.OvmfVarsTemplate, vars);
        var socket = Registry.QmpSocket(entry.Name);
        if (System.Text.Encoding.UTF8.GetByteCount(socket) > QmpClient.MaxSocketPathBytes)
            throw Refuse(HostErrorKind.Failed, op, $"the QMP socket path '{socket}' is longer than a unix socket allows ({QmpClient.MaxSocketPathBytes} bytes): set {VmRegistry.DirectoryVariable} to a shorter directory.");
        Directory.CreateDirectory(Path.GetDirectoryName(socket)!);
        Directory.CreateDirectory(entry.Folder);
        File.Delete(socket);
        File.Delete(Registry.PidFile(entry.Name));

        var links = await ReadLinksAsync(ct).ConfigureAwait(false);
        var stale = new List<string>();
        foreach (var adapter in entry.Adapters)
        {
            if (!links.Any(l => l.Name == adapter.Switch && l.Kind == HostInterfaceKind.Bridge))
                throw Refuse(HostErrorKind.NotFound, op, $"adapter '{adapter.Name}' is on network bridge '{adapter.Switch}', which does not exist.");
            if (links.FirstOrDefault(l => l.Name == adapter.Tap) is not { } existing) continue;
            if (existing.Kind != HostInterfaceKind.Tap || !(string.IsNullOrEmpty(existing.Alias) || LabIdentity.IsLabRunner(existing.Alias)))
                throw Refuse(HostErrorKind.Conflict, op, $"the interface '{adapter.Tap}' exists and is not one of LabRunner's taps.");
            stale.Add(adapter.Tap);
        }
        if (entry.Adapters.Length > 0 || stale.Count > 0)
            await RunCheckedAsync(QemuCommands.TapsCreate(entry.Adapters.Select(a => (a.Tap, a.Switch)), TapAlias(entry), stale), ct).ConfigureAwait(false);
        try
        {
            await RunCheckedAsync(QemuCommandOf(entry, accelerator.Accelerator, format), ct).ConfigureAwait(false);
        }
        catch
        {
            await DeleteTapsAsync(entry, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    private static string TapAlias(VmEntry entry) =>
        LabIdentity.IsLabRunner(entry.Notes) && QemuCommands.IsValidAlias(entry.Notes) ? entry.Notes : "labrunner:v1 shared";

    private async Task StopVmAsync(StopVm op, CancellationToken ct)
    {
        var entry = Entry(op);
        var socket = Registry.QmpSocket(entry.Name);
        if (_options.Processes.FindRunning(Registry.PidFile(entry.Name)) is { } qemu)
        {
            if (!op.TurnOff)
            {
                // ACPI power button; the guest shuts down in its own time. The engine cancels after its halt timeout and turns the VM off.
                var pressed = true;
                try
                {
                    await _options.Processes.ExecuteAsync(socket, "system_powerdown", ct).ConfigureAwait(false);
                }
                catch (QmpConnectionClosedException)
                {
                    // Exiting already.
                }
                catch (QmpException)
                {
                    // A silent or broken monitor cannot press the button: nothing else would ever stop this QEMU.
                    pressed = false;
                }
                if (pressed) await WaitForExitAsync(qemu, Timeout.InfiniteTimeSpan, ct).ConfigureAwait(false);
                else await KillAsync(op, qemu, ct).ConfigureAwait(false);
            }
            else
            {
                try
                {
                    await _options.Processes.ExecuteAsync(socket, "quit", ct).ConfigureAwait(false);
                }
                catch (QmpException)
                {
                    // No answer: killed below.
                }
                if (!await WaitForExitAsync(qemu, _options.TurnOffTimeout, ct).ConfigureAwait(false))
                    await KillAsync(op, qemu, ct).ConfigureAwait(false);
            }
        }
        await DeleteTapsAsync(entry, ct).ConfigureAwait(false);
        File.Delete(socket);
        File.Delete(Registry.PidFile(entry.Name));
    }

    /// <summary>SIGKILL to the QEMU found at the start (never to a process that took its pid since), then waits for it to go.</summary>
    private async Task KillAsync(StopVm op, LinuxProcess qemu, CancellationToken ct)
    {
        if (!_options.Processes.IsAlive(qemu)) return;
        _options.Processes.Kill(qemu);
        if (!await WaitForExitAsync(qemu, TimeSpan.FromSeconds(10), ct).ConfigureAwait(false))
            throw Refuse(HostErrorKind.Failed, op, $"QEMU ({qemu}) did not exit after SIGKILL.");
    }

    /// <summary>Whether <paramref name="qemu"/> exited within <paramref name="timeout"/> (infinite: until cancelled); a reused pid counts as exited.</summary>
    private async Task<bool> WaitForExitAsync(LinuxProcess qemu, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = timeout == Timeout.InfiniteTimeSpan ? DateTimeOffset.MaxValue : DateTimeOffset.UtcNow + timeout;
        while (_options.Processes.IsAlive(qemu))
        {
            if (DateTimeOffset.UtcNow >= deadline) return false;
            await Task.Delay(_options.PollInterval, ct).ConfigureAwait(false);
        }
        return true;
    }

    private async Task ResumeVmAsync(ResumeVm op, CancellationToken ct)
    {
        var entry = Entry(op);
        if (!IsRunning(entry)) throw Refuse(HostErrorKind.InvalidState, op, "the VM is not running.");
        await _options.Processes.ExecuteAsync(Registry.QmpSocket(entry.Name), "cont", ct).ConfigureAwait(false);
    }

    private async Task RemoveVmAsync(RemoveVm op, CancellationToken ct)
    {
        var entry = Entry(op);
        if (IsRunning(entry)) throw Refuse(HostErrorKind.InvalidState, op, "the VM is running; it must be off to be removed.");
        await DeleteTapsAsync(entry, ct).ConfigureAwait(false);
        if (entry.FirmwareVars is { } vars) File.Delete(vars);
        Registry.Delete(entry.Name);
    }

    /// <summary>The VM's taps that exist (a stopped QEMU leaves them: they are persistent), in one ip process.</summary>
    private async Task DeleteTapsAsync(VmEntry entry, CancellationToken ct)
    {
        if (entry.Adapters.IsEmpty) return;
        var links = await ReadLinksAsync(ct).ConfigureAwait(false);
        var taps = entry.Adapters.Select(a => a.Tap)
            .Where(t => links.Any(l => l.Name == t && l.Kind == HostInterfaceKind.Tap && (string.IsNullOrEmpty(l.Alias) || LabIdentity.IsLabRunner(l.Alias))))
            .ToList();
        if (taps.Count > 0) await RunCheckedAsync(QemuCommands.TapsDelete(taps), ct).ConfigureAwait(false);
    }

    // ---------------------------------------------------------------- preview and running

    /// <summary>
    /// What <c>lab up --what-if</c> prints: per operation, in this host's words, every command it runs in full
    /// (argument vectors, display-quoted, with their standard input) and, as <c>#</c> lines, the registry, file
    /// and QMP steps. Commands whose arguments depend on the host at the time are shown as they would be now: nft's
    /// whole table from the table the last inventory read, with the batch's earlier changes applied; a VM's QEMU
    /// command line from its registry entry as the batch's earlier operations leave it.
    /// </summary>
    public string? Preview(OperationBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Operations.IsDefaultOrEmpty) return null;
        var state = new PreviewState(_inventorySpec ?? NftRulesetSpec.Empty);
        var lines = new List<string>();
        foreach (var operation in batch.Operations)
        {
            lines.Add("# " + operation.In(Rules.Words).Describe());
            lines.AddRange(PreviewOf(operation, state));
        }
        return string.Join('\n', lines) + "\n";
    }

    /// <summary>What a preview carries from one operation to the next: the nft table and the VM entries as the batch leaves them.</summary>
    private sealed class PreviewState(NftRulesetSpec spec)
    {
        public NftRulesetSpec Spec { get; set; } = spec;

        public Dictionary<string, VmEntry> Vms { get; } = new(StringComparer.OrdinalIgnoreCase);

        public Dictionary<string, OwnershipMark> BridgeMarks { get; } = new(StringComparer.Ordinal);
    }

    private IEnumerable<string> PreviewOf(HostOperation operation, PreviewState state)
    {
        string Show(HostCommand c) => QemuCommands.Display(c.InNamespace(_options.NetworkNamespace));
        string Nft(Func<NftRulesetSpec, NftRulesetSpec> change)
        {
            state.Spec = change(state.Spec);
            var empty = state.Spec.Masquerades.IsEmpty && state.Spec.PortForwards.IsEmpty && state.Spec.NoForwards.IsEmpty;
            return Show(QemuCommands.NftApply(empty ? NftRuleset.RenderDelete() : NftRuleset.Render(state.Spec)));
        }
        OwnershipMark MarkOfBridge(string bridge, string? given) =>
            MarkOf(given) ?? (state.BridgeMarks.TryGetValue(bridge, out var m) ? m : null)
            ?? state.Spec.Masquerades.Where(x => x.Nat == bridge).Select(x => new OwnershipMark(x.Lab, x.Project)).FirstOrDefault()
            ?? new OwnershipMark("unknown");
        switch (operation)
        {
            case CreateSwitch { Kind: SwitchKind.External } op:
                yield return $"#   refused: name an existing Linux bridge as the adapter instead of '{op.NetAdapterName}'";
                break;
            case CreateSwitch op:
                yield return Show(QemuCommands.BridgeCreate(op.Name, op.Kind == SwitchKind.Private ? op.Notes + PrivateSuffix : op.Notes));
                if (MarkOf(op.Notes) is { } bridgeMark) state.BridgeMarks[op.Name] = bridgeMark;
                if (op.Kind == SwitchKind.Private)
                {
                    var mark = MarkOf(op.Notes) ?? new OwnershipMark("unknown");
                    yield return Nft(s => s with { NoForwards = [.. s.NoForwards.Where(n => n.Bridge != op.Name), new NftNoForward(mark.Lab, op.Name) { Project = mark.Project }] });
                }
                break;
            case AssignHostIp op:
                yield return Show(QemuCommands.AddressAdd(op.Ip.ToString(), op.PrefixLength, op.SwitchName));
                break;
            case CreateNat op:
            {
                var mark = MarkOfBridge(op.Name, op.Mark);
                var subnet = IPNetwork.Parse(op.InternalPrefix.ToString());
                yield return Nft(s => s with { Masquerades = [.. s.Masquerades.Where(m => m.Nat != op.Name), new NftMasquerade(mark.Lab, subnet) { Project = mark.Project, Nat = op.Name }] });
                yield return Show(QemuCommands.EnableForwarding());
                break;
            }
            case RemoveNat op:
                yield return Nft(s => s with { Masquerades = [.. s.Masquerades.Where(m => m.Nat != op.Name)] });
                break;
            case AddPortMapping op:
            {
                var mark = MarkOfBridge(op.NatName, null);
                var forward = new NftPortForward(mark.Lab, op.Protocol == PortProtocol.Tcp ? NftProtocol.Tcp : NftProtocol.Udp,
                    op.ExternalIp == AnyAddress ? null : IPAddress.Parse(op.ExternalIp.ToString()), op.ExternalPort, IPAddress.Parse(op.InternalIp.ToString()), op.InternalPort)
                {
                    Project = mark.Project,
                    Nat = OwnershipMark.IsToken(op.NatName) ? op.NatName : null,
                };
                yield return Nft(s => s with { PortForwards = s.PortForwards.Add(forward) });
                break;
            }
            case RemovePortMapping op:
                yield return Nft(s => s with { PortForwards = [.. s.PortForwards.Where(f => !Same(f, op))] });
                break;
            case RemoveSwitch op:
                if (state.Spec.NoForwards.Any(n => n.Bridge == op.Name))
                    yield return Nft(s => s with { NoForwards = [.. s.NoForwards.Where(n => n.Bridge != op.Name)] });
                yield return Show(QemuCommands.LinkDelete(op.Name));
                break;
            case SetSwitchNotes op:
                yield return Show(QemuCommands.LinkSetAlias(op.Name, op.Notes));
                break;
            case CreateDisk op:
                var format = File.Exists(op.ParentPath) ? DiskFormatDetector.DetectFile(op.ParentPath) : DiskFormat.Raw;
                yield return Show(QemuCommands.OverlayCreate(Path.GetFullPath(op.Path), Path.GetFullPath(op.ParentPath), format));
                break;
            case CreateVm op:
                var vars = op.Generation == 2 ? Path.Combine(op.Path, "OVMF_VARS.fd") : null;
                state.Vms[op.VmName] = new VmEntry(op.VmName, op.Notes, op.Generation, 1, op.MemoryBytes, op.Path, op.DiskPath, null, vars, []);
                yield return $"#   write {Registry.EntryPath(op.VmName)}" + (vars is null ? "" : $"; copy {_options.OvmfVarsTemplate} to {vars}");
                break;
            case StartVm op:
                foreach (var line in PreviewStart(op, PreviewEntry(op.VmName, state))) yield return line;
                break;
            case StopVm op:
                yield return op.TurnOff ? $"#   QMP quit on {Registry.QmpSocket(op.VmName)}, SIGKILL after {_options.TurnOffTimeout.TotalSeconds:0} s; delete its taps"
                    : $"#   QMP system_powerdown on {Registry.QmpSocket(op.VmName)}, wait for the guest to power off (SIGKILL if QMP does not answer); delete its taps";
                break;
            case ResumeVm op:
                yield return $"#   QMP cont on {Registry.QmpSocket(op.VmName)}";
                break;
            case RemoveVm op:
                state.Vms.Remove(op.VmName);
                yield return $"#   delete the VM's taps, {Registry.EntryPath(op.VmName)} and its UEFI variables";
                break;
            case RemoveFile op:
                yield return $"#   delete {op.Path}";
                break;
            case ConnectVmAdapter op:
                Fold(op.VmName, e => e with { Adapters = [.. e.Adapters.Select(a => SameName(a.Name, op.AdapterName) ? a with { Switch = op.SwitchName } : a)] });
                yield return $"#   update {Registry.EntryPath(op.VmName)} (a running VM's tap moves to {op.SwitchName} at once)";
                break;
            default:
                switch (operation)
                {
                    case SetVmHardware op:
                        Fold(op.VmName, e => e with { Cpus = op.Cpus, MemoryBytes = op.MemoryBytes });
                        break;
                    case AddVmAdapter op:
                        Fold(op.VmName, e => e with { Adapters = e.Adapters.Add(new VmAdapterEntry(op.AdapterName, op.SwitchName, op.Mac.ToString(':').ToLowerInvariant(), InterfaceNames.TapOf(e.Name, op.AdapterName))) });
                        break;
                    case RemoveVmAdapter op:
                        Fold(op.VmName, e => e with { Adapters = [.. e.Adapters.Where(a => !SameName(a.Name, op.AdapterName))] });
                        break;
                    case AttachSeed op:
                        Fold(op.VmName, e => e with { Seed = op.IsoPath });
                        break;
                }
                yield return $"#   update {Registry.EntryPath(operation.Vm ?? "")}".TrimEnd();
                break;
        }

        void Fold(string vm, Func<VmEntry, VmEntry> change)
        {
            if (PreviewEntry(vm, state) is { } entry) state.Vms[vm] = change(entry);
        }
    }

    /// <summary>The VM's entry as the batch so far leaves it: made or changed earlier in the batch, else the registry's.</summary>
    private VmEntry? PreviewEntry(string vm, PreviewState state) =>
        state.Vms.TryGetValue(vm, out var entry) ? entry : Registry.Find(vm);

    private IEnumerable<string> PreviewStart(StartVm op, VmEntry? entry)
    {
        if (entry is null)
        {
            yield return $"#   refused: there is no VM '{op.VmName}' in the QEMU registry ({Registry.Directory}) or earlier in this batch";
            yield break;
        }
        if (entry.Adapters.Length > 0)
            yield return QemuCommands.Display(QemuCommands.TapsCreate(entry.Adapters.Select(a => (a.Tap, a.Switch)), TapAlias(entry), []).InNamespace(_options.NetworkNamespace));
        var accelerator = _accelerator.Value.Choice?.Accelerator ?? QemuAccelerator.Tcg;
        var format = File.Exists(entry.Disk) ? DiskFormatDetector.DetectFile(entry.Disk) : DiskFormat.Qcow2;
        yield return QemuCommands.Display(QemuCommandOf(entry, accelerator, format).InNamespace(_options.NetworkNamespace));
    }

    private Task<HostCommandResult> RunCheckedAsync(HostCommand command, CancellationToken ct) =>
        _options.Runner.RunCheckedAsync(command.InNamespace(_options.NetworkNamespace), ct);
}
