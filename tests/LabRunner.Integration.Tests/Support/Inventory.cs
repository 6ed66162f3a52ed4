using LabRunner.Core.Hosting;
using LabRunner.HyperV.Emulation.Cim;
using LabRunner.Simulation;

namespace LabRunner.Integration.Tests.Support;

internal static class Inventory
{
    /// <summary>
    /// The inventory the Hyper-V provider reads (CIM view → CimInventoryMapper) equals the simulated host's
    /// own, line by line — but for the loopback pseudo-interface, which Windows lists in MSFT_NetIPAddress
    /// (and so the provider sees) while the simulated host does not model it.
    /// </summary>
    public static async Task AssertCimViewMatchesHostAsync(SimulatedHost host, IHostProvider hyperV, IReadOnlyList<string> filesOfInterest)
    {
        var throughCim = await hyperV.GetInventoryAsync([.. filesOfInterest], CancellationToken.None);
        var own = host.GetInventory(filesOfInterest);

        var loopback = Assert.Single(throughCim.NetAdapters, a => a.Name == SimulatedCimClient.LoopbackInterfaceAlias);
        Assert.Equal(("127.0.0.1/8", false), (Assert.Single(loopback.Addresses).ToString(), loopback.IsPhysical));
        Assert.Equal(
            InventoryText.Lines(own),
            InventoryText.Lines(throughCim with { NetAdapters = throughCim.NetAdapters.Remove(loopback) }));
    }

    /// <summary>
    /// As above for a lab's host. Files are checked against the host, as the provider checks them on the
    /// machine it runs on: a disk the simulated provider made exists only in the model.
    /// </summary>
    public static Task AssertCimViewMatchesHostAsync(Lab lab) =>
        AssertCimViewMatchesHostAsync(lab.Host, new Providers.HyperV.HyperVProvider(lab.Runner, lab.Cim, "test", new SimulatedHostFiles(lab.Host)),
            [lab.BoxPath, .. lab.Host.Snapshot().Vms.Select(v => lab.DiskPath(v.Name)), Path.Combine(lab.Directory, "missing.vhdx")]);
}
