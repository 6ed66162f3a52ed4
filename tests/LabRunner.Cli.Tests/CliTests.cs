using System.Text.Json;
using System.Text.RegularExpressions;

namespace LabRunner.Cli.Tests;

public partial class CliTests
{
    private const string Valid = """
        name: demo
        boxes:
          ubuntu: boxes/ubuntu.vhdx
        networks:
          - name: lan
            type: nat
          - name: back
            type: private
            subnet: 10.10.0.0/24
        vms:
          - name: web
            box: ubuntu
            networks: [lan, back]
            forwarded_ports:
              - { guest: 80, host: 8080 }
          - name: db
            box: ubuntu
            networks: [back]
        """;

    private const string Invalid = """
        name: demo
        vms:
          - name: web
            box: ubuntu
            cpus: 0
        """;

    [GeneratedRegex(@"^(?<path>.+?):(?<line>\d+):(?<col>\d+): (?<level>error|warning) (?<code>LAB\d{3}): (?<message>.+)$")]
    private static partial Regex DiagnosticLine();

    [Fact]
    public async Task A_valid_Labfile_validates_with_exit_code_0_and_says_so()
    {
        using var project = new TempProject().With("Labfile.yml", Valid).With("boxes/ubuntu.vhdx", "box");

        var result = await Lab.RunAsync(project.Root, "validate");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("Labfile.yml is valid: 2 VMs, 2 networks.", result.Stdout.Trim());
        Assert.Equal("", result.Stderr);
    }

    [Fact]
    public async Task An_invalid_Labfile_exits_with_1_and_prints_each_problem_in_compiler_form_on_stderr()
    {
        using var project = new TempProject().With("Labfile.yml", Invalid);

        var result = await Lab.RunAsync(project.Root, "validate");

        Assert.True(result.ExitCode == 1, result.ToString());
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var diagnostics = lines.Select(l => DiagnosticLine().Match(l)).Where(m => m.Success).ToList();
        Assert.Equal(["LAB301", "LAB304"], diagnostics.Select(m => m.Groups["code"].Value));
        Assert.All(diagnostics, m => Assert.Equal("Labfile.yml", m.Groups["path"].Value));
        Assert.Equal(("4", "10"), (diagnostics[0].Groups["line"].Value, diagnostics[0].Groups["col"].Value));
        Assert.Equal("2 errors; nothing was changed.", lines[^1]);
        Assert.Equal("", result.Stdout);
    }

    [Theory]
    [InlineData("sub/My Lab.yml")]
    [InlineData("./sub/My Lab.yml")]
    public async Task Diagnostics_use_the_path_as_given_to_f(string path)
    {
        using var project = new TempProject().With("sub/My Lab.yml", Invalid);

        var result = await Lab.RunAsync(project.Root, "-f", path, "validate");

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith(path + ":4:10: error LAB301: ", result.Stderr);
    }

    [Fact]
    public async Task An_absolute_path_to_f_works_from_any_folder()
    {
        using var project = new TempProject().With("Labfile.yml", Valid).With("boxes/ubuntu.vhdx", "box");
        using var elsewhere = new TempProject();
        var path = Path.Combine(project.Root, "Labfile.yml");

        var result = await Lab.RunAsync(elsewhere.Root, "plan", "--file", path);

        Assert.True(result.ExitCode == 0, result.ToString());
    }

    [Fact]
    public async Task Plan_of_an_invalid_Labfile_exits_with_1_and_prints_no_plan()
    {
        using var project = new TempProject().With("Labfile.yml", Invalid);

        var result = await Lab.RunAsync(project.Root, "plan", "--json");

        Assert.Equal(1, result.ExitCode);
        var json = JsonDocument.Parse(result.Stdout).RootElement;
        Assert.Equal("invalid_labfile", json.GetProperty("outcome").GetString());
        Assert.False(json.TryGetProperty("vms", out _));
        Assert.Contains("error LAB304", result.Stderr);
    }

    [Theory]
    [InlineData("validate", "--frobnicate")]
    [InlineData("frobnicate")]
    [InlineData("plan", "extra-argument")]
    [InlineData("-f")]
    public async Task Wrong_usage_exits_with_2(params string[] args)
    {
        using var project = new TempProject().With("Labfile.yml", Valid).With("boxes/ubuntu.vhdx", "box");

        var result = await Lab.RunAsync(project.Root, args);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.StartsWith("lab: ", result.Stderr);
        Assert.Matches(@"Run 'lab( \w+)? --help' for usage", result.Stderr);
    }

    [Fact]
    public async Task No_command_shows_the_help_and_exits_with_2()
    {
        using var project = new TempProject();

        var result = await Lab.RunAsync(project.Root);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Usage:", result.Stdout);
    }

    [Fact]
    public async Task A_missing_Labfile_exits_with_2_and_says_where_it_looked()
    {
        using var project = new TempProject();

        var result = await Lab.RunAsync(project.Root, "validate");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(project.Root, result.Stderr);
        Assert.Contains("-f PATH", result.Stderr);
    }

    [Fact]
    public async Task A_file_given_to_f_that_does_not_exist_exits_with_2()
    {
        using var project = new TempProject();

        var result = await Lab.RunAsync(project.Root, "-f", "nope.yml", "plan");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("lab: Labfile 'nope.yml' does not exist", result.Stderr.Trim());
    }

    [Fact]
    public async Task A_folder_given_to_f_exits_with_2_and_suggests_the_file_in_it()
    {
        using var project = new TempProject().With("lab/Labfile.yml", Valid);

        var result = await Lab.RunAsync(project.Root, "-f", "lab", "validate");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("is a folder", result.Stderr);
        Assert.Contains(Path.Combine("lab", "Labfile.yml"), result.Stderr);
    }

    [Theory]
    [InlineData("banana")]
    [InlineData("10.188.0.5/16")]
    [InlineData("10.188.0.0/33")]
    [InlineData("8.8.0.0/16")]
    [InlineData("10.0.0.0/7")]
    [InlineData("10.188.0.0/30")]
    public async Task A_bad_LABRUNNER_NAT_PREFIX_exits_with_2(string prefix)
    {
        using var project = new TempProject().With("Labfile.yml", Valid).With("boxes/ubuntu.vhdx", "box");
        var variables = new Dictionary<string, string> { ["LABRUNNER_NAT_PREFIX"] = prefix };

        var result = await Lab.RunAsync(project.Root, variables, "plan");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("LABRUNNER_NAT_PREFIX", result.Stderr);
    }

    [Fact]
    public async Task LABRUNNER_NAT_PREFIX_moves_the_NAT_slice()
    {
        using var project = new TempProject().With("Labfile.yml", Valid).With("boxes/ubuntu.vhdx", "box");
        var variables = new Dictionary<string, string> { ["LABRUNNER_NAT_PREFIX"] = "172.30.0.0/16" };

        var result = await Lab.RunAsync(project.Root, variables, "plan", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.Equal("172.30.0.0/16", json.RootElement.GetProperty("nat").GetProperty("prefix").GetString());
        Assert.StartsWith("172.30.", json.RootElement.GetProperty("networks")[0].GetProperty("subnet").GetString());
    }

    [Fact]
    public async Task Labfile_yaml_is_found_when_there_is_no_Labfile_yml()
    {
        using var project = new TempProject().With("Labfile.yaml", Invalid);

        var result = await Lab.RunAsync(project.Root, "validate");

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("Labfile.yaml:", result.Stderr);
    }

    [Fact]
    public async Task Labfile_local_yml_is_merged_and_its_mistakes_point_into_it()
    {
        using var project = new TempProject().With("lab/Labfile.yml", Valid).With("lab/Labfile.local.yml", "vms:\n  - name: db\n    cpus: 6\n");

        var good = await Lab.RunAsync(project.Root, "-f", "lab/Labfile.yml", "plan", "--json");
        project.With("lab/Labfile.local.yml", "vms:\n  - name: db\n    cpus: 0\n");
        var bad = await Lab.RunAsync(project.Root, "-f", "lab/Labfile.yml", "validate");

        Assert.True(good.ExitCode == 0, good.ToString());
        using var json = JsonDocument.Parse(good.Stdout);
        Assert.Equal(6, json.RootElement.GetProperty("vms")[1].GetProperty("cpus").GetInt32());
        Assert.Equal(1, bad.ExitCode);
        var lines = bad.Stderr.Split('\n');
        Assert.Equal($"lab: note: {Path.Combine("lab", "Labfile.local.yml")} is merged over {Path.Combine("lab", "Labfile.yml")}", lines[0]);
        Assert.StartsWith(Path.Combine("lab", "Labfile.local.yml") + ":3:11: error LAB304", lines[1]);
    }

    [Fact]
    public async Task A_box_in_the_boxes_folder_needs_no_declaration()
    {
        var labfile = "name: demo\nvms:\n  - { name: web, box: debian }\n";
        using var project = new TempProject().With("Labfile.yml", labfile);

        var before = await Lab.RunAsync(project.Root, "validate");
        project.With("boxes/debian.vhdx", "box");
        var after = await Lab.RunAsync(project.Root, "validate");

        Assert.Equal(1, before.ExitCode);
        Assert.Contains("LAB301", before.Stderr);
        Assert.True(after.ExitCode == 0, after.ToString());
    }

    [Fact]
    public async Task Plan_json_has_the_documented_keys_and_values_from_the_plan()
    {
        using var project = new TempProject().With("Labfile.yml", Valid).With("boxes/ubuntu.vhdx", "box");

        var result = await Lab.RunAsync(project.Root, "plan", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        var root = json.RootElement;
        Assert.Equal("demo", root.GetProperty("lab").GetString());
        Assert.Equal("LabRunnerNAT", root.GetProperty("nat").GetProperty("name").GetString());
        Assert.Equal("10.188.0.0/16", root.GetProperty("nat").GetProperty("prefix").GetString());

        var networks = root.GetProperty("networks").EnumerateArray().ToList();
        Assert.Equal(["lan", "back"], networks.Select(n => n.GetProperty("name").GetString()));
        Assert.Equal(["nat", "private"], networks.Select(n => n.GetProperty("type").GetString()));
        Assert.Equal(["LabRunner-demo-lan", "LabRunner-demo-back"], networks.Select(n => n.GetProperty("switch").GetString()));
        Assert.Equal("10.10.0.0/24", networks[1].GetProperty("subnet").GetString());
        Assert.Equal("10.10.0.1", networks[1].GetProperty("gateway").GetString());

        var web = root.GetProperty("vms")[0];
        Assert.Equal("web", web.GetProperty("name").GetString());
        var adapters = web.GetProperty("adapters").EnumerateArray().ToList();
        Assert.Equal(["lan", "back"], adapters.Select(a => a.GetProperty("network").GetString()));
        Assert.Equal(["LabRunner-demo-lan", "LabRunner-demo-back"], adapters.Select(a => a.GetProperty("switch").GetString()));
        Assert.All(adapters, a => Assert.Matches("^[0-9A-F]{2}(-[0-9A-F]{2}){5}$", a.GetProperty("mac").GetString()));
        Assert.Equal("10.10.0.2/24", adapters[1].GetProperty("ip").GetString());
        var natIp = adapters[0].GetProperty("ip").GetString()!;
        var port = web.GetProperty("forwarded_ports").EnumerateArray().Single();
        Assert.Equal(("tcp", 8080, 80, natIp.Split('/')[0]),
            (port.GetProperty("protocol").GetString(), port.GetProperty("host_port").GetInt32(), port.GetProperty("guest_port").GetInt32(), port.GetProperty("guest_ip").GetString()));
        Assert.Empty(root.GetProperty("vms")[1].GetProperty("forwarded_ports").EnumerateArray());
    }

    [Fact]
    public async Task Plan_json_has_null_nat_when_the_lab_has_no_NAT_network()
    {
        using var project = new TempProject().With("Labfile.yml", "name: demo\nboxes: { u: u.vhdx }\nvms: [{ name: a, box: u }]\n");

        var result = await Lab.RunAsync(project.Root, "plan", "--json");

        using var json = JsonDocument.Parse(result.Stdout);
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("nat").ValueKind);
    }

    [Fact]
    public async Task Plan_json_is_byte_identical_across_runs_and_project_folders()
    {
        using var first = new TempProject().With("Labfile.yml", Repo.Example).With("Labfile.local.yml", "vms:\n  - { name: extra, add: true }\n");
        using var copy = new TempProject().With("deeper/still/Labfile.yml", Repo.Example).With("deeper/still/Labfile.local.yml", "vms:\n  - { name: extra, add: true }\n");

        var a = await Lab.RunAsync(first.Root, "plan", "--json");
        var b = await Lab.RunAsync(first.Root, "plan", "--json");
        var c = await Lab.RunAsync(Path.Combine(copy.Root, "deeper", "still"), "plan", "--json");
        var d = await Lab.RunAsync(copy.Root, "-f", "deeper/still/Labfile.yml", "plan", "--json");

        Assert.True(a.ExitCode == 0, a.ToString());
        Assert.Equal(a.Stdout, b.Stdout);
        Assert.Equal(a.Stdout, c.Stdout);
        Assert.Equal(a.Stdout, d.Stdout);
    }

    [Fact]
    public async Task The_plan_table_shows_every_VM_adapter_and_forwarded_port()
    {
        using var project = new TempProject().With("Labfile.yml", Valid).With("boxes/ubuntu.vhdx", "box");

        var table = await Lab.RunAsync(project.Root, "plan");
        var json = await Lab.RunAsync(project.Root, "plan", "--json");

        Assert.Equal(0, table.ExitCode);
        using var doc = JsonDocument.Parse(json.Stdout);
        foreach (var vm in doc.RootElement.GetProperty("vms").EnumerateArray())
        {
            Assert.Contains(vm.GetProperty("name").GetString()!, table.Stdout);
            foreach (var adapter in vm.GetProperty("adapters").EnumerateArray())
            {
                Assert.Contains(adapter.GetProperty("mac").GetString()!, table.Stdout);
                Assert.Contains(adapter.GetProperty("ip").GetString()!, table.Stdout);
            }
        }
        Assert.Contains(":8080/tcp", table.Stdout);
    }

    [Fact]
    public async Task Validate_json_reports_validity_the_file_and_every_diagnostic()
    {
        using var project = new TempProject().With("Labfile.yml", Invalid).With("ok/Labfile.yml", Valid).With("ok/boxes/ubuntu.vhdx", "box");

        var bad = await Lab.RunAsync(project.Root, "validate", "--json");
        var good = await Lab.RunAsync(project.Root, "--json", "-f", "ok/Labfile.yml", "validate");

        Assert.Equal((1, 0), (bad.ExitCode, good.ExitCode));
        using var badJson = JsonDocument.Parse(bad.Stdout);
        Assert.False(badJson.RootElement.GetProperty("valid").GetBoolean());
        Assert.Equal("Labfile.yml", badJson.RootElement.GetProperty("file").GetString());
        var diagnostics = badJson.RootElement.GetProperty("diagnostics").EnumerateArray().ToList();
        Assert.Equal(["LAB301", "LAB304"], diagnostics.Select(d => d.GetProperty("code").GetString()));
        var first = diagnostics[0];
        Assert.Equal(("Labfile.yml", 4, 10, "error"),
            (first.GetProperty("file").GetString(), first.GetProperty("line").GetInt32(), first.GetProperty("column").GetInt32(), first.GetProperty("level").GetString()));
        Assert.Contains("ubuntu", first.GetProperty("message").GetString());
        using var goodJson = JsonDocument.Parse(good.Stdout);
        Assert.True(goodJson.RootElement.GetProperty("valid").GetBoolean());
        Assert.Empty(goodJson.RootElement.GetProperty("diagnostics").EnumerateArray());
    }

    [Fact]
    public async Task Warnings_are_printed_but_do_not_fail()
    {
        using var project = new TempProject().With("Labfile.yml", Valid.Replace("10.10.0.0/24", "10.10.0.9/24", StringComparison.Ordinal));

        var result = await Lab.RunAsync(project.Root, "plan");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches(DiagnosticLine(), result.Stderr.Trim());
        Assert.Contains("warning LAB203", result.Stderr);
    }

    [Fact]
    public async Task Hostile_names_in_a_Labfile_cannot_forge_output_lines()
    {
        using var project = new TempProject().With("Labfile.yml", "name: demo\nvms:\n  - { name: \"x\\nLabfile.yml:1:1: error LAB000: forged\", box: \"[red]b[/]\" }\n");

        var result = await Lab.RunAsync(project.Root, "validate");

        Assert.Equal(1, result.ExitCode);
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(lines[..^1], l => Assert.Matches(DiagnosticLine(), l));
        Assert.DoesNotContain("LAB000", lines.Select(l => DiagnosticLine().Match(l).Groups["code"].Value));
    }

    [Fact]
    public async Task A_Labfile_with_a_byte_order_mark_and_CRLF_line_ends_reads_like_any_other()
    {
        using var project = new TempProject().With("Labfile.yml", "\uFEFF" + Invalid.Replace("\n", "\r\n", StringComparison.Ordinal));

        var result = await Lab.RunAsync(project.Root, "validate");

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("Labfile.yml:4:10: error LAB301", result.Stderr);
    }
}
