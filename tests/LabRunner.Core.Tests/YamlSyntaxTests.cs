namespace LabRunner.Core.Tests;

public class YamlSyntaxTests
{
    [Fact]
    public void A_tab_used_as_indentation_is_reported_at_the_tab()
    {
        var text = "name: demo\nvms:\n\t- name: web\n";

        var result = Labfiles.Load(text);

        var d = Expect.OnlyError(result.Diagnostics, "LAB001", text, "\t");
        Assert.Contains("tab", d.Message);
    }

    [Fact]
    public void A_tab_inside_a_nested_mapping_is_reported_at_the_tab()
    {
        var text = "name: demo\nvms:\n  - name: web\n\tbox: ubuntu\n";

        var result = Labfiles.Load(text);

        Expect.OnlyError(result.Diagnostics, "LAB001", text, "\t");
    }

    [Fact]
    public void An_unclosed_flow_mapping_is_reported_where_the_document_ends()
    {
        // YAML can only tell that '}' is missing once it runs out of text.
        var text = "name: demo\nvms: [ {name: web\n";

        var result = Labfiles.Load(text);

        var (line, column) = Where.End(text);
        Expect.At(result.Diagnostics, "LAB001", line, column);
        Assert.Null(result.Lab);
    }

    [Fact]
    public void An_unclosed_flow_sequence_followed_by_more_keys_is_a_syntax_error_not_a_crash()
    {
        // YamlDotNet throws InvalidOperationException here rather than a YamlException.
        var text = "name: demo\nvms: [web, db\nnetworks: []\n";

        var result = Labfiles.Load(text);

        var d = Assert.Single(result.Diagnostics);
        Assert.Equal("LAB001", d.Code);
        Assert.Equal(Labfiles.MainPath, d.Span.File);
        Assert.InRange(d.Span.Line, 2, 3);
    }

    [Fact]
    public void An_unclosed_quote_is_reported_at_the_opening_quote()
    {
        var text = "name: 'demo\nvms: []\n";

        var result = Labfiles.Load(text);

        Expect.OnlyError(result.Diagnostics, "LAB001", text, "'demo");
    }

    [Fact]
    public void A_second_document_is_reported_at_its_separator()
    {
        var text = "name: demo\n---\nname: other\n";

        var result = Labfiles.Load(text);

        var d = Expect.OnlyError(result.Diagnostics, "LAB001", text, "---");
        Assert.Contains("one YAML document", d.Message);
    }

    [Fact]
    public void A_key_over_indented_in_a_list_item_is_a_syntax_error_on_its_line()
    {
        var text = "name: demo\nvms:\n  - name: web\n   box: ubuntu\n";

        var result = Labfiles.Load(text);

        Assert.Equal("LAB001", Assert.Single(result.Diagnostics).Code);
        Assert.Equal(Where.Is(text, "box").Line, result.Diagnostics[0].Span.Line);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n\n")]
    [InlineData("# just a comment\n")]
    [InlineData("---\n")]
    [InlineData("~\n")]
    public void An_empty_Labfile_is_reported_at_its_start(string text)
    {
        var result = Labfiles.Load(text);

        Expect.At(result.Diagnostics, "LAB008", 1, 1);
        Assert.Single(result.Diagnostics);
    }

    [Fact]
    public void A_Labfile_that_is_a_list_is_the_wrong_type_at_its_start()
    {
        var text = "- name: demo\n";

        var result = Labfiles.Load(text);

        Expect.OnlyError(result.Diagnostics, "LAB003", text, "- name");
    }

    [Fact]
    public void A_duplicate_key_is_reported_at_the_second_key_and_names_the_first_line()
    {
        var text = """
            name: demo
            vms:
              - name: web
                cpus: 2
                cpus: 4
                box: ubuntu
            name: again
            """;

        var result = Labfiles.Load(text);

        var second = Expect.At(result.Diagnostics, "LAB005", text, "cpus", occurrence: 2);
        Assert.Contains($"line {Where.Is(text, "cpus").Line}", second.Message);
        Expect.At(result.Diagnostics, "LAB005", text, "name: again");
    }

    [Fact]
    public void An_alias_to_an_unknown_anchor_is_a_syntax_error_at_the_alias()
    {
        var text = "name: demo\ndefaults: *nowhere\n";

        var result = Labfiles.Load(text);

        Expect.OnlyError(result.Diagnostics, "LAB001", text, "*nowhere");
    }

    [Fact]
    public void Anchors_and_aliases_are_read_as_the_values_they_name()
    {
        var text = """
            name: demo
            boxes: { ubuntu: u.vhdx }
            networks:
              - { name: lan, type: private, subnet: 10.10.0.0/24 }
            vms:
              - &base { name: web, box: ubuntu, cpus: 3, networks: [lan] }
              - { <<: *base, name: db }
            """;

        var plan = Labfiles.ValidPlan(text);

        Assert.Equal(["web", "db"], plan.Vms.Select(v => v.Name));
        Assert.All(plan.Vms, vm => Assert.Equal(3, vm.Cpus));
    }

    [Fact]
    public void A_billion_laughs_document_is_refused_quickly()
    {
        var lines = new List<string> { "name: demo", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]" };
        for (var i = 1; i < 10; i++)
            lines.Add($"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]");
        lines.Add("defaults:\n  user_data: { runcmd: *a9 }");
        var text = string.Join("\n", lines);

        var started = System.Diagnostics.Stopwatch.StartNew();
        var result = Labfiles.Load(text);

        Assert.Contains(result.Diagnostics, d => d.Code == "LAB001" && d.Message.Contains("expands", StringComparison.Ordinal));
        // A hang guard: expanding the aliases would take minutes and gigabytes.
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(30), $"took {started.Elapsed}");
    }

    [Fact]
    public void Deep_nesting_is_a_syntax_error_not_a_stack_overflow()
    {
        var text = "name: demo\nvms: " + new string('[', 10_000) + new string(']', 10_000) + "\n";

        var result = Labfiles.Load(text);

        var d = Assert.Single(result.Diagnostics);
        Assert.Equal("LAB001", d.Code);
        Assert.Equal(2, d.Span.Line);
    }
}
