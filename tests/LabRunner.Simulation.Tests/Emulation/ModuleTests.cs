using System.Management.Automation;
using LabRunner.HyperV.Emulation;

namespace LabRunner.Simulation.Tests.Emulation;

/// <summary>The emulated commands live in the modules Windows has them in, so module-qualified names resolve.</summary>
public class ModuleTests
{
    [Fact]
    public void A_module_qualified_hyper_v_cmdlet_creates_the_vm()
    {
        var host = SimulatedHost.InMemory();

        var result = EmulatedHost.Run(host, """
            $vm = Hyper-V\New-VM -Name 'x' -Generation 2 -MemoryStartupBytes 1GB -NoVHD -ErrorAction 'Stop'
            $vm.Name
            (Hyper-V\Get-VM -Name 'x').Generation
            """);

        Assert.True(result.Succeeded, EmulatedSessionTests.Describe(result));
        Assert.Equal(["x", "2"], result.Output);
        var vm = Assert.Single(host.GetInventory([]).Vms);
        Assert.Equal(("x", 2, 1024L * 1024 * 1024), (vm.Name, vm.Generation, vm.MemoryBytes));
    }

    [Fact]
    public void An_undocumented_parameter_is_still_rejected_through_the_qualified_name()
    {
        var host = SimulatedHost.InMemory();

        var hyperV = EmulatedHost.Run(host, "Hyper-V\\New-VM -Name 'x' -NoVHD -CpuCount 2");
        var netNat = EmulatedHost.Run(host, "NetNat\\New-NetNat -Name 'n' -InternalIPInterfaceAddressPrefix '10.9.0.0/16' -Subnet '10.9.0.0/16'");

        foreach (var result in new[] { hyperV, netNat })
        {
            var error = Assert.Single(result.Errors);
            Assert.StartsWith("NamedParameterNotFound,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
            Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
        }
        Assert.Empty(host.GetInventory([]).Vms);
        Assert.Empty(host.GetInventory([]).Nats);
    }

    [Fact]
    public void Every_emulated_command_resolves_by_its_module_qualified_name_to_its_module()
    {
        var qualified = EmulatedModules.Modules.SelectMany(m => m.Value.Select(c => $"{m.Key}\\{c}")).ToList();

        var result = EmulatedHost.Run(SimulatedHost.InMemory(),
            "foreach ($name in $LabRunnerNames) { $c = Get-Command $name -ErrorAction 'Stop'; \"$($c.Source)\\$($c.Name) $($c.CommandType)\" }",
            new Dictionary<string, object?> { ["LabRunnerNames"] = qualified.ToArray() });

        Assert.True(result.Succeeded, EmulatedSessionTests.Describe(result));
        Assert.Equal(
            qualified.Select(q => q + (q.StartsWith(EmulatedModules.HyperV + "\\", StringComparison.Ordinal) ? " Cmdlet" : " Function")),
            result.Output);
        Assert.Equal(["Hyper-V", "Microsoft.PowerShell.LocalAccounts", "NetAdapter", "NetNat", "NetSecurity", "NetTCPIP", "SmbShare"], EmulatedModules.Modules.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(EmulatedHost.CmdletTypes.Count, qualified.Count);
    }

    [Fact]
    public void Unqualified_names_resolve_to_the_same_commands()
    {
        var result = EmulatedHost.Run(SimulatedHost.InMemory(), """
            foreach ($name in 'New-VM', 'New-NetNat', 'New-NetIPAddress', 'Get-NetAdapter', 'Test-Path') { $c = Get-Command $name; "$($c.Source)|$($c.CommandType)" }
            """);

        Assert.True(result.Succeeded, EmulatedSessionTests.Describe(result));
        Assert.Equal(["Hyper-V|Cmdlet", "NetNat|Function", "NetTCPIP|Function", "NetAdapter|Function", "|Cmdlet"], result.Output);
    }

    [Fact]
    public void Cdxml_functions_like_the_real_ones_do_not_see_a_scripts_error_action_preference()
    {
        // On Windows NetNat/NetTCPIP commands are script-module functions: $ErrorActionPreference set in a
        // script does not reach them, so only an explicit -ErrorAction makes their errors stop the script.
        var host = SimulatedHost.InMemory();

        var result = EmulatedHost.Run(host, """
            & {
                $ErrorActionPreference = 'Stop'
                New-NetNat -Name 'a' -InternalIPInterfaceAddressPrefix '10.1.0.0/16' | Out-Null
                New-NetNat -Name 'b' -InternalIPInterfaceAddressPrefix '10.2.0.0/16'
                'went on'
                try { New-NetNat -Name 'b' -InternalIPInterfaceAddressPrefix '10.2.0.0/16' -ErrorAction 'Stop'; 'not stopped' }
                catch { "stopped: $($_.CategoryInfo.Category)" }
                try { Hyper-V\Get-VM -Name 'nope'; 'not stopped' } catch { 'a cmdlet sees the preference' }
            }
            """);

        Assert.Equal(["went on", "stopped: InvalidArgument", "a cmdlet sees the preference"], result.Output);
        Assert.StartsWith("Windows System Error 87,", Assert.Single(result.Errors).FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Equal("a", Assert.Single(host.GetInventory([]).Nats).Name);
    }
}
