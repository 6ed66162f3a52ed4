using System.Collections.Immutable;
using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Core.Net;

namespace LabRunner.Providers.HyperV.Cim;

/// <summary>
/// Turns one round of CIM enumerations (each class read once, see <see cref="CimClasses.InventoryQueries"/>)
/// into a <see cref="HostInventory"/>, joining in memory. Pure: records in, inventory out.
/// </summary>
/// <remarks>
/// <para><b>Where each field comes from</b> (property names, types and values as documented on
/// learn.microsoft.com: "Hyper-V WMI provider (V2)" class pages under windows/win32/hyperv_v2, and the
/// MSFT_NetAdapter / MSFT_NetIPAddress pages of the NetAdapter and NetTCPIP WMI providers):</para>
/// <list type="bullet">
/// <item><b>Joins inside root/virtualization/v2.</b> Every setting-data InstanceID reads
/// <c>Microsoft:GUID\DeviceSpecificData</c> (documented on each class page); the GUID is the owning
/// system: a VM's settings carry the GUID of its realized Msvm_VirtualSystemSettingData, a switch's
/// port settings the switch's Name. Snapshot settings carry their own GUIDs and so drop out.
/// Msvm_VirtualSystemSettingData.VirtualSystemIdentifier is the Msvm_ComputerSystem.Name it belongs to
/// (documented), and Msvm_VirtualEthernetSwitchSettingData.VirtualSystemIdentifier likewise names its
/// Msvm_VirtualEthernetSwitch. References (HostResource, Parent) are WMI object paths, parsed by
/// <see cref="CimObjectPath"/>.</item>
/// <item><b>HostVm</b>: one per Msvm_VirtualSystemSettingData whose VirtualSystemType is
/// <c>Microsoft:Hyper-V:System:Realized</c>. Name = ElementName; Notes = Notes (string[], joined with
/// "\n"); Generation = VirtualSystemSubType (<c>Microsoft:Hyper-V:SubType:1|2</c>, absent = 1);
/// SecureBoot = SecureBootEnabled; State = Msvm_ComputerSystem.EnabledState (2 running, 3 off,
/// 6 "enabled but offline" = saved, 9 quiesce = paused, 10 starting, 4 shutting down; the 327xx
/// values Hyper-V also reports: 32768 paused, 32769 saved, 32770 starting, 32773 saving,
/// 32774 stopping, 32776 pausing, 32777 resuming); MemoryBytes = Msvm_MemorySettingData.VirtualQuantity
/// (uint64, AllocationUnits "byte * 2^20", i.e. MiB); Cpus = Msvm_ProcessorSettingData.VirtualQuantity.</item>
/// <item><b>HostVmAdapter</b>: Msvm_SyntheticEthernetPortSettingData: Name = ElementName, Mac = Address
/// (12 hex digits) when StaticMacAddress is true. Its connection is the
/// Msvm_EthernetPortAllocationSettingData whose Parent is the port's path: SwitchName = the
/// ElementName of the Msvm_VirtualEthernetSwitch named in HostResource[0], unless EnabledState is 3
/// (Disabled: not connected). Legacy (emulated) adapters are not read: LabRunner never creates them.</item>
/// <item><b>HardDisks / DvdDrives</b>: Msvm_StorageAllocationSettingData.HostResource[0] (the file
/// path) for ResourceSubType <c>Microsoft:Hyper-V:Virtual Hard Disk</c>; DVD drives are the
/// Msvm_ResourceAllocationSettingData of subtype <c>Microsoft:Hyper-V:Synthetic DVD Drive</c>, each
/// with the path of the <c>Microsoft:Hyper-V:Virtual CD/DVD Disk</c> image whose Parent is the drive,
/// or "" when the drive is empty. Its place: "Parent and AddressOnParent describe the controller
/// relationship" (documented): ControllerLocation = AddressOnParent; ControllerNumber = the Address of
/// the controller its Parent names (the IDE controllers' 0 and 1), where the documentation is silent
/// (SCSI) the last part of the controller's InstanceID or its place among the VM's controllers.</item>
/// <item><b>AutomaticCheckpoints</b> = Msvm_VirtualSystemSettingData.AutomaticSnapshotsEnabled (boolean,
/// "Added in Windows 10, version 1709"; absent = off). <b>SecureBootTemplate</b> = SecureBootTemplateId
/// (a GUID string) named by <see cref="CimClasses.SecureBootTemplateName"/>. <b>SnapshotType</b> =
/// UserSnapshotType ("Added in Windows 10, version 1803": 2 Disable, 3 Production with fallback, 4 Production
/// without fallback, 5 Standard; Disable or absent = null).</item>
/// <item><b>SnapshotDisks</b>: the VM's checkpoints are Msvm_VirtualSystemSettingData whose VirtualSystemType starts
/// with <c>Microsoft:Hyper-V:Snapshot:</c> and whose VirtualSystemIdentifier is the VM's; the hard disk images their
/// own settings hold (Msvm_StorageAllocationSettingData owned by the checkpoint's InstanceID GUID) are the disks the
/// checkpoints froze, which the VM's current .avhdx grew from.</item>
/// <item><b>HostSwitch</b>: Msvm_VirtualEthernetSwitch (Name = GUID, ElementName = the switch name);
/// Notes from its Msvm_VirtualEthernetSwitchSettingData. Kind from the switch's own port settings
/// (Msvm_EthernetPortAllocationSettingData owned by the switch), as in Microsoft's "Querying
/// networking objects" sample: HostResource[0] of class Msvm_ExternalEthernetPort = external,
/// Msvm_ComputerSystem (the host) = internal, neither = private. NetAdapterName: the
/// Msvm_ExternalEthernetPort with that DeviceID, matched to MSFT_NetAdapter by GUID
/// (DeviceID <c>Microsoft:{GUID}</c> against MSFT_NetAdapter.DeviceID / InterfaceGuid), then by
/// ElementName against InterfaceDescription or Name; failing both, its ElementName.</item>
/// <item><b>HostNetAdapter</b>: MSFT_NetAdapter (root/StandardCimv2): Name (the interface alias),
/// InterfaceDescription, IsPhysical = ConnectorPresent ("TRUE if this is a physical adapter").
/// Addresses: MSFT_NetIPAddress with AddressFamily 2 (IPv4), IPAddress and PrefixLength (uint8),
/// joined by InterfaceIndex. Addresses on interfaces MSFT_NetAdapter does not list keep their
/// InterfaceAlias as a non-physical adapter, so that overlap checks see every address.</item>
/// <item><b>HostNat</b>: MSFT_NetNat Name, InternalIPInterfaceAddressPrefix. A NAT whose prefix is not
/// IPv4 is kept with 0.0.0.0/0, so that planning, which must never add a second NetNat, sees it.</item>
/// <item><b>HostPortMapping</b>: MSFT_NetNatStaticMapping NatName, Protocol (6/17 or "TCP"/"UDP"),
/// ExternalIPAddress (a trailing "/n" is dropped), ExternalPort, InternalIPAddress, InternalPort.
/// MSFT_NetNat* have no class page; names and types are those of the NetNat cmdlet reference
/// (Get-NetNatStaticMapping output, Add-NetNatStaticMapping parameters).</item>
/// </list>
/// </remarks>
public static class CimInventoryMapper
{
    /// <summary>Builds the inventory from the records of every class in <see cref="CimClasses.InventoryQueries"/>.</summary>
    public static HostInventory Map(IReadOnlyDictionary<string, IReadOnlyList<CimRecord>> recordsByClass, IEnumerable<string> existingFiles)
    {
        var r = new Records(recordsByClass);
        var switches = MapSwitches(r);
        var switchNamesByGuid = r.Of(CimClasses.VirtualEthernetSwitch)
            .Where(s => s.String("Name") is not null)
            .GroupBy(s => s.String("Name")!, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.First().String("ElementName") ?? g.Key, StringComparer.OrdinalIgnoreCase);

        return new HostInventory(
            MapNetAdapters(r),
            switches,
            MapNats(r),
            MapPortMappings(r),
            MapVms(r, switchNamesByGuid),
            existingFiles.Distinct(StringComparer.OrdinalIgnoreCase).OrderBy(f => f, StringComparer.Ordinal).ToImmutableArray());
    }

    private static ImmutableArray<HostVm> MapVms(Records r, IReadOnlyDictionary<string, string> switchNamesByGuid)
    {
        var systems = r.Of(CimClasses.ComputerSystem)
            .Where(s => s.String("Name") is not null)
            .GroupBy(s => s.String("Name")!, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase);
        var connectionsByPort = r.Of(CimClasses.EthernetPortAllocationSettingData)
            .Select(c => (Port: CimObjectPath.Parse(c.String("Parent"))?.Key("InstanceID"), Connection: c))
            .Where(x => x.Port is not null)
            .GroupBy(x => x.Port!, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.First().Connection, StringComparer.OrdinalIgnoreCase);
        var imagesByDrive = r.Of(CimClasses.StorageAllocationSettingData)
            .Where(s => Is(s, "ResourceSubType", CimClasses.DvdImage))
            .Select(s => (Drive: CimObjectPath.Parse(s.String("Parent"))?.Key("InstanceID"), Image: s))
            .Where(x => x.Drive is not null)
            .GroupBy(x => x.Drive!, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.First().Image, StringComparer.OrdinalIgnoreCase);

        var vms = new List<HostVm>();
        foreach (var settings in r.Of(CimClasses.VirtualSystemSettingData).Where(s => Is(s, "VirtualSystemType", CimClasses.RealizedVm)))
        {
            var owner = Owner(settings.String("InstanceID"));
            if (owner is null) continue;
            var system = systems.GetValueOrDefault(settings.String("VirtualSystemIdentifier") ?? "");
            var name = settings.String("ElementName") ?? system?.String("ElementName") ?? owner;

            var memoryMb = r.OwnedBy(CimClasses.MemorySettingData, owner).Select(m => m.Int64("VirtualQuantity")).FirstOrDefault(v => v is not null) ?? 0;
            var cpus = r.OwnedBy(CimClasses.ProcessorSettingData, owner).Select(p => p.Int64("VirtualQuantity")).FirstOrDefault(v => v is not null) ?? 0;

            var adapters = r.OwnedBy(CimClasses.SyntheticEthernetPortSettingData, owner)
                .Select(port => MapAdapter(port, connectionsByPort, switchNamesByGuid))
                .OrderBy(a => a.Name, StringComparer.OrdinalIgnoreCase)
                .ToImmutableArray();

            var storage = r.OwnedBy(CimClasses.StorageAllocationSettingData, owner).OrderBy(s => s.String("InstanceID"), StringComparer.Ordinal).ToList();
            var disks = storage.Where(s => Is(s, "ResourceSubType", CimClasses.HardDiskImage))
                .Select(s => s.Strings("HostResource").FirstOrDefault())
                .Where(p => !string.IsNullOrEmpty(p))
                .Select(p => p!)
                .ToImmutableArray();

            var devices = r.OwnedBy(CimClasses.ResourceAllocationSettingData, owner).ToList();
            var dvds = devices
                .Where(d => Is(d, "ResourceSubType", CimClasses.DvdDrive))
                .Select(d => new HostDvdDrive(
                    ControllerNumber(d, devices),
                    Number(d.String("AddressOnParent")) ?? 0,
                    imagesByDrive.GetValueOrDefault(d.String("InstanceID") ?? "")?.Strings("HostResource").FirstOrDefault() ?? ""))
                .OrderBy(d => d.ControllerNumber).ThenBy(d => d.ControllerLocation)
                .ToImmutableArray();

            var snapshotDisks = r.Of(CimClasses.VirtualSystemSettingData)
                .Where(s => (s.String("VirtualSystemType") ?? "").StartsWith(CimClasses.SnapshotPrefix, StringComparison.OrdinalIgnoreCase)
                    && string.Equals(s.String("VirtualSystemIdentifier"), settings.String("VirtualSystemIdentifier"), StringComparison.OrdinalIgnoreCase))
                .SelectMany(s => Owner(s.String("InstanceID")) is { } snapshot ? r.OwnedBy(CimClasses.StorageAllocationSettingData, snapshot) : [])
                .Where(s => Is(s, "ResourceSubType", CimClasses.HardDiskImage))
                .Select(s => s.Strings("HostResource").FirstOrDefault())
                .Where(p => !string.IsNullOrEmpty(p) && !disks.Contains(p, StringComparer.OrdinalIgnoreCase))
                .Select(p => p!)
                .Distinct(StringComparer.OrdinalIgnoreCase)
                .Order(StringComparer.OrdinalIgnoreCase)
                .ToImmutableArray();

            vms.Add(new HostVm(
                name,
                StateOf(system?.Int64("EnabledState")),
                string.Join("\n", settings.Strings("Notes")),
                Is(settings, "VirtualSystemSubType", CimClasses.Generation2SubType) ? 2 : 1,
                memoryMb * ByteSize.MiB,
                (int)cpus,
                adapters,
                disks,
                dvds,
                settings.Bool("SecureBootEnabled") ?? false,
                CimClasses.SecureBootTemplateName(settings.String("SecureBootTemplateId")),
                settings.Bool("AutomaticSnapshotsEnabled") ?? false,
                SnapshotType: settings.Int64("UserSnapshotType") switch
                {
                    3 => SnapshotType.Production,
                    4 => SnapshotType.ProductionOnly,
                    5 => SnapshotType.Standard,
                    _ => null,
                },
                SnapshotDisks: snapshotDisks));
        }
        return [.. vms.OrderBy(v => v.Name, StringComparer.OrdinalIgnoreCase)];
    }

    /// <summary>
    /// The number of the controller a drive hangs on (its Parent): the controller's Address ("0"/"1" for
    /// the two IDE controllers), else the last part of its InstanceID, else its place among the VM's
    /// controllers of its kind.
    /// </summary>
    private static int ControllerNumber(CimRecord drive, IReadOnlyList<CimRecord> devices)
    {
        var parentId = CimObjectPath.Parse(drive.String("Parent"))?.Key("InstanceID");
        var controller = devices.FirstOrDefault(d => string.Equals(d.String("InstanceID"), parentId, StringComparison.OrdinalIgnoreCase));
        if (Number(controller?.String("Address")) is { } address) return address;
        if (parentId is not null && Number(parentId[(parentId.LastIndexOf('\\') + 1)..]) is { } last) return last;
        if (controller is null) return 0;
        var siblings = devices.Where(d => Is(d, "ResourceSubType", controller.String("ResourceSubType") ?? ""))
            .OrderBy(d => d.String("InstanceID"), StringComparer.Ordinal).ToList();
        return Math.Max(0, siblings.IndexOf(controller));
    }

    private static int? Number(string? text) =>
        int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : null;

    private static HostVmAdapter MapAdapter(CimRecord port, IReadOnlyDictionary<string, CimRecord> connectionsByPort, IReadOnlyDictionary<string, string> switchNamesByGuid)
    {
        string? switchName = null;
        if (connectionsByPort.TryGetValue(port.String("InstanceID") ?? "", out var connection) && connection.Int64("EnabledState") != 3)
        {
            var target = CimObjectPath.Parse(connection.Strings("HostResource").FirstOrDefault());
            if (target is not null && target.IsClass(CimClasses.VirtualEthernetSwitch) && target.Key("Name") is { } guid)
                switchName = switchNamesByGuid.GetValueOrDefault(guid);
        }
        MacAddress? mac = port.Bool("StaticMacAddress") == true && MacAddress.TryParse(port.String("Address"), out var parsed) ? parsed : null;
        return new HostVmAdapter(port.String("ElementName") ?? "", switchName, mac);
    }

    private static VmState StateOf(long? enabledState) => enabledState switch
    {
        2 => VmState.Running,
        3 => VmState.Off,
        6 or 32769 => VmState.Saved,
        9 or 32768 => VmState.Paused,
        10 or 32770 or 32777 => VmState.Starting,
        4 or 32773 or 32774 or 32776 => VmState.Stopping,
        _ => VmState.Other,
    };

    private static ImmutableArray<HostSwitch> MapSwitches(Records r)
    {
        var settingsBySwitch = r.Of(CimClasses.VirtualEthernetSwitchSettingData)
            .Where(s => s.String("VirtualSystemIdentifier") is not null)
            .GroupBy(s => s.String("VirtualSystemIdentifier")!, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase);
        var externalPorts = r.Of(CimClasses.ExternalEthernetPort);
        var adapters = r.Of(CimClasses.NetAdapter);

        var result = new List<HostSwitch>();
        foreach (var sw in r.Of(CimClasses.VirtualEthernetSwitch))
        {
            var guid = sw.String("Name");
            if (guid is null) continue;
            var targets = r.OwnedBy(CimClasses.EthernetPortAllocationSettingData, guid)
                .Select(p => CimObjectPath.Parse(p.Strings("HostResource").FirstOrDefault()))
                .Where(p => p is not null)
                .Select(p => p!)
                .ToList();
            var external = targets.FirstOrDefault(t => t.IsClass(CimClasses.ExternalEthernetPort));
            var kind = external is not null ? SwitchKind.External
                : targets.Any(t => t.IsClass(CimClasses.ComputerSystem)) ? SwitchKind.Internal
                : SwitchKind.Private;
            var adapterName = external is null ? null : AdapterNameOf(external.Key("DeviceID"), externalPorts, adapters);
            var notes = settingsBySwitch.GetValueOrDefault(guid)?.Strings("Notes") ?? [];
            result.Add(new HostSwitch(sw.String("ElementName") ?? guid, kind, adapterName, string.Join("\n", notes)));
        }
        return [.. result.OrderBy(s => s.Name, StringComparer.OrdinalIgnoreCase)];
    }

    private static string? AdapterNameOf(string? deviceId, IReadOnlyList<CimRecord> externalPorts, IReadOnlyList<CimRecord> adapters)
    {
        if (deviceId is null) return null;
        var port = externalPorts.FirstOrDefault(p => string.Equals(p.String("DeviceID"), deviceId, StringComparison.OrdinalIgnoreCase));
        var guid = NormalizeGuid(deviceId);
        var byGuid = guid is null ? null : adapters.FirstOrDefault(a =>
            NormalizeGuid(a.String("DeviceID")) == guid || NormalizeGuid(a.String("InterfaceGuid")) == guid);
        if (byGuid?.String("Name") is { } name) return name;
        var description = port?.String("ElementName");
        if (description is null) return null;
        var byDescription = adapters.FirstOrDefault(a =>
            string.Equals(a.String("InterfaceDescription"), description, StringComparison.OrdinalIgnoreCase)
            || string.Equals(a.String("Name"), description, StringComparison.OrdinalIgnoreCase));
        return byDescription?.String("Name") ?? description;
    }

    private static string? NormalizeGuid(string? text)
    {
        if (text is null) return null;
        var colon = text.LastIndexOf(':');
        return Guid.TryParse(text[(colon + 1)..].Trim('{', '}'), out var g) ? g.ToString("D") : null;
    }

    private static ImmutableArray<HostNetAdapter> MapNetAdapters(Records r)
    {
        var addresses = r.Of(CimClasses.NetIPAddress)
            .Where(a => a.Int64("AddressFamily") is null or 2)
            .Select(a => (Record: a, Ip: Ipv4Address.TryParse(a.String("IPAddress"), out var ip) ? ip : (Ipv4Address?)null, Prefix: a.Int64("PrefixLength")))
            .Where(a => a.Ip is not null && a.Prefix is >= 0 and <= 32)
            .ToList();

        var result = new List<HostNetAdapter>();
        var claimed = new HashSet<long>();
        foreach (var adapter in r.Of(CimClasses.NetAdapter))
        {
            var index = adapter.Int64("InterfaceIndex");
            if (index is not null) claimed.Add(index.Value);
            var ips = addresses.Where(a => index is not null && a.Record.Int64("InterfaceIndex") == index)
                .Select(a => new HostIp(a.Ip!.Value, (int)a.Prefix!.Value));
            result.Add(new HostNetAdapter(
                adapter.String("Name") ?? "",
                adapter.String("InterfaceDescription") ?? "",
                adapter.Bool("ConnectorPresent") ?? false,
                [.. ips.OrderBy(ip => ip.Address)]));
        }
        foreach (var orphans in addresses.Where(a => a.Record.Int64("InterfaceIndex") is not { } i || !claimed.Contains(i))
                     .GroupBy(a => a.Record.String("InterfaceAlias") ?? "", StringComparer.OrdinalIgnoreCase))
        {
            result.Add(new HostNetAdapter(orphans.Key, "", false,
                [.. orphans.Select(a => new HostIp(a.Ip!.Value, (int)a.Prefix!.Value)).OrderBy(ip => ip.Address)]));
        }
        return [.. result.OrderBy(a => a.Name, StringComparer.OrdinalIgnoreCase)];
    }

    private static ImmutableArray<HostNat> MapNats(Records r) =>
    [
        .. r.Of(CimClasses.NetNat)
            .Where(n => !string.IsNullOrEmpty(n.String("Name")))
            .Select(n => new HostNat(
                n.String("Name")!,
                Ipv4Subnet.TryParse(n.String("InternalIPInterfaceAddressPrefix"), out var prefix, out _) ? prefix : new Ipv4Subnet(new Ipv4Address(0), 0)))
            .OrderBy(n => n.Name, StringComparer.OrdinalIgnoreCase),
    ];

    private static ImmutableArray<HostPortMapping> MapPortMappings(Records r)
    {
        var result = new List<HostPortMapping>();
        foreach (var m in r.Of(CimClasses.NetNatStaticMapping))
        {
            var protocol = ProtocolOf(m);
            var external = m.String("ExternalIPAddress");
            if (external is not null && external.IndexOf('/', StringComparison.Ordinal) is var slash and >= 0) external = external[..slash];
            if (protocol is null
                || !Ipv4Address.TryParse(external, out var externalIp)
                || !Ipv4Address.TryParse(m.String("InternalIPAddress"), out var internalIp)
                || m.Int64("ExternalPort") is not { } externalPort)
                continue;
            result.Add(new HostPortMapping(
                m.String("NatName") ?? "",
                protocol.Value,
                externalIp,
                (int)externalPort,
                internalIp,
                (int)(m.Int64("InternalPort") ?? externalPort)));
        }
        return [.. result.OrderBy(m => m.NatName, StringComparer.OrdinalIgnoreCase).ThenBy(m => m.Protocol).ThenBy(m => m.ExternalIp).ThenBy(m => m.ExternalPort)];
    }

    private static PortProtocol? ProtocolOf(CimRecord mapping)
    {
        if (mapping.Int64("Protocol") is { } number) return number switch { 6 => PortProtocol.Tcp, 17 => PortProtocol.Udp, _ => null };
        return mapping.String("Protocol")?.ToUpperInvariant() switch { "TCP" => PortProtocol.Tcp, "UDP" => PortProtocol.Udp, _ => null };
    }

    private static bool Is(CimRecord record, string property, string value) =>
        string.Equals(record.String(property), value, StringComparison.OrdinalIgnoreCase);

    /// <summary>The GUID of <c>Microsoft:GUID\...</c>: the system (VM or switch) a setting belongs to.</summary>
    internal static string? Owner(string? instanceId)
    {
        const string prefix = "Microsoft:";
        if (instanceId is null || !instanceId.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) return null;
        var rest = instanceId[prefix.Length..];
        var end = rest.IndexOf('\\', StringComparison.Ordinal);
        var owner = end < 0 ? rest : rest[..end];
        return owner.Length == 0 ? null : owner;
    }

    private sealed class Records(IReadOnlyDictionary<string, IReadOnlyList<CimRecord>> byClass)
    {
        private readonly Dictionary<string, IReadOnlyList<CimRecord>> _byClass = new(byClass, StringComparer.OrdinalIgnoreCase);

        public IReadOnlyList<CimRecord> Of(string className) => _byClass.GetValueOrDefault(className) ?? [];

        public IEnumerable<CimRecord> OwnedBy(string className, string owner) =>
            Of(className).Where(x => string.Equals(Owner(x.String("InstanceID")), owner, StringComparison.OrdinalIgnoreCase));
    }
}
