using System.Collections.Immutable;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Management.Automation.Runspaces;
using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Providers.HyperV.Scripting;
using LabRunner.Providers.HyperV.Tests.Support;

namespace LabRunner.Providers.HyperV.Tests;

public class ScriptRenderingTests
{
    public static TheoryData<string> Batches()
    {
        var data = new TheoryData<string> { "up", "down", "every-operation-alone" };
        for (var i = 0; i < Samples.Hostile.Length; i++) data.Add("hostile-" + i);
        return data;
    }

    private static IEnumerable<string> ScriptsFor(string batch) => batch switch
    {
        "up" => [HyperVScript.Render(Samples.UpBatch())],
        "down" => [HyperVScript.Render(Samples.DownBatch())],
        "every-operation-alone" => Samples.EveryOperation().Select(op => HyperVScript.Render(new OperationBatch("one", [op]))),
        _ => [HyperVScript.Render(Samples.HostileBatch(Samples.Hostile[int.Parse(batch["hostile-".Length..])]))],
    };

    [Theory]
    [MemberData(nameof(Batches))]
    public void Rendered_scripts_parse_with_the_real_PowerShell_parser_without_errors(string batch)
    {
        foreach (var script in ScriptsFor(batch))
            ScriptAst.Parse(script);
    }

    [Theory]
    [MemberData(nameof(Batches))]
    public void Every_command_is_a_documented_cmdlet_called_with_documented_parameters_only(string batch)
    {
        foreach (var script in ScriptsFor(batch))
        {
            foreach (var command in ScriptAst.All<CommandAst>(ScriptAst.Parse(script)))
            {
                var name = command.GetCommandName();
                Assert.True(name is not null && DocumentedCmdlets.ByCalledName.ContainsKey(name), $"'{name}' is not in the allow-list: {command.Extent.Text}");
                var cmdlet = DocumentedCmdlets.ByCalledName[name!];
                foreach (var parameter in command.CommandElements.OfType<CommandParameterAst>())
                {
                    Assert.True(
                        cmdlet.Parameters.Contains(parameter.ParameterName) || DocumentedCmdlets.CommonParameters.Contains(parameter.ParameterName),
                        $"{name} has no documented parameter -{parameter.ParameterName} ({cmdlet.Source})");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Batches))]
    public void Values_only_ever_appear_as_single_quoted_literals_or_numbers(string batch)
    {
        foreach (var script in ScriptsFor(batch))
        {
            var ast = ScriptAst.Parse(script);
            // Nothing that expands: no double-quoted or here-strings, no $( ) anywhere in the script.
            Assert.Empty(ScriptAst.All<ExpandableStringExpressionAst>(ast));
            Assert.Empty(ScriptAst.All<SubExpressionAst>(ast));
            Assert.DoesNotContain(ScriptAst.All<StringConstantExpressionAst>(ast),
                s => s.StringConstantType is StringConstantType.DoubleQuoted or StringConstantType.DoubleQuotedHereString or StringConstantType.SingleQuotedHereString);
            // Every constant argument of a command is single-quoted: no bare words a value could have become.
            foreach (var (command, parameter, value) in ScriptAst.ConstantArguments(ast))
                Assert.True(value.StringConstantType == StringConstantType.SingleQuoted, $"-{parameter} of {command.GetCommandName()} is {value.StringConstantType}: {value.Extent.Text}");
        }
    }

    [Fact]
    public void Every_host_operation_type_has_a_script()
    {
        var operationTypes = typeof(HostOperation).Assembly.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(HostOperation)) && !t.IsAbstract)
            .ToHashSet();
        var rendered = Samples.EveryOperation().Select(op => op.GetType()).ToHashSet();

        Assert.Equal(operationTypes.OrderBy(t => t.Name).Select(t => t.Name), rendered.OrderBy(t => t.Name).Select(t => t.Name));
    }

    [Fact]
    public void Rendering_is_deterministic()
    {
        Assert.Equal(HyperVScript.Render(Samples.UpBatch()), HyperVScript.Render(Samples.UpBatch()));
        Assert.Equal(HyperVScript.Render(Samples.DownBatch()), HyperVScript.Render(Samples.DownBatch()));
    }

    [Fact]
    public void Each_operation_is_a_block_with_its_description_a_begin_line_and_an_ok_line_in_batch_order()
    {
        var batch = Samples.UpBatch();
        // VM operations are indented inside their VM's try block.
        var lines = HyperVScript.Render(batch).Split('\n').Select(l => l.Trim()).ToArray();
        var position = 0;
        for (var i = 0; i < batch.Operations.Length; i++)
        {
            var step = i + 1;
            var comment = Array.IndexOf(lines, $"# [{step}/{batch.Operations.Length}] {batch.Operations[i].Describe()}", position);
            var begin = Array.IndexOf(lines, $"'##labrunner begin {step}'", position);
            var ok = Array.IndexOf(lines, $"'##labrunner ok {step}'", position);
            Assert.True(comment > position - 1 && begin > comment && ok > begin, $"block {step} is out of order");
            position = ok;
        }
        Assert.Equal("exit 0", lines.Last(l => l.Length > 0));
    }

    [Fact]
    public void The_preamble_stops_on_errors_hides_progress_and_is_strict()
    {
        var script = HyperVScript.Render(Samples.UpBatch());

        Assert.Contains("$ErrorActionPreference = 'Stop'\n", script, StringComparison.Ordinal);
        Assert.Contains("$ProgressPreference = 'SilentlyContinue'\n", script, StringComparison.Ordinal);
        Assert.Contains("Set-StrictMode -Version '3.0'\n", script, StringComparison.Ordinal);
        Assert.Single(ScriptAst.All<TrapStatementAst>(ScriptAst.Parse(script)));
    }

    [Fact]
    public void Every_host_cmdlet_call_stops_on_error_explicitly()
    {
        var ast = ScriptAst.Parse(HyperVScript.Render(new OperationBatch("all", Samples.EveryOperation())));
        foreach (var command in ScriptAst.All<CommandAst>(ast).Where(c => DocumentedCmdlets.HostCmdlets.Any(h => h.CalledAs == c.GetCommandName())))
        {
            var errorAction = command.CommandElements.OfType<CommandParameterAst>().SingleOrDefault(p => p.ParameterName == "ErrorAction");
            Assert.True(errorAction is not null, $"no -ErrorAction on {command.Extent.Text}");
        }
    }

    [Theory]
    [InlineData("web*")]
    [InlineData("web?")]
    [InlineData("web[1]")]
    [InlineData("we`b")]
    public void Object_names_that_would_act_as_wildcard_patterns_are_refused(string name)
    {
        var operations = new HostOperation[]
        {
            new RemoveVm(name), new StartVm(name), new RemoveSwitch(name), new RemoveNat(name),
            new RemoveVmAdapter("web", name), new CreateSwitch("ext", SwitchKind.External, name, Samples.Mark),
        };
        foreach (var op in operations)
            Assert.Throws<ArgumentException>(() => HyperVScript.Render(new OperationBatch("x", [op])));
    }

    [Fact]
    public void An_external_switch_without_an_adapter_is_refused()
    {
        Assert.Throws<ArgumentException>(() => HyperVScript.Render(new OperationBatch("x", [new CreateSwitch("ext", SwitchKind.External, null, Samples.Mark)])));
    }

    [Fact]
    public void A_description_with_line_breaks_stays_inside_its_comment()
    {
        var script = HyperVScript.Render(new OperationBatch("a\nStop-Computer\r\nb\u2028c", [new RemoveFile("web", "x\nStop-Computer -Force\r\n")]));

        Assert.DoesNotContain(ScriptAst.All<CommandAst>(ScriptAst.Parse(script)), c => c.GetCommandName() == "Stop-Computer");
        Assert.Contains("# LabRunner batch: a Stop-Computer  b c\n", script, StringComparison.Ordinal);
    }

    [Fact]
    public void The_engine_cmdlets_in_the_allow_list_exist_with_those_parameters_in_the_real_engine()
    {
        using var runspace = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
        runspace.Open();
        using var ps = PowerShell.Create();
        ps.Runspace = runspace;
        foreach (var cmdlet in DocumentedCmdlets.All.Where(c => c.Module == "Microsoft.PowerShell.Core"))
        {
            ps.Commands.Clear();
            var info = ps.AddCommand("Get-Command").AddArgument(cmdlet.Name).Invoke<CommandInfo>().Single();
            var script = HyperVScript.Render(new OperationBatch("all", Samples.EveryOperation()));
            var used = ScriptAst.All<CommandAst>(ScriptAst.Parse(script))
                .Where(c => c.GetCommandName() == cmdlet.Name)
                .SelectMany(c => c.CommandElements.OfType<CommandParameterAst>().Select(p => p.ParameterName));
            foreach (var parameter in used)
                Assert.True(info.Parameters.ContainsKey(parameter), $"{cmdlet.Name} has no parameter -{parameter} in the engine");
        }
    }

    [Fact]
    public void Port_mapping_removal_matches_on_every_value_of_the_mapping()
    {
        var script = HyperVScript.Render(new OperationBatch("x", [
            new RemovePortMapping("LabRunnerNat", PortProtocol.Udp, Samples.Ip("0.0.0.0"), 5353, Samples.Ip("172.30.1.10"), 53)]));

        Assert.Contains(
            "Where-Object { $_.NatName -eq 'LabRunnerNat' -and ([string]$_.ExternalIPAddress).Split('/')[0] -eq '0.0.0.0' -and $_.ExternalPort -eq 5353"
            + " -and $_.InternalIPAddress -eq '172.30.1.10' -and $_.InternalPort -eq 53 -and @('UDP', '17') -contains [string]$_.Protocol }",
            script, StringComparison.Ordinal);
    }

    [Fact]
    public void Numbers_are_written_culture_invariant()
    {
        var script = HyperVScript.Render(new OperationBatch("x", [new SetVmHardware("web", 12, 1234567890123)]));

        Assert.Contains("-ProcessorCount 12 -StaticMemory -MemoryStartupBytes 1234567890123 ", script, StringComparison.Ordinal);
    }

    [Fact]
    public void Static_MACs_are_passed_as_twelve_hex_digits()
    {
        var script = HyperVScript.Render(new OperationBatch("x", [new AddVmAdapter("web", "nat", "demo-nat", Core.Net.MacAddress.Parse("02:1a:2b:3c:4d:5e"))]));

        Assert.Contains("-StaticMacAddress '021A2B3C4D5E'", script, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_batch_renders_a_script_that_does_nothing()
    {
        var ast = ScriptAst.Parse(HyperVScript.Render(new OperationBatch("empty", ImmutableArray<HostOperation>.Empty)));

        Assert.DoesNotContain(ScriptAst.All<CommandAst>(ast), c => DocumentedCmdlets.HostCmdlets.Any(h => h.CalledAs == c.GetCommandName()));
    }
}
