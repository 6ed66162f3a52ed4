using System.Management.Automation;
using LabRunner.Core.Net;
using LabRunner.Simulation;
using LabRunner.Simulation.Model;

namespace LabRunner.HyperV.Emulation.Cmdlets;

/// <summary>Get-VMNetworkAdapter [-VMName] | [-VM] [[-Name]] | -ManagementOS [-SwitchName] | -All.</summary>
[Cmdlet(VerbsCommon.Get, "VMNetworkAdapter", DefaultParameterSetName = "VMName")]
[OutputType(typeof(VMNetworkAdapter), typeof(VMInternalNetworkAdapter))]
public sealed class GetVMNetworkAdapterCommand : HyperVCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "VMName", ValueFromPipeline = true)]
    public string[]? VMName { get; set; }

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "VMObject", ValueFromPipeline = true)]
    public VirtualMachine[]? VM { get; set; }

    [Parameter(Position = 1)]
    [Alias("VMNetworkAdapterName")]
    public string? Name { get; set; }

    [Parameter(ParameterSetName = "VMName")]
    [Parameter(ParameterSetName = "VMObject")]
    public bool? IsLegacy { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = "ManagementOS")]
    public SwitchParameter ManagementOS { get; set; }

    [Parameter(ParameterSetName = "ManagementOS")]
    public string? SwitchName { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = "All")]
    public SwitchParameter All { get; set; }

    protected override void ProcessRecord()
    {
        if (ParameterSetName is "ManagementOS" or "All")
        {
            if (TryRead(m => m.State.NetAdapters
                    .Where(a => a.Kind == SimAdapterKind.HostVnic)
                    .Where(a => SwitchName is null || HostModel.SameName(a.SwitchName, SwitchName))
                    .Where(a => Name is null || MatchName([a.SwitchName ?? a.Name], x => x, Name).Any())
                    .Select(a => HyperVObjects.HostAdapter(m, a)).ToList(), Name, out var vnics))
            {
                foreach (var vnic in vnics) WriteObject(vnic);
            }
            if (ParameterSetName == "ManagementOS") return;
        }
        if (IsLegacy == true) return;
        var vms = ParameterSetName == "All" ? ResolveVms(["*"], null) : ResolveVms(VMName, VM);
        foreach (var (id, name) in vms)
        {
            if (!TryRead(m =>
                {
                    var vm = m.GetVm(id);
                    var adapters = Name is null ? vm.NetworkAdapters : MatchName(vm.NetworkAdapters, a => a.Name, Name).ToList();
                    return adapters.Select(a => HyperVObjects.Adapter(m, vm, a)).ToList();
                }, name, out var adapters))
                continue;
            foreach (var adapter in adapters) WriteObject(adapter);
        }
    }
}

/// <summary>Add-VMNetworkAdapter [-VMName] | [-VM] [-SwitchName] [-Name] [-StaticMacAddress] [-DynamicMacAddress] [-Passthru].</summary>
[Cmdlet(VerbsCommon.Add, "VMNetworkAdapter", DefaultParameterSetName = "VMName", SupportsShouldProcess = true)]
[OutputType(typeof(VMNetworkAdapter))]
public sealed class AddVMNetworkAdapterCommand : HyperVCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "VMName", ValueFromPipeline = true)]
    public string[]? VMName { get; set; }

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "VMObject", ValueFromPipeline = true)]
    public VirtualMachine[]? VM { get; set; }

    [Parameter]
    public string? SwitchName { get; set; }

    [Parameter]
    [Alias("VMNetworkAdapterName")]
    public string? Name { get; set; }

    [Parameter]
    public SwitchParameter DynamicMacAddress { get; set; }

    [Parameter]
    public string? StaticMacAddress { get; set; }

    [Parameter(ParameterSetName = "VMName")]
    [Parameter(ParameterSetName = "VMObject")]
    public bool IsLegacy { get; set; }

    [Parameter]
    public SwitchParameter Passthru { get; set; }

    protected override void ProcessRecord()
    {
        if (IsLegacy) ThrowInvalidArgument("NotEmulated", "The simulated host does not model legacy network adapters.", null);
        if (!StaticMac.TryParse(this, StaticMacAddress, out var mac)) return;
        foreach (var (id, name) in ResolveVms(VMName, VM))
        {
            if (!ShouldProcess(name, "Add network adapter")) continue;
            if (TryMutate(m =>
                {
                    var vm = m.GetVm(id);
                    return HyperVObjects.Adapter(m, vm, m.AddVmNetworkAdapter(vm, Name, SwitchName, mac));
                }, name, out var added) && Passthru)
                WriteObject(added);
        }
    }
}

/// <summary>Set-VMNetworkAdapter [-VMName] [-Name] | [-VMNetworkAdapter] | [-VM] [-Name] -StaticMacAddress | -DynamicMacAddress [-Passthru].</summary>
[Cmdlet(VerbsCommon.Set, "VMNetworkAdapter", DefaultParameterSetName = "VMName", SupportsShouldProcess = true)]
[OutputType(typeof(VMNetworkAdapter))]
public sealed class SetVMNetworkAdapterCommand : HyperVCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "VMName", ValueFromPipeline = true)]
    public string? VMName { get; set; }

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "ResourceObject", ValueFromPipeline = true)]
    public VMNetworkAdapterBase? VMNetworkAdapter { get; set; }

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "VMObject", ValueFromPipeline = true)]
    public VirtualMachine? VM { get; set; }

    /// <summary>Selects the adapter(s) of the VM by name.</summary>
    [Parameter(ParameterSetName = "VMName")]
    [Parameter(ParameterSetName = "VMObject")]
    [Alias("VMNetworkAdapterName")]
    public string? Name { get; set; }

    [Parameter]
    public string? StaticMacAddress { get; set; }

    [Parameter]
    public SwitchParameter DynamicMacAddress { get; set; }

    [Parameter]
    public SwitchParameter Passthru { get; set; }

    protected override void ProcessRecord()
    {
        if (VMNetworkAdapter is { IsManagementOs: true })
            ThrowInvalidArgument("NotEmulated", "The simulated host does not configure host vNICs through Set-VMNetworkAdapter.", VMNetworkAdapter);
        if (!StaticMac.TryParse(this, StaticMacAddress, out var mac)) return;
        if (mac is null && !DynamicMacAddress) return;
        var targets = VMNetworkAdapter is not null
            ? [(VMNetworkAdapter.VMId, VMNetworkAdapter.VMName)]
            : ResolveVms(VMName is null ? null : [VMName], VM is null ? null : [VM]);
        foreach (var (id, name) in targets)
        {
            if (!ShouldProcess(name, "Set network adapter")) continue;
            if (TryMutate(m =>
                {
                    var vm = m.GetVm(id);
                    var adapters = VMNetworkAdapter is not null
                        ? [vm.NetworkAdapters.FirstOrDefault(a => a.Id == VMNetworkAdapter.AdapterId) ?? throw WindowsErrors.VmAdapterNotFound(vm.Name, VMNetworkAdapter.Name)]
                        : AdaptersNamed(m, vm, Name).ToList();
                    foreach (var adapter in adapters) m.SetVmNetworkAdapterMac(vm, adapter, mac);
                    return adapters.Select(a => HyperVObjects.Adapter(m, vm, a)).ToList();
                }, name, out var changed) && Passthru)
            {
                foreach (var adapter in changed) WriteObject(adapter);
            }
        }
    }
}

/// <summary>
/// Connect-VMNetworkAdapter [-VMName] [[-Name]] [-SwitchName] | [-VMNetworkAdapter] [-SwitchName] |
/// … [-VMSwitch]. The documentation gives -Name and -SwitchName both position 1 in Name_SwitchName;
/// the emulation places -SwitchName at 2 there (after -Name), which is how the syntax line reads.
/// </summary>
[Cmdlet(VerbsCommunications.Connect, "VMNetworkAdapter", DefaultParameterSetName = "Name_SwitchName", SupportsShouldProcess = true)]
[OutputType(typeof(VMNetworkAdapter))]
public sealed class ConnectVMNetworkAdapterCommand : HyperVCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Name_SwitchName")]
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Name_SwitchObject")]
    public string[]? VMName { get; set; }

    [Parameter(Position = 1, ParameterSetName = "Name_SwitchName")]
    [Parameter(Position = 1, ParameterSetName = "Name_SwitchObject")]
    [Alias("VMNetworkAdapterName")]
    public string[]? Name { get; set; }

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Object_SwitchName", ValueFromPipeline = true)]
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Object_SwitchObject", ValueFromPipeline = true)]
    public VMNetworkAdapter[]? VMNetworkAdapter { get; set; }

    [Parameter(Mandatory = true, Position = 2, ParameterSetName = "Name_SwitchName")]
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = "Object_SwitchName")]
    public string? SwitchName { get; set; }

    [Parameter(Mandatory = true, Position = 2, ParameterSetName = "Name_SwitchObject", ValueFromPipeline = true)]
    [Parameter(Mandatory = true, Position = 2, ParameterSetName = "Object_SwitchObject")]
    public VMSwitch? VMSwitch { get; set; }

    [Parameter]
    public SwitchParameter Passthru { get; set; }

    protected override void ProcessRecord()
    {
        var switchName = VMSwitch?.Name ?? SwitchName!;
        if (VMNetworkAdapter is not null)
        {
            foreach (var adapter in VMNetworkAdapter)
                Connect(adapter.VMId, adapter.VMName, m => [m.GetVm(adapter.VMId).NetworkAdapters.FirstOrDefault(a => a.Id == adapter.AdapterId)
                    ?? throw WindowsErrors.VmAdapterNotFound(adapter.VMName, adapter.Name)], switchName);
            return;
        }
        foreach (var (id, name) in ResolveVms(VMName, null))
        {
            Connect(id, name, m =>
            {
                var vm = m.GetVm(id);
                return Name is null ? [.. vm.NetworkAdapters] : [.. Name.SelectMany(n => AdaptersNamed(m, vm, n))];
            }, switchName);
        }
    }

    private void Connect(Guid vmId, string vmName, Func<HostModel, List<SimVmAdapter>> adapters, string switchName)
    {
        if (!ShouldProcess(vmName, $"Connect network adapter to '{switchName}'")) return;
        if (TryMutate(m =>
            {
                var vm = m.GetVm(vmId);
                var chosen = adapters(m);
                foreach (var adapter in chosen) m.ConnectVmNetworkAdapter(adapter, switchName);
                return chosen.Select(a => HyperVObjects.Adapter(m, vm, a)).ToList();
            }, vmName, out var connected) && Passthru)
        {
            foreach (var adapter in connected) WriteObject(adapter);
        }
    }
}

/// <summary>Remove-VMNetworkAdapter [-VMName] | [-VM] [-Name] | [-VMNetworkAdapter] [-Passthru]: without -Name every adapter of the VM.</summary>
[Cmdlet(VerbsCommon.Remove, "VMNetworkAdapter", DefaultParameterSetName = "VMName", SupportsShouldProcess = true)]
[OutputType(typeof(VMNetworkAdapter))]
public sealed class RemoveVMNetworkAdapterCommand : HyperVCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "VMName", ValueFromPipeline = true)]
    public string[]? VMName { get; set; }

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "ResourceObject", ValueFromPipeline = true)]
    public VMNetworkAdapterBase[]? VMNetworkAdapter { get; set; }

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "VMObject", ValueFromPipeline = true)]
    public VirtualMachine[]? VM { get; set; }

    [Parameter(ParameterSetName = "VMName")]
    [Parameter(ParameterSetName = "VMObject")]
    [Alias("VMNetworkAdapterName")]
    public string? Name { get; set; }

    [Parameter]
    public SwitchParameter Passthru { get; set; }

    protected override void ProcessRecord()
    {
        if (VMNetworkAdapter is not null)
        {
            foreach (var adapter in VMNetworkAdapter)
            {
                if (adapter.IsManagementOs)
                {
                    WriteInvalidArgument("NotEmulated", "The simulated host does not remove host vNICs through Remove-VMNetworkAdapter; remove the switch.", adapter);
                    continue;
                }
                Remove(adapter.VMId, adapter.VMName, (m, vm) => [vm.NetworkAdapters.FirstOrDefault(a => a.Id == adapter.AdapterId) ?? throw WindowsErrors.VmAdapterNotFound(vm.Name, adapter.Name)]);
            }
            return;
        }
        foreach (var (id, name) in ResolveVms(VMName, VM))
            Remove(id, name, (m, vm) => AdaptersNamed(m, vm, Name).ToList());
    }

    private void Remove(Guid vmId, string vmName, Func<HostModel, SimVm, List<SimVmAdapter>> adapters)
    {
        if (!ShouldProcess(vmName, "Remove network adapter")) return;
        if (TryMutate(m =>
            {
                var vm = m.GetVm(vmId);
                var chosen = adapters(m, vm);
                var snapshots = chosen.Select(a => HyperVObjects.Adapter(m, vm, a)).ToList();
                foreach (var adapter in chosen) m.RemoveVmNetworkAdapter(vm, adapter);
                return snapshots;
            }, vmName, out var removed) && Passthru)
        {
            foreach (var adapter in removed) WriteObject(adapter);
        }
    }
}

/// <summary>-StaticMacAddress takes Hyper-V's twelve hex digits (and the dash or colon forms).</summary>
internal static class StaticMac
{
    public static bool TryParse(EmulatedCmdlet cmdlet, string? text, out MacAddress? mac)
    {
        mac = null;
        if (text is null) return true;
        if (MacAddress.TryParse(text, out var parsed))
        {
            mac = parsed;
            return true;
        }
        cmdlet.WriteError(HostErrorRecords.InvalidArgument("InvalidParameter", $"The MAC address '{text}' is not valid: give twelve hexadecimal digits such as 00155D012345.", text));
        return false;
    }
}
