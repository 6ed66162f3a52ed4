using LabRunner.HyperV.Emulation;

namespace LabRunner.Simulation.Tests.Emulation;

/// <summary>Issue 19.3: the emulated LocalAccounts, SmbShare and NetSecurity cmdlets and icacls keep Windows' rules.</summary>
public sealed class ShareCmdletTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("labrunner-share-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private EmulationResult Run(SimulatedHost host, string script) =>
        EmulatedHost.Run(host, script, new Dictionary<string, object?> { ["folder"] = _folder });

    private const string NewUser = """
        $p = [Security.SecureString]::new(); foreach ($c in 'Abcdefgh1234'.ToCharArray()) { $p.AppendChar($c) }
        """;

    [Fact]
    public void An_account_a_share_of_an_existing_folder_granted_to_it_and_a_rule_are_made_read_back_and_removed()
    {
        var host = SimulatedHost.InMemory();

        var result = Run(host, NewUser + """

            $null = New-LocalUser -Name 'lab1a2b3c4d' -Password $p -FullName 'mark' -Description 'LabRunner' -PasswordNeverExpires -ErrorAction 'Stop'
            $null = icacls.exe $folder '/grant' 'lab1a2b3c4d:(OI)(CI)M'
            'grant ' + $LASTEXITCODE
            $null = New-SmbShare -Name 'shop-web-lab0' -Path $folder -ChangeAccess 'lab1a2b3c4d' -Description 'mark' -ErrorAction 'Stop'
            $null = New-NetFirewallRule -Name 'LabRunner SMB x' -DisplayName 'LabRunner SMB x' -Description 'mark' -Direction 'Inbound' -Action 'Allow' -Protocol 'TCP' -LocalPort '445' -InterfaceAlias 'vEthernet (x)' -ErrorAction 'Stop'
            (Get-LocalUser -Name 'lab1a2b3c4d').FullName
            (Get-SmbShare | Where-Object { $_.Name -eq 'shop-web-lab0' }).Path -eq $folder
            (Get-NetFirewallRule -Name 'LabRunner SMB x').Description
            """);

        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        Assert.Equal(["grant 0", "mark", "True", "mark"], result.Output);
        var state = host.Snapshot();
        Assert.Equal(HostModel.PasswordHash("Abcdefgh1234"), state.LocalUsers.Single().PasswordSha256);
        Assert.Equal(("vEthernet (x)", "445", "TCP"), (state.FirewallRules.Single().InterfaceAlias, state.FirewallRules.Single().LocalPort, state.FirewallRules.Single().Protocol));

        var removed = Run(host, """
            Remove-SmbShare -Name 'shop-web-lab0' -Force -ErrorAction 'Stop'
            $null = icacls.exe $folder '/remove:g' 'lab1a2b3c4d'
            'remove ' + $LASTEXITCODE
            Remove-NetFirewallRule -Name 'LabRunner SMB x' -ErrorAction 'Stop'
            Remove-LocalUser -Name 'lab1a2b3c4d' -ErrorAction 'Stop'
            """);

        Assert.True(removed.Succeeded, string.Join("\n", removed.Errors));
        var after = host.Snapshot();
        Assert.Empty(after.LocalUsers);
        Assert.Empty(after.SmbShares);
        Assert.Empty(after.FirewallRules);
        Assert.Empty(after.FolderAccess);
    }

    [Theory]
    [InlineData("$null = New-LocalUser -Name 'a-name-longer-than-20-chars' -Password $p -ErrorAction 'Stop'", "ParameterArgumentValidationError")]
    [InlineData("$null = New-LocalUser -Name 'lab:1' -Password $p -ErrorAction 'Stop'", "InvalidParameter")]
    [InlineData("$null = New-LocalUser -Name 'x' -Password $p -Description 'a description that is longer than forty-eight characters' -ErrorAction 'Stop'", "ParameterArgumentValidationError")]
    [InlineData("$null = New-LocalUser -Name 'x' -Password $p -ErrorAction 'Stop'; $null = New-LocalUser -Name 'X' -Password $p -ErrorAction 'Stop'", "UserExists")]
    [InlineData("$null = New-SmbShare -Name 's' -Path ($folder + '/missing') -ErrorAction 'Stop'", "Windows System Error 2")]
    [InlineData("$null = New-SmbShare -Name 's' -Path $folder -ChangeAccess 'nobody' -ErrorAction 'Stop'", "Windows System Error 1332")]
    [InlineData("$null = New-SmbShare -Name 'pipe' -Path $folder -ErrorAction 'Stop'", "InvalidParameter")]
    [InlineData("$null = New-SmbShare -Name 's' -Path $folder -ErrorAction 'Stop'; $null = New-SmbShare -Name 's' -Path $folder -ErrorAction 'Stop'", "Windows System Error 2118")]
    [InlineData("Remove-LocalUser -Name 'nobody' -ErrorAction 'Stop'", "UserNotFound")]
    public void Windows_refusals_are_errors_with_its_ids(string line, string errorId)
    {
        var result = Run(SimulatedHost.InMemory(), NewUser + "\n" + line);

        Assert.False(result.Succeeded);
        Assert.StartsWith(errorId, result.Errors[^1].FullyQualifiedErrorId, StringComparison.Ordinal);
    }

    [Fact]
    public void Icacls_exits_1332_for_an_account_it_cannot_name_and_changes_nothing()
    {
        var host = SimulatedHost.InMemory();

        var result = Run(host, "$null = icacls.exe $folder '/grant' 'nobody:(OI)(CI)M'; 'exit ' + $LASTEXITCODE");

        Assert.Equal("exit 1332", result.Output[^1]);
        Assert.Empty(host.Snapshot().FolderAccess);
    }
}
