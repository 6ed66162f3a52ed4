namespace LabRunner.Providers.HyperV.Tests.Support;

/// <summary>A cmdlet a rendered script may call, with its parameters as documented.</summary>
/// <param name="Module">The module it comes from (null for the CDXML NetNat/NetTCPIP cmdlets, named by their doc folder).</param>
/// <param name="Name">The cmdlet name.</param>
/// <param name="Parameters">Every documented parameter, from the SYNTAX and PARAMETERS sections.</param>
/// <param name="Switches">Those of <paramref name="Parameters"/> that are SwitchParameters (stubs declare them [switch]).</param>
/// <param name="PipelineParameter">The parameter that takes pipeline input in the way the script pipes into it.</param>
/// <param name="Source">Where the parameter list was read.</param>
internal sealed record DocumentedCmdlet(string? Module, string Name, string[] Parameters, string[] Switches, string? PipelineParameter, string Source)
{
    /// <summary>How the script calls it: only Hyper-V cmdlets are module-qualified.</summary>
    public string CalledAs => Module == "Hyper-V" ? $"{Module}\\{Name}" : Name;
}

/// <summary>
/// The allow-list: every command a rendered script may run and every parameter it may pass. Hyper-V,
/// NetNat and NetTCPIP entries are copied from the Windows Server 2022 cmdlet reference
/// (github.com/MicrosoftDocs/windows-powershell-docs, docset/winserver2022-ps/...). The few core
/// cmdlets are additionally checked against the real engine's own parameter metadata in the tests.
/// </summary>
internal static partial class DocumentedCmdlets
{
    private const string Docs = "MicrosoftDocs/windows-powershell-docs docset/winserver2022-ps/";

    /// <summary>Common parameters (about_CommonParameters) and the ShouldProcess pair, accepted by every cmdlet.</summary>
    public static readonly string[] CommonParameters =
    [
        "Debug", "ErrorAction", "ErrorVariable", "InformationAction", "InformationVariable", "OutVariable",
        "OutBuffer", "PipelineVariable", "Verbose", "WarningAction", "WarningVariable",
    ];

    private static readonly string[] Remote = ["CimSession", "ComputerName", "Credential"];
    private static readonly string[] Cdxml = ["CimSession", "ThrottleLimit", "AsJob"];
    private static readonly string[] ShouldProcess = ["WhatIf", "Confirm"];

    public static readonly DocumentedCmdlet[] All =
    [
        new("Hyper-V", "New-VMSwitch",
            [.. Remote, "Name", "AllowManagementOS", "NetAdapterName", "NetAdapterInterfaceDescription", "SwitchType", "Notes",
             "MinimumBandwidthMode", "EnableIov", "EnablePacketDirect", "EnableEmbeddedTeaming", .. ShouldProcess],
            [], null, Docs + "hyper-v/New-VMSwitch.md"),
        new("Hyper-V", "Set-VMSwitch",
            [.. Remote, "Name", "VMSwitch", "SwitchType", "AllowManagementOS", "NetAdapterName", "NetAdapterInterfaceDescription",
             "DefaultFlowMinimumBandwidthAbsolute", "DefaultFlowMinimumBandwidthWeight", "DefaultQueueVrssEnabled", "DefaultQueueVmmqEnabled",
             "DefaultQueueVmmqQueuePairs", "Extensions", "Notes", "Passthru", .. ShouldProcess],
            ["Passthru"], null, Docs + "hyper-v/Set-VMSwitch.md"),
        new("Hyper-V", "Remove-VMSwitch",
            [.. Remote, "Name", "VMSwitch", "ResourcePoolName", "Force", .. ShouldProcess],
            ["Force"], null, Docs + "hyper-v/Remove-VMSwitch.md"),
        new("Hyper-V", "New-VHD",
            [.. Remote, "Path", "SizeBytes", "Dynamic", "Fixed", "Differencing", "ParentPath", "SourceDisk", "BlockSizeBytes",
             "LogicalSectorSizeBytes", "PhysicalSectorSizeBytes", "AsJob", .. ShouldProcess],
            ["Dynamic", "Fixed", "Differencing", "AsJob"], null, Docs + "hyper-v/New-VHD.md"),
        new("Hyper-V", "New-VM",
            [.. Remote, "Name", "MemoryStartupBytes", "BootDevice", "NoVHD", "SwitchName", "NewVHDPath", "NewVHDSizeBytes", "VHDPath",
             "Path", "Version", "Prerelease", "Generation", "Force", "AsJob", .. ShouldProcess],
            ["NoVHD", "Prerelease", "Force", "AsJob"], null, Docs + "hyper-v/New-VM.md"),
        new("Hyper-V", "Set-VM",
            [.. Remote, "Name", "VM", "GuestControlledCacheTypes", "LowMemoryMappedIoSpace", "HighMemoryMappedIoSpace", "ProcessorCount",
             "DynamicMemory", "StaticMemory", "MemoryMinimumBytes", "MemoryMaximumBytes", "MemoryStartupBytes", "AutomaticStartAction",
             "AutomaticStopAction", "AutomaticStartDelay", "AutomaticCriticalErrorAction", "AutomaticCriticalErrorActionTimeout",
             "AutomaticCheckpointsEnabled", "LockOnDisconnect", "Notes", "NewVMName", "SnapshotFileLocation", "SmartPagingFilePath",
             "CheckpointType", "Passthru", "AllowUnverifiedPaths", .. ShouldProcess],
            ["DynamicMemory", "StaticMemory", "Passthru", "AllowUnverifiedPaths"], null, Docs + "hyper-v/Set-VM.md"),
        new("Hyper-V", "Get-VMNetworkAdapter",
            [.. Remote, "IsLegacy", "VMName", "VM", "Name", "ManagementOS", "SwitchName", "All", "VMSnapshot"],
            ["ManagementOS", "All"], null, Docs + "hyper-v/Get-VMNetworkAdapter.md"),
        new("Hyper-V", "Add-VMNetworkAdapter",
            [.. Remote, "VMName", "VM", "ManagementOS", "SwitchName", "IsLegacy", "Name", "DynamicMacAddress", "StaticMacAddress",
             "Passthru", "ResourcePoolName", "DeviceNaming", .. ShouldProcess],
            ["ManagementOS", "DynamicMacAddress", "Passthru"], null, Docs + "hyper-v/Add-VMNetworkAdapter.md"),
        new("Hyper-V", "Connect-VMNetworkAdapter",
            [.. Remote, "Name", "SwitchName", "Passthru", "VMName", "VMNetworkAdapter", "VMSwitch", "UseAutomaticConnection", .. ShouldProcess],
            ["Passthru", "UseAutomaticConnection"], null, Docs + "hyper-v/Connect-VMNetworkAdapter.md"),
        new("Hyper-V", "Remove-VMNetworkAdapter",
            [.. Remote, "VMName", "Name", "VMNetworkAdapter", "ManagementOS", "SwitchName", "VM", "Passthru", .. ShouldProcess],
            ["ManagementOS", "Passthru"], "VMNetworkAdapter", Docs + "hyper-v/Remove-VMNetworkAdapter.md"),
        new("Hyper-V", "Add-VMDvdDrive",
            [.. Remote, "VMName", "VM", "VMDriveController", "ControllerNumber", "ControllerLocation", "Path", "ResourcePoolName",
             "AllowUnverifiedPaths", "Passthru", .. ShouldProcess],
            ["AllowUnverifiedPaths", "Passthru"], null, Docs + "hyper-v/Add-VMDvdDrive.md"),
        new("Hyper-V", "Get-VMDvdDrive",
            [.. Remote, "VMName", "VM", "VMSnapshot", "VMDriveController", "ControllerLocation", "ControllerNumber"],
            [], null, Docs + "hyper-v/Get-VMDvdDrive.md"),
        new("Hyper-V", "Set-VMDvdDrive",
            [.. Remote, "VMName", "VMDvdDrive", "ControllerNumber", "ControllerLocation", "ToControllerNumber", "ToControllerLocation",
             "Path", "ResourcePoolName", "AllowUnverifiedPaths", "Passthru", .. ShouldProcess],
            ["AllowUnverifiedPaths", "Passthru"], null, Docs + "hyper-v/Set-VMDvdDrive.md"),
        new("Hyper-V", "Get-VMHardDiskDrive",
            [.. Remote, "VMName", "VM", "VMSnapshot", "VMDriveController", "ControllerLocation", "ControllerNumber", "ControllerType"],
            [], null, Docs + "hyper-v/Get-VMHardDiskDrive.md"),
        new("Hyper-V", "Set-VMFirmware",
            [.. Remote, "VMName", "VM", "VMFirmware", "BootOrder", "FirstBootDevice", "EnableSecureBoot", "SecureBootTemplate",
             "SecureBootTemplateId", "PreferredNetworkBootProtocol", "ConsoleMode", "PauseAfterBootFailure", "Passthru", .. ShouldProcess],
            ["Passthru"], null, Docs + "hyper-v/Set-VMFirmware.md"),
        new("Hyper-V", "Start-VM",
            [.. Remote, "Name", "VM", "AsJob", "Passthru", .. ShouldProcess],
            ["AsJob", "Passthru"], null, Docs + "hyper-v/Start-VM.md"),
        new("Hyper-V", "Stop-VM",
            [.. Remote, "Name", "VM", "Save", "TurnOff", "Force", "AsJob", "Passthru", .. ShouldProcess],
            ["Save", "TurnOff", "Force", "AsJob", "Passthru"], null, Docs + "hyper-v/Stop-VM.md"),
        new("Hyper-V", "Resume-VM",
            [.. Remote, "Name", "VM", "AsJob", "Passthru", .. ShouldProcess],
            ["AsJob", "Passthru"], null, Docs + "hyper-v/Resume-VM.md"),
        new("Hyper-V", "Remove-VMSavedState",
            [.. Remote, "VMName", "VM", "VMSnapshot", .. ShouldProcess],
            [], null, Docs + "hyper-v/Remove-VMSavedState.md"),
        new("Hyper-V", "Remove-VM",
            [.. Remote, "Name", "VM", "Force", "AsJob", "Passthru", .. ShouldProcess],
            ["Force", "AsJob", "Passthru"], null, Docs + "hyper-v/Remove-VM.md"),

        .. DocumentedCheckpointCmdlets.All,

        new(null, "New-NetIPAddress",
            [.. Cdxml, "IPAddress", "InterfaceAlias", "InterfaceIndex", "DefaultGateway", "AddressFamily", "Type", "PrefixLength",
             "ValidLifetime", "PreferredLifetime", "SkipAsSource", "PolicyStore", .. ShouldProcess],
            ["AsJob"], null, Docs + "nettcpip/New-NetIPAddress.md"),
        new(null, "New-NetNat",
            [.. Cdxml, "Name", "ExternalIPInterfaceAddressPrefix", "InternalRoutingDomainId", "InternalIPInterfaceAddressPrefix", .. ShouldProcess],
            ["AsJob"], null, Docs + "netnat/New-NetNat.md"),
        new(null, "Remove-NetNat",
            [.. Cdxml, "Name", "InputObject", "PassThru", .. ShouldProcess],
            ["AsJob", "PassThru"], null, Docs + "netnat/Remove-NetNat.md"),
        new(null, "Add-NetNatStaticMapping",
            [.. Cdxml, "NatName", "Protocol", "RemoteExternalIPAddressPrefix", "ExternalIPAddress", "ExternalPort", "InternalIPAddress",
             "InternalPort", "InternalRoutingDomainId", .. ShouldProcess],
            ["AsJob"], null, Docs + "netnat/Add-NetNatStaticMapping.md"),
        new(null, "Get-NetNatStaticMapping",
            [.. Cdxml, "NatName"],
            ["AsJob"], null, Docs + "netnat/Get-NetNatStaticMapping.md"),
        new(null, "Remove-NetNatStaticMapping",
            [.. Cdxml, "StaticMappingID", "NatName", "InputObject", "PassThru", .. ShouldProcess],
            ["AsJob", "PassThru"], "InputObject", Docs + "netnat/Remove-NetNatStaticMapping.md"),

        .. ShareCmdlets,

        // Microsoft.PowerShell.Management: in every PowerShell, but not in the System.Management.Automation
        // package the tests host, so the stub engine stands in for them too (with System.IO behind them).
        new("Microsoft.PowerShell.Management", "Test-Path",
            ["Path", "LiteralPath", "Filter", "Include", "Exclude", "PathType", "IsValid", "Credential", "UseTransaction", "OlderThan", "NewerThan"],
            ["IsValid", "UseTransaction"], null, "MicrosoftDocs/PowerShell-Docs reference/5.1/Microsoft.PowerShell.Management/Test-Path.md"),
        new("Microsoft.PowerShell.Management", "Remove-Item",
            ["Path", "LiteralPath", "Filter", "Include", "Exclude", "Recurse", "Force", "Credential", "Stream", "DeleteKey", .. ShouldProcess],
            ["Recurse", "Force", "DeleteKey"], null, "MicrosoftDocs/PowerShell-Docs reference/7.5/Microsoft.PowerShell.Management/Remove-Item.md"),

        // Microsoft.PowerShell.Core: part of the engine; the real ones run in the tests.
        new("Microsoft.PowerShell.Core", "Where-Object", ["FilterScript", "InputObject", "Property", "Value"], [], null,
            "MicrosoftDocs/PowerShell-Docs reference/7.5/Microsoft.PowerShell.Core/Where-Object.md"),
        new("Microsoft.PowerShell.Core", "Set-StrictMode", ["Version", "Off"], ["Off"], null,
            "MicrosoftDocs/PowerShell-Docs reference/7.5/Microsoft.PowerShell.Core/Set-StrictMode.md"),
    ];

    public static readonly IReadOnlyDictionary<string, DocumentedCmdlet> ByCalledName =
        All.ToDictionary(c => c.CalledAs, StringComparer.OrdinalIgnoreCase);

    /// <summary>The cmdlets that change or read the host: Hyper-V, NetNat, NetTCPIP.</summary>
    public static IEnumerable<DocumentedCmdlet> HostCmdlets =>
        All.Where(c => c.Module == "Hyper-V" || c.Source.Contains("/netnat/", StringComparison.Ordinal) || c.Source.Contains("/nettcpip/", StringComparison.Ordinal) || IsShareCmdlet(c));

    /// <summary>The cmdlets the stub engine provides: the host cmdlets (recording) and the file cmdlets (working).</summary>
    public static IEnumerable<DocumentedCmdlet> StubbedCmdlets => All.Where(c => c.Module is not ("Microsoft.PowerShell.Core" or NativeTool));
}
