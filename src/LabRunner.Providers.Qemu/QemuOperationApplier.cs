using System.Collections.Immutable;
using LabRunner.Core.Hosting;
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
/// A batch applied to a Linux host: operations one after the other, each translated to the network or VM part
/// that does it; a failed VM operation skips the rest of that VM's operations, a failed host networking operation
/// ends the batch (<see cref="OperationBatch.SkipsAfter"/>).
/// </summary>
internal sealed class QemuOperationApplier(QemuHost host, QemuNftTable nftTable, QemuNetworkOperations networks, QemuVmLifecycle vms)
{
    public async Task<ApplyResult> ApplyAsync(OperationBatch batch, IProgress<OperationProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var operations = batch.Operations.IsDefault ? [] : batch.Operations;
        var statuses = new OperationStatus[operations.Length];
        var errors = ImmutableArray.CreateBuilder<OperationError>();
        var context = new NftBatchContext();

        if (await PreflightAsync(operations, context, cancellationToken).ConfigureAwait(false) is { } refused)
            return new ApplyResult([.. statuses], [refused]);

        for (var i = 0; i < operations.Length; i++)
        {
            if (errors.Any(e => batch.SkipsAfter(e.Index, i))) continue;
            cancellationToken.ThrowIfCancellationRequested();
            var operation = operations[i].In(QemuRules.Instance.Words);
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

    /// <summary>
    /// Before any change: a NAT or port change while another table's forward chain drops by default (Docker
    /// sets the iptables FORWARD policy to DROP) would leave NAT networks silently unrouted — refused as a
    /// conflict, with the fix. Also reads LabRunner's table once for the batch.
    /// </summary>
    private async Task<OperationError?> PreflightAsync(ImmutableArray<HostOperation> operations, NftBatchContext context, CancellationToken cancellationToken)
    {
        var first = operations.Select((o, i) => (o, i)).FirstOrDefault(x => TouchesNft(x.o));
        if (first.o is null) return null;
        (NftInventory Inventory, NftRulesetSpec Spec) nft;
        try
        {
            nft = await nftTable.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (QemuOperationException e)
        {
            return new OperationError(first.i, e.Error);
        }
        context.Spec = nft.Spec;
        if (!host.Options.CheckForwardPolicy) return null;
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

    private async Task<HostError?> TryApplyAsync(HostOperation operation, NftBatchContext context, CancellationToken cancellationToken)
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
            return QemuErrors.FromFile(operation, (e as FileNotFoundException)?.FileName ?? host.Registry.Directory, e);
        }
    }

    private Task ApplyOneAsync(HostOperation operation, NftBatchContext context, CancellationToken ct) => operation switch
    {
        CreateSwitch op => networks.CreateSwitchAsync(op, context, ct),
        AssignHostIp op => networks.AssignHostIpAsync(op, ct),
        CreateNat op => networks.CreateNatAsync(op, context, ct),
        RemoveNat op => networks.RemoveNatAsync(op, context, ct),
        AddPortMapping op => networks.AddPortMappingAsync(op, context, ct),
        RemovePortMapping op => networks.RemovePortMappingAsync(op, context, ct),
        RemoveSwitch op => networks.RemoveSwitchAsync(op, context, ct),
        SetSwitchNotes op => networks.SetSwitchNotesAsync(op, ct),
        CreateDisk op => vms.CreateDiskAsync(op, ct),
        CreateVm op => vms.CreateVmAsync(op, ct),
        SetVmHardware op => DoneAtOnce(() => vms.UpdateOffline(op, e => e with { Cpus = op.Cpus, MemoryBytes = op.MemoryBytes })),
        AddVmAdapter op => DoneAtOnce(() => vms.UpdateOffline(op, e => e.Adapters.Any(a => QemuHost.SameName(a.Name, op.AdapterName))
            ? throw QemuHost.Refuse(HostErrorKind.AlreadyExists, op, $"the VM already has an adapter '{op.AdapterName}'.")
            : e with { Adapters = e.Adapters.Add(new VmAdapterEntry(op.AdapterName, op.SwitchName, op.Mac.ToString(':').ToLowerInvariant(), InterfaceNames.TapOf(e.Name, op.AdapterName))) })),
        RemoveVmAdapter op => DoneAtOnce(() => vms.UpdateOffline(op, e => e with { Adapters = [.. e.Adapters.Where(a => !QemuHost.SameName(a.Name, op.AdapterName))] })),
        ConnectVmAdapter op => vms.ConnectVmAdapterAsync(op, ct),
        AddVmShare op => DoneAtOnce(() => vms.AddShare(op)),
        RemoveVmShare op => vms.RemoveShareAsync(op, ct),
        AttachSeed op => DoneAtOnce(() => vms.UpdateOffline(op, e => e with { Seed = op.IsoPath })),
        DisableAutomaticSnapshots op => DoneAtOnce(() => host.Entry(op)),
        // QEMU's snapshots are all of one kind (HostRules.SnapshotTypes is false): nothing to set; a plan for QEMU never asks.
        SetSnapshotType op => DoneAtOnce(() => host.Entry(op)),
        DiscardSuspendedState op => DoneAtOnce(() => host.Entry(op)),
        SetFirmware op => DoneAtOnce(() =>
        {
            if (op.SecureBoot)
                throw QemuHost.Refuse(HostErrorKind.Failed, op, "QEMU boots generation 2 VMs with OVMF without secure boot; a plan for QEMU never asks for it (this is a bug in LabRunner: please report it).");
            host.Entry(op);
        }),
        StartVm op => vms.StartVmAsync(op, ct),
        StopVm op => vms.StopVmAsync(op, ct),
        ResumeVm op => vms.ResumeVmAsync(op, ct),
        RemoveVm op => vms.RemoveVmAsync(op, ct),
        RemoveFile op => DoneAtOnce(() => File.Delete(op.Path)),
        SetVmNotes op => DoneAtOnce(() => host.Registry.Save(host.Entry(op) with { Notes = op.Notes })),
        _ => throw QemuHost.Refuse(HostErrorKind.Failed, operation, $"the QEMU provider does not know the operation {operation.GetType().Name}."),
    };

    /// <summary>An operation on the provider's own files only (its registry, a VM's folder): done before it returns, nothing to wait for.</summary>
    private static Task DoneAtOnce(Action action)
    {
        action();
        return Task.CompletedTask;
    }

}
