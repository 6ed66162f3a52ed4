using LabRunner.Core.Boxes;
using LabRunner.Core.Labfile;
using LabRunner.Core.Reconciliation;
using LabRunner.Engine;
using LabRunner.Simulation;

namespace LabRunner.Engine.Tests;

/// <summary>
/// A VM's box from the user's box store, named the Vagrant way (the VM's 'box' alone, or a 'boxes' entry with only
/// a 'version'): the engine makes the VM's disk on the store's disk and records the version, and refuses, before it
/// creates anything, a box the store does not have.
/// </summary>
public sealed class StoreBoxEngineTests : IDisposable
{
    private const string NameOnly = """
        name: shop
        networks:
          - { name: lan, type: nat }
        vms:
          - name: web
            box: debian-12
            networks: [lan]
        """;

    private readonly string _store = Path.Combine(Path.GetTempPath(), "labrunner-store-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly List<StoreBox> _installed = [];
    private readonly List<BoxDefinition> _asked = [];

    public void Dispose()
    {
        try { Directory.Delete(_store, recursive: true); } catch (IOException) { }
    }

    private StoreBox Install(string name, string version)
    {
        var disk = Path.Combine(_store, name, version, "hyperv-vhdx", "box.vhdx");
        Directory.CreateDirectory(Path.GetDirectoryName(disk)!);
        File.WriteAllBytes(disk, new byte[4096]);
        var box = new StoreBox(disk, name, BoxVersion.Parse(version), "hyperv");
        _installed.Add(box);
        return box;
    }

    /// <summary>What the CLI's store does: the newest installed version of the name that fits the entry's constraint.</summary>
    private StoreBox? Resolve(BoxDefinition box)
    {
        _asked.Add(box);
        var constraint = box.Version ?? VersionConstraint.Any;
        return _installed.Where(b => b.Name == box.Name && constraint.Admits(b.Version))
            .OrderByDescending(b => b.Version).FirstOrDefault();
    }

    private LabProject WithStore(LabProject project) => project.WithBoxStore("hyperv", Resolve);

    private static Task<EngineResult> Run(TestLab lab, SimulatedHost host, ReconcileMode mode, Func<LabProject, LabProject> project) =>
        lab.Engine(new SimulatedProvider(host), project).RunAsync(mode, [], EngineOptions.Default, CancellationToken.None);

    private static string ParentOfDisk(SimulatedHost host, string vm) =>
        host.Snapshot().Vhds.Single(v => v.Path.Contains(Path.Combine("vms", vm), StringComparison.Ordinal)).ParentPath!;

    [Fact]
    public async Task Up_makes_a_VM_whose_box_is_named_alone_on_the_stores_disk_and_records_its_version()
    {
        using var lab = new TestLab(NameOnly);
        var host = lab.Host();
        Install("debian-12", "1.0.0");
        var newest = Install("debian-12", "1.2.0");

        var up = await Run(lab, host, ReconcileMode.Up, WithStore);

        Assert.True(up.Outcome == EngineOutcome.Done, string.Join("\n", up.Diagnostics));
        Assert.Equal(newest.DiskPath, ParentOfDisk(host, "web"));
        var state = ProjectState.LoadOrCreate(Path.Combine(lab.ProjectDirectory, ".lab"));
        Assert.Equal(new VmBox("debian-12", "1.2.0", "hyperv"), state.Boxes["web"]);
    }

    [Fact]
    public async Task Up_with_a_version_only_box_asks_the_store_with_its_constraint_and_uses_what_fits()
    {
        using var lab = new TestLab(NameOnly.Replace("networks:\n", "boxes:\n  debian-12: { version: \"~> 1.2\" }\nnetworks:\n", StringComparison.Ordinal));
        var host = lab.Host();
        Install("debian-12", "1.1.0");
        var fits = Install("debian-12", "1.3.0");
        Install("debian-12", "2.0.0");

        var up = await Run(lab, host, ReconcileMode.Up, WithStore);

        Assert.True(up.Outcome == EngineOutcome.Done, string.Join("\n", up.Diagnostics));
        Assert.Equal(fits.DiskPath, ParentOfDisk(host, "web"));
        Assert.All(_asked, b => Assert.Equal("~> 1.2", b.Version?.Text));
    }

    [Fact]
    public async Task Up_refuses_a_box_the_store_does_not_have_before_creating_anything()
    {
        using var lab = new TestLab(NameOnly);
        var host = lab.Host();
        Install("debian-11", "1.0.0");

        var up = await Run(lab, host, ReconcileMode.Up, WithStore);

        Assert.Equal(EngineOutcome.InvalidLabfile, up.Outcome);
        var d = Assert.Single(up.Diagnostics, x => x.IsError);
        Assert.Equal(("LAB301", 6, 10), (d.Code, d.Span.Line, d.Span.Column));
        Assert.Contains("'lab box add debian-12 SOURCE'", d.Message, StringComparison.Ordinal);
        Assert.Equal(0, host.MutationCount);
        Assert.False(File.Exists(Path.Combine(lab.ProjectDirectory, ".lab", "state.json")));
    }

    [Fact]
    public async Task Down_still_works_once_the_box_has_left_the_store()
    {
        using var lab = new TestLab(NameOnly);
        var host = lab.Host();
        Install("debian-12", "1.0.0");
        Assert.Equal(EngineOutcome.Done, (await Run(lab, host, ReconcileMode.Up, WithStore)).Outcome);
        _installed.Clear();

        var down = await Run(lab, host, ReconcileMode.Down, WithStore);

        Assert.True(down.Outcome == EngineOutcome.Done, string.Join("\n", down.Diagnostics));
        Assert.Empty(host.GetInventory([]).Vms);
    }

    [Fact]
    public void A_box_file_in_the_projects_boxes_folder_wins_over_the_store()
    {
        using var lab = new TestLab(NameOnly.Replace("debian-12", "ubuntu", StringComparison.Ordinal)); // TestLab writes boxes/ubuntu.vhdx
        Install("ubuntu", "1.0.0");
        var project = WithStore(lab.Project());
        var loaded = project.Load().Lab!;

        var path = project.BoxPath(loaded, "ubuntu");

        Assert.Equal(Path.Combine(lab.ProjectDirectory, "boxes", "ubuntu.vhdx"), path);
        Assert.Null(project.StoreBoxOf(loaded, "ubuntu"));
        Assert.Empty(project.StoreBoxesUsed(loaded));
    }

    [Fact]
    public void Without_a_store_a_box_named_alone_is_not_looked_for_there()
    {
        using var lab = new TestLab(NameOnly);
        Install("debian-12", "1.0.0");
        var project = lab.Project();

        var result = project.PlanCheckingBoxFiles();

        Assert.Contains(result.Diagnostics, d => d.Code == "LAB301");
        Assert.Empty(_asked);
    }
}
