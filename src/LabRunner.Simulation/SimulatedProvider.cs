using System.Collections.Immutable;
using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Core.Tracing;
using LabRunner.Providers.HyperV;

namespace LabRunner.Simulation;

/// <summary>
/// <see cref="IHostProvider"/> over a <see cref="SimulatedHost"/>: each <see cref="HostOperation"/> is
/// one mutating call of the model, so <see cref="SimulatedHost.FailAtOperation"/> N fails the Nth
/// operation. The model's refusals become <see cref="HostError"/>s here and nowhere else. A simulated VM has no
/// guest inside (no <see cref="IGuestBoot"/>): 'lab up' does not wait for one. It keeps checkpoints (<see cref="ISnapshots"/>).
/// </summary>
public sealed partial class SimulatedProvider(SimulatedHost host) : IHostProvider
{
    private long _operationsApplied;
    private long _batches;

    public SimulatedHost Host { get; } = host ?? throw new ArgumentNullException(nameof(host));

    public string Description => Host.Description;

    /// <summary>The simulated host is a Hyper-V host, with Hyper-V's rules.</summary>
    public HostRules Rules => HyperVRules.Instance;

    /// <summary>The simulated host's files are this machine's, and the disks its model holds.</summary>
    public IHostFiles Files { get; } = new SimulatedHostFiles(host);

    /// <summary>The PowerShell the Hyper-V provider would run for the batch: what a simulated Hyper-V host shows for --what-if.</summary>
    public string? Preview(OperationBatch batch) => HyperVProvider.RenderPreview(batch);

    public string PreviewHeading(string batchLabel) => HyperVProvider.ScriptHeading(batchLabel);

    /// <summary>Operations that succeeded, over all batches (for benchmarks).</summary>
    public long OperationsApplied => Interlocked.Read(ref _operationsApplied);

    /// <summary>Batches started.</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Where each operation is recorded as the host call it stands for (<c>--verbose</c>, <c>.lab/logs/</c>).</summary>
    public IHostTrace Trace { get; init; } = NoHostTrace.Instance;

    /// <summary>Checkpoints (<see cref="ISnapshots"/>), as a Hyper-V host keeps them; no guests (<see cref="IGuestBoot"/>) or others.</summary>
    public TCapability? Capability<TCapability>() where TCapability : class =>
        typeof(TCapability) == typeof(ISnapshots) ? (TCapability)(object)new SimulatedSnapshots(Host, Trace) : this as TCapability;

    public Task<HostInventory> GetInventoryAsync(ImmutableArray<string> filesOfInterest, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.Run(() => Host.GetInventory(filesOfInterest.IsDefault ? [] : filesOfInterest), cancellationToken);
    }

    /// <summary>
    /// Runs the batch on the thread pool, so that batches the engine starts in parallel really contend
    /// for the host. Cancellation is honoured between operations (an OperationCanceledException; the
    /// progress reports say how far it got).
    /// </summary>
    public Task<ApplyResult> ApplyAsync(OperationBatch batch, IProgress<OperationProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        Interlocked.Increment(ref _batches);
        return Task.Run(() => Apply(batch, progress, cancellationToken), cancellationToken);
    }

    private ApplyResult Apply(OperationBatch batch, IProgress<OperationProgress>? progress, CancellationToken cancellationToken)
    {
        var operations = batch.Operations.IsDefault ? [] : batch.Operations;
        var statuses = new OperationStatus[operations.Length];
        var errors = ImmutableArray.CreateBuilder<OperationError>();
        IDisposable session;
        try
        {
            session = Host.OpenBatch();
        }
        catch (HostUnavailableException e)
        {
            return ApplyResult.NothingRan(operations.Length, e.Error);
        }
        using (session)
        {
            for (var i = 0; i < operations.Length; i++)
            {
                // A failed VM skips its own remaining operations; failed host networking stops the batch.
                if (errors.Any(e => batch.SkipsAfter(e.Index, i))) continue;
                cancellationToken.ThrowIfCancellationRequested();
                var operation = operations[i];
                progress?.Report(new OperationProgress(batch, i, operation, Done: false));
                var record = Trace.Begin(new HostCall(["simulated-host", operation.GetType().Name]) { Summary = operation.Describe() });
                try
                {
                    Host.Mutate(model => Apply(model, operation));
                }
                catch (SimulatedHostException e)
                {
                    record.Ended(1, e.Error.Message);
                    statuses[i] = OperationStatus.Failed;
                    errors.Add(new OperationError(i, e.Error));
                    continue;
                }
                catch (HostUnavailableException e)
                {
                    // The host itself is gone (its file cannot be read or written): nothing else can run.
                    record.Ended(1, e.Error.Message);
                    statuses[i] = OperationStatus.Failed;
                    errors.Add(new OperationError(i, e.Error));
                    break;
                }
                record.Ended(0, null);
                statuses[i] = OperationStatus.Done;
                Interlocked.Increment(ref _operationsApplied);
                progress?.Report(new OperationProgress(batch, i, operation, Done: true));
            }
        }
        return new ApplyResult([.. statuses], errors.ToImmutable());
    }

    /// <summary>One operation as the cmdlets the Hyper-V provider would run for it.</summary>
    internal static void Apply(HostModel model, HostOperation operation)
    {
        switch (operation)
        {
            case CreateSwitch op:
                // The Hyper-V provider refuses to render a name its cmdlets would read as a pattern; so does this host.
                foreach (var name in new[] { op.Name, op.NetAdapterName }.OfType<string>().Where(n => n.IndexOfAny(Names.WildcardCharacters) >= 0))
                    throw WindowsErrors.InvalidArgument($"The name '{name}' contains a wildcard character (* ? [ ] `); Hyper-V and NetNat cmdlets would read it as a pattern that can match other objects.");
                model.NewSwitch(op.Name, op.Kind, op.NetAdapterName, allowManagementOs: true, op.Notes);
                break;
            case AssignHostIp op:
                var alias = HyperVRules.VnicName(op.SwitchName);
                var vnic = model.FindInterface(alias) ?? throw WindowsErrors.CimNotFound("MSFT_NetIPInterface", "InterfaceAlias", alias);
                model.NewNetIPAddress(vnic, op.Ip, op.PrefixLength);
                break;
            case CreateNat op:
                model.NewNat(op.Name, op.InternalPrefix);
                break;
            case AddPortMapping op:
                model.AddStaticMapping(op.NatName, op.Protocol, op.ExternalIp, op.ExternalPort, op.InternalIp, op.InternalPort);
                break;
            case RemovePortMapping op:
                var mapping = model.State.StaticMappings.FirstOrDefault(m =>
                    HostModel.SameName(m.NatName, op.NatName) && m.Protocol == op.Protocol && m.ExternalIPAddress == op.ExternalIp
                    && m.ExternalPort == op.ExternalPort && m.InternalIPAddress == op.InternalIp && m.InternalPort == op.InternalPort)
                    ?? throw new SimulatedHostException(HostErrorKind.NotFound, WindowsErrors.CimNotFoundId("StaticMappingID"),
                        $"No MSFT_NetNatStaticMapping object of NetNat '{op.NatName}' forwards {op.Protocol.ToString().ToUpperInvariant()} {op.ExternalIp}:{op.ExternalPort} to {op.InternalIp}:{op.InternalPort}.");
                model.RemoveStaticMapping(mapping);
                break;
            case RemoveSwitch op:
                model.RemoveSwitch(model.GetSwitch(op.Name));
                break;
            case RemoveNat op:
                model.RemoveNat(model.FindNat(op.Name) ?? throw WindowsErrors.NatNotFound(op.Name));
                break;
            case CreateDisk op:
                model.NewDifferencingVhd(op.Path, op.ParentPath, writePlaceholder: false);
                break;
            case CreateVm op:
                // New-VM, Set-VM -Notes and Remove-VMNetworkAdapter of the default adapter, as one change:
                // the VM never exists without LabRunner's mark.
                var created = model.NewVm(op.VmName, op.Generation, op.MemoryBytes, op.DiskPath, op.Path, switchName: null);
                model.SetVm(created, notes: op.Notes);
                model.SetVm(created, automaticCheckpoints: false);
                if (op.SnapshotType is { } snapshotType) HostModel.SetCheckpointType(created, SimulatedSnapshots.CheckpointTypeOf(snapshotType));
                foreach (var adapter in model.VmAdapters(created, HostModel.DefaultAdapterName).ToList())
                    model.RemoveVmNetworkAdapter(created, adapter);
                break;
            case SetVmHardware op:
                model.SetVm(model.GetVm(op.VmName), op.Cpus, op.MemoryBytes);
                break;
            case AddVmAdapter op:
                model.AddVmNetworkAdapter(model.GetVm(op.VmName), op.AdapterName, op.SwitchName, op.Mac);
                break;
            case ConnectVmAdapter op:
                var owner = model.GetVm(op.VmName);
                foreach (var adapter in model.VmAdapters(owner, op.AdapterName))
                    model.ConnectVmNetworkAdapter(adapter, op.SwitchName);
                break;
            case RemoveVmAdapter op:
                var holder = model.GetVm(op.VmName);
                foreach (var adapter in model.VmAdapters(holder, op.AdapterName).ToList())
                    model.RemoveVmNetworkAdapter(holder, adapter);
                break;
            case AttachSeed op:
                AttachSeed(model, op);
                break;
            case DisableAutomaticSnapshots op:
                model.SetVm(model.GetVm(op.VmName), automaticCheckpoints: false);
                break;
            case SetSnapshotType op:
                HostModel.SetCheckpointType(model.GetVm(op.VmName), SimulatedSnapshots.CheckpointTypeOf(op.Type));
                break;
            case SetFirmware op:
                var machine = model.GetVm(op.VmName);
                var disk = machine.HardDisks.FirstOrDefault(d => HostModel.SamePath(d.Path, op.BootDiskPath))
                    ?? throw WindowsErrors.InvalidArgument($"Virtual machine '{machine.Name}' has no hard disk '{op.BootDiskPath}' to boot from.");
                model.SetFirmware(machine, op.SecureBoot, op.SecureBootTemplate, HostModel.BootDeviceOf(disk, dvd: false));
                break;
            case StartVm op:
                model.StartVm(model.GetVm(op.VmName));
                break;
            case StopVm op:
                model.StopVm(model.GetVm(op.VmName), op.TurnOff);
                break;
            case ResumeVm op:
                model.ResumeVm(model.GetVm(op.VmName));
                break;
            case DiscardSuspendedState op:
                model.RemoveSavedState(model.GetVm(op.VmName));
                break;
            case RemoveVm op:
                model.RemoveVm(model.GetVm(op.VmName));
                break;
            case RemoveFile op:
                // Like the provider's Test-Path guard: a file that is already gone is the state wanted.
                if (model.FileExists(op.Path)) model.RemoveFile(op.Path);
                break;
            case SetSwitchNotes op:
                model.SetSwitch(model.GetSwitch(op.Name), notes: op.Notes);
                break;
            case SetVmNotes op:
                model.SetVm(model.GetVm(op.VmName), notes: op.Notes);
                break;
            default:
                if (ApplyShare(model, operation)) break;
                throw new SimulatedHostException(HostErrorKind.Failed, WindowsErrors.Unspecified,
                    $"The simulated host does not know the operation {operation.GetType().Name} ({operation.Describe()}).");
        }
    }

    private static void AttachSeed(HostModel model, AttachSeed op)
    {
        var vm = model.GetVm(op.VmName);
        // Drives in the order Get-VMDvdDrive lists them; an empty drive's path is null.
        var drives = vm.DvdDrives.OrderBy(d => d.ControllerNumber).ThenBy(d => d.ControllerLocation);
        var drive = op.Drive is SeedDrive.Holding held
            ? drives.FirstOrDefault(d => d.Path is not null && HostModel.SamePath(d.Path, held.Disc))
            : drives.FirstOrDefault(d => d.Path is null);
        if (drive is not null)
        {
            // Set-VMDvdDrive -VMName x -ControllerNumber n -ControllerLocation l -Path seed: that drive only.
            model.SetDvdDrivePath(vm, drive, op.IsoPath);
            return;
        }
        if (op.Drive is not SeedDrive.EmptyOrNew)
        {
            throw new SimulatedHostException(HostErrorKind.NotFound, WindowsErrors.ObjectNotFound,
                $"Virtual machine '{vm.Name}' has no {(op.Drive is SeedDrive.Holding h ? $"DVD drive holding '{h.Disc}'" : "empty DVD drive")}.");
        }
        // Add-VMDvdDrive: a new drive (the VM must be off).
        model.AddDvdDrive(vm, op.IsoPath);
    }
}
