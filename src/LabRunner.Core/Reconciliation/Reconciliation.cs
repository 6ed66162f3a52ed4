using System.Collections.Immutable;
using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Core.Net;
using LabRunner.Core.Planning;

namespace LabRunner.Core.Reconciliation;

public enum ReconcileMode
{
    /// <summary>Create what is missing, start what is off; changes that need a VM off are left for reload.</summary>
    Up,
    /// <summary>Shut the VMs down.</summary>
    Halt,
    /// <summary>Stop, apply every change (including those that need the VM off), start again.</summary>
    Reload,
    /// <summary>Remove everything of this lab: VMs, disks, seeds, mappings, switches; the shared NetNat when no lab uses it.</summary>
    Down,
}

/// <summary>Where a VM's files live on the host: under the project's <c>.lab</c> folder, so ownership is clear.</summary>
public sealed record VmFiles(string Folder, string DiskPath, string SeedPath, string BoxPath)
{
    /// <summary>The full host path of each of the VM's synced folders, in the order of <see cref="VmPlan.SyncedFolders"/>.</summary>
    public ImmutableArray<string> SyncedFolderPaths { get; init; } = [];
}

/// <summary>
/// Everything the reconciler needs besides the plan and the inventory; gathered by the engine.
/// <see cref="PendingVms"/> are VMs whose creation the project state recorded as started — a VM of that
/// name without notes is one LabRunner created and was interrupted before marking.
/// <see cref="TargetVms"/> are Labfile names (for halt and down also those of this lab's VMs no longer in
/// the Labfile). With <see cref="Adopt"/>, this lab's VMs and switches marked by another project folder
/// are marked as this project's first and then treated as its own. <see cref="MissingSeeds"/> are seed
/// files the project should have but does not (its .lab folder was lost): VMs holding them get them again.
/// <see cref="BootedSeeds"/> are the seeds running VMs booted with (Labfile name → path): a running VM that
/// holds another seed has not applied it yet, and that stays pending until it boots again.
/// </summary>
public sealed record ReconcileRequest(
    LabPlan Plan,
    HostInventory Inventory,
    LabIdentity Identity,
    ReconcileMode Mode,
    ImmutableDictionary<string, VmFiles> Files,
    string LabFolder,
    ImmutableHashSet<string> TargetVms,
    ImmutableHashSet<string> PendingVms,
    bool Adopt = false,
    ImmutableHashSet<string>? MissingSeeds = null,
    HostRules? HostRules = null,
    ImmutableDictionary<string, string>? BootedSeeds = null)
{
    /// <summary>What the lab's <c>type: smb</c> synced folders need besides the plan (the engine gives it when there are any).</summary>
    public ShareRequest? Shares { get; init; }

    /// <summary>The host's rules, which its provider gives; Core knows no default provider.</summary>
    public HostRules Rules => HostRules ?? throw new InvalidOperationException("A reconcile request needs its host's rules.");
}

/// <summary>Something on the host that stops the command before it changes anything.</summary>
public sealed record Conflict(string Message);

/// <summary>
/// What waits for another command on one VM: <see cref="Changes"/> (each described), the
/// <see cref="Command"/> that applies them, and the <see cref="Notice"/> the reconciler also gave for it.
/// </summary>
public sealed record PendingChange(string Vm, ImmutableArray<string> Changes, string Command, string Notice);

/// <summary>A forwarded port as it is (or will be) on the host: the host port may differ from the Labfile's after auto_correct.</summary>
public sealed record EffectivePortMapping(string Vm, PortProtocol Protocol, Ipv4Address? HostIp, int RequestedHostPort, int HostPort, Ipv4Address GuestIp, int GuestPort)
{
    public bool Corrected => HostPort != RequestedHostPort;
}

/// <summary>
/// The difference between what the Labfile asks for and what the host has, as operations in the order
/// they must run: <see cref="Network"/> first (switches, host addresses, NAT, mappings), then each VM's
/// own list — VM lists are independent and may run in parallel — and <see cref="Teardown"/> last (down).
/// </summary>
public sealed record Reconciliation(
    ImmutableArray<HostOperation> Network,
    ImmutableArray<(string Vm, ImmutableArray<HostOperation> Operations)> Vms,
    ImmutableArray<HostOperation> Teardown,
    ImmutableArray<Conflict> Conflicts,
    ImmutableArray<string> Notices,
    ImmutableArray<EffectivePortMapping> Ports,
    string? NatName)
{
    /// <summary>Changes <c>lab up</c> leaves for another command (a running VM's memory, CPUs, new seed), one per VM.</summary>
    public ImmutableArray<PendingChange> Pending { get; init; } = [];

    public int OperationCount => Network.Length + Vms.Sum(v => v.Operations.Length) + Teardown.Length;

    public bool IsEmpty => OperationCount == 0;

    public IEnumerable<HostOperation> All => Network.Concat(Vms.SelectMany(v => v.Operations)).Concat(Teardown);
}
