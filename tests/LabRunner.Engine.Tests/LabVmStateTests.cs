using LabRunner.Core.Hosting;

namespace LabRunner.Engine.Tests;

public class LabVmStateTests
{
    [Fact]
    public void Every_state_has_one_status_name_and_every_host_state_maps_to_its_own()
    {
        var names = Enum.GetValues<LabVmState>().Select(s => s.Name()).ToList();

        Assert.Equal(names.Count, names.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal("not_created", LabVmState.NotCreated.Name());
        Assert.Equal("not created", LabVmState.NotCreated.Words());
        Assert.All(Enum.GetValues<VmState>(), s => Assert.Equal(s.ToString().ToLowerInvariant(), LabVmStates.Of(s).Name()));
    }
}
