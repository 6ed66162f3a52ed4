using LabRunner.Core.Reconciliation;
using LabRunner.Simulation;

namespace LabRunner.Engine.Tests;

/// <summary>The engine's writes of state.json apply its own steps to the file as it is (issue 13.6), never a copy read minutes earlier.</summary>
public sealed class EngineStateWritesTests : IDisposable
{
    private readonly TestLab _lab = new(TestLab.Three());

    public void Dispose() => _lab.Dispose();

    [Theory]
    [InlineData(ReconcileMode.Up)]
    [InlineData(ReconcileMode.Down)]
    public async Task What_another_command_records_while_the_engine_applies_is_kept(ReconcileMode mode)
    {
        if (mode == ReconcileMode.Down) await _lab.Run(ReconcileMode.Up);
        var stateDirectory = _lab.Project().StateDirectory;
        var provider = new MeanwhileProvider(new SimulatedProvider(_lab.Host()), () =>
            ProjectState.Update(stateDirectory, s =>
            {
                s.Provisioned["web"] = new() { ["vm.provision[0]"] = "hash" };
                return s.SetReady(["web"], ready: true);
            }));

        var result = await _lab.Engine(provider).RunAsync(mode, [], EngineOptions.Default, CancellationToken.None);

        Assert.Equal(EngineOutcome.Done, result.Outcome);
        var state = ProjectState.LoadOrCreate(stateDirectory);
        Assert.Equal(["web"], state.ReadyVms);
        Assert.Equal("hash", state.Provisioned["web"]["vm.provision[0]"]);
    }
}
