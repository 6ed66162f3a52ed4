using System.Management.Automation;
using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.HyperV.Emulation;
using LabRunner.Providers.HyperV;
using static LabRunner.Simulation.Tests.TestHost;

namespace LabRunner.Simulation.Tests.Emulation;

public class EmulatedSessionTests
{
    [Fact]
    public void The_real_engine_runs_the_emulated_cmdlets_in_a_default_session_on_this_os()
    {
        var result = EmulatedHost.Run(SimulatedHost.InMemory(), """
            $PSVersionTable.PSVersion.Major
            (Get-Command New-VM).CommandType
            (Get-Command Where-Object).CommandType
            """);

        Assert.True(result.Succeeded, Describe(result));
        Assert.True(int.Parse(result.Output[0], System.Globalization.CultureInfo.InvariantCulture) >= 7);
        Assert.Equal(["Cmdlet", "Cmdlet"], result.Output.Skip(1));
    }

    [Fact]
    public void Every_cmdlet_the_hyper_v_provider_uses_is_there()
    {
        string[] expected =
        [
            "Get-VMSwitch", "New-VMSwitch", "Set-VMSwitch", "Remove-VMSwitch", "Get-NetAdapter", "Get-NetIPAddress", "New-NetIPAddress",
            "Remove-NetIPAddress", "Get-NetNat", "New-NetNat", "Remove-NetNat", "Get-NetNatStaticMapping", "Add-NetNatStaticMapping",
            "Remove-NetNatStaticMapping", "New-VHD", "Get-VM", "New-VM", "Set-VM", "Remove-VM", "Start-VM", "Stop-VM", "Resume-VM", "Remove-VMSavedState", "Get-VMNetworkAdapter",
            "Add-VMNetworkAdapter", "Set-VMNetworkAdapter", "Connect-VMNetworkAdapter", "Remove-VMNetworkAdapter", "Get-VMDvdDrive",
            "Add-VMDvdDrive", "Set-VMDvdDrive", "Get-VMHardDiskDrive", "Set-VMFirmware", "Get-VMFirmware",
            "Checkpoint-VM", "Get-VMSnapshot", "Restore-VMSnapshot", "Remove-VMSnapshot", "Suspend-VM",
            // Synced folders over SMB (issue 19).
            "New-LocalUser", "Set-LocalUser", "Get-LocalUser", "Remove-LocalUser", "New-SmbShare", "Get-SmbShare", "Remove-SmbShare",
            "New-NetFirewallRule", "Get-NetFirewallRule", "Remove-NetFirewallRule",
        ];

        Assert.Equal(expected.Order(StringComparer.Ordinal), EmulatedHost.CmdletTypes.Select(EmulatedHost.CommandName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_parameter_the_real_cmdlet_does_not_have_is_rejected_by_the_binder()
    {
        var host = SimulatedHost.InMemory();

        var result = EmulatedHost.Run(host, "New-VMSwitch -Name lab -SwitchType Internal -Subnet 10.188.1.0/24");

        var error = Assert.Single(result.Errors);
        Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
        Assert.StartsWith("NamedParameterNotFound,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Null(host.GetInventory([]).Switch("lab"));
    }

    [Fact]
    public void A_value_of_the_wrong_type_or_set_is_rejected_by_the_binder()
    {
        var result = EmulatedHost.Run(SimulatedHost.InMemory(), "New-VMSwitch -Name lab -SwitchType Bridged");

        var error = Assert.Single(result.Errors);
        Assert.StartsWith("CannotConvertArgumentNoMessage,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
    }

    [Fact]
    public void What_if_changes_nothing()
    {
        var host = SimulatedHost.InMemory();

        var result = EmulatedHost.Run(host, "New-VMSwitch -Name lab -SwitchType Internal -WhatIf; New-VM -Name web -NoVHD -WhatIf");

        Assert.True(result.Succeeded, Describe(result));
        Assert.Null(host.GetInventory([]).Switch("lab"));
        Assert.Empty(host.GetInventory([]).Vms);
    }

    [Fact]
    public void Removals_that_ask_for_confirmation_fail_in_a_non_interactive_session_unless_forced()
    {
        var host = SimulatedHost.InMemory();

        var result = EmulatedHost.Run(host, """
            New-VM -Name web -NoVHD -Generation 2 | Out-Null
            New-NetNat -Name LabRunnerNAT -InternalIPInterfaceAddressPrefix 10.188.0.0/16 | Out-Null
            Remove-VM -Name web
            Remove-NetNat -Name LabRunnerNAT
            """);
        var forced = EmulatedHost.Run(host, "Remove-VM -Name web -Force; Remove-NetNat -Name LabRunnerNAT -Confirm:$false");

        Assert.Equal(["HostFunctionNotImplemented", "HostFunctionNotImplemented"], result.Errors.Select(e => e.FullyQualifiedErrorId.Split(',')[0]));
        Assert.True(forced.Succeeded, Describe(forced));
        Assert.Empty(host.GetInventory([]).Vms);
        Assert.Empty(host.GetInventory([]).Nats);
    }

    internal static string Describe(EmulationResult result) =>
        string.Join("\n", result.Errors.Select(e => $"{e.FullyQualifiedErrorId} | {e.CategoryInfo} | {e.Exception.Message}"));
}

public class EmulatedNetworkingTests
{
    [Fact]
    public void An_internal_switch_gets_its_gateway_address_on_the_host_vnic()
    {
        var host = SimulatedHost.InMemory();

        var result = EmulatedHost.Run(host, """
            $ErrorActionPreference = 'Stop'
            $switch = New-VMSwitch -Name 'demo-nat' -SwitchType Internal -Notes 'labrunner:v1 lab=demo project=p1'
            $rows = New-NetIPAddress -InterfaceAlias 'vEthernet (demo-nat)' -IPAddress 10.188.1.1 -PrefixLength 24
            $switch.SwitchType.ToString()
            $rows.Count
            $rows[0].PolicyStore
            $ip = Get-NetIPAddress -InterfaceAlias 'vEthernet (demo-nat)'
            "$($ip.IPAddress)/$($ip.PrefixLength) on $($ip.InterfaceAlias)"
            (Get-NetAdapter -Name 'vEthernet (demo-nat)').InterfaceDescription
            (Get-VMSwitch -Name 'demo-nat').Notes
            """);

        Assert.True(result.Succeeded, EmulatedSessionTests.Describe(result));
        Assert.Equal(["Internal", "2", "ActiveStore", "10.188.1.1/24 on vEthernet (demo-nat)", "Hyper-V Virtual Ethernet Adapter #2", "labrunner:v1 lab=demo project=p1"], result.Output);
        Assert.Equal("10.188.1.1/24", host.GetInventory([]).HostInterfaceOf(HyperVRules.Instance, "demo-nat")!.Addresses.Single().ToString());
    }

    [Fact]
    public void An_address_can_also_be_placed_by_interface_index()
    {
        var host = SimulatedHost.InMemory();

        var result = EmulatedHost.Run(host, """
            New-VMSwitch -Name lab -SwitchType Internal | Out-Null
            $index = (Get-NetAdapter -Name 'vEthernet (lab)').ifIndex
            New-NetIPAddress -InterfaceIndex $index -IPAddress 10.188.2.1 -PrefixLength 24 | Out-Null
            (Get-NetIPAddress -IPAddress 10.188.2.1).InterfaceAlias
            Get-NetIPAddress -IPAddress 10.188.2.1 | Remove-NetIPAddress -Confirm:$false
            @(Get-NetIPAddress -InterfaceAlias 'vEthernet (lab)' -ErrorAction SilentlyContinue).Count
            """);

        Assert.True(result.Succeeded, EmulatedSessionTests.Describe(result));
        Assert.Equal(["vEthernet (lab)", "0"], result.Output);
    }

    [Fact]
    public void A_nat_and_a_port_mapping_are_made_and_removed_through_the_pipeline()
    {
        var host = SimulatedHost.InMemory();

        var made = EmulatedHost.Run(host, """
            $ErrorActionPreference = 'Stop'
            New-NetNat -Name LabRunnerNAT -InternalIPInterfaceAddressPrefix 10.188.0.0/16 | Out-Null
            $m = Add-NetNatStaticMapping -NatName LabRunnerNAT -Protocol TCP -ExternalIPAddress 0.0.0.0 -ExternalPort 8080 -InternalIPAddress 10.188.1.10 -InternalPort 80
            "$($m.StaticMappingID) $($m.Protocol) $($m.ExternalIPAddress):$($m.ExternalPort) -> $($m.InternalIPAddress):$($m.InternalPort)"
            (Get-NetNat -Name LabRunnerNAT).InternalIPInterfaceAddressPrefix
            """);
        var mappings = host.GetInventory([]).PortMappings.ToArray();
        var removed = EmulatedHost.Run(host, """
            Get-NetNatStaticMapping -NatName LabRunnerNAT | Where-Object { $_.ExternalPort -eq 8080 } | Remove-NetNatStaticMapping -Confirm:$false
            @(Get-NetNatStaticMapping).Count
            """);

        Assert.True(made.Succeeded, EmulatedSessionTests.Describe(made));
        Assert.Equal(["1 TCP 0.0.0.0:8080 -> 10.188.1.10:80", "10.188.0.0/16"], made.Output);
        Assert.Equal([new HostPortMapping("LabRunnerNAT", PortProtocol.Tcp, Ip("0.0.0.0"), 8080, Ip("10.188.1.10"), 80)], mappings);
        Assert.True(removed.Succeeded, EmulatedSessionTests.Describe(removed));
        Assert.Equal(["0"], removed.Output);
    }

    [Fact]
    public void A_static_mapping_added_with_a_prefixed_external_address_reads_back_in_that_form_and_plain_in_the_inventory()
    {
        var host = SimulatedHost.InMemory();

        var made = EmulatedHost.Run(host, """
            $ErrorActionPreference = 'Stop'
            New-NetNat -Name LabRunnerNAT -InternalIPInterfaceAddressPrefix 10.188.0.0/16 | Out-Null
            Add-NetNatStaticMapping -NatName LabRunnerNAT -Protocol TCP -ExternalIPAddress 0.0.0.0/24 -ExternalPort 8080 -InternalIPAddress 10.188.1.10 -InternalPort 80 | Out-Null
            Add-NetNatStaticMapping -NatName LabRunnerNAT -Protocol UDP -ExternalIPAddress 0.0.0.0 -ExternalPort 53 -InternalIPAddress 10.188.1.10 | Out-Null
            Get-NetNatStaticMapping | ForEach-Object { $_.ExternalIPAddress }
            """);

        Assert.True(made.Succeeded, EmulatedSessionTests.Describe(made));
        Assert.Equal(["0.0.0.0/24", "0.0.0.0"], made.Output);
        Assert.All(host.GetInventory([]).PortMappings, m => Assert.Equal(Ip("0.0.0.0"), m.ExternalIp));
    }

    [Fact]
    public void A_second_netnat_surfaces_as_windows_invalid_argument_cim_error()
    {
        var host = SimulatedHost.InMemory();
        host.Mutate(m => m.NewNat("DockerNAT", Prefix("172.20.0.0/16")));

        var result = EmulatedHost.Run(host, "New-NetNat -Name LabRunnerNAT -InternalIPInterfaceAddressPrefix 10.188.0.0/16");

        var error = Assert.Single(result.Errors);
        Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
        Assert.Equal("CimException", error.CategoryInfo.Reason);
        Assert.StartsWith("Windows System Error 87,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.StartsWith("The parameter is incorrect.", error.Exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_duplicate_address_surfaces_as_windows_error_5010()
    {
        var result = EmulatedHost.Run(SimulatedHost.InMemory(), "New-NetIPAddress -InterfaceAlias 'vEthernet (Default Switch)' -IPAddress 192.168.1.50 -PrefixLength 24");

        var error = Assert.Single(result.Errors);
        Assert.StartsWith("Windows System Error 5010,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Equal(ErrorCategory.NotSpecified, error.CategoryInfo.Category);
    }

    [Fact]
    public void A_missing_interface_surfaces_as_the_cdxml_not_found_error()
    {
        var result = EmulatedHost.Run(SimulatedHost.InMemory(), "New-NetIPAddress -InterfaceAlias 'vEthernet (nope)' -IPAddress 10.188.1.1 -PrefixLength 24");

        var error = Assert.Single(result.Errors);
        Assert.StartsWith("CmdletizationQuery_NotFound_InterfaceAlias,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Equal(ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
    }

    [Fact]
    public void Switches_are_found_removed_and_missing_as_hyper_v_reports_them()
    {
        var host = SimulatedHost.InMemory();

        var result = EmulatedHost.Run(host, """
            New-VMSwitch -Name lab -SwitchType Private | Out-Null
            (Get-VMSwitch -SwitchType Private).Name
            Get-VMSwitch lab | Remove-VMSwitch -Force
            Get-VMSwitch -Name lab
            """);

        Assert.Equal(["lab"], result.Output);
        var error = Assert.Single(result.Errors);
        Assert.StartsWith("ObjectNotFound,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Equal("VirtualizationException", error.CategoryInfo.Reason);
        Assert.Equal("Hyper-V was unable to find a virtual switch with name \"lab\".", error.Exception.Message);
    }

    [Fact]
    public void An_external_switch_binds_a_physical_adapter_found_with_get_netadapter()
    {
        var host = SimulatedHost.InMemory();

        var result = EmulatedHost.Run(host, """
            $nic = Get-NetAdapter -Physical | Where-Object { $_.Name -eq 'Ethernet' }
            New-VMSwitch -Name bridge -NetAdapterName $nic.Name -AllowManagementOS $true | Out-Null
            (Get-VMSwitch bridge).NetAdapterInterfaceDescription
            New-VMSwitch -Name bridge2 -NetAdapterInterfaceDescription 'Intel(R) Ethernet Connection'
            """);

        Assert.Equal(["Intel(R) Ethernet Connection"], result.Output);
        Assert.Contains("already bound to the Microsoft Virtual Switch protocol", Assert.Single(result.Errors).Exception.Message, StringComparison.Ordinal);
        Assert.Equal("192.168.1.50/24", host.GetInventory([]).HostInterfaceOf(HyperVRules.Instance, "bridge")!.Addresses.Single().ToString());
    }
}

public class EmulatedVmTests
{
    [Fact]
    public void A_vm_is_built_started_stopped_and_removed_as_the_provider_would_do_it()
    {
        using var folder = new TempFolder();
        var baseImage = folder.File("ubuntu.vhdx");
        var seed = folder.File("web-seed.iso");
        File.WriteAllText(baseImage, "base");
        File.WriteAllText(seed, "seed");
        var host = SimulatedHost.InMemory();
        var variables = new Dictionary<string, object?> { ["base"] = baseImage, ["disk"] = folder.File("web.vhdx"), ["seed"] = seed, ["dir"] = folder.Path };

        var up = EmulatedHost.Run(host, """
            $ErrorActionPreference = 'Stop'
            New-VMSwitch -Name 'demo-nat' -SwitchType Internal | Out-Null
            New-VHD -Path $disk -ParentPath $base -Differencing | Out-Null
            Test-Path -LiteralPath $disk
            $vm = New-VM -Name 'web' -Generation 2 -MemoryStartupBytes 1GB -VHDPath $disk -Path $dir
            Set-VM -VM $vm -Notes 'labrunner:v1 lab=demo project=p1'
            Set-VM -Name 'web' -AutomaticCheckpointsEnabled $false
            Set-VM -Name 'web' -ProcessorCount 2 -MemoryStartupBytes 2GB -StaticMemory
            Get-VMNetworkAdapter -VMName 'web' | Remove-VMNetworkAdapter
            Add-VMNetworkAdapter -VMName 'web' -Name 'nat' -SwitchName 'demo-nat' -StaticMacAddress '024C52000010'
            Add-VMDvdDrive -VMName 'web' -Path $seed
            Set-VMFirmware -VMName 'web' -EnableSecureBoot On -SecureBootTemplate 'MicrosoftUEFICertificateAuthority' -FirstBootDevice (Get-VMHardDiskDrive -VMName 'web')
            Start-VM -Name 'web'
            $vm = Get-VM -Name 'web'
            "$($vm.State) $($vm.Generation) $($vm.ProcessorCount) $($vm.MemoryStartup)"
            $a = Get-VMNetworkAdapter -VMName 'web'
            "$($a.Name) $($a.SwitchName) $($a.MacAddress)"
            (Get-VMDvdDrive -VMName 'web').Path -eq $seed
            $fw = Get-VMFirmware -VMName 'web'
            "$($fw.SecureBoot) $($fw.SecureBootTemplate) $($fw.BootOrder[0].Device.Path -eq $disk)"
            """, variables);
        var down = EmulatedHost.Run(host, """
            $ErrorActionPreference = 'Stop'
            Get-VM -Name 'web' | Stop-VM -TurnOff
            Remove-VM -Name 'web' -Force
            Test-Path -LiteralPath $disk
            Remove-Item -LiteralPath $disk
            Test-Path -LiteralPath $disk
            """, variables);

        Assert.True(up.Succeeded, EmulatedSessionTests.Describe(up));
        Assert.Equal(["True", "Running 2 2 2147483648", "nat demo-nat 024C52000010", "True", "On MicrosoftUEFICertificateAuthority True"], up.Output);
        Assert.True(down.Succeeded, EmulatedSessionTests.Describe(down));
        Assert.Equal(["True", "False"], down.Output);
        Assert.Empty(host.GetInventory([]).Vms);
        Assert.False(host.Read(m => m.FileExists(folder.File("web.vhdx"))));
    }

    [Fact]
    public void Vm_objects_flow_through_the_pipeline()
    {
        var host = SimulatedHost.InMemory();

        var result = EmulatedHost.Run(host, """
            New-VM -Name web -NoVHD -Generation 2 | Start-VM -Passthru | ForEach-Object { $_.State.ToString() }
            Get-VM web | Stop-VM -Passthru | ForEach-Object { $_.State.ToString() }
            Get-VM | Set-VM -Notes 'n' -Passthru | ForEach-Object { $_.Notes }
            """);

        Assert.True(result.Succeeded, EmulatedSessionTests.Describe(result));
        Assert.Equal(["Running", "Off", "n"], result.Output);
    }

    [Fact]
    public void Starting_a_running_vm_only_warns()
    {
        var host = SimulatedHost.InMemory();
        host.Mutate(m => m.StartVm(m.NewVm("web")));

        var result = EmulatedHost.Run(host, "Start-VM -Name web");

        Assert.True(result.Succeeded);
        Assert.Equal(["The virtual machine 'web' is already in the specified state."], result.Warnings);
    }

    [Fact]
    public void A_state_rule_surfaces_as_invalid_operation_and_stops_a_script_that_asks_for_it()
    {
        var host = SimulatedHost.InMemory();
        host.Mutate(m => m.StartVm(m.NewVm("web")));

        var result = EmulatedHost.Run(host, """
            $ErrorActionPreference = 'Stop'
            Set-VM -Name web -ProcessorCount 4
            'not reached'
            """);

        var error = Assert.Single(result.Errors);
        Assert.Empty(result.Output);
        Assert.Equal(ErrorCategory.InvalidOperation, error.CategoryInfo.Category);
        Assert.StartsWith("InvalidState,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.StartsWith("The operation cannot be performed while the virtual machine is in its current state.", error.Exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_vm_is_reported_by_get_vm_as_windows_reports_it()
    {
        var result = EmulatedHost.Run(SimulatedHost.InMemory(), "Get-VM -Name ghost; Start-VM -Name ghost");

        Assert.Equal(2, result.Errors.Count);
        Assert.Equal((ErrorCategory.InvalidArgument, "InvalidParameter"), (result.Errors[0].CategoryInfo.Category, result.Errors[0].FullyQualifiedErrorId.Split(',')[0]));
        Assert.Equal("ghost", result.Errors[0].TargetObject);
        Assert.Equal((ErrorCategory.ObjectNotFound, "ObjectNotFound"), (result.Errors[1].CategoryInfo.Category, result.Errors[1].FullyQualifiedErrorId.Split(',')[0]));
    }

    [Fact]
    public void Adapters_are_connected_and_their_mac_set_by_name_or_object()
    {
        var host = SimulatedHost.InMemory();

        var result = EmulatedHost.Run(host, """
            $ErrorActionPreference = 'Stop'
            New-VMSwitch -Name a -SwitchType Private | Out-Null
            New-VMSwitch -Name b -SwitchType Private | Out-Null
            New-VM -Name web -NoVHD -Generation 1 -SwitchName a | Out-Null
            Connect-VMNetworkAdapter -VMName web -Name 'Network Adapter' -SwitchName b
            Get-VMNetworkAdapter -VMName web | Set-VMNetworkAdapter -StaticMacAddress '02-00-00-00-00-AA'
            $a = Get-VMNetworkAdapter -VMName web
            "$($a.SwitchName) $($a.MacAddress) $($a.DynamicMacAddressEnabled)"
            Get-VMSwitch a | Connect-VMNetworkAdapter -VMName web
            (Get-VMNetworkAdapter -VMName web).SwitchName
            """);

        Assert.True(result.Succeeded, EmulatedSessionTests.Describe(result));
        Assert.Equal(["b 0200000000AA False", "a"], result.Output);
    }

    [Fact]
    public void A_generation_1_vm_refuses_a_new_adapter_while_running_and_a_firmware_change_always()
    {
        var host = SimulatedHost.InMemory();
        host.Mutate(m => m.StartVm(m.NewVm("old", generation: 1)));

        var result = EmulatedHost.Run(host, "Add-VMNetworkAdapter -VMName old -Name lan; Set-VMFirmware -VMName old -EnableSecureBoot Off");

        Assert.Equal(2, result.Errors.Count);
        Assert.Equal(ErrorCategory.InvalidOperation, result.Errors[0].CategoryInfo.Category);
        Assert.Contains("generation 2", result.Errors[1].Exception.Message, StringComparison.Ordinal);
    }
}

public class HostileNameTests
{
    public static TheoryData<string> Names => new()
    {
        "a'; Remove-Item -Recurse / #",
        "$(whoami)",
        "a`b`$c`n",
        "line1\nline2",
        "smart’quote; Start-VM x #",
        "@(1,2) | % { $_ }",
        "x\"y",
    };

    /// <summary>
    /// How a script must quote a value it cannot pass as a variable: a single-quoted literal with every
    /// quote PowerShell reads as a single quote doubled (', and the typographic ‘ ’ ‚ ‛ as well).
    /// </summary>
    private static string Literal(string value)
    {
        var text = new System.Text.StringBuilder("'");
        foreach (var c in value)
        {
            if (c is '\'' or '\u2018' or '\u2019' or '\u201A' or '\u201B') text.Append(c);
            text.Append(c);
        }
        return text.Append('\'').ToString();
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void A_hostile_vm_name_in_a_single_quoted_literal_stays_data(string name)
    {
        var host = SimulatedHost.InMemory();

        var result = EmulatedHost.Run(host, $"""
            $ErrorActionPreference = 'Stop'
            New-VM -Name {Literal(name)} -NoVHD -Generation 2 | Out-Null
            (Get-VM -Name {Literal(name)}).Name
            """);

        Assert.True(result.Succeeded, EmulatedSessionTests.Describe(result));
        Assert.Equal(name, host.GetInventory([]).Vms.Single().Name);
        Assert.Equal([name], result.Output);
    }
}

public class EmulatedDiskTests
{
    [Fact]
    public void New_vhd_refuses_a_missing_parent_and_an_existing_path()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("base.vhdx"), "base");
        var host = SimulatedHost.InMemory();

        var result = EmulatedHost.Run(host, """
            New-VHD -Path ./web.vhdx -ParentPath ./base.vhdx -Differencing | Out-Null
            New-VHD -Path ./web.vhdx -ParentPath ./base.vhdx -Differencing
            New-VHD -Path ./db.vhdx -ParentPath ./missing.vhdx -Differencing
            """.Replace("./", folder.Path + "/", StringComparison.Ordinal));

        Assert.Equal([ErrorCategory.ResourceExists, ErrorCategory.ObjectNotFound], result.Errors.Select(e => e.CategoryInfo.Category));
        Assert.True(File.Exists(folder.File("web.vhdx")));
        Assert.Equal(folder.File("base.vhdx"), host.Read(m => m.FindVhd(folder.File("web.vhdx"))!.ParentPath));
    }

    [Fact]
    public void A_windows_path_lives_in_the_model_only()
    {
        var host = SimulatedHost.InMemory();
        host.Mutate(m => m.NewVhd(@"C:\boxes\ubuntu.vhdx", writePlaceholder: false));

        var result = EmulatedHost.Run(host, """
            $d = New-VHD -Path 'C:\lab\.lab\web.vhdx' -ParentPath 'C:\boxes\ubuntu.vhdx' -Differencing
            "$($d.VhdType) $($d.VhdFormat) $($d.ParentPath)"
            Test-Path 'C:\lab\.lab\web.vhdx'
            """);

        Assert.True(result.Succeeded, EmulatedSessionTests.Describe(result));
        Assert.Equal([@"Differencing VHDX C:\boxes\ubuntu.vhdx", "False"], result.Output);
        Assert.Equal([@"C:\lab\.lab\web.vhdx"], host.GetInventory([@"C:\lab\.lab\web.vhdx"]).Files.ToArray());
    }
}
