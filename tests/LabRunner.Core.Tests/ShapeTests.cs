namespace LabRunner.Core.Tests;

/// <summary>LAB002-LAB007: keys, value types and choices.</summary>
public class ShapeTests
{
    private const string Valid = """
        name: demo
        boxes:
          ubuntu: boxes/ubuntu.vhdx
        defaults:
          box: ubuntu
        networks:
          - name: lan
            type: nat
        vms:
          - name: web
            networks:
              - network: lan
            forwarded_ports:
              - guest: 80
                host: 8080
        """;

    [Fact]
    public void The_base_Labfile_of_these_tests_is_valid()
    {
        Labfiles.ValidPlan(Valid);
    }

    [Theory]
    [InlineData("name: demo", "nmae: demo", "nmae", "name", "the Labfile")]
    [InlineData("  box: ubuntu", "  boxx: ubuntu", "boxx", "box", "'defaults'")]
    [InlineData("    type: nat", "    tpye: nat", "tpye", "type", "a network")]
    [InlineData("    networks:", "    netwroks:", "netwroks", "networks", "a VM")]
    [InlineData("      - network: lan", "      - netwrk: lan", "netwrk", "network", "a VM network attachment")]
    [InlineData("        host: 8080", "        hots: 8080", "hots", "host", "a forwarded port")]
    [InlineData("  ubuntu: boxes/ubuntu.vhdx", "  ubuntu: { pth: boxes/ubuntu.vhdx }", "pth", "path", "box 'ubuntu'")]
    public void An_unknown_key_is_reported_at_the_key_with_the_closest_valid_key(string line, string replacement, string key, string suggestion, string where)
    {
        var text = Valid.Replace(line, replacement, StringComparison.Ordinal);
        Assert.NotEqual(Valid, text);

        var result = Labfiles.Load(text);

        var d = Expect.At(result.Diagnostics, "LAB002", text, key + ":");
        Assert.Contains($"'{key}'", d.Message);
        Assert.Contains(where, d.Message);
        Assert.Contains($"did you mean '{suggestion}'?", d.Message);
    }

    [Fact]
    public void An_unknown_key_under_nat_suggests_prefix()
    {
        var text = Valid + "\nnat:\n  prefx: 10.200.0.0/16\n";

        var result = Labfiles.Load(text);

        var d = Expect.At(result.Diagnostics, "LAB002", text, "prefx");
        Assert.Contains("'prefix'", d.Message);
    }

    [Fact]
    public void An_unknown_key_with_nothing_close_gets_no_suggestion()
    {
        var text = Valid + "\nprovisioners: []\n";

        var result = Labfiles.Load(text);

        var d = Expect.OnlyError(result.Diagnostics, "LAB002", text, "provisioners");
        Assert.DoesNotContain("did you mean", d.Message);
    }

    [Fact]
    public void A_list_where_a_mapping_is_expected_is_reported_at_the_list()
    {
        var text = Valid.Replace("defaults:\n  box: ubuntu", "defaults: [ubuntu]", StringComparison.Ordinal) + "\n";

        var result = Labfiles.Load(text);

        var d = Expect.At(result.Diagnostics, "LAB003", text, "[ubuntu]");
        Assert.Contains("not a list", d.Message);
    }

    [Fact]
    public void A_mapping_where_a_scalar_is_expected_is_reported_at_the_mapping()
    {
        var text = Valid.Replace("name: demo", "name: { first: demo }", StringComparison.Ordinal);

        var result = Labfiles.Load(text);

        var d = Expect.At(result.Diagnostics, "LAB003", text, "{ first");
        Assert.Contains("not a mapping", d.Message);
    }

    [Fact]
    public void A_mapping_where_a_list_of_VMs_is_expected_is_reported_at_the_mapping()
    {
        var text = "name: demo\nvms:\n  web: { box: ubuntu }\n";

        var result = Labfiles.Load(text);

        Expect.OnlyError(result.Diagnostics, "LAB003", text, "web:");
    }

    [Fact]
    public void A_scalar_in_the_list_of_networks_is_the_wrong_type_at_the_scalar()
    {
        var text = Valid.Replace("  - name: lan\n    type: nat", "  - lan", StringComparison.Ordinal);

        var result = Labfiles.Load(text);

        Expect.At(result.Diagnostics, "LAB003", text, "- lan", skip: 2);
    }

    [Fact]
    public void A_Labfile_without_a_name_is_reported_at_its_first_key()
    {
        var text = Valid.Replace("name: demo\n", "", StringComparison.Ordinal);

        var result = Labfiles.Load(text);

        var d = Expect.OnlyError(result.Diagnostics, "LAB004", text, "boxes:");
        Assert.Contains("'name'", d.Message);
    }

    [Fact]
    public void A_null_lab_name_counts_as_missing_and_is_reported_at_its_key()
    {
        var text = Valid.Replace("name: demo", "name: ~", StringComparison.Ordinal);

        var result = Labfiles.Load(text);

        Expect.OnlyError(result.Diagnostics, "LAB004", text, "name: ~");
    }

    [Fact]
    public void A_network_without_a_name_is_reported_at_the_network()
    {
        var text = Valid.Replace("  - name: lan\n    type: nat", "  - type: nat", StringComparison.Ordinal);

        var result = Labfiles.Load(text);

        var d = Expect.At(result.Diagnostics, "LAB004", text, "type: nat");
        Assert.Contains("'name'", d.Message);
    }

    [Fact]
    public void A_network_without_a_type_is_reported_at_the_network()
    {
        var text = Valid.Replace("  - name: lan\n    type: nat", "  - name: lan", StringComparison.Ordinal);

        var result = Labfiles.Load(text);

        // The network is dropped, so the VM's reference to it is reported too.
        var d = Expect.At(result.Diagnostics, "LAB004", text, "name: lan");
        Assert.Contains("'type'", d.Message);
    }

    [Fact]
    public void A_VM_without_a_name_is_reported_at_the_VM()
    {
        var text = Valid.Replace("  - name: web\n", "  - cpus: 2\n", StringComparison.Ordinal);

        var result = Labfiles.Load(text);

        var d = Expect.OnlyError(result.Diagnostics, "LAB004", text, "cpus: 2");
        Assert.Contains("'name'", d.Message);
    }

    [Theory]
    [InlineData("guest")]
    [InlineData("host")]
    public void A_forwarded_port_without_guest_or_host_is_reported_at_the_port(string missing)
    {
        var text = Valid.Replace("      - guest: 80\n        host: 8080", "      - { guest: 80, host: 8080 }", StringComparison.Ordinal)
            .Replace(missing == "guest" ? "guest: 80, " : ", host: 8080", "", StringComparison.Ordinal);

        var result = Labfiles.Load(text);

        var d = Expect.OnlyError(result.Diagnostics, "LAB004", text, "{ ");
        Assert.Contains($"'{missing}'", d.Message);
    }

    [Theory]
    [InlineData("    type: nat", "    type: bridge", "bridge")]
    [InlineData("        host: 8080", "        host: 8080\n        protocol: sctp", "sctp")]
    [InlineData("  box: ubuntu", "  box: ubuntu\n  os: macos", "macos")]
    public void A_value_that_is_not_one_of_the_choices_is_reported_at_the_value(string line, string replacement, string value)
    {
        var text = Valid.Replace(line, replacement, StringComparison.Ordinal);

        var result = Labfiles.Load(text);

        var d = Expect.At(result.Diagnostics, "LAB006", text, value);
        Assert.Contains($"'{value}'", d.Message);
    }

    [Theory]
    [InlineData("\"bridged, nat\"")]
    [InlineData("\"nat,private\"")]
    [InlineData("\" nat\"")]
    [InlineData("\"1\"")]
    public void A_network_type_must_be_exactly_one_choice(string type)
    {
        // Enum.TryParse reads "bridged, nat" as Bridged|Nat, which is Isolated.
        var text = Valid.Replace("type: nat", "type: " + type, StringComparison.Ordinal);

        var result = Labfiles.Load(text);

        Expect.At(result.Diagnostics, "LAB006", text, type);
    }

    [Theory]
    [InlineData("NAT")]
    [InlineData("Nat")]
    public void Choices_ignore_case(string type)
    {
        var text = Valid.Replace("type: nat", "type: " + type, StringComparison.Ordinal);

        var plan = Labfiles.ValidPlan(text);

        Assert.Equal(Core.Labfile.NetworkType.Nat, plan.Networks.Single().Type);
    }

    [Fact]
    public void A_mapping_used_as_a_key_is_reported_at_the_key()
    {
        var text = Valid + "\n? { a: b }\n: c\n";

        var result = Labfiles.Load(text);

        Expect.At(result.Diagnostics, "LAB007", text, "{ a: b }");
    }

    [Fact]
    public void A_merge_of_a_scalar_is_the_wrong_type()
    {
        var text = Valid.Replace("  - name: web\n", "  - name: web\n    <<: nothing\n", StringComparison.Ordinal);

        var result = Labfiles.Load(text);

        Expect.OnlyError(result.Diagnostics, "LAB003", text, "nothing");
    }

    [Fact]
    public void Unknown_keys_in_every_copy_of_a_counted_VM_are_reported_once()
    {
        var text = Valid.Replace("      - network: lan", "      - network: lan\n        adress: 1", StringComparison.Ordinal)
            .Replace("  - name: web\n", "  - name: web\n    count: 3\n", StringComparison.Ordinal);

        var result = Labfiles.Load(text);

        Expect.At(result.Diagnostics, "LAB002", text, "adress");
    }
}
