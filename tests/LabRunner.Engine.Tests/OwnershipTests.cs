using System.Collections.Immutable;
using LabRunner.Core.Hosting;
using LabRunner.Core.Net;
using LabRunner.Core.Reconciliation;
using LabRunner.Simulation;
using LabRunner.Simulation.Model;

namespace LabRunner.Engine.Tests;

/// <summary>Issue 7, points 1–7: a lab never loses or steals its VMs.</summary>
public class OwnershipTests
{
    private static Task<EngineResult> Run(TestLab lab, SimulatedHost host, ReconcileMode mode, params string[] targets) =>
        lab.Engine(host).RunAsync(mode, [.. targets], EngineOptions.Default, CancellationToken.None);

    private static Task<EngineResult> Run(TestLab lab, SimulatedHost host, ReconcileMode mode, EngineOptions options, params string[] targets) =>
        lab.Engine(host).RunAsync(mode, [.. targets], options, CancellationToken.None);

    private static string Why(EngineResult r) =>
        $"{r.Outcome}: {string.Join("; ", r.Reconciliation?.Conflicts.Select(c => c.Message) ?? [])} {string.Join("; ", r.Failures.Select(f => f.Error.Message))} {string.Join("; ", r.Diagnostics)}";

    private static void CopyFolder(string from, string to)
    {
        foreach (var dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(dir.Replace(from, to, StringComparison.Ordinal));
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, file.Replace(from, to, StringComparison.Ordinal), overwrite: true);
    }

    // ------------------------------------------------------------ 1. names on the command line

    [Fact]
    public async Task Up_reload_and_halt_take_vm_names_in_any_case_and_use_the_labfiles_spelling()
    {
        using var lab = new TestLab(TestLab.Three());
        var host = lab.Host();

        var up = await Run(lab, host, ReconcileMode.Up, "WEB", "Db");
        var reload = await Run(lab, host, ReconcileMode.Reload, "WEB");
        var halt = await Run(lab, host, ReconcileMode.Halt, "wEb");

        Assert.True(up.Outcome == EngineOutcome.Done, Why(up));
        Assert.True(reload.Outcome == EngineOutcome.Done, Why(reload));
        Assert.True(halt.Outcome == EngineOutcome.Done, Why(halt));
        var vms = host.GetInventory([]).Vms;
        Assert.Equal(["demo-db", "demo-web"], vms.Select(v => v.Name).Order());
        Assert.Equal(VmState.Off, vms.Single(v => v.Name == "demo-web").State);
        Assert.Equal(VmState.Running, vms.Single(v => v.Name == "demo-db").State);
        Assert.All(vms, v => Assert.Contains(v.DvdDrives, d => d.Path.Contains("seed-", StringComparison.Ordinal) && File.Exists(d.Path)));
    }

    // ------------------------------------------------------------ 2. losing .lab

    [Fact]
    public async Task After_losing_the_lab_folder_status_up_and_down_still_know_the_lab()
    {
        using var lab = new TestLab(TestLab.Three());
        var host = lab.Host();
        await Run(lab, host, ReconcileMode.Up);
        Directory.Delete(Path.Combine(lab.ProjectDirectory, ".lab"), recursive: true);

        var status = await lab.Engine(host).StatusAsync(CancellationToken.None);
        var up = await Run(lab, host, ReconcileMode.Up);
        var down = await Run(lab, host, ReconcileMode.Down);

        Assert.All(status.Vms, v => Assert.Equal(LabVmState.Running, v.State));
        Assert.True(up.Outcome == EngineOutcome.Done, Why(up));
        // The seeds went with .lab; up wrote them again and the VMs hold them.
        Assert.All(host.GetInventory([]).Vms.SelectMany(v => v.DvdDrives), d => Assert.True(File.Exists(d.Path), d.Path));
        Assert.True(down.Outcome == EngineOutcome.Done, Why(down));
        Assert.Empty(host.GetInventory([]).LabRunnerObjects());
    }

    [Fact]
    public async Task Down_finishes_in_one_run_when_the_lab_folder_is_gone_and_the_seeds_with_it()
    {
        using var lab = new TestLab(TestLab.Three());
        var host = lab.Host();
        await Run(lab, host, ReconcileMode.Up);
        Directory.Delete(Path.Combine(lab.ProjectDirectory, ".lab"), recursive: true);

        var down = await Run(lab, host, ReconcileMode.Down);

        Assert.True(down.Outcome == EngineOutcome.Done, Why(down));
        Assert.Empty(host.GetInventory([]).LabRunnerObjects());
    }

    [Fact]
    public async Task A_lab_made_with_a_random_project_id_is_refused_then_adopted_with_adopt()
    {
        using var lab = new TestLab(TestLab.Three());
        var host = lab.Host();
        await Run(lab, host, ReconcileMode.Up);
        // What an older LabRunner left: marks with a random id, recorded in .lab/state.json.
        host.Mutate(m =>
        {
            foreach (var vm in m.State.Vms) vm.Notes = new LabIdentity("demo", "0badc0de").Mark;
            foreach (var sw in m.State.Switches.Where(s => LabIdentity.IsLabRunner(s.Notes) && s.Notes != LabIdentity.SharedMark)) sw.Notes = new LabIdentity("demo", "0badc0de").Mark;
        });
        File.WriteAllText(Path.Combine(lab.ProjectDirectory, ".lab", "state.json"), """{ "project_id": "0badc0de", "pending_vms": [] }""");
        var mutations = host.MutationCount;

        var refused = await Run(lab, host, ReconcileMode.Up);
        var refusedDown = await Run(lab, host, ReconcileMode.Down);
        Assert.Equal(mutations, host.MutationCount);
        var adopted = await Run(lab, host, ReconcileMode.Up, EngineOptions.Default with { Adopt = true });
        var again = await Run(lab, host, ReconcileMode.Up);

        Assert.Equal(EngineOutcome.Conflict, refused.Outcome);
        Assert.Contains(refused.Reconciliation!.Conflicts, c => c.Message.Contains("--adopt", StringComparison.Ordinal) && c.Message.Contains("older LabRunner", StringComparison.Ordinal));
        Assert.Equal(EngineOutcome.Conflict, refusedDown.Outcome);
        Assert.True(adopted.Outcome == EngineOutcome.Done, Why(adopted));
        Assert.Equal(EngineOutcome.NothingToDo, again.Outcome);
        var marks = host.GetInventory([]).Vms.Select(v => v.Notes).Distinct().ToList();
        Assert.DoesNotContain(marks, n => n.Contains("0badc0de", StringComparison.Ordinal));
    }

    // ------------------------------------------------------------ 3. a copied folder

    [Fact]
    public async Task A_copied_project_folder_is_refused_with_an_explanation_and_changes_nothing()
    {
        using var original = new TestLab(TestLab.Three());
        var host = original.Host();
        await Run(original, host, ReconcileMode.Up);
        using var copy = new TestLab(TestLab.Three(), original.HostFile);
        CopyFolder(Path.Combine(original.ProjectDirectory, ".lab"), Path.Combine(copy.ProjectDirectory, ".lab"));
        var mutations = host.MutationCount;

        var up = await Run(copy, host, ReconcileMode.Up);
        var down = await Run(copy, host, ReconcileMode.Down);
        var status = await copy.Engine(host).StatusAsync(CancellationToken.None);

        Assert.Equal(EngineOutcome.Conflict, up.Outcome);
        Assert.Equal(EngineOutcome.Conflict, down.Outcome);
        Assert.Equal(mutations, host.MutationCount);
        Assert.Contains(up.Reconciliation!.Conflicts, c => c.Message.Contains("copy", StringComparison.Ordinal) && c.Message.Contains(original.ProjectDirectory, StringComparison.Ordinal));
        Assert.Contains(up.Reconciliation.Conflicts, c => c.Message.Contains("rename the lab", StringComparison.OrdinalIgnoreCase));
        Assert.All(status.Vms, v => Assert.Equal(LabVmState.Foreign, v.State));
        Assert.Equal(EngineOutcome.NothingToDo, (await Run(original, host, ReconcileMode.Up)).Outcome);
        Assert.Equal(EngineOutcome.Done, (await Run(original, host, ReconcileMode.Down)).Outcome);
    }

    [Fact]
    public async Task A_moved_project_folder_is_told_to_adopt_and_down_adopt_removes_the_old_lab_so_up_builds_it_here()
    {
        using var original = new TestLab(TestLab.Three());
        var host = original.Host();
        await Run(original, host, ReconcileMode.Up);
        using var moved = new TestLab(TestLab.Three(), original.HostFile);
        CopyFolder(Path.Combine(original.ProjectDirectory, ".lab"), Path.Combine(moved.ProjectDirectory, ".lab"));
        Directory.Delete(original.ProjectDirectory, recursive: true);

        var refused = await Run(moved, host, ReconcileMode.Up);
        var down = await Run(moved, host, ReconcileMode.Down, EngineOptions.Default with { Adopt = true });
        var leftAfterDown = host.GetInventory([]).LabRunnerObjects();
        var up = await Run(moved, host, ReconcileMode.Up);

        Assert.Equal(EngineOutcome.Conflict, refused.Outcome);
        Assert.Contains(refused.Reconciliation!.Conflicts, c => c.Message.Contains("moved", StringComparison.Ordinal) && c.Message.Contains("lab down --adopt", StringComparison.Ordinal));
        Assert.True(down.Outcome == EngineOutcome.Done, Why(down));
        Assert.Empty(leftAfterDown);
        Assert.True(up.Outcome == EngineOutcome.Done, Why(up));
    }

    // ------------------------------------------------------------ 4. renaming the lab or a network

    [Fact]
    public async Task Renaming_the_lab_is_explained_and_down_with_the_old_name_removes_it_without_touching_attached_seeds()
    {
        using var lab = new TestLab(TestLab.Three());
        var host = lab.Host();
        await Run(lab, host, ReconcileMode.Up);
        lab.WriteLabfile(TestLab.Three("shop"));
        var mutations = host.MutationCount;

        var up = await Run(lab, host, ReconcileMode.Up);
        var mutationsAfterUp = host.MutationCount;
        var down = await Run(lab, host, ReconcileMode.Down);
        var seedsAfterDown = host.GetInventory([]).Vms.SelectMany(v => v.DvdDrives).Select(d => (Seed: d.Path, Exists: File.Exists(d.Path))).ToList();
        var downOld = await Run(lab, host, ReconcileMode.Down, EngineOptions.Default with { LabName = "demo" });
        var upNew = await Run(lab, host, ReconcileMode.Up);

        Assert.Equal(EngineOutcome.Conflict, up.Outcome);
        var conflict = Assert.Single(up.Reconciliation!.Conflicts);
        Assert.Contains("'demo'", conflict.Message, StringComparison.Ordinal);
        Assert.Contains("demo-web", conflict.Message, StringComparison.Ordinal);
        Assert.Contains("lab down --lab demo", conflict.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("overlaps", conflict.Message, StringComparison.Ordinal);
        Assert.Equal(mutations, mutationsAfterUp);
        Assert.NotEqual(EngineOutcome.HostFailure, down.Outcome);
        Assert.Contains(down.Reconciliation!.Notices, n => n.Contains("lab down --lab demo", StringComparison.Ordinal));
        Assert.Equal(3, seedsAfterDown.Count);
        Assert.All(seedsAfterDown, s => Assert.True(s.Exists, $"{s.Seed} was deleted while a VM holds it"));
        Assert.True(downOld.Outcome == EngineOutcome.Done, Why(downOld));
        Assert.True(upNew.Outcome == EngineOutcome.Done, Why(upNew));
        Assert.Equal(["shop-app", "shop-db", "shop-web"], host.GetInventory([]).Vms.Select(v => v.Name).Order());
    }

    [Fact]
    public async Task Renaming_a_network_is_explained_instead_of_calling_the_old_switch_an_overlap()
    {
        using var lab = new TestLab(TestLab.Three());
        var host = lab.Host();
        await Run(lab, host, ReconcileMode.Up);
        lab.WriteLabfile(TestLab.Three().Replace("name: back,", "name: backend,", StringComparison.Ordinal)
            .Replace("[lan, back]", "[lan, backend]", StringComparison.Ordinal).Replace("[lan, back, store]", "[lan, backend, store]", StringComparison.Ordinal)
            .Replace("network: back,", "network: backend,", StringComparison.Ordinal));

        var up = await Run(lab, host, ReconcileMode.Up);

        Assert.Equal(EngineOutcome.Conflict, up.Outcome);
        var conflict = Assert.Single(up.Reconciliation!.Conflicts);
        Assert.Contains("LabRunner-demo-back", conflict.Message, StringComparison.Ordinal);
        Assert.Contains("no longer in the Labfile", conflict.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Choose another subnet", conflict.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_seed_of_an_existing_vm_is_written_again_by_up()
    {
        using var lab = new TestLab(TestLab.Three());
        var host = lab.Host();
        await Run(lab, host, ReconcileMode.Up);
        var seed = Assert.Single(Directory.GetFiles(Path.Combine(lab.ProjectDirectory, ".lab", "vms", "db"), "seed-*.iso"));
        File.Delete(seed);

        var up = await Run(lab, host, ReconcileMode.Up);

        Assert.True(up.Outcome == EngineOutcome.Done, Why(up));
        Assert.True(File.Exists(seed));
        Assert.Equal(EngineOutcome.NothingToDo, (await Run(lab, host, ReconcileMode.Up)).Outcome);
    }

    // ------------------------------------------------------------ 5. a foreign VM on a lab switch

    [Fact]
    public async Task Down_refuses_to_remove_a_switch_a_foreign_vm_is_connected_to()
    {
        using var lab = new TestLab(TestLab.Three());
        var host = lab.Host();
        await Run(lab, host, ReconcileMode.Up);
        host.Mutate(m => m.State.Vms.Add(new SimVm
        {
            Name = "dc01", Id = Guid.NewGuid(), Notes = "domain controller", State = VmState.Running,
            NetworkAdapters = [new SimVmAdapter { Name = "Network Adapter", Id = Guid.NewGuid(), SwitchName = "LabRunner-demo-back" }],
        }));
        var mutations = host.MutationCount;

        var down = await Run(lab, host, ReconcileMode.Down);

        Assert.Equal(EngineOutcome.Conflict, down.Outcome);
        var conflict = Assert.Single(down.Reconciliation!.Conflicts);
        Assert.Contains("'dc01'", conflict.Message, StringComparison.Ordinal);
        Assert.Contains("'LabRunner-demo-back'", conflict.Message, StringComparison.Ordinal);
        Assert.Equal(mutations, host.MutationCount);
    }

    // ------------------------------------------------------------ 6. VMs removed from the Labfile

    [Fact]
    public async Task A_vm_removed_from_the_labfile_is_named_by_up_and_halt_and_down_take_it_by_name()
    {
        using var lab = new TestLab(TestLab.Three());
        var host = lab.Host();
        await Run(lab, host, ReconcileMode.Up);
        lab.WriteLabfile(TestLab.Three().Replace("\n  - name: db\n    networks: [{ network: back, ip: 192.168.60.10 }, store]", "", StringComparison.Ordinal));

        var up = await Run(lab, host, ReconcileMode.Up);
        var halt = await Run(lab, host, ReconcileMode.Halt, "DB");
        var haltedState = host.GetInventory([]).Vm("demo-db")?.State;
        var down = await Run(lab, host, ReconcileMode.Down, "db");

        Assert.Contains(up.Reconciliation!.Notices, n => n.Contains("'db'", StringComparison.Ordinal) && n.Contains("lab down db", StringComparison.Ordinal));
        Assert.True(halt.Outcome == EngineOutcome.Done, Why(halt));
        Assert.Equal(VmState.Off, haltedState);
        Assert.True(down.Outcome == EngineOutcome.Done, Why(down));
        var inventory = host.GetInventory([]);
        Assert.Equal(["demo-app", "demo-web"], inventory.Vms.Select(v => v.Name).Order());
        Assert.All(inventory.Vms, v => Assert.Equal(VmState.Running, v.State));
        Assert.Equal(3, inventory.Switches.Count(sw => LabIdentity.IsLabRunner(sw.Notes)));
        Assert.False(Directory.Exists(Path.Combine(lab.ProjectDirectory, ".lab", "vms", "db")));
    }

    [Fact]
    public async Task Down_with_vm_names_removes_only_those_vms_and_keeps_the_networks()
    {
        using var lab = new TestLab(TestLab.Three());
        var host = lab.Host();
        await Run(lab, host, ReconcileMode.Up);

        var down = await Run(lab, host, ReconcileMode.Down, "Web");
        var up = await Run(lab, host, ReconcileMode.Up);

        Assert.True(down.Outcome == EngineOutcome.Done, Why(down));
        Assert.DoesNotContain(down.Reconciliation!.All, o => o is RemoveSwitch or RemoveNat or RemovePortMapping);
        Assert.Contains(down.Reconciliation.All, o => o is RemoveVm { VmName: "demo-web" });
        Assert.Single(down.Reconciliation.All.OfType<RemoveVm>());
        Assert.True(up.Outcome == EngineOutcome.Done, Why(up));
        Assert.Equal(3, host.GetInventory([]).Vms.Length);
    }

    // ------------------------------------------------------------ 7. a MAC in use elsewhere

    [Fact]
    public async Task A_planned_mac_used_by_a_foreign_vm_stops_up_before_any_change()
    {
        using var probe = new TestLab(TestLab.Three());
        var planned = (await Run(probe, SimulatedHost.InMemory(), ReconcileMode.Up, EngineOptions.Default with { WhatIf = true })).Plan!;
        var mac = planned.Vms.Single(v => v.Name == "app").Adapters[1].Mac;
        using var lab = new TestLab(TestLab.Three());
        var host = lab.Host();
        host.Mutate(m => m.State.Vms.Add(new SimVm
        {
            Name = "build01", Id = Guid.NewGuid(), Notes = "", State = VmState.Running,
            NetworkAdapters = [new SimVmAdapter { Name = "Network Adapter", Id = Guid.NewGuid(), StaticMacAddress = mac }],
        }));
        var mutations = host.MutationCount;

        var up = await Run(lab, host, ReconcileMode.Up);

        Assert.Equal(EngineOutcome.Conflict, up.Outcome);
        var conflict = Assert.Single(up.Reconciliation!.Conflicts);
        Assert.Contains("'build01'", conflict.Message, StringComparison.Ordinal);
        Assert.Contains(mac.ToString(), conflict.Message, StringComparison.Ordinal);
        Assert.Contains("mac:", conflict.Message, StringComparison.Ordinal);
        Assert.Equal(mutations, host.MutationCount);
    }
}
