using LabRunner.Core.Hosting;
using LabRunner.HyperV.Emulation;

namespace LabRunner.Simulation.Tests.Emulation;

/// <summary>The emulated checkpoint cmdlets, used as Microsoft's own examples use them.</summary>
public class CheckpointCmdletTests
{
    private static SimulatedHost HostWithRunningVm()
    {
        var host = TestHost.WithBaseImage();
        host.Mutate(m =>
        {
            m.NewDifferencingVhd(@"C:\lab\web.vhdx", @"C:\boxes\ubuntu.vhdx", writePlaceholder: false);
            var vm = m.NewVm("TestVM", 2, 1024L * 1024 * 1024, @"C:\lab\web.vhdx", null, null);
            m.SetVm(vm, automaticCheckpoints: false);
            m.StartVm(vm);
        });
        return host;
    }

    [Fact]
    public void Checkpoints_are_taken_listed_by_type_and_through_the_pipeline_and_their_parents_and_children_found()
    {
        var host = HostWithRunningVm();

        var result = EmulatedHost.Run(host, """
            Set-VM -Name TestVM -CheckpointType Standard
            Checkpoint-VM -Name TestVM -SnapshotName BeforeInstallingUpdates
            Get-VM TestVM | Checkpoint-VM -SnapshotName Second
            (Get-VM -Name TestVM | Get-VMSnapshot -SnapshotType Standard).Name -join ','
            $snapshot = Get-VMSnapshot -Name 'Second' -VMName TestVM
            (Get-VMSnapshot -ParentOf $snapshot).Name
            (Get-VMSnapshot -ChildOf (Get-VMSnapshot -VMName TestVM -Name BeforeInstallingUpdates)).Name
            [string]$snapshot.State
            [string](Get-VM TestVM).CheckpointType
            """);

        Assert.True(result.Succeeded, EmulatedSessionTests.Describe(result));
        Assert.Equal(["BeforeInstallingUpdates,Second", "BeforeInstallingUpdates", "Second", "Running", "Standard"], result.Output);
    }

    [Fact]
    public void Restoring_asks_for_confirmation_and_a_non_interactive_session_must_say_confirm_false()
    {
        var host = HostWithRunningVm();
        EmulatedHost.Run(host, "Set-VM -Name TestVM -CheckpointType Standard; Checkpoint-VM -Name TestVM -SnapshotName 'Base image'; Stop-VM -Name TestVM -TurnOff -Force");

        var asked = EmulatedHost.Run(host, "Restore-VMSnapshot -Name 'Base image' -VMName TestVM");
        var confirmed = EmulatedHost.Run(host, "Get-VMSnapshot -VMName TestVM | Restore-VMSnapshot -Confirm:$false");

        Assert.Equal("HostFunctionNotImplemented", Assert.Single(asked.Errors).FullyQualifiedErrorId.Split(',')[0]);
        Assert.True(confirmed.Succeeded, EmulatedSessionTests.Describe(confirmed));
        Assert.Equal(VmState.Saved, host.GetInventory([]).Vm("TestVM")!.State);
    }

    [Fact]
    public void A_running_vm_is_not_restored_and_the_refusal_is_hyper_vs_invalid_state()
    {
        var host = HostWithRunningVm();

        var result = EmulatedHost.Run(host, "Checkpoint-VM -Name TestVM -SnapshotName s1; Restore-VMSnapshot -Name s1 -VMName TestVM -Confirm:$false");

        var error = Assert.Single(result.Errors);
        Assert.StartsWith("InvalidState,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Equal(System.Management.Automation.ErrorCategory.InvalidOperation, error.CategoryInfo.Category);
    }

    [Fact]
    public void Remove_vm_snapshot_takes_a_wildcard_name_as_its_own_example_does()
    {
        var host = HostWithRunningVm();

        var result = EmulatedHost.Run(host, """
            'Experiment1', 'Experiment2', 'Keep' | ForEach-Object { Checkpoint-VM -Name TestVM -SnapshotName $_ }
            Get-VM TestVM | Remove-VMSnapshot -Name Experiment*
            (Get-VMSnapshot -VMName TestVM).Name
            """);

        Assert.True(result.Succeeded, EmulatedSessionTests.Describe(result));
        Assert.Equal(["Keep"], result.Output);
    }

    [Fact]
    public void Suspend_and_resume_pause_a_running_vm_and_a_vm_that_is_off_cannot_be_suspended()
    {
        var host = HostWithRunningVm();

        var paused = EmulatedHost.Run(host, "Suspend-VM -Name TestVM; [string](Get-VM TestVM).State; Resume-VM -Name TestVM; [string](Get-VM TestVM).State");
        var off = EmulatedHost.Run(host, "Stop-VM -Name TestVM -TurnOff -Force; Suspend-VM -Name TestVM");

        Assert.Equal(["Paused", "Running"], paused.Output);
        Assert.StartsWith("InvalidState,", Assert.Single(off.Errors).FullyQualifiedErrorId, StringComparison.Ordinal);
    }
}
