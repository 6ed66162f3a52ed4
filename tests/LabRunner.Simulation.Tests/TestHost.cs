using LabRunner.Core.Hosting;
using LabRunner.Core.Net;
using LabRunner.Simulation;
using LabRunner.Simulation.Model;

namespace LabRunner.Simulation.Tests;

/// <summary>Small helpers that keep the tests about behaviour, not plumbing.</summary>
internal static class TestHost
{
    public static Ipv4Address Ip(string text) => Ipv4Address.Parse(text);

    public static Ipv4Subnet Prefix(string text) => Ipv4Subnet.Parse(text);

    public static MacAddress Mac(string text) => MacAddress.Parse(text);

    /// <summary>An in-memory default host with a base image the model knows (as if New-VHD had made it).</summary>
    public static SimulatedHost WithBaseImage(string path = @"C:\boxes\ubuntu.vhdx")
    {
        var state = DefaultHost.Create();
        state.Vhds.Add(new SimVhd { Path = path });
        return SimulatedHost.InMemory(state);
    }

    /// <summary>The refusal <paramref name="change"/> provokes.</summary>
    public static SimulatedHostException Refusal(SimulatedHost host, Action<HostModel> change) =>
        Assert.Throws<SimulatedHostException>(() => host.Mutate(change));

    public static SimVm NewVm(this HostModel m, string name, int generation = 2, string? disk = null) =>
        m.NewVm(name, generation, 1024L * 1024 * 1024, disk, null, null);
}

/// <summary>A folder deleted after the test.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "labrunner-sim-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
