using System.Collections.Immutable;
using System.Globalization;
using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Core.Net;
using LabRunner.Simulation.Model;

namespace LabRunner.Simulation;

/// <summary>How a start or stop request ended: Hyper-V only warns when the VM is already where it was asked to go.</summary>
public enum VmTransition
{
    Changed,
    AlreadyInState,
}

/// <summary>
/// The rules of one Hyper-V host applied to a <see cref="SimulatedHostState"/>. Every method checks
/// all of its rules before it changes anything, and throws a <see cref="SimulatedHostException"/>
/// worded as Windows words the refusal. Instances are handed out by <see cref="SimulatedHost.Mutate{T}"/>
/// and <see cref="SimulatedHost.Read{T}"/> for the duration of one call; they are not thread-safe.
/// </summary>
public sealed class HostModel
{
    public const int MaxNetworkAdapters = 8;
    public const long MinimumMemoryBytes = 32L * 1024 * 1024;
    public const long MemoryGranularityBytes = 2L * 1024 * 1024;
    public const string DefaultAdapterName = "Network Adapter";
    public const string VnicDescription = "Hyper-V Virtual Ethernet Adapter";

    /// <summary>The secure boot templates of a Windows Server 2022 / Windows 11 host.</summary>
    public static readonly ImmutableArray<string> SecureBootTemplates = ["MicrosoftWindows", "MicrosoftUEFICertificateAuthority", "OpenSourceShieldedVM"];

    internal HostModel(SimulatedHostState state)
    {
        State = state;
    }

    public SimulatedHostState State { get; }

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

    // ---------------------------------------------------------------- switches

    /// <summary>
    /// New-VMSwitch. Internal: the host gets a vNIC <c>vEthernet (NAME)</c>. External: bound to a
    /// physical adapter that no other external switch uses; with AllowManagementOS the adapter's
    /// addresses move to the switch's vNIC. Private: VMs only.
    /// </summary>
    public SimSwitch NewSwitch(string name, SwitchKind kind, string? netAdapterName, bool allowManagementOs, string? notes)
    {
        RequireName(name, "switch");
        if (FindSwitch(name) is not null) throw WindowsErrors.SwitchExists(name);
        SimNetAdapter? physical = null;
        if (kind == SwitchKind.External)
        {
            physical = ExternalUplink(netAdapterName);
        }
        else if (netAdapterName is not null)
        {
            throw WindowsErrors.InvalidArgument($"A {kind.ToString().ToLowerInvariant()} switch is not bound to a network adapter; only an external switch takes -NetAdapterName.");
        }
        var vnicName = HyperVRules.VnicName(name);
        var makesVnic = kind == SwitchKind.Internal || (kind == SwitchKind.External && allowManagementOs);
        if (makesVnic && FindInterface(vnicName) is not null)
            throw new SimulatedHostException(HostErrorKind.AlreadyExists, WindowsErrors.AlreadyExists, $"A network adapter named '{vnicName}' already exists on the host.");

        var sw = new SimSwitch
        {
            Name = name,
            Id = Guid.NewGuid(),
            SwitchType = kind,
            NetAdapterName = physical?.Name,
            AllowManagementOS = kind == SwitchKind.Internal || (kind == SwitchKind.External && allowManagementOs),
            Notes = notes ?? "",
        };
        State.Switches.Add(sw);
        if (makesVnic) AddVnic(sw, physical);
        return sw;
    }

    /// <summary>Set-VMSwitch: notes at any time; internal and private switches convert into each other; an external switch can stop or start sharing its adapter with the host.</summary>
    public void SetSwitch(SimSwitch sw, string? notes = null, SwitchKind? switchType = null, bool? allowManagementOs = null)
    {
        if (switchType is SwitchKind.External)
            throw WindowsErrors.InvalidArgument("To make a switch external, give -NetAdapterName or -NetAdapterInterfaceDescription.");
        if (switchType is { } target && sw.SwitchType == SwitchKind.External)
            throw new SimulatedHostException(HostErrorKind.InvalidState, WindowsErrors.InvalidOperation,
                $"The simulated host does not convert the external switch '{sw.Name}' into a {target.ToString().ToLowerInvariant()} one; remove it and create a new switch.");
        if (allowManagementOs is not null && sw.SwitchType == SwitchKind.Private && switchType is not SwitchKind.Internal && allowManagementOs.Value)
            throw WindowsErrors.InvalidArgument($"The private switch '{sw.Name}' cannot be shared with the management operating system.");

        if (notes is not null) sw.Notes = notes;
        if (switchType is { } kind && kind != sw.SwitchType)
        {
            if (kind == SwitchKind.Internal) AddVnic(sw, null);
            else RemoveVnic(sw);
            sw.SwitchType = kind;
            sw.AllowManagementOS = kind == SwitchKind.Internal;
        }
        if (allowManagementOs is { } share && sw.SwitchType == SwitchKind.External && share != sw.AllowManagementOS)
        {
            if (share) AddVnic(sw, FindInterface(sw.NetAdapterName!));
            else RemoveVnic(sw);
            sw.AllowManagementOS = share;
        }
    }

    /// <summary>Remove-VMSwitch: connected VM adapters are left unconnected; the vNIC and its addresses go; an external adapter gets its own configuration back.</summary>
    public void RemoveSwitch(SimSwitch sw)
    {
        foreach (var adapter in State.Vms.SelectMany(v => v.NetworkAdapters).Where(a => SameName(a.SwitchName, sw.Name)))
            adapter.SwitchName = null;
        RemoveVnic(sw);
        State.Switches.Remove(sw);
    }

    private SimNetAdapter ExternalUplink(string? netAdapterName)
    {
        if (string.IsNullOrEmpty(netAdapterName))
            throw WindowsErrors.InvalidArgument("An external switch needs the physical network adapter to bind to (-NetAdapterName).");
        var adapter = FindInterface(netAdapterName) ?? throw WindowsErrors.NetAdapterNotFound(netAdapterName);
        if (adapter.Kind != SimAdapterKind.Physical)
            throw WindowsErrors.InvalidArgument($"'{adapter.Name}' is a host vNIC; an external switch binds to a physical network adapter.");
        if (BoundSwitch(adapter) is not null) throw WindowsErrors.AdapterAlreadyBound(adapter.InterfaceDescription);
        return adapter;
    }

    private void AddVnic(SimSwitch sw, SimNetAdapter? sharedPhysical)
    {
        var vnic = new SimNetAdapter
        {
            Name = HyperVRules.VnicName(sw.Name),
            InterfaceDescription = NextVnicDescription(),
            InterfaceIndex = NextInterfaceIndex(),
            Kind = SimAdapterKind.HostVnic,
            SwitchName = sw.Name,
            // An external vNIC takes over the physical adapter's MAC and addresses; an internal one gets a Hyper-V MAC.
            MacAddress = sharedPhysical?.MacAddress ?? NextDynamicMac(),
            Addresses = sharedPhysical is null ? [] : [.. sharedPhysical.Addresses],
        };
        State.NetAdapters.Add(vnic);
    }

    private void RemoveVnic(SimSwitch sw) =>
        State.NetAdapters.RemoveAll(a => a.Kind == SimAdapterKind.HostVnic && SameName(a.SwitchName, sw.Name));

    private string NextVnicDescription()
    {
        var used = State.NetAdapters.Where(a => a.Kind == SimAdapterKind.HostVnic).Select(a => a.InterfaceDescription).ToHashSet(StringComparer.OrdinalIgnoreCase);
        if (!used.Contains(VnicDescription)) return VnicDescription;
        for (var n = 2; ; n++)
        {
            var candidate = string.Create(CultureInfo.InvariantCulture, $"{VnicDescription} #{n}");
            if (!used.Contains(candidate)) return candidate;
        }
    }

    // ---------------------------------------------------------------- IP addresses

    /// <summary>
    /// New-NetIPAddress: the interface must exist (and have TCP/IP, i.e. not be bound to an external
    /// switch), the address must be a usable unicast address for its prefix and not already be on any
    /// interface of the host.
    /// </summary>
    public SimNetAdapter NewNetIPAddress(SimNetAdapter adapter, Ipv4Address address, int prefixLength)
    {
        if (!HasIpInterface(adapter)) throw WindowsErrors.CimNotFound("MSFT_NetIPInterface", "InterfaceAlias", adapter.Name);
        if (prefixLength is < 1 or > 32)
            throw WindowsErrors.ParameterIncorrect(HostErrorKind.Failed, string.Create(CultureInfo.InvariantCulture, $"A prefix length of {prefixLength} is not valid for IPv4."));
        var why = UnusableAddress(address, prefixLength);
        if (why is not null) throw WindowsErrors.ParameterIncorrect(HostErrorKind.Failed, why);
        var holder = State.NetAdapters.FirstOrDefault(a => LiveAddresses(a).Any(ip => ip.Address == address));
        if (holder is not null) throw WindowsErrors.IpExists(address.ToString(), holder.Name);
        adapter.Addresses.Add(new HostIp(address, prefixLength));
        return adapter;
    }

    /// <summary>Remove-NetIPAddress of every live address matching the filters; at least one must match.</summary>
    public IReadOnlyList<(SimNetAdapter Adapter, HostIp Ip)> RemoveNetIPAddresses(Func<SimNetAdapter, HostIp, bool> match, string describe)
    {
        var hits = State.NetAdapters.SelectMany(a => LiveAddresses(a).Select(ip => (Adapter: a, Ip: ip))).Where(x => match(x.Adapter, x.Ip)).ToList();
        if (hits.Count == 0)
            throw new SimulatedHostException(HostErrorKind.NotFound, WindowsErrors.CimNotFoundId("IPAddress"),
                $"No matching MSFT_NetIPAddress objects found by CIM query for instances of the ROOT/StandardCimv2/MSFT_NetIPAddress class on the CIM server ({describe}). Verify query parameters and retry.");
        foreach (var (adapter, ip) in hits) adapter.Addresses.Remove(ip);
        return hits;
    }

    private static string? UnusableAddress(Ipv4Address address, int prefixLength)
    {
        var first = address.Value >> 24;
        if (address.Value == 0) return "0.0.0.0 is not a unicast address.";
        if (first == 127) return $"{address} is a loopback address.";
        if (first >= 224) return $"{address} is a multicast or reserved address.";
        var subnet = new Ipv4Subnet(address, prefixLength);
        if (subnet.IsReserved(address))
            return $"{address} is the {(address == subnet.Network ? "network" : "broadcast")} address of {subnet}.";
        return null;
    }

    // ---------------------------------------------------------------- NAT

    /// <summary>
    /// New-NetNat. WinNAT supports one internal prefix per host: a second NetNat is refused (on
    /// Windows it leaves the host in an undefined state). The prefix must not overlap any address of
    /// a physical adapter or of an external switch's vNIC.
    /// </summary>
    public SimNat NewNat(string name, Ipv4Subnet prefix)
    {
        RequireName(name, "NAT");
        var existing = State.Nats.FirstOrDefault();
        if (existing is not null)
            throw WindowsErrors.ParameterIncorrect(HostErrorKind.Conflict,
                $"WinNAT supports one NetNat per host and '{existing.Name}' ({existing.InternalIPInterfaceAddressPrefix}) exists; labs must share it.");
        if (prefix.PrefixLength is < 1 or > 30)
            throw WindowsErrors.ParameterIncorrect(HostErrorKind.Failed, $"{prefix} is not a usable internal prefix.");
        foreach (var adapter in State.NetAdapters.Where(IsUplink))
        {
            var clash = LiveAddresses(adapter).FirstOrDefault(ip => ip.Subnet.Overlaps(prefix));
            if (clash is not null)
                throw WindowsErrors.ParameterIncorrect(HostErrorKind.Conflict,
                    $"The NAT prefix {prefix} overlaps {clash} on '{adapter.Name}'.");
        }
        var nat = new SimNat { Name = name, InternalIPInterfaceAddressPrefix = prefix };
        State.Nats.Add(nat);
        return nat;
    }

    /// <summary>Remove-NetNat; its static mappings go with it.</summary>
    public void RemoveNat(SimNat nat)
    {
        State.StaticMappings.RemoveAll(m => SameName(m.NatName, nat.Name));
        State.Nats.Remove(nat);
    }

    /// <summary>
    /// Add-NetNatStaticMapping: the NAT must exist and the internal address lie inside its prefix.
    /// One mapping per (protocol, external address, external port) host-wide; 0.0.0.0 stands for
    /// every external address and so clashes with all of them. The external address may carry a prefix
    /// (<c>0.0.0.0/24</c>), which the mapping keeps and shows again when read.
    /// </summary>
    public SimStaticMapping AddStaticMapping(string natName, PortProtocol protocol, Ipv4Address externalIp, int externalPort, Ipv4Address internalIp, int internalPort, int? externalPrefixLength = null)
    {
        var nat = FindNat(natName) ?? throw new SimulatedHostException(HostErrorKind.NotFound, WindowsErrors.ElementNotFound,
            $"Element not found. (There is no NetNat named '{natName}'.)");
        if (externalPort is < 1 or > 65535 || internalPort is < 1 or > 65535)
            throw WindowsErrors.ParameterIncorrect(HostErrorKind.Failed, string.Create(CultureInfo.InvariantCulture, $"Ports must be between 1 and 65535 (got {externalPort} and {internalPort})."));
        if (externalPrefixLength is < 0 or > 32)
            throw WindowsErrors.ParameterIncorrect(HostErrorKind.Failed, string.Create(CultureInfo.InvariantCulture, $"{externalIp}/{externalPrefixLength} is not a valid IPv4 address prefix."));
        if (!nat.InternalIPInterfaceAddressPrefix.Contains(internalIp))
            throw WindowsErrors.ParameterIncorrect(HostErrorKind.Conflict,
                $"The internal address {internalIp} is outside the prefix {nat.InternalIPInterfaceAddressPrefix} of NetNat '{nat.Name}'.");
        var any = new Ipv4Address(0);
        var clash = State.StaticMappings.FirstOrDefault(m =>
            m.Protocol == protocol && m.ExternalPort == externalPort
            && (m.ExternalIPAddress == externalIp || m.ExternalIPAddress == any || externalIp == any));
        if (clash is not null)
            throw WindowsErrors.PortTaken(protocol.ToString().ToUpperInvariant(), clash.ExternalIPAddress.ToString(), externalPort, clash.StaticMappingId);
        var mapping = new SimStaticMapping
        {
            StaticMappingId = State.Counters.NextStaticMappingId++,
            NatName = nat.Name,
            Protocol = protocol,
            ExternalIPAddress = externalIp,
            ExternalPrefixLength = externalPrefixLength,
            ExternalPort = externalPort,
            InternalIPAddress = internalIp,
            InternalPort = internalPort,
        };
        State.StaticMappings.Add(mapping);
        return mapping;
    }

    public void RemoveStaticMapping(SimStaticMapping mapping) => State.StaticMappings.Remove(mapping);

    public SimStaticMapping GetStaticMapping(uint id) => State.StaticMappings.FirstOrDefault(m => m.StaticMappingId == id)
        ?? throw WindowsErrors.CimNotFound("MSFT_NetNatStaticMapping", "StaticMappingID", id.ToString(CultureInfo.InvariantCulture));

    private bool IsUplink(SimNetAdapter adapter) =>
        adapter.Kind == SimAdapterKind.Physical
        || (adapter.Kind == SimAdapterKind.HostVnic && FindSwitch(adapter.SwitchName ?? "") is { SwitchType: SwitchKind.External });

    // ---------------------------------------------------------------- files

    /// <summary>
    /// New-VHD -Differencing: the parent must exist (in the model or on disk), the path must not,
    /// and both must be VHDX (or both VHD). With <paramref name="writePlaceholder"/> a small file is
    /// written at the path so PowerShell's own Test-Path and Remove-Item see it.
    /// </summary>
    public SimVhd NewDifferencingVhd(string path, string parentPath, bool writePlaceholder)
    {
        var format = VhdFormat(path);
        if (!FileExists(parentPath)) throw WindowsErrors.FileNotFound("Failed to create the virtual hard disk: the parent disk does not exist.", parentPath);
        if (!string.Equals(format, VhdFormat(parentPath), StringComparison.OrdinalIgnoreCase))
            throw WindowsErrors.InvalidArgument($"A differencing disk must have the format of its parent: '{path}' is {format.ToUpperInvariant()}, '{parentPath}' is not.");
        if (FileExists(path)) throw WindowsErrors.FileExists(path);
        if (writePlaceholder) WritePlaceholder(path, $"LabRunner simulated differencing disk; parent: {parentPath}\n");
        var vhd = new SimVhd { Path = path, ParentPath = parentPath, Placeholder = writePlaceholder };
        State.Vhds.Add(vhd);
        return vhd;
    }

    /// <summary>New-VHD -Dynamic / -Fixed: a new empty disk (a base image for tests and hand-made hosts).</summary>
    public SimVhd NewVhd(string path, bool writePlaceholder)
    {
        VhdFormat(path);
        if (FileExists(path)) throw WindowsErrors.FileExists(path);
        if (writePlaceholder) WritePlaceholder(path, "LabRunner simulated virtual hard disk\n");
        var vhd = new SimVhd { Path = path, Placeholder = writePlaceholder };
        State.Vhds.Add(vhd);
        return vhd;
    }

    private static void WritePlaceholder(string path, string text)
    {
        var directory = System.IO.Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(directory) && !Directory.Exists(directory))
            throw WindowsErrors.FileNotFound("Failed to create the virtual hard disk: the folder does not exist.", directory);
        File.WriteAllText(path, text);
    }

    /// <summary>
    /// Remove-Item of a VHD or seed: refused while a VM holds the file (any VM's hard disk, a running
    /// VM's DVD). The model's entry goes and so does the real file, if there is one.
    /// </summary>
    public void RemoveFile(string path)
    {
        var owner = HardDiskOwner(path) ?? DvdHolder(path);
        if (owner is not null) throw WindowsErrors.FileInUse(path, owner.Name);
        var vhd = FindVhd(path);
        var onDisk = File.Exists(path);
        if (vhd is null && !onDisk)
            throw new SimulatedHostException(HostErrorKind.NotFound, "PathNotFound,Microsoft.PowerShell.Commands.RemoveItemCommand",
                $"Cannot find path '{path}' because it does not exist.");
        if (vhd is not null) State.Vhds.Remove(vhd);
        if (onDisk) File.Delete(path);
    }

    private static string VhdFormat(string path)
    {
        var extension = System.IO.Path.GetExtension(path).TrimStart('.');
        if (extension.Equals("vhdx", StringComparison.OrdinalIgnoreCase) || extension.Equals("vhd", StringComparison.OrdinalIgnoreCase))
            return extension;
        throw WindowsErrors.InvalidArgument($"'{path}' is not a virtual hard disk file: the extension must be .vhdx or .vhd.");
    }

    // ---------------------------------------------------------------- VMs

    /// <summary>
    /// New-VM: generation 1 or 2, at least 32 MB of memory in steps of 2 MB, an existing VHD no other
    /// VM uses. Like the real cmdlet it adds one unconnected adapter "Network Adapter" (connected when
    /// a switch is given); generation 1 also gets an empty DVD drive at IDE 1:0. Automatic checkpoints
    /// are on when the host turns them on for new VMs (Windows 10 and 11 do).
    /// </summary>
    public SimVm NewVm(string name, int generation, long memoryStartupBytes, string? vhdPath, string? path, string? switchName)
    {
        RequireName(name, "virtual machine");
        if (FindVm(name) is not null) throw WindowsErrors.VmExists(name);
        if (generation is not (1 or 2))
            throw WindowsErrors.InvalidArgument(string.Create(CultureInfo.InvariantCulture, $"The virtual machine generation {generation} is not supported. Valid values are 1 and 2."));
        CheckMemory(name, memoryStartupBytes);
        if (vhdPath is not null)
        {
            if (!FileExists(vhdPath)) throw WindowsErrors.FileNotFound($"Failed to add device 'Virtual Hard Disk' to '{name}'.", vhdPath);
            var owner = HardDiskOwner(vhdPath);
            if (owner is not null) throw WindowsErrors.FileInUse(vhdPath, owner.Name);
        }
        if (switchName is not null) GetSwitch(switchName);

        var vm = new SimVm
        {
            Name = name,
            Id = Guid.NewGuid(),
            Generation = generation,
            State = VmState.Off,
            MemoryStartupBytes = memoryStartupBytes,
            ProcessorCount = 1,
            Path = path,
            AutomaticCheckpointsEnabled = State.NewVmsTakeAutomaticCheckpoints,
        };
        var controller = generation == 1 ? SimControllerType.Ide : SimControllerType.Scsi;
        if (vhdPath is not null)
            vm.HardDisks.Add(new SimDrive { ControllerType = controller, ControllerNumber = 0, ControllerLocation = 0, Path = vhdPath });
        if (generation == 1)
            vm.DvdDrives.Add(new SimDrive { ControllerType = SimControllerType.Ide, ControllerNumber = 1, ControllerLocation = 0 });
        var adapter = new SimVmAdapter { Name = DefaultAdapterName, Id = Guid.NewGuid(), SwitchName = switchName is null ? null : GetSwitch(switchName).Name };
        vm.NetworkAdapters.Add(adapter);
        if (generation == 2)
        {
            vm.Firmware = new SimFirmware
            {
                SecureBoot = true,
                SecureBootTemplate = "MicrosoftWindows",
                FirstBootDevice = vhdPath is not null
                    ? new SimBootDevice { DeviceType = SimBootDeviceType.HardDiskDrive, ControllerNumber = 0, ControllerLocation = 0 }
                    : new SimBootDevice { DeviceType = SimBootDeviceType.NetworkAdapter, AdapterId = adapter.Id },
            };
        }
        State.Vms.Add(vm);
        return vm;
    }

    /// <summary>Set-VM: processors and memory only while the VM is off; notes and automatic checkpoints at any time.</summary>
    public void SetVm(SimVm vm, int? processorCount = null, long? memoryStartupBytes = null, string? notes = null, bool? automaticCheckpoints = null)
    {
        if ((processorCount is not null || memoryStartupBytes is not null) && vm.State != VmState.Off)
            throw WindowsErrors.VmState(vm.Name, vm.State, "processors and startup memory change only while it is off");
        if (processorCount is { } cpus && (cpus < 1 || cpus > State.LogicalProcessors))
            throw WindowsErrors.InvalidArgument(string.Create(CultureInfo.InvariantCulture,
                $"Failed to modify device 'Processor'. '{vm.Name}' cannot have {cpus} virtual processors: the host has {State.LogicalProcessors} logical processors."));
        if (memoryStartupBytes is { } memory) CheckMemory(vm.Name, memory);
        if (processorCount is { } count) vm.ProcessorCount = count;
        if (memoryStartupBytes is { } bytes) vm.MemoryStartupBytes = bytes;
        if (notes is not null) vm.Notes = notes;
        if (automaticCheckpoints is { } checkpoints) vm.AutomaticCheckpointsEnabled = checkpoints;
    }

    /// <summary>
    /// Start-VM from Off or Saved. Every disk must still exist; dynamic MACs are handed out at the first
    /// start. With automatic checkpoints on, starting from Off takes a checkpoint: every hard disk gets a
    /// differencing child <c>NAME_GUID.avhdx</c> beside it, which becomes the VM's disk.
    /// </summary>
    public VmTransition StartVm(SimVm vm)
    {
        if (vm.State == VmState.Running) return VmTransition.AlreadyInState;
        if (vm.State is not (VmState.Off or VmState.Saved))
            throw WindowsErrors.VmState(vm.Name, vm.State, "it starts only from Off or Saved");
        foreach (var disk in vm.HardDisks.Where(d => d.Path is not null && !FileExists(d.Path)))
            throw WindowsErrors.FileNotFound($"'{vm.Name}' failed to start. Microsoft Emulated IDE/SCSI Controller: failed to open attachment.", disk.Path!);
        foreach (var dvd in vm.DvdDrives.Where(d => d.Path is not null && !FileExists(d.Path)))
            throw WindowsErrors.FileNotFound($"'{vm.Name}' failed to start. The DVD media is missing.", dvd.Path!);
        foreach (var adapter in vm.NetworkAdapters.Where(a => a.StaticMacAddress is null && a.DynamicMacAddress is null))
            adapter.DynamicMacAddress = NextDynamicMac();
        if (vm.AutomaticCheckpointsEnabled && vm.State == VmState.Off)
        {
            foreach (var disk in vm.HardDisks.Where(d => d.Path is not null))
                disk.Path = AutomaticCheckpointDisk(disk.Path!);
        }
        vm.State = VmState.Running;
        return VmTransition.Changed;
    }

    /// <summary>The .avhdx an automatic checkpoint puts on top of <paramref name="parent"/>, beside it (a real file when the parent is one).</summary>
    private string AutomaticCheckpointDisk(string parent)
    {
        var slash = parent.LastIndexOfAny(['/', '\\']);
        var stem = System.IO.Path.GetFileNameWithoutExtension(parent[(slash + 1)..]);
        var child = parent[..(slash + 1)] + stem + "_" + Guid.NewGuid().ToString("D").ToUpperInvariant() + ".avhdx";
        var placeholder = File.Exists(parent);
        if (placeholder) File.WriteAllText(child, $"LabRunner simulated automatic checkpoint; parent: {parent}\n");
        State.Vhds.Add(new SimVhd { Path = child, ParentPath = parent, Placeholder = placeholder });
        return child;
    }

    /// <summary>
    /// Stop-VM: a guest shutdown from Running, -TurnOff from Running or Paused, -Save from Running. A saved VM
    /// is not running, so there is nothing to shut down or turn off: it starts again (Start-VM) or its saved
    /// state is deleted (Remove-VMSavedState).
    /// </summary>
    public VmTransition StopVm(SimVm vm, bool turnOff, bool save = false)
    {
        if (vm.State == VmState.Off) return VmTransition.AlreadyInState;
        if (vm.State is VmState.Starting or VmState.Stopping)
            throw WindowsErrors.VmState(vm.Name, vm.State, "it is changing state; try again when it is running or off");
        if (save)
        {
            if (vm.State == VmState.Saved) return VmTransition.AlreadyInState;
            if (vm.State != VmState.Running) throw WindowsErrors.VmState(vm.Name, vm.State, "only a running VM can be saved");
            vm.State = VmState.Saved;
            return VmTransition.Changed;
        }
        if (vm.State == VmState.Saved && !save)
            throw WindowsErrors.VmState(vm.Name, vm.State, "a saved VM is not running: start it (Start-VM) or delete its saved state (Remove-VMSavedState)");
        if (!turnOff && vm.State != VmState.Running)
            throw WindowsErrors.VmState(vm.Name, vm.State, "a guest shutdown needs a running VM; use -TurnOff");
        vm.State = VmState.Off;
        return VmTransition.Changed;
    }

    /// <summary>Resume-VM: a paused VM runs again; nothing else can be resumed.</summary>
    public VmTransition ResumeVm(SimVm vm)
    {
        if (vm.State == VmState.Running) return VmTransition.AlreadyInState;
        if (vm.State != VmState.Paused) throw WindowsErrors.VmState(vm.Name, vm.State, "only a paused VM can be resumed");
        vm.State = VmState.Running;
        return VmTransition.Changed;
    }

    /// <summary>Suspend-VM: a running VM pauses.</summary>
    public VmTransition SuspendVm(SimVm vm)
    {
        if (vm.State == VmState.Paused) return VmTransition.AlreadyInState;
        if (vm.State != VmState.Running) throw WindowsErrors.VmState(vm.Name, vm.State, "only a running VM can be paused");
        vm.State = VmState.Paused;
        return VmTransition.Changed;
    }

    /// <summary>Remove-VMSavedState: a saved VM goes to Off, losing the memory it saved; only a saved VM has one.</summary>
    public void RemoveSavedState(SimVm vm)
    {
        if (vm.State != VmState.Saved) throw WindowsErrors.VmState(vm.Name, vm.State, "only a saved VM has a saved state to delete");
        vm.State = VmState.Off;
    }

    /// <summary>Hyper-V changes a VM's devices only while it is off or running: a paused or saved VM keeps the configuration it was suspended with.</summary>
    private static void RequireNotSuspended(SimVm vm, string what)
    {
        if (vm.State is VmState.Paused or VmState.Saved or VmState.Starting or VmState.Stopping)
            throw WindowsErrors.VmState(vm.Name, vm.State, what + " change only while it is off or running");
    }

    /// <summary>Remove-VM: only while off. Its VHD files stay, as on Hyper-V.</summary>
    public void RemoveVm(SimVm vm)
    {
        if (vm.State != VmState.Off) throw WindowsErrors.VmState(vm.Name, vm.State, "it must be off to be removed");
        State.Vms.Remove(vm);
    }

    private static void CheckMemory(string vm, long bytes)
    {
        if (bytes < MinimumMemoryBytes)
            throw WindowsErrors.InvalidArgument(string.Create(CultureInfo.InvariantCulture,
                $"Failed to modify device 'Memory'. Invalid startup memory amount assigned for '{vm}'. The minimum amount of memory you can assign to a virtual machine is 32 MB (got {bytes} bytes)."));
        if (bytes % MemoryGranularityBytes != 0)
            throw WindowsErrors.InvalidArgument(string.Create(CultureInfo.InvariantCulture,
                $"Failed to modify device 'Memory'. Invalid startup memory amount assigned for '{vm}'. The amount of memory must be a multiple of 2 MB (got {bytes} bytes)."));
    }

    // ---------------------------------------------------------------- VM network adapters

    /// <summary>The VM's adapters, all of them or those named <paramref name="name"/> (Hyper-V allows two with one name).</summary>
    public IReadOnlyList<SimVmAdapter> VmAdapters(SimVm vm, string? name)
    {
        if (name is null) return vm.NetworkAdapters;
        var found = vm.NetworkAdapters.Where(a => SameName(a.Name, name)).ToList();
        return found.Count > 0 ? found : throw WindowsErrors.VmAdapterNotFound(vm.Name, name);
    }

    /// <summary>
    /// Add-VMNetworkAdapter: a generation 1 VM must be off (no hot add); at most eight adapters; the
    /// switch must exist; a static MAC must be unicast, not zero, and unique on the host.
    /// </summary>
    public SimVmAdapter AddVmNetworkAdapter(SimVm vm, string? name, string? switchName, MacAddress? staticMac)
    {
        if (vm.Generation == 1 && vm.State != VmState.Off)
            throw WindowsErrors.VmState(vm.Name, vm.State, "a generation 1 VM takes new network adapters only while off");
        RequireNotSuspended(vm, "network adapters");
        if (vm.NetworkAdapters.Count >= MaxNetworkAdapters)
            throw new SimulatedHostException(HostErrorKind.Conflict, WindowsErrors.InvalidOperation,
                string.Create(CultureInfo.InvariantCulture, $"Failed to add device 'Microsoft Synthetic Ethernet Port'. '{vm.Name}' already has {MaxNetworkAdapters} network adapters, the most a virtual machine can have."));
        var sw = switchName is null ? null : GetSwitch(switchName);
        if (staticMac is { } mac) CheckStaticMac(mac, except: null);
        var adapter = new SimVmAdapter { Name = string.IsNullOrEmpty(name) ? DefaultAdapterName : name, Id = Guid.NewGuid(), SwitchName = sw?.Name, StaticMacAddress = staticMac };
        vm.NetworkAdapters.Add(adapter);
        return adapter;
    }

    /// <summary>Connect-VMNetworkAdapter: allowed in any state.</summary>
    public void ConnectVmNetworkAdapter(SimVmAdapter adapter, string switchName) => adapter.SwitchName = GetSwitch(switchName).Name;

    public static void DisconnectVmNetworkAdapter(SimVmAdapter adapter) => adapter.SwitchName = null;

    /// <summary>Set-VMNetworkAdapter -StaticMacAddress / -DynamicMacAddress: only while the VM is off.</summary>
    public void SetVmNetworkAdapterMac(SimVm vm, SimVmAdapter adapter, MacAddress? staticMac)
    {
        if (vm.State != VmState.Off) throw WindowsErrors.VmState(vm.Name, vm.State, "a MAC address changes only while it is off");
        if (staticMac is { } mac) CheckStaticMac(mac, except: adapter);
        adapter.StaticMacAddress = staticMac;
        if (staticMac is not null) adapter.DynamicMacAddress = null;
    }

    /// <summary>Remove-VMNetworkAdapter: a generation 1 VM must be off (no hot remove).</summary>
    public void RemoveVmNetworkAdapter(SimVm vm, SimVmAdapter adapter)
    {
        if (vm.Generation == 1 && vm.State != VmState.Off)
            throw WindowsErrors.VmState(vm.Name, vm.State, "a generation 1 VM loses network adapters only while off");
        RequireNotSuspended(vm, "network adapters");
        vm.NetworkAdapters.Remove(adapter);
        if (vm.Firmware?.FirstBootDevice is { DeviceType: SimBootDeviceType.NetworkAdapter } boot && boot.AdapterId == adapter.Id)
            vm.Firmware.FirstBootDevice = null;
    }

    private void CheckStaticMac(MacAddress mac, SimVmAdapter? except)
    {
        if (mac.IsZero) throw WindowsErrors.InvalidArgument("The MAC address 000000000000 is not valid for a static MAC address.");
        if (mac.IsMulticast) throw WindowsErrors.InvalidArgument($"The MAC address {mac.ToBareString()} is a multicast address; a network adapter needs a unicast address.");
        var holder = State.Vms.SelectMany(v => v.NetworkAdapters.Select(a => (Vm: v, Adapter: a)))
            .FirstOrDefault(x => !ReferenceEquals(x.Adapter, except) && (x.Adapter.StaticMacAddress == mac || x.Adapter.DynamicMacAddress == mac));
        if (holder.Adapter is not null)
            throw new SimulatedHostException(HostErrorKind.Conflict, WindowsErrors.AlreadyExists,
                $"The MAC address {mac.ToBareString()} is already used by adapter '{holder.Adapter.Name}' of virtual machine '{holder.Vm.Name}'.");
        var host = State.NetAdapters.FirstOrDefault(a => a.MacAddress == mac);
        if (host is not null)
            throw new SimulatedHostException(HostErrorKind.Conflict, WindowsErrors.AlreadyExists,
                $"The MAC address {mac.ToBareString()} is already used by the host's adapter '{host.Name}'.");
    }

    // ---------------------------------------------------------------- DVD drives and firmware

    /// <summary>Add-VMDvdDrive: only while off, in the first free slot (IDE on generation 1, SCSI on generation 2); the media must exist.</summary>
    public SimDrive AddDvdDrive(SimVm vm, string? path, int? controllerNumber = null, int? controllerLocation = null)
    {
        if (vm.State != VmState.Off) throw WindowsErrors.VmState(vm.Name, vm.State, "DVD drives are added only while it is off");
        if (path is not null && !FileExists(path)) throw WindowsErrors.FileNotFound($"Failed to add device 'DVD Drive' to '{vm.Name}'.", path);
        var type = vm.Generation == 1 ? SimControllerType.Ide : SimControllerType.Scsi;
        var (controllers, locations) = vm.Generation == 1 ? (2, 2) : (4, 64);
        if (controllerNumber is < 0 || controllerNumber >= controllers || controllerLocation is < 0 || controllerLocation >= locations)
            throw WindowsErrors.InvalidArgument(string.Create(CultureInfo.InvariantCulture,
                $"A generation {vm.Generation} virtual machine has {type.ToString().ToUpperInvariant()} controllers 0-{controllers - 1} with locations 0-{locations - 1}."));
        var used = vm.HardDisks.Concat(vm.DvdDrives).Select(d => (d.ControllerNumber, d.ControllerLocation)).ToHashSet();
        var numbers = controllerNumber is { } number ? [number] : Enumerable.Range(0, controllers);
        var slots = controllerLocation is { } location ? [location] : Enumerable.Range(0, locations);
        foreach (var c in numbers)
        {
            foreach (var l in slots.Where(l => !used.Contains((c, l))))
            {
                var drive = new SimDrive { ControllerType = type, ControllerNumber = c, ControllerLocation = l, Path = path };
                vm.DvdDrives.Add(drive);
                return drive;
            }
        }
        throw new SimulatedHostException(HostErrorKind.Conflict, WindowsErrors.InvalidOperation,
            $"Failed to add device 'DVD Drive' to '{vm.Name}': no free location on its {type.ToString().ToUpperInvariant()} controllers.");
    }

    /// <summary>Set-VMDvdDrive -Path: media can change while off or running; null ejects.</summary>
    public void SetDvdDrivePath(SimVm vm, SimDrive drive, string? path)
    {
        RequireNotSuspended(vm, "DVD media");
        if (path is not null && !FileExists(path)) throw WindowsErrors.FileNotFound($"Failed to modify device 'DVD Drive' of '{vm.Name}'.", path);
        drive.Path = path;
    }

    /// <summary>
    /// Set-VMFirmware: generation 2 only, while off; the template must be one the host knows; the first
    /// boot device must belong to the VM.
    /// </summary>
    public void SetFirmware(SimVm vm, bool? secureBoot, string? template, SimBootDevice? firstBootDevice)
    {
        var firmware = RequireFirmware(vm);
        if (vm.State != VmState.Off) throw WindowsErrors.VmState(vm.Name, vm.State, "firmware settings change only while it is off");
        string? knownTemplate = null;
        if (template is not null)
        {
            knownTemplate = SecureBootTemplates.FirstOrDefault(t => string.Equals(t, template, StringComparison.OrdinalIgnoreCase))
                ?? throw WindowsErrors.InvalidArgument($"Cannot find a secure boot template named '{template}'. The host has {string.Join(", ", SecureBootTemplates)}.");
        }
        if (firstBootDevice is not null && !HasDevice(vm, firstBootDevice))
            throw WindowsErrors.InvalidArgument($"The boot device does not belong to virtual machine '{vm.Name}'.");
        if (secureBoot is { } on) firmware.SecureBoot = on;
        if (knownTemplate is not null) firmware.SecureBootTemplate = knownTemplate;
        if (firstBootDevice is not null) firmware.FirstBootDevice = firstBootDevice;
    }

    public static SimFirmware RequireFirmware(SimVm vm) => vm.Firmware
        ?? throw new SimulatedHostException(HostErrorKind.Failed, WindowsErrors.InvalidOperation,
            $"'{vm.Name}' is a generation {vm.Generation} virtual machine; firmware settings exist only for generation 2 virtual machines.");

    public static SimBootDevice BootDeviceOf(SimDrive drive, bool dvd) => new()
    {
        DeviceType = dvd ? SimBootDeviceType.DvdDrive : SimBootDeviceType.HardDiskDrive,
        ControllerNumber = drive.ControllerNumber,
        ControllerLocation = drive.ControllerLocation,
    };

    public static SimBootDevice BootDeviceOf(SimVmAdapter adapter) => new() { DeviceType = SimBootDeviceType.NetworkAdapter, AdapterId = adapter.Id };

    private static bool HasDevice(SimVm vm, SimBootDevice device) => device.DeviceType switch
    {
        SimBootDeviceType.HardDiskDrive => vm.HardDisks.Any(d => d.ControllerNumber == device.ControllerNumber && d.ControllerLocation == device.ControllerLocation),
        SimBootDeviceType.DvdDrive => vm.DvdDrives.Any(d => d.ControllerNumber == device.ControllerNumber && d.ControllerLocation == device.ControllerLocation),
        _ => vm.NetworkAdapters.Any(a => a.Id == device.AdapterId),
    };

    // ---------------------------------------------------------------- inventory

    /// <summary>The model as LabRunner's provider contract sees a host.</summary>
    public HostInventory Inventory(IEnumerable<string> filesOfInterest) => new(
        [.. State.NetAdapters.Select(a => new HostNetAdapter(a.Name, a.InterfaceDescription, a.Kind == SimAdapterKind.Physical, [.. LiveAddresses(a)]))],
        [.. State.Switches.Select(s => new HostSwitch(s.Name, s.SwitchType, s.NetAdapterName, s.Notes))],
        [.. State.Nats.Select(n => new HostNat(n.Name, n.InternalIPInterfaceAddressPrefix))],
        [.. State.StaticMappings.Select(m => new HostPortMapping(m.NatName, m.Protocol, m.ExternalIPAddress, m.ExternalPort, m.InternalIPAddress, m.InternalPort))],
        [.. State.Vms.Select(v => new HostVm(
            v.Name, v.State, v.Notes, v.Generation, v.MemoryStartupBytes, v.ProcessorCount,
            [.. v.NetworkAdapters.Select(a => new HostVmAdapter(a.Name, a.SwitchName, a.StaticMacAddress))],
            [.. v.HardDisks.Select(d => d.Path ?? "")],
            [.. v.DvdDrives.Select(d => new HostDvdDrive(d.ControllerNumber, d.ControllerLocation, d.Path ?? "")).OrderBy(d => d.ControllerNumber).ThenBy(d => d.ControllerLocation)],
            v.Firmware?.SecureBoot ?? false,
            v.Firmware?.SecureBootTemplate,
            v.AutomaticCheckpointsEnabled))],
        [.. filesOfInterest.Where(FileExists).Distinct(StringComparer.OrdinalIgnoreCase)]);

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
