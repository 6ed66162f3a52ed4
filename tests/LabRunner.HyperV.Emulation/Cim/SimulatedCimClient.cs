using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Providers.HyperV.Cim;
using LabRunner.Simulation;
using LabRunner.Simulation.Model;

namespace LabRunner.HyperV.Emulation.Cim;

/// <summary>
/// An <see cref="ICimClient"/> that answers from a <see cref="SimulatedHost"/>: every instance of a class
/// in <c>root/virtualization/v2</c> or <c>root/StandardCimv2</c> as Windows would enumerate it for that
/// host, so that the Hyper-V provider reads a simulated host exactly as it reads a real one.
/// </summary>
/// <remarks>
/// <para>Shapes follow Microsoft's class pages (Hyper-V WMI provider V2 under windows/win32/hyperv_v2;
/// NetAdapterCimProv's MSFT_NetAdapter) and the Hyper-V networking sample ("Querying networking
/// objects"); property values use the CIM types (uint16 → <see cref="ushort"/>, uint64 → <see cref="ulong"/>,
/// uint8 → <see cref="byte"/>, string[] for Notes and HostResource), as MMI hands them over.</para>
/// <list type="bullet">
/// <item><b>Identity.</b> A VM or switch is its GUID (<c>Msvm_ComputerSystem.Name</c>,
/// <c>Msvm_VirtualEthernetSwitch.Name</c>, upper-case as Hyper-V writes it); the host's
/// Msvm_ComputerSystem is named by the computer name. Setting data InstanceIDs read
/// <c>Microsoft:GUID\DeviceSpecificData</c> with the owning system's GUID first. Devices without a
/// GUID in the simulated host (memory, processor, controllers, switch ports, host NICs) get GUIDs derived
/// from what identifies them (a hash), so every read of the same object gives the same ids.</item>
/// <item><b>References</b> (HostResource, Parent) are WMI object paths
/// <c>\\HOST\root\virtualization\v2:CLASS.KEY="VALUE",…</c> with backslashes and quotes in key values
/// escaped; keys in alphabetical order, as WMI writes them.</item>
/// <item><b>VMs</b>: Msvm_ComputerSystem (EnabledState 2 running, 3 off, 6 saved, 9 paused, 10 starting,
/// 4 shutting down, 1 other), Msvm_VirtualSystemSettingData (Realized, SubType:1|2, Notes as a one-element
/// array holding the notes as written, SecureBootEnabled), Msvm_MemorySettingData (VirtualQuantity in MiB),
/// Msvm_ProcessorSettingData, one Msvm_SyntheticEthernetPortSettingData per adapter (Address: 12 hex
/// digits, 000000000000 for a dynamic MAC not handed out yet) and, for a connected adapter, its
/// Msvm_EthernetPortAllocationSettingData (Parent: the port, HostResource[0]: the switch, EnabledState 2);
/// controllers, drives (ResourceType 16 DVD / 17 disk) and their images (Msvm_StorageAllocationSettingData,
/// ResourceType 31, Parent: the drive, HostResource[0]: the file).</item>
/// <item><b>Switches</b>: Msvm_VirtualEthernetSwitch + Msvm_VirtualEthernetSwitchSettingData (Notes) and the
/// switch's own ports as Msvm_EthernetPortAllocationSettingData: to Msvm_ExternalEthernetPort for an
/// external switch, to the host's Msvm_ComputerSystem for an internal one (and for an external one shared
/// with the host), none for a private one.</item>
/// <item><b>Host networking</b>: Msvm_ExternalEthernetPort per physical adapter (DeviceID
/// <c>Microsoft:{GUID}</c>, ElementName = its description), MSFT_NetAdapter per adapter (InterfaceGuid and
/// DeviceID <c>{GUID}</c>, ConnectorPresent for physical adapters), MSFT_NetIPAddress for every live IPv4
/// address plus, as Windows has them, an IPv6 link-local address on each IP interface and the loopback
/// pseudo-interface (127.0.0.1/8, ::1/128; it has no MSFT_NetAdapter). An adapter bound to an external
/// switch has no IP interface and so no addresses. MSFT_NetNat and MSFT_NetNatStaticMapping (Protocol as
/// IANA number 6/17, ports as uint16).</item>
/// </list>
/// <para>Where the documentation is silent the shape is an assumption shared with
/// <see cref="CimInventoryMapper"/>: that a switch's own port settings carry the switch's GUID in their
/// InstanceID (Microsoft's sample reaches them through associations instead), and that
/// Msvm_ExternalEthernetPort.DeviceID is <c>Microsoft:{GUID}</c> with the NIC's interface GUID.</para>
/// </remarks>
public sealed partial class SimulatedCimClient(SimulatedHost host) : ICimClient
{
    private const string VirtualizationPathNamespace = @"root\virtualization\v2";

    private readonly SimulatedHost _host = host ?? throw new ArgumentNullException(nameof(host));
    private int _queries;

    /// <summary>Enumerations answered (one per class per inventory).</summary>
    public int Queries => Volatile.Read(ref _queries);

    /// <summary>The classes this view answers, by namespace.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> Classes { get; } = new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase)
    {
        [CimClasses.Virtualization] =
        [
            CimClasses.ComputerSystem, CimClasses.VirtualSystemSettingData, CimClasses.MemorySettingData, CimClasses.ProcessorSettingData,
            CimClasses.SyntheticEthernetPortSettingData, CimClasses.EthernetPortAllocationSettingData, CimClasses.ResourceAllocationSettingData,
            CimClasses.StorageAllocationSettingData, CimClasses.VirtualEthernetSwitch, CimClasses.VirtualEthernetSwitchSettingData,
            CimClasses.ExternalEthernetPort,
        ],
        [CimClasses.StandardCimv2] = [CimClasses.NetAdapter, CimClasses.NetIPAddress, CimClasses.NetNat, CimClasses.NetNatStaticMapping],
    };

    public Task<IReadOnlyList<CimRecord>> QueryAsync(string @namespace, string className, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(@namespace);
        ArgumentNullException.ThrowIfNull(className);
        cancellationToken.ThrowIfCancellationRequested();
        var ns = @namespace.Replace('\\', '/').Trim('/');
        if (ShareClass(ns, className) is { } shareClass) return QuerySharesAsync(@namespace, shareClass, cancellationToken);
        if (!Classes.TryGetValue(ns, out var classes))
            throw new CimQueryException(CimFailure.InvalidNamespace, @namespace, className, $"Invalid namespace '{@namespace}'.");
        var known = classes.FirstOrDefault(c => string.Equals(c, className, StringComparison.OrdinalIgnoreCase))
            ?? throw new CimQueryException(CimFailure.InvalidClass, @namespace, className, $"Invalid class '{className}' in '{@namespace}'.");
        Interlocked.Increment(ref _queries);
        // MMI enumerates synchronously on a worker; so does this (the host may be a file to read).
        return Task.Run<IReadOnlyList<CimRecord>>(() =>
        {
            try
            {
                return _host.Read(m => new View(m).Records(known));
            }
            catch (HostUnavailableException e)
            {
                throw new CimQueryException(CimFailure.ServiceUnavailable, @namespace, className, e.Message, e);
            }
        }, cancellationToken);
    }

    /// <summary>One consistent reading of the host, shaped as CIM instances.</summary>
    private sealed class View(HostModel m)
    {
        private readonly string _computer = m.State.ComputerName;

        public IReadOnlyList<CimRecord> Records(string className) => className switch
        {
            CimClasses.ComputerSystem => ComputerSystems(),
            CimClasses.VirtualSystemSettingData => [.. m.State.Vms.Select(SystemSettings), .. m.State.Vms.SelectMany(vm => vm.Checkpoints.Select(c => CheckpointSettings(vm, c)))],
            CimClasses.MemorySettingData => [.. m.State.Vms.Select(Memory)],
            CimClasses.ProcessorSettingData => [.. m.State.Vms.Select(Processor)],
            CimClasses.SyntheticEthernetPortSettingData => [.. m.State.Vms.SelectMany(vm => vm.NetworkAdapters.Select(a => Port(vm, a)))],
            CimClasses.EthernetPortAllocationSettingData => [.. VmConnections(), .. SwitchPorts()],
            CimClasses.ResourceAllocationSettingData => [.. m.State.Vms.SelectMany(ControllersAndDrives)],
            CimClasses.StorageAllocationSettingData => [.. m.State.Vms.SelectMany(Images), .. m.State.Vms.SelectMany(vm => vm.Checkpoints.SelectMany(CheckpointImages))],
            CimClasses.VirtualEthernetSwitch => [.. m.State.Switches.Select(Switch)],
            CimClasses.VirtualEthernetSwitchSettingData => [.. m.State.Switches.Select(SwitchSettings)],
            CimClasses.ExternalEthernetPort => [.. m.State.NetAdapters.Where(a => a.Kind == SimAdapterKind.Physical).Select(ExternalPort)],
            CimClasses.NetAdapter => [.. m.State.NetAdapters.Select(NetAdapter)],
            CimClasses.NetIPAddress => NetIPAddresses(),
            CimClasses.NetNat => [.. m.State.Nats.Select(NetNat)],
            CimClasses.NetNatStaticMapping => [.. m.State.StaticMappings.Select(StaticMapping)],
            _ => throw new ArgumentOutOfRangeException(nameof(className), className, "Not a class of the inventory."),
        };

        // ------------------------------------------------------------ VMs

        private List<CimRecord> ComputerSystems()
        {
            List<CimRecord> result =
            [
                R(CimClasses.ComputerSystem,
                    ("CreationClassName", CimClasses.ComputerSystem),
                    ("Name", _computer),
                    ("ElementName", _computer),
                    ("Caption", "Hosting Computer System"),
                    ("Description", "Microsoft Hosting Computer System"),
                    ("EnabledState", (ushort)2),
                    ("HealthState", (ushort)5)),
            ];
            result.AddRange(m.State.Vms.Select(vm => R(CimClasses.ComputerSystem,
                ("CreationClassName", CimClasses.ComputerSystem),
                ("Name", Id(vm.Id)),
                ("ElementName", vm.Name),
                ("Caption", "Virtual Machine"),
                ("Description", "Microsoft Virtual Computer System"),
                ("EnabledState", EnabledState(vm.State)),
                ("HealthState", (ushort)5),
                ("NumberOfNumaNodes", (ushort)1))));
            return result;
        }

        private static ushort EnabledState(VmState state) => state switch
        {
            VmState.Running => 2,
            VmState.Off => 3,
            VmState.Stopping => 4,
            VmState.Saved => 6,
            VmState.Paused => 9,
            VmState.Starting => 10,
            _ => 1,
        };

        private CimRecord SystemSettings(SimVm vm) => R(CimClasses.VirtualSystemSettingData,
            ("InstanceID", $"Microsoft:{Id(vm.Id)}"),
            ("Caption", "Virtual Machine Settings"),
            ("ElementName", vm.Name),
            ("VirtualSystemIdentifier", Id(vm.Id)),
            ("VirtualSystemType", CimClasses.RealizedVm),
            ("VirtualSystemSubType", string.Create(CultureInfo.InvariantCulture, $"Microsoft:Hyper-V:SubType:{vm.Generation}")),
            ("Notes", new[] { vm.Notes }),
            ("ConfigurationDataRoot", vm.Path),
            ("SecureBootEnabled", vm.Firmware?.SecureBoot ?? false),
            ("SecureBootTemplateId", vm.Firmware is { } firmware ? TemplateId(firmware.SecureBootTemplate) : null),
            ("AutomaticSnapshotsEnabled", vm.AutomaticCheckpointsEnabled),
            ("UserSnapshotType", UserSnapshotType(vm.CheckpointType)));

        /// <summary>Msvm_VirtualSystemSettingData.UserSnapshotType: 2 Disable, 3 Production (may fall back), 4 ProductionOnly, 5 Standard.</summary>
        private static ushort UserSnapshotType(SimCheckpointType type) => type switch
        {
            SimCheckpointType.Disabled => 2,
            SimCheckpointType.Production => 3,
            SimCheckpointType.ProductionOnly => 4,
            _ => 5,
        };

        /// <summary>A checkpoint's settings: its own InstanceID GUID, the VM's VirtualSystemIdentifier, a Snapshot VirtualSystemType.</summary>
        private static CimRecord CheckpointSettings(SimVm vm, SimCheckpoint checkpoint) => R(CimClasses.VirtualSystemSettingData,
            ("InstanceID", $"Microsoft:{Id(checkpoint.Id)}"),
            ("Caption", "Virtual Machine Settings"),
            ("ElementName", checkpoint.Name),
            ("VirtualSystemIdentifier", Id(vm.Id)),
            ("VirtualSystemType", CimClasses.SnapshotPrefix + "Realized"),
            ("VirtualSystemSubType", string.Create(CultureInfo.InvariantCulture, $"Microsoft:Hyper-V:SubType:{vm.Generation}")),
            ("Notes", new[] { checkpoint.Notes }),
            ("CreationTime", checkpoint.Created.UtcDateTime),
            ("IsSaved", checkpoint.WithMemory));

        /// <summary>The hard disk images a checkpoint's settings hold: the disks it froze.</summary>
        private static IEnumerable<CimRecord> CheckpointImages(SimCheckpoint checkpoint) =>
            checkpoint.HardDisks.Where(d => d.Path is not null).Select(d => R(CimClasses.StorageAllocationSettingData,
                ("InstanceID", string.Create(CultureInfo.InvariantCulture, $@"Microsoft:{Id(checkpoint.Id)}\{Derived("disk")}\{d.ControllerNumber}\{d.ControllerLocation}\L")),
                ("Caption", "Hard Disk Image Default Settings"),
                ("ElementName", "Hard Disk Image"),
                ("ResourceType", (ushort)31),
                ("ResourceSubType", CimClasses.HardDiskImage),
                ("HostResource", new[] { d.Path! }),
                ("Access", (ushort)3)));

        /// <summary>The id Hyper-V reports for a template; one LabRunner does not know gets an id of its own.</summary>
        private static string TemplateId(string template) =>
            CimClasses.SecureBootTemplateIds.Where(t => string.Equals(t.Value, template, StringComparison.OrdinalIgnoreCase))
                .Select(t => t.Key.ToString("D").ToUpperInvariant()).FirstOrDefault()
            ?? Derived("secure-boot-template:" + template);

        private static CimRecord Memory(SimVm vm) => R(CimClasses.MemorySettingData,
            ("InstanceID", $@"Microsoft:{Id(vm.Id)}\{Derived("memory")}"),
            ("Caption", "Memory Default Settings"),
            ("ElementName", "Memory"),
            ("ResourceType", (ushort)4),
            ("ResourceSubType", "Microsoft:Hyper-V:Memory"),
            ("AllocationUnits", "byte * 2^20"),
            ("VirtualQuantityUnits", "byte * 2^20"),
            ("VirtualQuantity", (ulong)(vm.MemoryStartupBytes / (1024 * 1024))),
            ("Reservation", (ulong)(vm.MemoryStartupBytes / (1024 * 1024))),
            ("Limit", (ulong)(vm.MemoryStartupBytes / (1024 * 1024))),
            ("DynamicMemoryEnabled", false));

        private static CimRecord Processor(SimVm vm) => R(CimClasses.ProcessorSettingData,
            ("InstanceID", $@"Microsoft:{Id(vm.Id)}\{Derived("processor")}\0"),
            ("ElementName", "Processor"),
            ("ResourceType", (ushort)3),
            ("ResourceSubType", "Microsoft:Hyper-V:Processor"),
            ("VirtualQuantity", (ulong)vm.ProcessorCount));

        private static string PortInstanceId(SimVm vm, SimVmAdapter adapter) => $@"Microsoft:{Id(vm.Id)}\{Id(adapter.Id)}";

        private static CimRecord Port(SimVm vm, SimVmAdapter adapter) => R(CimClasses.SyntheticEthernetPortSettingData,
            ("InstanceID", PortInstanceId(vm, adapter)),
            ("Caption", "Virtual Ethernet Port Default Settings"),
            ("ElementName", adapter.Name),
            ("ResourceType", (ushort)10),
            ("ResourceSubType", "Microsoft:Hyper-V:Synthetic Ethernet Port"),
            ("Address", (adapter.StaticMacAddress ?? adapter.DynamicMacAddress)?.ToBareString() ?? "000000000000"),
            ("StaticMacAddress", adapter.StaticMacAddress is not null),
            ("VirtualSystemIdentifiers", new[] { "{" + Id(adapter.Id) + "}" }));

        private IEnumerable<CimRecord> VmConnections()
        {
            foreach (var vm in m.State.Vms)
            {
                foreach (var adapter in vm.NetworkAdapters)
                {
                    var sw = adapter.SwitchName is null ? null : m.FindSwitch(adapter.SwitchName);
                    if (sw is null) continue;
                    yield return R(CimClasses.EthernetPortAllocationSettingData,
                        ("InstanceID", PortInstanceId(vm, adapter) + @"\C"),
                        ("Caption", "Ethernet Switch Port Settings"),
                        ("ElementName", "Dynamic Ethernet Switch Port"),
                        ("ResourceType", (ushort)33),
                        ("ResourceSubType", "Microsoft:Hyper-V:Ethernet Connection"),
                        ("Parent", Path(CimClasses.SyntheticEthernetPortSettingData, ("InstanceID", PortInstanceId(vm, adapter)))),
                        ("HostResource", new[] { SwitchPath(sw) }),
                        ("EnabledState", (ushort)2),
                        ("LastKnownSwitchName", sw.Name));
                }
            }
        }

        private IEnumerable<CimRecord> ControllersAndDrives(SimVm vm)
        {
            var (controllerGuid, controllerType, controllerSubType) = Controller(vm);
            var numbers = vm.HardDisks.Concat(vm.DvdDrives).Select(d => d.ControllerNumber).Append(0).Distinct().Order();
            foreach (var n in numbers)
            {
                yield return R(CimClasses.ResourceAllocationSettingData,
                    ("InstanceID", string.Create(CultureInfo.InvariantCulture, $@"Microsoft:{Id(vm.Id)}\{controllerGuid}\{n}")),
                    ("ElementName", vm.Generation == 1 ? "IDE Controller" : "SCSI Controller"),
                    ("ResourceType", controllerType),
                    ("ResourceSubType", controllerSubType),
                    ("Address", n.ToString(CultureInfo.InvariantCulture)));
            }
            foreach (var disk in vm.HardDisks)
                yield return Drive(vm, disk, "Hard Drive", 17, "Microsoft:Hyper-V:Synthetic Disk Drive");
            foreach (var dvd in vm.DvdDrives)
                yield return Drive(vm, dvd, "DVD Drive", 16, CimClasses.DvdDrive);
        }

        private CimRecord Drive(SimVm vm, SimDrive drive, string name, ushort resourceType, string subType) => R(CimClasses.ResourceAllocationSettingData,
            ("InstanceID", DriveInstanceId(vm, drive)),
            ("ElementName", name),
            ("ResourceType", resourceType),
            ("ResourceSubType", subType),
            ("Parent", Path(CimClasses.ResourceAllocationSettingData, ("InstanceID", ControllerInstanceId(vm, drive)))),
            ("AddressOnParent", drive.ControllerLocation.ToString(CultureInfo.InvariantCulture)));

        private IEnumerable<CimRecord> Images(SimVm vm)
        {
            foreach (var disk in vm.HardDisks.Where(d => d.Path is not null))
                yield return Image(vm, disk, "Hard Disk Image", CimClasses.HardDiskImage);
            foreach (var dvd in vm.DvdDrives.Where(d => d.Path is not null))
                yield return Image(vm, dvd, "ISO Disk Image", CimClasses.DvdImage);
        }

        private CimRecord Image(SimVm vm, SimDrive drive, string name, string subType) => R(CimClasses.StorageAllocationSettingData,
            ("InstanceID", DriveInstanceId(vm, drive)[..^1] + "L"),
            ("Caption", name == "Hard Disk Image" ? "Hard Disk Image Default Settings" : "ISO Disk Image Default Settings"),
            ("ElementName", name),
            ("ResourceType", (ushort)31),
            ("ResourceSubType", subType),
            ("Parent", Path(CimClasses.ResourceAllocationSettingData, ("InstanceID", DriveInstanceId(vm, drive)))),
            ("HostResource", new[] { drive.Path! }),
            ("Access", (ushort)(subType == CimClasses.DvdImage ? 1 : 3)));

        private static (string Guid, ushort ResourceType, string SubType) Controller(SimVm vm) => vm.Generation == 1
            ? (Derived("ide-controller"), (ushort)5, "Microsoft:Hyper-V:Emulated IDE Controller")
            : (Derived("scsi-controller"), (ushort)6, "Microsoft:Hyper-V:Synthetic SCSI Controller");

        private static string ControllerInstanceId(SimVm vm, SimDrive drive) =>
            string.Create(CultureInfo.InvariantCulture, $@"Microsoft:{Id(vm.Id)}\{Controller(vm).Guid}\{drive.ControllerNumber}");

        private static string DriveInstanceId(SimVm vm, SimDrive drive) =>
            string.Create(CultureInfo.InvariantCulture, $@"{ControllerInstanceId(vm, drive)}\{drive.ControllerLocation}\D");

        // ------------------------------------------------------------ switches

        private string SwitchPath(SimSwitch sw) =>
            Path(CimClasses.VirtualEthernetSwitch, ("CreationClassName", CimClasses.VirtualEthernetSwitch), ("Name", Id(sw.Id)));

        private string HostPath() =>
            Path(CimClasses.ComputerSystem, ("CreationClassName", CimClasses.ComputerSystem), ("Name", _computer));

        private string ExternalPortPath(SimNetAdapter adapter) =>
            Path(CimClasses.ExternalEthernetPort,
                ("CreationClassName", CimClasses.ExternalEthernetPort),
                ("DeviceID", ExternalDeviceId(adapter)),
                ("SystemCreationClassName", CimClasses.ComputerSystem),
                ("SystemName", _computer));

        private static CimRecord Switch(SimSwitch sw) => R(CimClasses.VirtualEthernetSwitch,
            ("CreationClassName", CimClasses.VirtualEthernetSwitch),
            ("Name", Id(sw.Id)),
            ("ElementName", sw.Name),
            ("Caption", "Virtual Switch"),
            ("EnabledState", (ushort)2),
            ("HealthState", (ushort)5));

        private static CimRecord SwitchSettings(SimSwitch sw) => R(CimClasses.VirtualEthernetSwitchSettingData,
            ("InstanceID", $"Microsoft:{Id(sw.Id)}"),
            ("Caption", "Virtual Ethernet Switch Settings"),
            ("Description", "Active settings for the virtual Ethernet switch"),
            ("ElementName", sw.Name),
            ("VirtualSystemIdentifier", Id(sw.Id)),
            ("Notes", new[] { sw.Notes }),
            ("IOVPreferred", false));

        private IEnumerable<CimRecord> SwitchPorts()
        {
            foreach (var sw in m.State.Switches)
            {
                if (sw.SwitchType == SwitchKind.External && sw.NetAdapterName is { } nic && m.FindInterface(nic) is { } physical)
                    yield return SwitchPort(sw, "external", ExternalPortPath(physical), physical.InterfaceDescription);
                if (sw.SwitchType == SwitchKind.Internal || (sw.SwitchType == SwitchKind.External && sw.AllowManagementOS))
                    yield return SwitchPort(sw, "internal", HostPath(), sw.Name);
            }
        }

        private static CimRecord SwitchPort(SimSwitch sw, string which, string hostResource, string elementName) => R(CimClasses.EthernetPortAllocationSettingData,
            ("InstanceID", $@"Microsoft:{Id(sw.Id)}\{Derived(which + "-port:" + Id(sw.Id))}"),
            ("Caption", "Ethernet Switch Port Settings"),
            ("ElementName", elementName),
            ("ResourceType", (ushort)33),
            ("ResourceSubType", "Microsoft:Hyper-V:Ethernet Connection"),
            ("HostResource", new[] { hostResource }),
            ("EnabledState", (ushort)2));

        // ------------------------------------------------------------ host networking

        private static string NicGuid(SimNetAdapter adapter) => Derived("netadapter:" + adapter.Name.ToUpperInvariant());

        private static string ExternalDeviceId(SimNetAdapter adapter) => "Microsoft:{" + NicGuid(adapter) + "}";

        private CimRecord ExternalPort(SimNetAdapter adapter) => R(CimClasses.ExternalEthernetPort,
            ("CreationClassName", CimClasses.ExternalEthernetPort),
            ("DeviceID", ExternalDeviceId(adapter)),
            ("SystemCreationClassName", CimClasses.ComputerSystem),
            ("SystemName", _computer),
            ("Name", adapter.InterfaceDescription),
            ("ElementName", adapter.InterfaceDescription),
            ("Caption", "Ethernet Port"),
            ("Description", "Microsoft External Ethernet Port"),
            ("PermanentAddress", adapter.MacAddress?.ToBareString()),
            ("IsBound", m.BoundSwitch(adapter) is not null),
            ("EnabledState", (ushort)5));

        private CimRecord NetAdapter(SimNetAdapter adapter) => R(CimClasses.NetAdapter,
            ("CreationClassName", CimClasses.NetAdapter),
            ("SystemCreationClassName", "CIM_NetworkPort"),
            ("SystemName", _computer),
            ("DeviceID", "{" + NicGuid(adapter) + "}"),
            ("InterfaceGuid", "{" + NicGuid(adapter) + "}"),
            ("Name", adapter.Name),
            ("InterfaceDescription", adapter.InterfaceDescription),
            ("InterfaceIndex", (uint)adapter.InterfaceIndex),
            ("ConnectorPresent", adapter.Kind == SimAdapterKind.Physical),
            ("HardwareInterface", adapter.Kind == SimAdapterKind.Physical),
            ("Virtual", adapter.Kind == SimAdapterKind.HostVnic),
            ("EndPointInterface", false),
            ("PermanentAddress", adapter.MacAddress?.ToBareString()),
            ("Status", "Up"));

        private List<CimRecord> NetIPAddresses()
        {
            var result = new List<CimRecord>();
            foreach (var adapter in m.State.NetAdapters.Where(m.HasIpInterface))
            {
                foreach (var ip in m.LiveAddresses(adapter))
                    result.Add(Address(adapter.InterfaceIndex, adapter.Name, ip.Address.ToString(), 2, ip.PrefixLength));
                var linkLocal = Convert.FromHexString(Derived("link-local:" + adapter.Name.ToUpperInvariant()).Replace("-", "", StringComparison.Ordinal)[..16]);
                var suffix = string.Join(':', Enumerable.Range(0, 4).Select(i => ((linkLocal[2 * i] << 8) | linkLocal[(2 * i) + 1]).ToString("x", CultureInfo.InvariantCulture)));
                result.Add(Address(adapter.InterfaceIndex, adapter.Name, string.Create(CultureInfo.InvariantCulture, $"fe80::{suffix}%{adapter.InterfaceIndex}"), 23, 64));
            }
            result.Add(Address(LoopbackIndex, LoopbackAlias, "127.0.0.1", 2, 8));
            result.Add(Address(LoopbackIndex, LoopbackAlias, "::1", 23, 128));
            return result;
        }

        private static CimRecord Address(int interfaceIndex, string alias, string address, ushort family, int prefixLength) => R(CimClasses.NetIPAddress,
            ("IPAddress", address),
            ("IPv4Address", family == 2 ? address : null),
            ("IPv6Address", family == 23 ? address : null),
            ("InterfaceIndex", (uint)interfaceIndex),
            ("InterfaceAlias", alias),
            ("AddressFamily", family),
            ("Type", (byte)1),
            ("PrefixLength", (byte)prefixLength),
            ("PrefixOrigin", (byte)(family == 23 && prefixLength == 64 ? 2 : 1)),
            ("SuffixOrigin", (byte)(family == 23 && prefixLength == 64 ? 4 : 1)),
            ("AddressState", (byte)4),
            ("SkipAsSource", false),
            ("Store", (byte)1));

        private static CimRecord NetNat(SimNat nat) => R(CimClasses.NetNat,
            ("Name", nat.Name),
            ("InternalIPInterfaceAddressPrefix", nat.InternalIPInterfaceAddressPrefix.ToString()),
            ("ExternalIPInterfaceAddressPrefix", null),
            ("InternalRoutingDomainId", "{00000000-0000-0000-0000-000000000000}"),
            ("Active", true),
            ("Store", (byte)0));

        private static CimRecord StaticMapping(SimStaticMapping mapping) => R(CimClasses.NetNatStaticMapping,
            ("StaticMappingID", mapping.StaticMappingId),
            ("NatName", mapping.NatName),
            ("Protocol", (byte)(mapping.Protocol == PortProtocol.Udp ? 17 : 6)),
            ("RemoteExternalIPAddressPrefix", "0.0.0.0/0"),
            ("ExternalIPAddress", mapping.ExternalAddressText()),
            ("ExternalPort", (ushort)mapping.ExternalPort),
            ("InternalIPAddress", mapping.InternalIPAddress.ToString()),
            ("InternalPort", (ushort)mapping.InternalPort),
            ("InternalRoutingDomainId", "{00000000-0000-0000-0000-000000000000}"),
            ("Active", true));

        // ------------------------------------------------------------ helpers

        /// <summary>A WMI object path in this host's virtualization namespace; key values escaped as WMI escapes them.</summary>
        private string Path(string className, params (string Key, string Value)[] keys) =>
            $@"\\{_computer}\{VirtualizationPathNamespace}:{className}." + string.Join(",", keys.Select(k => $"{k.Key}=\"{Escape(k.Value)}\""));

        private static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);

        private static string Id(Guid id) => id.ToString("D").ToUpperInvariant();

        private static CimRecord R(string className, params (string Name, object? Value)[] properties) =>
            new(className, properties.ToDictionary(p => p.Name, p => p.Value, StringComparer.OrdinalIgnoreCase));
    }

    private const int LoopbackIndex = 1;
    private const string LoopbackAlias = "Loopback Pseudo-Interface 1";

    /// <summary>The alias Windows gives the loopback interface, which has addresses but no MSFT_NetAdapter.</summary>
    public static string LoopbackInterfaceAlias => LoopbackAlias;

    /// <summary>A stable GUID (upper-case, as Hyper-V writes them) for a device the simulated host gives no id of its own.</summary>
    private static string Derived(string what) =>
        new Guid(SHA256.HashData(Encoding.UTF8.GetBytes("labrunner-cim:" + what)).AsSpan(0, 16)).ToString("D").ToUpperInvariant();
}
