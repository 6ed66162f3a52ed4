using System.Globalization;
using LabRunner.Core.Hosting;
using LabRunner.Core.Net;
using LabRunner.Simulation.Model;

namespace LabRunner.Simulation;

/// <summary>VM network adapters and their MACs.</summary>
public sealed partial class HostModel
{
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
}
