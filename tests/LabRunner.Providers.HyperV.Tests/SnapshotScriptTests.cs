using System.Management.Automation.Language;
using LabRunner.Core.Errors;
using LabRunner.Core.Hosting;
using LabRunner.Providers.HyperV.Scripting;
using LabRunner.Providers.HyperV.Tests.Support;

namespace LabRunner.Providers.HyperV.Tests;

/// <summary>The checkpoint scripts pass the documentation checks every batch script passes, and their output is read back exactly.</summary>
public class SnapshotScriptTests
{
    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string> { "plain" };
        foreach (var name in Samples.HostileNames) data.Add(name);
        return data;
    }

    /// <summary>Every checkpoint script, the VM named <paramref name="name"/> and the checkpoint too.</summary>
    private static IEnumerable<string> Scripts(string name) =>
    [
        SnapshotScript.List(name),
        SnapshotScript.Pause(name),
        SnapshotScript.Resume(name),
        SnapshotScript.Save(name, name, SnapshotType.Standard),
        SnapshotScript.Save(name, name, SnapshotType.ProductionOnly),
        SnapshotScript.Restore(name, name),
        SnapshotScript.Delete(name, name),
    ];

    /// <summary>A checkpoint may be named anything, wildcards included: it is never a cmdlet's argument.</summary>
    private static IEnumerable<string> ScriptsNamingCheckpoints(string checkpoint) =>
    [
        SnapshotScript.Save("web", checkpoint, SnapshotType.Production),
        SnapshotScript.Restore("web", checkpoint),
        SnapshotScript.Delete("web", checkpoint),
    ];

    [Theory]
    [MemberData(nameof(Names))]
    public void Every_command_is_a_documented_cmdlet_called_with_documented_parameters_only(string name)
    {
        foreach (var script in Scripts(name))
        {
            foreach (var command in ScriptAst.All<CommandAst>(ScriptAst.Parse(script)))
            {
                var called = command.GetCommandName();
                Assert.True(called is not null && DocumentedCmdlets.ByCalledName.ContainsKey(called), $"'{called}' is not in the allow-list: {command.Extent.Text}");
                var cmdlet = DocumentedCmdlets.ByCalledName[called!];
                foreach (var parameter in command.CommandElements.OfType<CommandParameterAst>())
                {
                    Assert.True(cmdlet.Parameters.Contains(parameter.ParameterName) || DocumentedCmdlets.CommonParameters.Contains(parameter.ParameterName),
                        $"{called} has no documented parameter -{parameter.ParameterName} ({cmdlet.Source})");
                }
                if (DocumentedCmdlets.HostCmdlets.Contains(cmdlet))
                    Assert.Contains(command.CommandElements.OfType<CommandParameterAst>(), p => p.ParameterName == "ErrorAction");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Values_only_ever_appear_as_single_quoted_literals(string name)
    {
        foreach (var script in Scripts(name).Concat(ScriptsNamingCheckpoints(name + " *?[x]`")))
        {
            var ast = ScriptAst.Parse(script);
            Assert.Empty(ScriptAst.All<ExpandableStringExpressionAst>(ast));
            Assert.Empty(ScriptAst.All<SubExpressionAst>(ast));
            Assert.DoesNotContain(ScriptAst.All<StringConstantExpressionAst>(ast),
                s => s.StringConstantType is StringConstantType.DoubleQuoted or StringConstantType.DoubleQuotedHereString or StringConstantType.SingleQuotedHereString);
            foreach (var (command, parameter, value) in ScriptAst.ConstantArguments(ast))
                Assert.True(value.StringConstantType == StringConstantType.SingleQuoted, $"-{parameter} of {command.GetCommandName()} is {value.StringConstantType}: {value.Extent.Text}");
            Assert.DoesNotContain(ScriptAst.All<CommandAst>(ast), c => c.GetCommandName() == "Stop-Computer");
        }
    }

    [Fact]
    public void A_checkpoint_is_never_named_to_a_cmdlet_but_found_by_exact_name_and_piped()
    {
        var script = SnapshotScript.Delete("web", "Experiment*");
        var ast = ScriptAst.Parse(script);

        var remove = Assert.Single(ScriptAst.All<CommandAst>(ast), c => c.GetCommandName() == "Hyper-V\\Remove-VMSnapshot");
        Assert.DoesNotContain(remove.CommandElements.OfType<CommandParameterAst>(), p => p.ParameterName is "Name" or "VMName");
        Assert.Contains("Where-Object { $_.Name -eq 'Experiment*' }", script, StringComparison.Ordinal);
        Assert.DoesNotContain(ScriptAst.ConstantArguments(ast), a => a.Value.Value == "Experiment*");
    }

    [Theory]
    [InlineData(SnapshotType.Standard, "Standard")]
    [InlineData(SnapshotType.Production, "Production")]
    [InlineData(SnapshotType.ProductionOnly, "ProductionOnly")]
    public void Save_sets_the_checkpoint_type_as_hyper_v_names_it_before_the_checkpoint(SnapshotType type, string hyperV)
    {
        var script = SnapshotScript.Save("web", "s1", type);

        var set = script.IndexOf($"Hyper-V\\Set-VM -Name 'web' -CheckpointType '{hyperV}' -ErrorAction 'Stop'", StringComparison.Ordinal);
        var checkpoint = script.IndexOf("Hyper-V\\Checkpoint-VM -Name 'web' -SnapshotName 's1' -ErrorAction 'Stop'", StringComparison.Ordinal);
        Assert.True(set >= 0 && checkpoint > set, script);
    }

    [Theory]
    [InlineData("web*")]
    [InlineData("we`b")]
    public async Task A_vm_name_that_would_act_as_a_pattern_is_refused_before_anything_runs(string name)
    {
        var runner = new ScriptedRunner([]);
        var snapshots = new HyperVSnapshots(runner);

        var refused = await Assert.ThrowsAsync<SnapshotException>(() => snapshots.DeleteAsync(name, "s1", default));

        Assert.Contains("wildcard", refused.Message, StringComparison.Ordinal);
        Assert.Empty(runner.Scripts);
    }

    [Fact]
    public async Task Snapshot_lines_are_read_back_exactly_with_memory_only_for_a_standard_checkpoint_of_a_vm_that_was_not_off()
    {
        string Line(string name, string created, string state, string type, string size) =>
            SnapshotScript.SnapshotLinePrefix + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(name)) + $" {created} {state} {type} {size}";
        var runner = new ScriptedRunner([
            Line("after it's", "2026-12-05T06:10:00.0000000Z", "Running", "Standard", "1073807360"),
            Line("before \u2019 $(x)", "2026-12-05T06:00:00.0000000Z", "Off", "Standard", "65536"),
            Line("prod", "2026-12-05T06:20:00.0000000Z", "Running", "Production", "0"),
            "##labrunner snapshot garbage",
            ScriptProtocol.OkLine(1),
        ]);

        var listed = await new HyperVSnapshots(runner).ListAsync("web", default);

        Assert.Equal(["before \u2019 $(x)", "after it's", "prod"], listed.Select(s => s.Name));
        Assert.Equal([false, true, false], listed.Select(s => s.WithMemory));
        Assert.Equal(["standard checkpoint", "standard checkpoint", "production checkpoint"], listed.Select(s => s.Type));
        Assert.Equal([65536L, 1073807360L, null], listed.Select(s => s.SizeBytes));
        Assert.Equal(new DateTimeOffset(2026, 12, 5, 6, 0, 0, TimeSpan.Zero), listed[0].Created);
    }

    [Fact]
    public async Task A_fail_line_becomes_a_snapshot_exception_naming_the_vm_and_the_checkpoint()
    {
        var runner = new ScriptedRunner([ScriptProtocol.FailLine(1, "ObjectNotFound", "LabRunnerSnapshotNotFound", "VM 'web' has no checkpoint named 's9'.")], exitCode: 1);

        var error = await Assert.ThrowsAsync<SnapshotException>(() => new HyperVSnapshots(runner).RestoreAsync("web", "s9", default));

        Assert.Equal(HostErrorKind.NotFound, error.Error.Kind);
        Assert.Equal(ErrorCategory.Conflict, error.Category);
        Assert.StartsWith("restore checkpoint 's9' of VM 'web': VM 'web' has no checkpoint named 's9'.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_process_that_ends_without_an_answer_or_does_not_start_is_a_host_failure()
    {
        var silent = new ScriptedRunner(["something else"], exitCode: 3, stderr: "boom");
        var missing = new ScriptedRunner([]) { FailToStart = true };

        var ended = await Assert.ThrowsAsync<SnapshotException>(() => new HyperVSnapshots(silent).PauseAsync("web", default));
        var notStarted = await Assert.ThrowsAsync<SnapshotException>(() => new HyperVSnapshots(missing).PauseAsync("web", default));

        Assert.Equal((HostErrorKind.Failed, ErrorCategory.HostFailure), (ended.Error.Kind, ended.Category));
        Assert.Contains("pause VM 'web': powershell.exe exited with code 3", ended.Message, StringComparison.Ordinal);
        Assert.Equal(HostErrorKind.Unavailable, notStarted.Error.Kind);
    }
}
