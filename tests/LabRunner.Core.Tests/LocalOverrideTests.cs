using LabRunner.Core.Net;

namespace LabRunner.Core.Tests;

/// <summary>Labfile.local.yml merges over Labfile.yml: mappings key by key, named lists by name.</summary>
public class LocalOverrideTests
{
    private const string Main = """
        name: demo
        boxes: { ubuntu: u.vhdx }
        defaults: { box: ubuntu, cpus: 2 }
        networks:
          - { name: lan, type: private, subnet: 10.10.0.0/24 }
        vms:
          - name: web
            memory: 1GB
            networks: [lan]
            forwarded_ports: []
          - name: db
            networks: [lan]
        """;

    [Fact]
    public void A_scalar_in_the_local_file_replaces_the_one_in_the_Labfile()
    {
        var plan = Labfiles.ValidPlan(Main, local: "defaults: { cpus: 6 }\n");

        Assert.All(plan.Vms, vm => Assert.Equal(6, vm.Cpus));
        Assert.All(plan.Vms, vm => Assert.Equal("ubuntu", vm.Box));
    }

    [Fact]
    public void A_VM_in_the_local_file_overrides_the_VM_of_the_same_name_only()
    {
        var plan = Labfiles.ValidPlan(Main, local: "vms:\n  - { name: db, memory: 4GB }\n");

        Assert.Equal(["web", "db"], plan.Vms.Select(v => v.Name));
        Assert.Equal(1 * ByteSize.GiB, plan.Vms[0].MemoryBytes);
        Assert.Equal(4 * ByteSize.GiB, plan.Vms[1].MemoryBytes);
        Assert.Equal("lan", plan.Vms[1].Adapters.Single().Network);
    }

    [Fact]
    public void A_VM_only_in_the_local_file_is_appended_when_it_says_add()
    {
        var plan = Labfiles.ValidPlan(Main, local: "vms:\n  - { name: extra, add: true, networks: [lan] }\n");

        Assert.Equal(["web", "db", "extra"], plan.Vms.Select(v => v.Name));
        Assert.Equal("lan", plan.Vms[2].Adapters.Single().Network);
    }

    [Fact]
    public void A_VM_only_in_the_local_file_without_add_is_left_out_with_a_warning_and_did_you_mean()
    {
        const string local = "vms:\n  - { name: wbe, memory: 4GB }\n";

        var result = Labfiles.Plan(Main, local);

        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics));
        Assert.Equal(["web", "db"], result.Plan!.Vms.Select(v => v.Name));
        Assert.Equal(1 * ByteSize.GiB, result.Plan.Vms[0].MemoryBytes);
        var warning = Assert.Single(result.Diagnostics);
        Assert.Equal(("LAB015", Core.Diagnostics.DiagnosticLevel.Warning, Labfiles.LocalPath), (warning.Code, warning.Level, warning.Span.File));
        Assert.Equal(Where.Is(local, "wbe"), (warning.Span.Line, warning.Span.Column));
        Assert.Contains("VM 'wbe'", warning.Message, StringComparison.Ordinal);
        Assert.Contains("did you mean 'web'?", warning.Message, StringComparison.Ordinal);
        Assert.Contains("'add: true'", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_network_only_in_the_local_file_without_add_is_left_out_with_a_warning()
    {
        var result = Labfiles.Plan(Main, "networks:\n  - { name: office, type: bridged, adapter: Wi-Fi }\n");

        Assert.Equal(["lan"], result.Plan!.Networks.Select(n => n.Name));
        Assert.Equal("LAB015", Assert.Single(result.Diagnostics).Code);
    }

    [Fact]
    public void Add_on_a_VM_the_Labfile_has_merges_it_as_usual()
    {
        var plan = Labfiles.ValidPlan(Main, local: "vms:\n  - { name: db, add: true, memory: 4GB }\n");

        Assert.Equal(["web", "db"], plan.Vms.Select(v => v.Name));
        Assert.Equal(4 * ByteSize.GiB, plan.Vms[1].MemoryBytes);
    }

    [Fact]
    public void A_network_in_the_local_file_overrides_the_network_of_the_same_name()
    {
        var plan = Labfiles.ValidPlan(Main, local: "networks:\n  - { name: lan, subnet: 10.99.0.0/24 }\n");

        var lan = plan.Networks.Single();
        Assert.Equal(("10.99.0.0/24", Core.Labfile.NetworkType.Private), (lan.Subnet.ToString(), lan.Type));
    }

    [Fact]
    public void A_list_that_is_not_named_is_replaced_whole()
    {
        var local = "vms:\n  - name: web\n    forwarded_ports: [{ guest: 22, host: 2222 }]\n";

        // Forwarded ports need NAT; the error is reported in the local file where the port is.
        var result = Labfiles.Load(Main, local);

        Expect.OnlyError(result.Diagnostics, "LAB402", local, "{ guest: 22", file: Labfiles.LocalPath);
    }

    [Fact]
    public void A_mistake_in_the_local_file_is_reported_at_its_position_in_the_local_file()
    {
        var local = "vms:\n  - name: web\n    cpus: 0\n";

        var result = Labfiles.Load(Main, local);

        Expect.OnlyError(result.Diagnostics, "LAB304", local, "0", file: Labfiles.LocalPath);
    }

    [Fact]
    public void A_mistake_left_in_the_Labfile_still_points_into_the_Labfile()
    {
        var main = Main.Replace("memory: 1GB", "memory: 3MB", StringComparison.Ordinal);

        var result = Labfiles.Load(main, local: "defaults: { cpus: 4 }\n");

        Expect.OnlyError(result.Diagnostics, "LAB303", main, "3MB");
    }

    [Fact]
    public void A_syntax_error_in_the_local_file_is_reported_in_the_local_file()
    {
        var local = "vms: [ { name: web\n";

        var result = Labfiles.Load(Main, local);

        var d = Assert.Single(result.Diagnostics);
        Assert.Equal(("LAB001", Labfiles.LocalPath), (d.Code, d.Span.File));
    }

    [Fact]
    public void A_local_file_that_is_a_list_is_the_wrong_type()
    {
        var local = "- name: web\n";

        var result = Labfiles.Load(Main, local);

        Expect.OnlyError(result.Diagnostics, "LAB003", local, "- name", file: Labfiles.LocalPath);
    }

    [Fact]
    public void An_empty_local_file_changes_nothing()
    {
        var plan = Labfiles.ValidPlan(Main, local: "# nothing yet\n");

        Assert.Equal(["web", "db"], plan.Vms.Select(v => v.Name));
    }

    [Fact]
    public void An_empty_Labfile_with_a_local_file_is_reported_as_empty_only()
    {
        var result = Labfiles.Load("", local: "defaults: { cpus: 4 }\n");

        var d = Assert.Single(result.Diagnostics);
        Assert.Equal(("LAB008", Labfiles.MainPath), (d.Code, d.Span.File));
    }

    [Fact]
    public void An_unknown_key_in_the_local_file_is_reported_in_the_local_file()
    {
        var local = "defaults: { cpu: 4 }\n";

        var d = Expect.OnlyError(Labfiles.Load(Main, local).Diagnostics, "LAB002", local, "cpu", file: Labfiles.LocalPath);

        Assert.Contains("'cpus'", d.Message);
    }
}
