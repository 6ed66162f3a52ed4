using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Core.Planning;
using LabRunner.Providers.HyperV;

namespace LabRunner.Core.Tests;

/// <summary>'snapshot_type' under 'defaults' and per VM: standard (the default), production, production_only.</summary>
public class SnapshotTypeTests
{
    private static string Lab(string vm, string defaults = "  box: ubuntu") => $"""
        name: demo
        defaults:
        {defaults}
        vms:
          - name: web
        {vm}
          - name: db
        """;

    private static LabContext Context => LabContext.For(HyperVRules.Instance) with { BoxesOnDisk = ["ubuntu"] };

    private static (SnapshotType Web, SnapshotType Db) Types(string text)
    {
        var loaded = Labfiles.Load(text, context: Context);
        Expect.NoErrors(loaded.Diagnostics);
        return (loaded.Lab!.Vms.Single(v => v.Name == "web").SnapshotType, loaded.Lab.Vms.Single(v => v.Name == "db").SnapshotType);
    }

    [Fact]
    public void Standard_is_the_default_the_defaults_set_it_for_every_vm_and_a_vm_overrides_them_in_any_case()
    {
        Assert.Equal((SnapshotType.Standard, SnapshotType.Standard), Types(Lab("    cpus: 1")));
        Assert.Equal((SnapshotType.ProductionOnly, SnapshotType.Production), Types(Lab("    snapshot_type: production_only", "  box: ubuntu\n  snapshot_type: production")));
        Assert.Equal((SnapshotType.Standard, SnapshotType.Standard), Types(Lab("    snapshot_type: Standard")));
    }

    [Fact]
    public void The_plan_carries_each_vms_snapshot_type()
    {
        var plan = Labfiles.ValidPlan(Lab("    snapshot_type: production"), context: Context);

        Assert.Equal([SnapshotType.Production, SnapshotType.Standard], plan.Vms.Select(v => v.SnapshotType));
    }

    [Theory]
    [InlineData("    snapshot_type: productiononly", "  box: ubuntu", "productiononly")]
    [InlineData("    cpus: 1", "  box: ubuntu\n  snapshot_type: checkpoint", "checkpoint")]
    public void An_unknown_snapshot_type_is_reported_at_its_value_with_the_choices(string vm, string defaults, string value)
    {
        var text = Lab(vm, defaults);

        var d = Expect.OnlyError(Labfiles.Load(text, context: Context).Diagnostics, "LAB006", text, value);

        Assert.Equal($"snapshot_type '{value}' is not one of: standard, production, production_only", d.Message);
    }
}
