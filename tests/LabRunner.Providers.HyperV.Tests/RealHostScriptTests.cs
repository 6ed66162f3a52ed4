using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Core.Net;
using LabRunner.Providers.HyperV.Scripting;
using LabRunner.Providers.HyperV.Tests.Support;

namespace LabRunner.Providers.HyperV.Tests;

/// <summary>
/// The scripts against what a real host returns where it differs from the values LabRunner passed in
/// (found by checking the scripts against Microsoft's cmdlet and WMI class documentation).
/// </summary>
public class RealHostScriptTests
{
    private static readonly Ipv4Address Any = Ipv4Address.Parse("0.0.0.0");

    private static object Mapping(string external, int externalPort, string internalIp, int internalPort, object protocol) => StubbedEngine.Object(
        ("StaticMappingID", (uint)externalPort), ("NatName", "LabRunnerNAT"), ("Protocol", protocol), ("ExternalIPAddress", external),
        ("ExternalPort", externalPort), ("InternalIPAddress", internalIp), ("InternalPort", internalPort));

    [Theory]
    [InlineData("0.0.0.0", "TCP")]
    [InlineData("0.0.0.0/24", "TCP")]
    [InlineData("0.0.0.0/0", 6)]
    [InlineData("0.0.0.0/32", "TCP")]
    public void Removing_a_mapping_finds_it_whether_WinNAT_reads_the_external_address_back_with_a_prefix_or_not(string readBack, object protocol)
    {
        using var engine = new StubbedEngine();
        engine.Outputs["Get-NetNatStaticMapping"] = new[]
        {
            Mapping("0.0.0.0/24", 8081, "10.188.1.10", 80, "TCP"),
            Mapping(readBack, 8080, "10.188.1.10", 80, protocol),
            Mapping("0.0.0.0/24", 8080, "10.188.1.11", 80, "UDP"),
        };
        var remove = new RemovePortMapping("LabRunnerNAT", PortProtocol.Tcp, Any, 8080, Ipv4Address.Parse("10.188.1.10"), 80);

        var run = engine.RunScript(HyperVScript.Render(new OperationBatch("x", [remove])));

        Assert.Equal(0, run.ExitCode);
        var removed = Assert.Single(engine.Calls, c => c.Command == "Remove-NetNatStaticMapping");
        Assert.Equal((uint)8080, engine.Calls.Single(c => c.Command == "Remove-NetNatStaticMapping").Property("InputObject", "StaticMappingID"));
        Assert.Equal(readBack, removed.Property("InputObject", "ExternalIPAddress"));
    }

    [Fact]
    public void Removing_a_mapping_for_one_external_address_leaves_the_same_port_on_another_address()
    {
        using var engine = new StubbedEngine();
        engine.Outputs["Get-NetNatStaticMapping"] = Mapping("192.168.1.50/32", 8080, "10.188.1.10", 80, "TCP");

        engine.RunScript(HyperVScript.Render(new OperationBatch("x", [
            new RemovePortMapping("LabRunnerNAT", PortProtocol.Tcp, Any, 8080, Ipv4Address.Parse("10.188.1.10"), 80)])));

        Assert.DoesNotContain(engine.Calls, c => c.Command == "Remove-NetNatStaticMapping");
    }
}
