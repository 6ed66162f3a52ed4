namespace LabRunner.Providers.HyperV.Cim;

/// <summary>The CIM namespaces and classes the inventory reads, each exactly once per inventory.</summary>
public static partial class CimClasses
{
    public const string Virtualization = "root/virtualization/v2";
    public const string StandardCimv2 = "root/StandardCimv2";

    public const string ComputerSystem = "Msvm_ComputerSystem";
    public const string VirtualSystemSettingData = "Msvm_VirtualSystemSettingData";
    public const string MemorySettingData = "Msvm_MemorySettingData";
    public const string ProcessorSettingData = "Msvm_ProcessorSettingData";
    public const string SyntheticEthernetPortSettingData = "Msvm_SyntheticEthernetPortSettingData";
    public const string EthernetPortAllocationSettingData = "Msvm_EthernetPortAllocationSettingData";
    public const string ResourceAllocationSettingData = "Msvm_ResourceAllocationSettingData";
    public const string StorageAllocationSettingData = "Msvm_StorageAllocationSettingData";
    public const string VirtualEthernetSwitch = "Msvm_VirtualEthernetSwitch";
    public const string VirtualEthernetSwitchSettingData = "Msvm_VirtualEthernetSwitchSettingData";
    public const string ExternalEthernetPort = "Msvm_ExternalEthernetPort";

    public const string NetAdapter = "MSFT_NetAdapter";
    public const string NetIPAddress = "MSFT_NetIPAddress";
    public const string NetNat = "MSFT_NetNat";
    public const string NetNatStaticMapping = "MSFT_NetNatStaticMapping";

    /// <summary>Every query of one inventory: one enumeration per class, joined in memory afterwards.</summary>
    public static IReadOnlyList<(string Namespace, string ClassName)> InventoryQueries { get; } =
    [
        (Virtualization, ComputerSystem),
        (Virtualization, VirtualSystemSettingData),
        (Virtualization, MemorySettingData),
        (Virtualization, ProcessorSettingData),
        (Virtualization, SyntheticEthernetPortSettingData),
        (Virtualization, EthernetPortAllocationSettingData),
        (Virtualization, ResourceAllocationSettingData),
        (Virtualization, StorageAllocationSettingData),
        (Virtualization, VirtualEthernetSwitch),
        (Virtualization, VirtualEthernetSwitchSettingData),
        (Virtualization, ExternalEthernetPort),
        (StandardCimv2, NetAdapter),
        (StandardCimv2, NetIPAddress),
        (StandardCimv2, NetNat),
        (StandardCimv2, NetNatStaticMapping),
    ];

    // Values from the Msvm_VirtualSystemSettingData and Msvm_StorageAllocationSettingData pages, and
    // (the DVD drive subtype) Microsoft's Hyper-V WMI samples.
    public const string RealizedVm = "Microsoft:Hyper-V:System:Realized";
    /// <summary>The VirtualSystemType of a checkpoint's settings (…:Snapshot:Realized, …:Snapshot:Recovery, …).</summary>
    public const string SnapshotPrefix = "Microsoft:Hyper-V:Snapshot:";
    public const string Generation2SubType = "Microsoft:Hyper-V:SubType:2";
    public const string HardDiskImage = "Microsoft:Hyper-V:Virtual Hard Disk";
    public const string DvdImage = "Microsoft:Hyper-V:Virtual CD/DVD Disk";
    /// <summary>The drive itself (ResourceType 16), present even when empty; the image hangs below it by Parent.</summary>
    public const string DvdDrive = "Microsoft:Hyper-V:Synthetic DVD Drive";

    /// <summary>
    /// The ids of the secure boot templates LabRunner uses, as Get-VMFirmware shows them next to their names
    /// (SecureBootTemplate / SecureBootTemplateId). The class page documents the property
    /// (Msvm_VirtualSystemSettingData.SecureBootTemplateId, "the globally-unique identifier of the template")
    /// but not the values; these are the ids Hyper-V hosts report, and Set-VMFirmware accepts, for those names.
    /// </summary>
    public static IReadOnlyDictionary<Guid, string> SecureBootTemplateIds { get; } = new Dictionary<Guid, string>
    {
        [new Guid("1734c6e8-3154-4dda-ba5f-a874cc483422")] = "MicrosoftWindows",
        [new Guid("272e7447-90a4-4563-a4b9-8e4ab00526ce")] = "MicrosoftUEFICertificateAuthority",
    };

    /// <summary>The template's name for a SecureBootTemplateId; an id of another template stays as its GUID text; none is null.</summary>
    public static string? SecureBootTemplateName(string? id) =>
        !Guid.TryParse(id, out var guid) || guid == Guid.Empty ? null
        : SecureBootTemplateIds.TryGetValue(guid, out var name) ? name
        : guid.ToString("D");
}
