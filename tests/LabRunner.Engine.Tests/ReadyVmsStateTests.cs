namespace LabRunner.Engine.Tests;

/// <summary>state.json's record of the VMs seen ready since they last started.</summary>
public sealed class ReadyVmsStateTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lr-ready-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Ready_vms_are_recorded_once_ignoring_case_and_forgotten_again()
    {
        ProjectState.SetReady(_dir, ["web", "db"], ready: true);
        ProjectState.SetReady(_dir, ["WEB"], ready: true);
        var both = ProjectState.LoadOrCreate(_dir).ReadyVms.ToArray();
        ProjectState.SetReady(_dir, ["Db"], ready: false);

        Assert.Equal(["web", "db"], both);
        Assert.Equal(["web"], ProjectState.LoadOrCreate(_dir).ReadyVms);
    }

    [Fact]
    public void Nothing_to_change_writes_nothing()
    {
        ProjectState.SetReady(_dir, ["web"], ready: false);

        Assert.False(File.Exists(ProjectState.PathIn(_dir)));
    }

    [Fact]
    public void One_update_marks_vms_not_ready_and_forgets_their_provisioners_and_returns_the_state()
    {
        ProjectState.Update(_dir, s =>
        {
            s.Provisioned["web"] = new() { ["vm.provision[0]"] = "h" };
            s.Provisioned["db"] = new() { ["vm.provision[0]"] = "h" };
            return s.SetReady(["web", "db"], ready: true);
        });

        var state = ProjectState.Update(_dir, s => s.SetReady(["web"], ready: false) | s.ForgetProvisioned(["web", "gone"]));

        Assert.Equal(["db"], state.ReadyVms);
        Assert.Equal(["db"], state.Provisioned.Keys);
        Assert.Equal(["db"], ProjectState.LoadOrCreate(_dir).Provisioned.Keys);
    }
}
