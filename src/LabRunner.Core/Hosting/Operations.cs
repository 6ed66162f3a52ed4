using System.Collections.Immutable;
using LabRunner.Core.Labfile;
using LabRunner.Core.Net;

namespace LabRunner.Core.Hosting;

/// <summary>
/// One change to a host. Small and idempotent in effect, so that a run interrupted after any of them
/// leaves a state the next run can read and finish. An operation states what the lab needs, in no
/// host's terms; each provider translates it (Hyper-V: cmdlet calls; QEMU: processes, <c>ip</c> and
/// nftables; the simulated host: model changes). The Hyper-V cmdlets named below are that provider's
/// translation, for the reader.
/// </summary>
public abstract record HostOperation
{
    /// <summary>The VM this operation belongs to, or null for host networking. VM operations of different VMs may run in parallel.</summary>
    public virtual string? Vm => null;

    /// <summary>
    /// The host's words for what the operation makes (a Linux bridge, an nftables masquerade; or a Hyper-V switch,
    /// a NetNat), set from the provider's <see cref="HostRules.Words"/> where operations are planned. Not part of
    /// the operation's identity: two operations that differ only in words are equal.
    /// </summary>
    public HostWords Words { get; init; } = HostWords.HyperV;

    /// <summary>One line for people: what this does to which object, in the host's words.</summary>
    public abstract string Describe();

    /// <summary>This operation described in <paramref name="words"/>.</summary>
    public HostOperation In(HostWords words) => this with { Words = words ?? throw new ArgumentNullException(nameof(words)) };

    public virtual bool Equals(HostOperation? other) => other is not null && EqualityContract == other.EqualityContract;

    public override int GetHashCode() => EqualityContract.GetHashCode();

    /// <summary>As the compiler would print it, without <see cref="Words"/>.</summary>
    protected virtual bool PrintMembers(System.Text.StringBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Append("Vm = ").Append(Vm);
        return true;
    }
}

/// <summary>What a host calls the things LabRunner makes on it, for every line that describes an operation.</summary>
/// <param name="InternalSwitch">A network the host is on (Hyper-V: an internal switch; Linux: a bridge with a host address).</param>
/// <param name="PrivateSwitch">A network of VMs only (Hyper-V: a private switch; Linux: a bridge without one).</param>
/// <param name="ExternalSwitch">A network on a physical adapter.</param>
/// <param name="Switch">Any of them.</param>
/// <param name="Nat">The address translation of a NAT network (Hyper-V: the NetNat; Linux: an nftables masquerade).</param>
public sealed record HostWords(string InternalSwitch, string PrivateSwitch, string ExternalSwitch, string Switch, string Nat)
{
    public static HostWords HyperV { get; } = new("internal switch", "private switch", "external switch", "switch", "NetNat")
    {
        Snapshot = "checkpoint",
        ChildDisk = "differencing disk",
    };

    /// <summary>A saved point of a VM to go back to (Hyper-V: a checkpoint).</summary>
    public string Snapshot { get; init; } = "snapshot";

    /// <summary>A VM's disk that records only its changes on top of the box's (Hyper-V: a differencing disk; QEMU: a qcow2 overlay).</summary>
    public string ChildDisk { get; init; } = "overlay disk";

    public string SwitchOf(SwitchKind kind) => kind switch
    {
        SwitchKind.Internal => InternalSwitch,
        SwitchKind.Private => PrivateSwitch,
        _ => ExternalSwitch,
    };

    /// <summary>The kind alone, beside a name already called a <see cref="Switch"/> ("internal", "isolated"; "" when the word says no more).</summary>
    public string KindOf(SwitchKind kind)
    {
        var words = SwitchOf(kind);
        return words.EndsWith(Switch, StringComparison.Ordinal) ? words[..^Switch.Length].TrimEnd() : words;
    }
}

// Host networking

/// <summary>A network of the lab: on the host, of VMs only, or on a physical adapter (Hyper-V: New-VMSwitch, -SwitchType or -NetAdapterName with -AllowManagementOS $true).</summary>
public sealed record CreateSwitch(string Name, SwitchKind Kind, string? NetAdapterName, string Notes) : HostOperation
{
    public override string Describe() => Kind == SwitchKind.External
        ? $"create {Words.ExternalSwitch} '{Name}' on adapter '{NetAdapterName}'"
        : $"create {Words.SwitchOf(Kind)} '{Name}'";
}

/// <summary>The host's address on a network (Hyper-V: New-NetIPAddress on the switch's host vNIC <c>vEthernet (NAME)</c>).</summary>
public sealed record AssignHostIp(string SwitchName, Ipv4Address Ip, int PrefixLength) : HostOperation
{
    public override string Describe() => $"give the host the address {Ip}/{PrefixLength} on {Words.Switch} '{SwitchName}'";
}

/// <summary>Address translation for the NAT networks inside <see cref="InternalPrefix"/> (Hyper-V: New-NetNat, the host's one NetNat).</summary>
public sealed record CreateNat(string Name, Ipv4Subnet InternalPrefix, string? Mark = null) : HostOperation
{
    public override string Describe() => $"create {Words.Nat} '{Name}' for {InternalPrefix}";
}

/// <summary>A host port forwarded to a guest address and port (Hyper-V: Add-NetNatStaticMapping).</summary>
public sealed record AddPortMapping(string NatName, PortProtocol Protocol, Ipv4Address ExternalIp, int ExternalPort, Ipv4Address InternalIp, int InternalPort) : HostOperation
{
    public override string Describe() => $"forward {Protocol.ToString().ToUpperInvariant()} {ExternalIp}:{ExternalPort} to {InternalIp}:{InternalPort}";
}

/// <summary>The forwarding with exactly these values goes (Hyper-V: Remove-NetNatStaticMapping).</summary>
public sealed record RemovePortMapping(string NatName, PortProtocol Protocol, Ipv4Address ExternalIp, int ExternalPort, Ipv4Address InternalIp, int InternalPort) : HostOperation
{
    public override string Describe() => $"stop forwarding {Protocol.ToString().ToUpperInvariant()} {ExternalIp}:{ExternalPort} to {InternalIp}:{InternalPort}";
}

/// <summary>A network goes, with the host's address on it (Hyper-V: Remove-VMSwitch).</summary>
public sealed record RemoveSwitch(string Name) : HostOperation
{
    public override string Describe() => $"remove {Words.Switch} '{Name}'";
}

/// <summary>The address translation goes: only LabRunner's own, and only when no lab uses it any more (Hyper-V: Remove-NetNat).</summary>
public sealed record RemoveNat(string Name) : HostOperation
{
    public override string Describe() => $"remove {Words.Nat} '{Name}'";
}

// VMs

/// <summary>The VM's disk: only its changes, on top of the box's base disk (Hyper-V: New-VHD -Differencing -ParentPath).</summary>
public sealed record CreateDisk(string VmName, string Path, string ParentPath) : HostOperation
{
    public override string? Vm => VmName;
    public override string Describe() => $"create {Words.ChildDisk} '{Path}' on '{ParentPath}'";
}

/// <summary>
/// A VM on its disk, carrying the ownership mark from its first moment, taking no automatic snapshots
/// (see <see cref="DisableAutomaticSnapshots"/>) and with no adapter but those LabRunner adds (Hyper-V:
/// New-VM, then at once Set-VM -Notes, Set-VM -AutomaticCheckpointsEnabled $false and removal of the
/// unconnected default adapter New-VM adds).
/// </summary>
public sealed record CreateVm(string VmName, int Generation, long MemoryBytes, string Path, string DiskPath, string Notes) : HostOperation
{
    /// <summary>The kind of snapshot the VM takes, on a host that offers a choice (Hyper-V: Set-VM -CheckpointType); null: the host's only kind.</summary>
    public SnapshotType? SnapshotType { get; init; }

    public override string? Vm => VmName;
    public override string Describe() => $"create generation {Generation} VM '{VmName}'";
}

/// <summary>The VM's CPUs and fixed memory (the VM must be off) (Hyper-V: Set-VM -ProcessorCount -MemoryStartupBytes -StaticMemory).</summary>
public sealed record SetVmHardware(string VmName, int Cpus, long MemoryBytes) : HostOperation
{
    public override string? Vm => VmName;
    public override string Describe() => $"give VM '{VmName}' {Cpus} CPUs and {ByteSize.Format(MemoryBytes)} of memory";
}

/// <summary>An adapter with a fixed MAC on a network (Hyper-V: Add-VMNetworkAdapter -StaticMacAddress).</summary>
public sealed record AddVmAdapter(string VmName, string AdapterName, string SwitchName, MacAddress Mac) : HostOperation
{
    public override string? Vm => VmName;
    public override string Describe() => $"add adapter '{AdapterName}' ({Mac}) on '{SwitchName}' to VM '{VmName}'";
}

/// <summary>An existing adapter moves to another network (Hyper-V: Connect-VMNetworkAdapter).</summary>
public sealed record ConnectVmAdapter(string VmName, string AdapterName, string SwitchName) : HostOperation
{
    public override string? Vm => VmName;
    public override string Describe() => $"connect adapter '{AdapterName}' of VM '{VmName}' to '{SwitchName}'";
}

/// <summary>An adapter goes (Hyper-V: Remove-VMNetworkAdapter).</summary>
public sealed record RemoveVmAdapter(string VmName, string AdapterName) : HostOperation
{
    public override string? Vm => VmName;
    public override string Describe() => $"remove adapter '{AdapterName}' from VM '{VmName}'";
}

/// <summary>
/// The VM takes no snapshot of its own accord. Windows 10/11 create VMs with automatic checkpoints on:
/// Start-VM would then take one and the VM's disk would become its .avhdx, which the boot disk lookup,
/// 'lab down' and the next 'lab up' do not expect (Hyper-V: Set-VM -AutomaticCheckpointsEnabled $false).
/// Allowed in any state.
/// </summary>
public sealed record DisableAutomaticSnapshots(string VmName) : HostOperation
{
    public override string? Vm => VmName;
    public override string Describe() => $"turn off automatic {Words.Snapshot}s of VM '{VmName}'";
}

/// <summary>
/// The kind of snapshot the VM takes from now on ('snapshot_type'), on a host that offers a choice; allowed in any
/// state (Hyper-V: Set-VM -CheckpointType Standard, Production or ProductionOnly).
/// </summary>
public sealed record SetSnapshotType(string VmName, SnapshotType Type) : HostOperation
{
    public override string? Vm => VmName;
    public override string Describe() => $"make VM '{VmName}' take {TypeWords(Type)} {Words.Snapshot}s";

    /// <summary>The Labfile's words for a kind of snapshot, for people.</summary>
    public static string TypeWords(SnapshotType type) => type switch
    {
        SnapshotType.Production => "production",
        SnapshotType.ProductionOnly => "production-only",
        _ => "standard",
    };
}

/// <summary>
/// Which drive of a VM takes its seed, by what the drive holds: the provider finds it on the host (Hyper-V:
/// the controller number and location of the drive Get-VMDvdDrive lists with that disc, since Set-VMDvdDrive
/// without them changes every drive). A disc the user put in another drive stays.
/// </summary>
public abstract record SeedDrive
{
    private SeedDrive()
    {
    }

    /// <summary>Whether the drive is one the VM has, whose disc changes also while the VM runs (adding a drive needs it off).</summary>
    public abstract bool Exists { get; }

    /// <summary>An empty drive the VM has (a generation 1 VM may get one from New-VM), else a new drive: where a new VM's seed goes.</summary>
    public sealed record EmptyOrNew : SeedDrive
    {
        public override bool Exists => false;
    }

    /// <summary>An empty drive the VM has.</summary>
    public sealed record Empty : SeedDrive
    {
        public override bool Exists => true;
    }

    /// <summary>The drive that holds <paramref name="Disc"/>: an earlier seed of this lab, or this seed when its file was written again.</summary>
    public sealed record Holding(string Disc) : SeedDrive
    {
        public override bool Exists => true;
    }
}

/// <summary>The VM's seed ISO, into the drive <see cref="Drive"/> names (Hyper-V: Set-VMDvdDrive, or Add-VMDvdDrive for a new drive).</summary>
public sealed record AttachSeed(string VmName, string IsoPath, SeedDrive Drive) : HostOperation
{
    /// <summary>Into an empty drive of the VM, else a new one.</summary>
    public AttachSeed(string VmName, string IsoPath)
        : this(VmName, IsoPath, new SeedDrive.EmptyOrNew())
    {
    }

    public override string? Vm => VmName;
    public override string Describe() => Drive switch
    {
        SeedDrive.Holding h when string.Equals(h.Disc, IsoPath, StringComparison.OrdinalIgnoreCase) => $"insert seed '{IsoPath}' into VM '{VmName}' again",
        SeedDrive.Holding h => $"insert seed '{IsoPath}' into VM '{VmName}' in place of '{h.Disc}'",
        _ => $"insert seed '{IsoPath}' into VM '{VmName}'",
    };
}

/// <summary>
/// Generation 2 firmware: secure boot with the template the guest needs — MicrosoftUEFICertificateAuthority
/// for Linux, MicrosoftWindows for Windows — and the disk first in the boot order (Hyper-V: Set-VMFirmware).
/// </summary>
public sealed record SetFirmware(string VmName, bool SecureBoot, string SecureBootTemplate, string BootDiskPath) : HostOperation
{
    public override string? Vm => VmName;
    public override string Describe() => $"set firmware of VM '{VmName}': secure boot {(SecureBoot ? "on (" + SecureBootTemplate + ")" : "off")}, boot from disk";
}

/// <summary>The VM runs (Hyper-V: Start-VM).</summary>
public sealed record StartVm(string VmName) : HostOperation
{
    public override string? Vm => VmName;
    public override string Describe() => $"start VM '{VmName}'";
}

/// <summary>The VM stops: the guest shuts down, or with <see cref="TurnOff"/> the power goes (Hyper-V: Stop-VM, -TurnOff).</summary>
public sealed record StopVm(string VmName, bool TurnOff) : HostOperation
{
    public override string? Vm => VmName;
    public override string Describe() => TurnOff ? $"turn off VM '{VmName}'" : $"shut down VM '{VmName}'";
}

/// <summary>A paused VM runs again (Hyper-V: Resume-VM; Start-VM refuses a paused VM).</summary>
public sealed record ResumeVm(string VmName) : HostOperation
{
    public override string? Vm => VmName;
    public override string Describe() => $"resume paused VM '{VmName}'";
}

/// <summary>
/// A VM suspended to disk (<see cref="VmState.Saved"/>) goes to off and the memory it kept is lost (its disks
/// are not touched). Only where the VM is about to go anyway: a suspended VM cannot be turned off (Hyper-V:
/// Remove-VMSavedState).
/// </summary>
public sealed record DiscardSuspendedState(string VmName) : HostOperation
{
    public override string? Vm => VmName;
    public override string Describe() => $"discard the saved state of VM '{VmName}'";
}

/// <summary>The VM goes (it must be off; its disks stay and are removed by <see cref="RemoveFile"/>) (Hyper-V: Remove-VM -Force).</summary>
public sealed record RemoveVm(string VmName) : HostOperation
{
    public override string? Vm => VmName;
    public override string Describe() => $"remove VM '{VmName}'";
}

/// <summary>A file LabRunner created under the project's .lab folder (a VM's disk, a seed) goes; one already gone is fine.</summary>
public sealed record RemoveFile(string VmName, string Path) : HostOperation
{
    public override string? Vm => VmName;
    public override string Describe() => $"delete '{Path}'";
}

// Ownership

/// <summary>Marks a network of this lab as this project's (lab up/down --adopt) (Hyper-V: Set-VMSwitch -Notes).</summary>
public sealed record SetSwitchNotes(string Name, string Notes) : HostOperation
{
    public override string Describe() => $"mark {Words.Switch} '{Name}' as this project's";
}

/// <summary>Marks a VM of this lab as this project's (lab up/down --adopt) (Hyper-V: Set-VM -Notes).</summary>
public sealed record SetVmNotes(string VmName, string Notes) : HostOperation
{
    public override string? Vm => VmName;
    public override string Describe() => $"mark VM '{VmName}' as this project's";
}

/// <summary>
/// Operations to run in order by one provider call — for the Hyper-V provider one PowerShell
/// process. VMs are independent: a failed VM operation skips only the rest of that VM's operations
/// (<see cref="HostOperation.Vm"/>), and the batch goes on with the other VMs; a failed host
/// networking operation (no VM) stops the whole batch, since what follows depends on it.
/// <see cref="ApplyResult"/> says what became of each operation.
/// </summary>
public sealed record OperationBatch(string Label, ImmutableArray<HostOperation> Operations)
{
    /// <summary>
    /// Whether operation <paramref name="index"/> is skipped once operation <paramref name="failed"/> has
    /// failed: every later operation of the same VM, and everything after a host networking failure.
    /// </summary>
    public bool SkipsAfter(int failed, int index) =>
        index > failed && (Operations[failed].Vm is not { } vm || string.Equals(Operations[index].Vm, vm, StringComparison.OrdinalIgnoreCase));
}

public enum HostErrorKind
{
    /// <summary>The object the operation needs is not there.</summary>
    NotFound,
    /// <summary>An object with that name or value already exists.</summary>
    AlreadyExists,
    /// <summary>The object is in the wrong state (a VM that must be off is running).</summary>
    InvalidState,
    /// <summary>The host refuses because of a rule (second NetNat, overlapping prefix, port mapped twice, second external switch).</summary>
    Conflict,
    /// <summary>Not elevated, or not in Hyper-V Administrators.</summary>
    AccessDenied,
    /// <summary>The Hyper-V or NetNat module is missing, or the feature is off.</summary>
    Unavailable,
    /// <summary>Anything else.</summary>
    Failed,
}

/// <summary>A failure of one operation, in LabRunner's own terms whatever the provider.</summary>
public sealed record HostError(HostErrorKind Kind, string Message);

/// <summary>What became of one operation of a batch.</summary>
public enum OperationStatus
{
    /// <summary>Not run: an earlier failure of its VM (or of host networking) skipped it, or the batch ended early.</summary>
    NotRun,
    Done,
    Failed,
}

/// <summary>A failed operation of a batch, by its index, with what the host said.</summary>
public sealed record OperationError(int Index, HostError Error);

/// <summary>
/// What became of a batch: one <see cref="OperationStatus"/> per operation, in batch order, and the
/// <see cref="Errors"/> of those that failed (a batch that could not run at all, e.g. PowerShell did
/// not start, has one error on its first operation and nothing done).
/// </summary>
public sealed record ApplyResult(ImmutableArray<OperationStatus> Statuses, ImmutableArray<OperationError> Errors)
{
    public bool Succeeded => Errors.IsEmpty && Statuses.All(s => s == OperationStatus.Done);

    /// <summary>How many operations succeeded.</summary>
    public int Completed => Statuses.Count(s => s == OperationStatus.Done);

    /// <summary>The first failure, if any.</summary>
    public HostError? Error => Errors.IsEmpty ? null : Errors[0].Error;

    /// <summary>Every operation done.</summary>
    public static ApplyResult AllDone(int count) => new([.. Enumerable.Repeat(OperationStatus.Done, count)], []);

    /// <summary>Nothing ran: the batch failed as a whole before its first operation.</summary>
    public static ApplyResult NothingRan(int count, HostError error) =>
        new([.. Enumerable.Repeat(OperationStatus.NotRun, count)], count == 0 ? [] : [new OperationError(0, error)]);

    public bool Equals(ApplyResult? other) =>
        other is not null && Statuses.SequenceEqual(other.Statuses) && Errors.SequenceEqual(other.Errors);

    public override int GetHashCode() => HashCode.Combine(Statuses.Length, Errors.Length);
}

/// <summary>What a provider reports while a batch runs.</summary>
public sealed record OperationProgress(OperationBatch Batch, int Index, HostOperation Operation, bool Done);
