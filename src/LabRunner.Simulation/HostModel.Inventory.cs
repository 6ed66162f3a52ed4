using System.Globalization;
using LabRunner.Core.Hosting;
using LabRunner.Core.Net;
using LabRunner.Simulation.Model;

namespace LabRunner.Simulation;

/// <summary>The host as the provider's inventory reads it.</summary>
public sealed partial class HostModel
{
    /// <summary>The model as LabRunner's provider contract sees a host.</summary>
    public HostInventory Inventory(IEnumerable<string> filesOfInterest) => WithShares(new(
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
            v.AutomaticCheckpointsEnabled,
            SnapshotType: v.CheckpointType switch
            {
                SimCheckpointType.Standard => SnapshotType.Standard,
                SimCheckpointType.Production => SnapshotType.Production,
                SimCheckpointType.ProductionOnly => SnapshotType.ProductionOnly,
                _ => null,
            },
            SnapshotDisks: [.. CheckpointDisks(v)]))],
        [.. filesOfInterest.Where(FileExists).Distinct(StringComparer.OrdinalIgnoreCase)]));
}
