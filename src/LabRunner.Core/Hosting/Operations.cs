using System.Collections.Immutable;
using LabRunner.Core.Labfile;
using LabRunner.Core.Net;

namespace LabRunner.Core.Hosting;

/// <summary>
/// One change to a host. Small and idempotent in effect, so that a run interrupted after any of them
/// leaves a state the next run can read and finish. Providers turn them into cmdlet calls (Hyper-V)
/// or model changes (simulated host); the names follow the cmdlets they stand for.
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
    public static HostWords HyperV { get; } = new("internal switch", "private switch", "external switch", "switch", "NetNat");

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

/// <summary>New-VMSwitch: internal/private by -SwitchType, external by -NetAdapterName (with -AllowManagementOS $true).</summary>
public sealed record CreateSwitch(string Name, SwitchKind Kind, string? NetAdapterName, string Notes) : HostOperation
{
    public override string Describe() => Kind == SwitchKind.External
        ? $"create {Words.ExternalSwitch} '{Name}' on adapter '{NetAdapterName}'"
        : $"create {Words.SwitchOf(Kind)} '{Name}'";
}

/// <summary>New-NetIPAddress on the switch's host vNIC <c>vEthernet (NAME)</c>.</summary>
public sealed record AssignHostIp(string SwitchName, Ipv4Address Ip, int PrefixLength) : HostOperation
{
    public override string Describe() => $"give the host the address {Ip}/{PrefixLength} on {Words.Switch} '{SwitchName}'";
}

/// <summary>New-NetNat -InternalIPInterfaceAddressPrefix: the one NetNat of the host.</summary>
public sealed record CreateNat(string Name, Ipv4Subnet InternalPrefix, string? Mark = null) : HostOperation
{
    public override string Describe() => $"create {Words.Nat} '{Name}' for {InternalPrefix}";
}

/// <summary>Add-NetNatStaticMapping: host port to guest address and port.</summary>
public sealed record AddPortMapping(string NatName, PortProtocol Protocol, Ipv4Address ExternalIp, int ExternalPort, Ipv4Address InternalIp, int InternalPort) : HostOperation
{
    public override string Describe() => $"forward {Protocol.ToString().ToUpperInvariant()} {ExternalIp}:{ExternalPort} to {InternalIp}:{InternalPort}";
}

/// <summary>Remove-NetNatStaticMapping of the mapping with exactly these values.</summary>
public sealed record RemovePortMapping(string NatName, PortProtocol Protocol, Ipv4Address ExternalIp, int ExternalPort, Ipv4Address InternalIp, int InternalPort) : HostOperation
{
    public override string Describe() => $"stop forwarding {Protocol.ToString().ToUpperInvariant()} {ExternalIp}:{ExternalPort} to {InternalIp}:{InternalPort}";
}

/// <summary>Remove-VMSwitch (its host vNIC and addresses go with it).</summary>
public sealed record RemoveSwitch(string Name) : HostOperation
{
    public override string Describe() => $"remove {Words.Switch} '{Name}'";
}

/// <summary>Remove-NetNat: only LabRunner's own, and only when no lab uses it any more.</summary>
public sealed record RemoveNat(string Name) : HostOperation
{
    public override string Describe() => $"remove {Words.Nat} '{Name}'";
}

// VMs

/// <summary>New-VHD -Differencing -ParentPath: the VM's disk on top of the box's base VHDX.</summary>
public sealed record CreateDisk(string VmName, string Path, string ParentPath) : HostOperation
{
    public override string? Vm => VmName;
    public override string Describe() => $"create differencing disk '{Path}' on '{ParentPath}'";
}

/// <summary>
/// New-VM -Name -Generation -MemoryStartupBytes -VHDPath -Path, then at once Set-VM -Notes with the
/// ownership mark, Set-VM -AutomaticCheckpointsEnabled $false (see <see cref="DisableAutomaticCheckpoints"/>)
/// and removal of the unconnected default adapter New-VM adds.
/// </summary>
public sealed record CreateVm(string VmName, int Generation, long MemoryBytes, string Path, string DiskPath, string Notes) : HostOperation
{
    public override string? Vm => VmName;
    public override string Describe() => $"create generation {Generation} VM '{VmName}'";
}

/// <summary>Set-VM -ProcessorCount -MemoryStartupBytes -StaticMemory (the VM must be off).</summary>
public sealed record SetVmHardware(string VmName, int Cpus, long MemoryBytes) : HostOperation
{
    public override string? Vm => VmName;
    public override string Describe() => $"give VM '{VmName}' {Cpus} CPUs and {ByteSize.Format(MemoryBytes)} of memory";
}

/// <summary>Add-VMNetworkAdapter -VMName -Name -SwitchName -StaticMacAddress.</summary>
public sealed record AddVmAdapter(string VmName, string AdapterName, string SwitchName, MacAddress Mac) : HostOperation
{
    public override string? Vm => VmName;
    public override string Describe() => $"add adapter '{AdapterName}' ({Mac}) on '{SwitchName}' to VM '{VmName}'";
}

/// <summary>Connect-VMNetworkAdapter -VMName -Name -SwitchName: move an existing adapter to another switch.</summary>
public sealed record ConnectVmAdapter(string VmName, string AdapterName, string SwitchName) : HostOperation
{
    public override string? Vm => VmName;
    public override string Describe() => $"connect adapter '{AdapterName}' of VM '{VmName}' to '{SwitchName}'";
}

/// <summary>Remove-VMNetworkAdapter -VMName -Name.</summary>
public sealed record RemoveVmAdapter(string VmName, string AdapterName) : HostOperation
{
    public override string? Vm => VmName;
    public override string Describe() => $"remove adapter '{AdapterName}' from VM '{VmName}'";
}

/// <summary>
/// Set-VM -AutomaticCheckpointsEnabled $false. Windows 10/11 create VMs with automatic checkpoints on:
/// Start-VM would then take a checkpoint and the VM's disk would become its .avhdx, which the boot disk
/// lookup, 'lab down' and the next 'lab up' do not expect. Allowed in any state.
/// </summary>
public sealed record DisableAutomaticCheckpoints(string VmName) : HostOperation
{
    public override string? Vm => VmName;
    public override string Describe() => $"turn off automatic checkpoints of VM '{VmName}'";
}

/// <summary>A DVD drive's place: its controller (IDE on generation 1, SCSI on generation 2) and location on it.</summary>
public sealed record DvdSlot(int ControllerNumber, int ControllerLocation)
{
    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{ControllerNumber}:{ControllerLocation}");
}

/// <summary>
/// The seed ISO: into the drive at <see cref="Drive"/> (Set-VMDvdDrive -ControllerNumber -ControllerLocation
/// -Path; without them Set-VMDvdDrive changes every drive), or, with no drive given, into an empty drive
/// the VM already has (a generation 1 VM may get one from New-VM) and otherwise a new one (Add-VMDvdDrive).
/// </summary>
public sealed record AttachSeed(string VmName, string IsoPath, DvdSlot? Drive = null) : HostOperation
{
    /// <summary>Whether the seed replaces the disc in a known drive (which works while the VM runs).</summary>
    public bool ReplaceExisting => Drive is not null;

    public override string? Vm => VmName;
    public override string Describe() => Drive is null
        ? $"insert seed '{IsoPath}' into VM '{VmName}'"
        : $"insert seed '{IsoPath}' into DVD drive {Drive} of VM '{VmName}'";
}

/// <summary>
/// Set-VMFirmware (generation 2): secure boot on with the template the guest needs —
/// MicrosoftUEFICertificateAuthority for Linux, MicrosoftWindows for Windows — and the disk first in the boot order.
/// </summary>
public sealed record SetFirmware(string VmName, bool SecureBoot, string SecureBootTemplate, string BootDiskPath) : HostOperation
{
    public override string? Vm => VmName;
    public override string Describe() => $"set firmware of VM '{VmName}': secure boot {(SecureBoot ? "on (" + SecureBootTemplate + ")" : "off")}, boot from disk";
}

/// <summary>Start-VM.</summary>
public sealed record StartVm(string VmName) : HostOperation
{
    public override string? Vm => VmName;
    public override string Describe() => $"start VM '{VmName}'";
}

/// <summary>Stop-VM: a guest shutdown through integration services, or -TurnOff (power off) when <see cref="TurnOff"/>.</summary>
public sealed record StopVm(string VmName, bool TurnOff) : HostOperation
{
    public override string? Vm => VmName;
    public override string Describe() => TurnOff ? $"turn off VM '{VmName}'" : $"shut down VM '{VmName}'";
}

/// <summary>Resume-VM: a paused VM runs again (Start-VM refuses a paused VM).</summary>
public sealed record ResumeVm(string VmName) : HostOperation
{
    public override string? Vm => VmName;
    public override string Describe() => $"resume paused VM '{VmName}'";
}

/// <summary>
/// Remove-VMSavedState: a saved VM goes to Off and the memory it saved is lost (its disks are not
/// touched). Only where the VM is about to go anyway: Hyper-V does not turn off a saved VM.
/// </summary>
public sealed record DiscardSavedState(string VmName) : HostOperation
{
    public override string? Vm => VmName;
    public override string Describe() => $"discard the saved state of VM '{VmName}'";
}

/// <summary>Remove-VM -Force (the VM must be off; its disks stay and are removed by <see cref="RemoveFile"/>).</summary>
public sealed record RemoveVm(string VmName) : HostOperation
{
    public override string? Vm => VmName;
    public override string Describe() => $"remove VM '{VmName}'";
}

/// <summary>Remove-Item of a file LabRunner created under the project's .lab folder (a differencing disk, a seed).</summary>
public sealed record RemoveFile(string VmName, string Path) : HostOperation
{
    public override string? Vm => VmName;
    public override string Describe() => $"delete '{Path}'";
}

// Ownership

/// <summary>Set-VMSwitch -Notes: marks a switch of this lab as this project's (lab up/down --adopt).</summary>
public sealed record SetSwitchNotes(string Name, string Notes) : HostOperation
{
    public override string Describe() => $"mark {Words.Switch} '{Name}' as this project's";
}

/// <summary>Set-VM -Notes: marks a VM of this lab as this project's (lab up/down --adopt).</summary>
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
