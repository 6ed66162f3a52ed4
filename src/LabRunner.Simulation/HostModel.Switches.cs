using System.Globalization;
using LabRunner.Core.Hosting;
using LabRunner.Core.Net;
using LabRunner.Providers.HyperV;
using LabRunner.Simulation.Model;

namespace LabRunner.Simulation;

/// <summary>Switches (New-VMSwitch, Set-VMSwitch, Remove-VMSwitch) and the host vNICs they make.</summary>
public sealed partial class HostModel
{
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
}
