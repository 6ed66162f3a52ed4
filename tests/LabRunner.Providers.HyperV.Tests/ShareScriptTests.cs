using System.Management.Automation.Language;
using System.Text;
using LabRunner.Core.Hosting;
using LabRunner.Providers.HyperV.Running;
using LabRunner.Providers.HyperV.Scripting;
using LabRunner.Providers.HyperV.Tests.Support;

namespace LabRunner.Providers.HyperV.Tests;

/// <summary>Issue 19: the scripts of 'type: smb' synced folders pass the checks every script passes, and carry no password.</summary>
public class ShareScriptTests
{
    public static TheoryData<int> HostileIndexes()
    {
        var data = new TheoryData<int>();
        for (var i = 0; i < Samples.Hostile.Length; i++) data.Add(i);
        return data;
    }

    private static IEnumerable<string> Scripts() =>
        [HyperVScript.Render(Samples.SharesBatch()), .. Samples.SharesBatch().Operations.Select(o => HyperVScript.Render(new OperationBatch("one", [o])))];

    [Fact]
    public void Every_command_is_documented_with_documented_parameters_and_every_value_a_single_quoted_literal()
    {
        foreach (var script in Scripts())
            AssertDocumentedAndQuoted(script);
    }

    [Theory]
    [MemberData(nameof(HostileIndexes))]
    public void Hostile_paths_names_and_descriptions_stay_single_quoted_values(int index)
    {
        var value = Samples.Hostile[index];
        var batch = Samples.HostileSharesBatch(value);
        var script = HyperVScript.Render(batch);

        AssertDocumentedAndQuoted(script);
        Assert.DoesNotContain(ScriptAst.All<CommandAst>(ScriptAst.Parse(script)), c => c.GetCommandName() is "Stop-Computer" or "whoami");
    }

    [Fact]
    public void The_password_is_not_in_the_script_but_on_standard_input_in_batch_order()
    {
        var batch = Samples.SharesBatch();

        var script = HyperVScript.Render(batch);
        var input = HyperVScript.StandardInput(batch);

        Assert.DoesNotContain(Samples.SharePassword, script, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(Samples.SharePassword)), script, StringComparison.Ordinal);
        Assert.NotNull(input);
        Assert.Equal([Samples.SharePassword, Samples.SharePassword + "2"],
            input.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => Encoding.UTF8.GetString(Convert.FromBase64String(l))));
        // Read where it is needed: as a SecureString handed to the cmdlet by variable.
        Assert.Contains("New-LocalUser -Name 'lab1a2b3c4d' -Password $labrunnerPassword ", script, StringComparison.Ordinal);
        Assert.Contains("Set-LocalUser -Name 'lab1a2b3c4d' -Password $labrunnerPassword ", script, StringComparison.Ordinal);
    }

    [Fact]
    public void A_batch_without_passwords_reads_no_standard_input()
    {
        Assert.Null(HyperVScript.StandardInput(Samples.UpBatch()));
        Assert.DoesNotContain("[Console]::In", HyperVScript.Render(Samples.UpBatch()), StringComparison.Ordinal);
    }

    [Fact]
    public void The_firewall_rule_lets_only_smb_in_only_on_the_networks_host_vnic_from_that_network_to_the_hosts_address()
    {
        var script = HyperVScript.Render(new OperationBatch("x", [Samples.SharesBatch().Operations.OfType<AllowShareTraffic>().Single()]));

        Assert.Contains("New-NetFirewallRule -Name 'LabRunner SMB demo-nat' -DisplayName 'LabRunner SMB demo-nat' -Description '" + Samples.Mark + "'"
            + " -Direction 'Inbound' -Action 'Allow' -Protocol 'TCP' -LocalPort '445' -InterfaceAlias 'vEthernet (demo-nat)'"
            + " -LocalAddress '172.30.1.1' -RemoteAddress '172.30.1.0/24' -Profile 'Any' -ErrorAction 'Stop'", script, StringComparison.Ordinal);
    }

    [Fact]
    public void The_share_grants_the_labs_account_alone_after_its_folder_rule()
    {
        var script = HyperVScript.Render(new OperationBatch("x", [Samples.SharesBatch().Operations.OfType<CreateShare>().Single()]));

        var icacls = script.IndexOf(@"icacls.exe 'C:\src\demo\site' '/grant' 'lab1a2b3c4d:(OI)(CI)M'", StringComparison.Ordinal);
        var share = script.IndexOf(@"New-SmbShare -Name 'demo-web-lab0' -Path 'C:\src\demo\site' -ChangeAccess 'lab1a2b3c4d' -Description '" + Samples.Mark + "'", StringComparison.Ordinal);
        Assert.True(icacls > 0 && share > icacls, script);
        Assert.DoesNotContain("FullAccess", script, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("lab*")]
    [InlineData("lab?")]
    [InlineData("lab[1]")]
    public void Names_that_would_act_as_patterns_are_refused(string name)
    {
        HostOperation[] operations = [new RemoveShare(name, @"C:\x", "acct"), new RemoveShareTraffic(name), new RemoveShareAccount(name), new CreateShare(name, @"C:\x", "acct", "")];
        foreach (var op in operations)
            Assert.Throws<ArgumentException>(() => HyperVScript.Render(new OperationBatch("x", [op])));
    }

    [Fact]
    public async Task The_provider_hands_the_password_to_the_process_on_standard_input_only()
    {
        var runner = new StdinRunner();
        var provider = new HyperVProvider(runner, new FakeCimClient(new Dictionary<string, IReadOnlyList<Cim.CimRecord>>()), "HOST", new FakeHostFiles());
        var batch = new OperationBatch("shares", [Samples.SharesBatch().Operations[0]]);

        var result = await provider.ApplyAsync(batch, null, CancellationToken.None);

        Assert.True(result.Succeeded);
        Assert.DoesNotContain(Samples.SharePassword, runner.Script, StringComparison.Ordinal);
        Assert.Equal(Samples.SharePassword, Encoding.UTF8.GetString(Convert.FromBase64String(runner.Input!.Trim())));
    }

    private static void AssertDocumentedAndQuoted(string script)
    {
        var ast = ScriptAst.Parse(script);
        foreach (var command in ScriptAst.All<CommandAst>(ast))
        {
            var name = command.GetCommandName();
            Assert.True(name is not null && DocumentedCmdlets.ByCalledName.ContainsKey(name), $"'{name}' is not in the allow-list: {command.Extent.Text}");
            var cmdlet = DocumentedCmdlets.ByCalledName[name!];
            foreach (var parameter in command.CommandElements.OfType<CommandParameterAst>())
                Assert.True(cmdlet.Parameters.Contains(parameter.ParameterName) || DocumentedCmdlets.CommonParameters.Contains(parameter.ParameterName),
                    $"{name} has no documented parameter -{parameter.ParameterName} ({cmdlet.Source})");
            if (DocumentedCmdlets.HostCmdlets.Any(h => h.CalledAs == name))
                Assert.Contains(command.CommandElements.OfType<CommandParameterAst>(), p => p.ParameterName == "ErrorAction");
        }
        Assert.Empty(ScriptAst.All<ExpandableStringExpressionAst>(ast));
        Assert.Empty(ScriptAst.All<SubExpressionAst>(ast));
        foreach (var (command, parameter, value) in ScriptAst.ConstantArguments(ast))
            Assert.True(value.StringConstantType == StringConstantType.SingleQuoted, $"-{parameter} of {command.GetCommandName()} is {value.StringConstantType}: {value.Extent.Text}");
    }

    /// <summary>Says every step is done, and keeps what it was given.</summary>
    private sealed class StdinRunner : IPowerShellRunner
    {
        public string Script { get; private set; } = "";

        public string? Input { get; private set; }

        public string Executable => "powershell.exe";

        public Task<PowerShellRun> RunAsync(string script, Action<string> onStdoutLine, CancellationToken cancellationToken) => RunAsync(script, null!, onStdoutLine, cancellationToken);

        public Task<PowerShellRun> RunAsync(string script, string standardInput, Action<string> onStdoutLine, CancellationToken cancellationToken)
        {
            Script = script;
            Input = standardInput;
            onStdoutLine(ScriptProtocol.BeginLine(1));
            onStdoutLine(ScriptProtocol.OkLine(1));
            return Task.FromResult(new PowerShellRun(0, ""));
        }
    }
}
