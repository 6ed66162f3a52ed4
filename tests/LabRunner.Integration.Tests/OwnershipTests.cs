using LabRunner.Core.Hosting;
using LabRunner.Core.Reconciliation;
using LabRunner.Engine;
using LabRunner.Integration.Tests.Support;
using LabRunner.Simulation;

namespace LabRunner.Integration.Tests;

/// <summary>
/// Issue 7, points 2 and 3 through the real Hyper-V provider (its scripts run by PowerShell against the
/// emulated cmdlets): the project's identity survives the loss of .lab, and adopting re-marks the lab
/// with Set-VMSwitch -Notes and Set-VM -Notes.
/// </summary>
public class OwnershipTests
{
    [Fact]
    public async Task Losing_the_lab_folder_keeps_the_lab_this_projects_and_down_finishes_in_one_run()
    {
        using var lab = new Lab(Labfiles.Shop, SimulatedHost.InMemory());
        Assert.Equal(EngineOutcome.Done, (await lab.UpAsync()).Outcome);
        Directory.Delete(lab.StateDirectory, recursive: true);

        var up = await lab.UpAsync();
        var down = await lab.DownAsync();

        Assert.True(up.Outcome == EngineOutcome.Done, Lab.Describe(up));
        Assert.All(up.Reconciliation!.All, o => Assert.IsType<AttachSeed>(o));
        Assert.True(down.Outcome == EngineOutcome.Done, Lab.Describe(down));
        Assert.DoesNotContain(lab.Host.Snapshot().Vms, v => LabIdentity.IsLabRunner(v.Notes));
        Assert.DoesNotContain(lab.Host.Snapshot().Switches, s => LabIdentity.IsLabRunner(s.Notes));
    }

    [Fact]
    public async Task A_lab_with_an_older_labrunners_random_id_is_taken_over_by_up_adopt_through_powershell()
    {
        using var lab = new Lab(Labfiles.Shop, SimulatedHost.InMemory());
        var built = await lab.UpAsync();
        Assert.Equal(EngineOutcome.Done, built.Outcome);
        var legacy = new LabIdentity(built.Plan!.Lab, "5eed1e55").Mark;
        lab.Host.Mutate(m =>
        {
            foreach (var vm in m.State.Vms.Where(v => LabIdentity.IsLabRunner(v.Notes))) vm.Notes = legacy;
            foreach (var sw in m.State.Switches.Where(s => LabIdentity.IsLabRunner(s.Notes) && s.Notes != LabIdentity.SharedMark)) sw.Notes = legacy;
        });
        var processes = lab.Runner.ProcessesStarted;

        var refused = await lab.UpAsync();
        var adopted = await lab.RunAsync(ReconcileMode.Up, o => o with { Adopt = true });
        var again = await lab.UpAsync();

        Assert.Equal(EngineOutcome.Conflict, refused.Outcome);
        Assert.True(adopted.Outcome == EngineOutcome.Done, Lab.Describe(adopted));
        Assert.True(lab.Runner.ProcessesStarted > processes);
        Assert.All(adopted.Reconciliation!.All, o => Assert.True(o is SetSwitchNotes or SetVmNotes, o.Describe()));
        Assert.Equal(EngineOutcome.NothingToDo, again.Outcome);
        var mark = new LabIdentity(built.Plan.Lab, ProjectIdentity.Of(lab.Directory)).Mark;
        Assert.All(lab.Host.Snapshot().Vms.Where(v => LabIdentity.IsLabRunner(v.Notes)), v => Assert.Equal(mark, v.Notes));
        Assert.All(lab.Host.Snapshot().Switches.Where(s => s.Notes.StartsWith("labrunner:v1 lab=", StringComparison.Ordinal)), s => Assert.Equal(mark, s.Notes));
    }
}
