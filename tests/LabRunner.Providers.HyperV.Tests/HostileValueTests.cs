using System.Management.Automation.Language;
using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Providers.HyperV.Scripting;
using LabRunner.Providers.HyperV.Tests.Support;

namespace LabRunner.Providers.HyperV.Tests;

public class HostileValueTests
{
    public static TheoryData<int> HostileIndexes()
    {
        var data = new TheoryData<int>();
        for (var i = 0; i < Samples.Hostile.Length; i++) data.Add(i);
        return data;
    }

    [Theory]
    [MemberData(nameof(HostileIndexes))]
    public void A_quoted_value_parses_back_to_exactly_itself_as_a_single_quoted_constant(int index)
    {
        var value = Samples.Hostile[index];

        var ast = ScriptAst.Parse("Write-Output " + PowerShellLiteral.Quote(value));

        var constant = Assert.Single(ScriptAst.All<StringConstantExpressionAst>(ast), s => s.Parent is CommandAst && s != ((CommandAst)s.Parent).CommandElements[0]);
        Assert.Equal(StringConstantType.SingleQuoted, constant.StringConstantType);
        Assert.Equal(value, constant.Value);
    }

    [Theory]
    [MemberData(nameof(HostileIndexes))]
    public void Hostile_values_in_every_operation_stay_inert_single_quoted_constants(int index)
    {
        var value = Samples.Hostile[index];
        var batch = Samples.HostileBatch(value);

        var ast = ScriptAst.Parse(HyperVScript.Render(batch));

        var arguments = ScriptAst.ConstantArguments(ast).ToList();
        var carrying = arguments.Where(a => a.Value.Value == value).ToList();
        // Notes, paths, the secure boot template (and names, where allowed) all carry the value.
        Assert.True(carrying.Count >= 8, $"only {carrying.Count} arguments carry the value");
        Assert.All(carrying, a => Assert.Equal(StringConstantType.SingleQuoted, a.Value.StringConstantType));
        Assert.DoesNotContain(ScriptAst.All<CommandAst>(ast), c => c.GetCommandName() is "Stop-Computer" or "whoami");
        Assert.Empty(ScriptAst.All<SubExpressionAst>(ast));
    }

    [Theory]
    [MemberData(nameof(HostileIndexes))]
    public void Hostile_values_arrive_byte_exact_at_the_cmdlets_when_the_real_engine_runs_the_script(int index)
    {
        var value = Samples.Hostile[index];
        var name = Samples.HostileNames.Contains(value) ? value : "plain";
        using var engine = new StubbedEngine();
        engine.Outputs["Get-VMHardDiskDrive"] = StubbedEngine.Object(("Path", value), ("VMName", name));
        // One drive, holding the value: the seed that replaces it finds it by that disc.
        engine.Outputs["Get-VMDvdDrive"] = StubbedEngine.Object(("Path", value), ("ControllerNumber", 1), ("ControllerLocation", 0), ("VMName", name));
        engine.Outputs["Get-VMNetworkAdapter"] = StubbedEngine.Object(("Name", "Network Adapter"), ("VMName", name));
        engine.Outputs["Get-NetNatStaticMapping"] = StubbedEngine.Object(
            ("NatName", name), ("Protocol", "TCP"), ("ExternalIPAddress", "0.0.0.0"), ("ExternalPort", 8080),
            ("InternalIPAddress", "10.9.0.5"), ("InternalPort", 80));
        var lines = new List<string>();

        var run = engine.RunScript(HyperVScript.Render(Samples.HostileBatch(value)), lines.Add);

        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}: {string.Join(" | ", lines)} {run.StandardError}");
        var calls = engine.Calls;
        StubCall Call(string command, int nth = 0) => calls.Where(c => c.Command == command).ElementAt(nth);

        Assert.Equal(name, Call("New-VMSwitch")["Name"]);
        Assert.Equal(value, Call("New-VMSwitch")["Notes"]);
        Assert.Equal(name, Call("New-VMSwitch", 1)["NetAdapterName"]);
        Assert.Equal(value, Call("New-VMSwitch", 1)["Notes"]);
        Assert.Equal($"vEthernet ({name})", Call("New-NetIPAddress")["InterfaceAlias"]);
        Assert.Equal(name, Call("New-NetNat")["Name"]);
        Assert.Equal(name, Call("Add-NetNatStaticMapping")["NatName"]);
        Assert.Equal(value, Call("New-VHD")["Path"]);
        Assert.Equal(value, Call("New-VHD")["ParentPath"]);
        Assert.Equal(name, Call("New-VM")["Name"]);
        Assert.Equal(value, Call("New-VM")["VHDPath"]);
        Assert.Equal(value, Call("New-VM")["Path"]);
        Assert.Equal(value, Call("Set-VM")["Notes"]);
        Assert.Equal(value, Call("Add-VMDvdDrive")["Path"]);
        Assert.Equal(value, Call("Set-VMDvdDrive")["Path"]);
        Assert.Equal(value, Call("Set-VMFirmware")["SecureBootTemplate"]);
        Assert.Equal(name, Call("Remove-VM")["Name"]);
        Assert.Equal(name, Call("Remove-NetNat")["Name"]);
        // The mapping with exactly these values was found by the filter and handed to Remove.
        Assert.Single(calls, c => c.Command == "Remove-NetNatStaticMapping");
        Assert.Equal(Samples.HostileBatch(value).Operations.Length, lines.Count(l => l.StartsWith("##labrunner ok ", StringComparison.Ordinal)));
    }

    [Fact]
    public void A_value_with_every_kind_of_quote_survives_a_round_trip_through_the_engine()
    {
        var value = string.Concat(Samples.Hostile);
        using var engine = new StubbedEngine();

        engine.RunScript(HyperVScript.Render(new OperationBatch("x", [new CreateSwitch("s", SwitchKind.Private, null, value)])));

        Assert.Equal(value, engine.Calls.Single(c => c.Command == "New-VMSwitch")["Notes"]);
    }
}
