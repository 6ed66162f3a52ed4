using System.Collections.Immutable;
using LabRunner.Core.Hosting;
using LabRunner.Core.Net;
using LabRunner.Simulation.Model;

namespace LabRunner.Simulation;

/// <summary>
/// The rules of one Hyper-V host applied to a <see cref="SimulatedHostState"/>. Every method checks
/// all of its rules before it changes anything, and throws a <see cref="SimulatedHostException"/>
/// worded as Windows words the refusal. Instances are handed out by <see cref="SimulatedHost.Mutate{T}"/>
/// and <see cref="SimulatedHost.Read{T}"/> for the duration of one call; they are not thread-safe.
/// </summary>
public sealed partial class HostModel
{
    public const int MaxNetworkAdapters = 8;
    public const long MinimumMemoryBytes = 32L * 1024 * 1024;
    public const long MemoryGranularityBytes = 2L * 1024 * 1024;
    public const string DefaultAdapterName = "Network Adapter";
    public const string VnicDescription = "Hyper-V Virtual Ethernet Adapter";

    /// <summary>The secure boot templates of a Windows Server 2022 / Windows 11 host.</summary>
    public static readonly ImmutableArray<string> SecureBootTemplates = ["MicrosoftWindows", "MicrosoftUEFICertificateAuthority", "OpenSourceShieldedVM"];

    internal HostModel(SimulatedHostState state, TimeProvider? clock = null)
    {
        State = state;
        Clock = clock ?? TimeProvider.System;
    }

    public SimulatedHostState State { get; }

    /// <summary>The host's clock (<see cref="SimulatedHost.Clock"/>).</summary>
    public TimeProvider Clock { get; }

    // ---------------------------------------------------------------- lookups

    public SimVm? FindVm(string name) => State.Vms.FirstOrDefault(v => SameName(v.Name, name));

    public SimVm GetVm(string name) => FindVm(name) ?? throw WindowsErrors.VmNotFound(name);

    public SimVm GetVm(Guid id) => State.Vms.FirstOrDefault(v => v.Id == id)
        ?? throw new SimulatedHostException(HostErrorKind.NotFound, WindowsErrors.ObjectNotFound,
            $"Hyper-V was unable to find a virtual machine with id \"{id}\". It may have been removed since it was read.");

    public SimSwitch? FindSwitch(string name) => State.Switches.FirstOrDefault(s => SameName(s.Name, name));

    public SimSwitch GetSwitch(string name) => FindSwitch(name) ?? throw WindowsErrors.SwitchNotFound(name);

    public SimNat? FindNat(string name) => State.Nats.FirstOrDefault(n => SameName(n.Name, name));

    public SimNetAdapter? FindInterface(string alias) => State.NetAdapters.FirstOrDefault(a => SameName(a.Name, alias));

    public SimNetAdapter? FindInterface(int index) => State.NetAdapters.FirstOrDefault(a => a.InterfaceIndex == index);

    /// <summary>The external switch a physical adapter is bound to, if any.</summary>
    public SimSwitch? BoundSwitch(SimNetAdapter adapter) =>
        adapter.Kind == SimAdapterKind.Physical
            ? State.Switches.FirstOrDefault(s => s.SwitchType == SwitchKind.External && SameName(s.NetAdapterName, adapter.Name))
            : null;

    /// <summary>
    /// The addresses the host really uses on an interface. A physical adapter bound to an external
    /// switch has no TCP/IP binding left: its configuration is kept (Windows restores it when the
    /// switch goes) but it has no live address.
    /// </summary>
    public IReadOnlyList<HostIp> LiveAddresses(SimNetAdapter adapter) =>
        BoundSwitch(adapter) is null ? adapter.Addresses : [];

    /// <summary>An IP interface exists for every adapter except a physical one bound to an external switch.</summary>
    public bool HasIpInterface(SimNetAdapter adapter) => BoundSwitch(adapter) is null;

    /// <summary>A VHD the model made; one with a placeholder file counts only while that file exists (Remove-Item deletes it behind the model's back).</summary>
    public SimVhd? FindVhd(string path) => State.Vhds.FirstOrDefault(v => SamePath(v.Path, path) && (!v.Placeholder || File.Exists(v.Path)));

    /// <summary>A file exists when the model created it (New-VHD) or it is on the real disk (a box's base image, a seed).</summary>
    public bool FileExists(string path) => FindVhd(path) is not null || File.Exists(path);

    /// <summary>The VM that holds <paramref name="path"/> as a hard disk, if any.</summary>
    public SimVm? HardDiskOwner(string path) => State.Vms.FirstOrDefault(vm => vm.HardDisks.Any(d => SamePath(d.Path, path)));

    /// <summary>A running VM with <paramref name="path"/> in a DVD drive keeps the file open.</summary>
    public SimVm? DvdHolder(string path) => State.Vms.FirstOrDefault(vm =>
        vm.State != VmState.Off && vm.DvdDrives.Any(d => SamePath(d.Path, path)));

    public IReadOnlyList<SimStaticMapping> MappingsOf(string natName) =>
        State.StaticMappings.Where(m => SameName(m.NatName, natName)).ToList();

    // ---------------------------------------------------------------- helpers

    /// <summary>Windows compares names of switches, VMs, adapters and NATs without regard to case.</summary>
    public static bool SameName(string? a, string? b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    /// <summary>Windows paths are case-insensitive; the model compares them as written otherwise.</summary>
    public static bool SamePath(string? a, string? b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    internal int NextInterfaceIndex()
    {
        var used = State.NetAdapters.Select(a => a.InterfaceIndex).ToHashSet();
        while (used.Contains(State.Counters.NextInterfaceIndex)) State.Counters.NextInterfaceIndex++;
        return State.Counters.NextInterfaceIndex++;
    }

    /// <summary>The next address of Hyper-V's default dynamic MAC pool (00-15-5D-xx-xx-xx), skipping any in use.</summary>
    private MacAddress NextDynamicMac()
    {
        while (true)
        {
            var mac = new MacAddress(0x00155D000000UL | (State.Counters.NextDynamicMac++ & 0xFFFFFF));
            var used = State.NetAdapters.Any(a => a.MacAddress == mac)
                || State.Vms.Any(v => v.NetworkAdapters.Any(a => a.StaticMacAddress == mac || a.DynamicMacAddress == mac));
            if (!used) return mac;
        }
    }

    private static void RequireName(string name, string what)
    {
        if (string.IsNullOrWhiteSpace(name)) throw WindowsErrors.InvalidArgument($"The name of a {what} cannot be empty.");
        if (name.Length > 100) throw WindowsErrors.InvalidArgument($"The name of a {what} can have at most 100 characters.");
    }
}
