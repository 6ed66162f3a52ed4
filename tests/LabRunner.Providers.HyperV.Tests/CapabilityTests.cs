using LabRunner.Core.Hosting;
using LabRunner.Providers.HyperV.Cim;
using LabRunner.Providers.HyperV.Guests;
using LabRunner.Providers.HyperV.Tests.Support;

namespace LabRunner.Providers.HyperV.Tests;

/// <summary>What the Hyper-V provider can do beyond the core interface, asked for by capability; and its preview.</summary>
public class CapabilityTests
{
    private static HyperVProvider Provider() =>
        new(new ScriptedRunner([]), new FakeCimClient(new Dictionary<string, IReadOnlyList<CimRecord>>()), "HOST");

    [Fact]
    public void Its_guests_boot_power_shell_direct_reaches_them_without_a_network_and_it_keeps_checkpoints_but_no_console_log()
    {
        IHostProvider provider = Provider();

        Assert.NotNull(provider.Capability<IGuestBoot>());
        Assert.IsType<PowerShellDirect>(provider.Capability<IDirectGuestAccess>());
        Assert.IsType<HyperVSnapshots>(provider.Capability<ISnapshots>());
        Assert.Null(provider.Capability<IConsoleLog>());
    }

    [Fact]
    public void Its_preview_is_the_batchs_script_under_a_heading_that_says_so()
    {
        IHostProvider provider = Provider();
        var batch = new OperationBatch("host networking", [new CreateSwitch("LabRunner-shop-lan", SwitchKind.Private, null, "mark")]);

        Assert.Equal("PowerShell for 'host networking' (one process)", provider.PreviewHeading(batch.Label));
        Assert.Contains("New-VMSwitch", provider.Preview(batch), StringComparison.Ordinal);
    }

    [Fact]
    public void A_person_is_told_the_power_shell_direct_session_with_the_vm_name_quoted_for_power_shell()
    {
        var access = ((IHostProvider)Provider()).Capability<IDirectGuestAccess>()!;

        Assert.Equal("PowerShell Direct from an elevated PowerShell on the host: Enter-PSSession -VMName 'shop-o''dc $(x)' -Credential Administrator",
            access.ManualAccess("shop-o'dc $(x)", "Administrator"));
    }
}
