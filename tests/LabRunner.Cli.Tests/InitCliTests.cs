using System.Text.Json;
using LabRunner.Cli.Commands;

namespace LabRunner.Cli.Tests;

/// <summary>'lab init': a commented Labfile from a template that 'lab validate' accepts, never over an existing Labfile.</summary>
public sealed class InitCliTests : IDisposable
{
    private readonly TempProject _project = new();

    public void Dispose() => _project.Dispose();

    private string Folder => Path.Combine(_project.Root, "my-app");

    private Task<CliResult> Lab(string provider, params string[] args)
    {
        Directory.CreateDirectory(Folder);
        return Cli.Tests.Lab.RunAsync(Folder, new Dictionary<string, string>
        {
            ["LABRUNNER_PROVIDER"] = provider,
            ["LABRUNNER_SIM_HOST"] = Path.Combine(_project.Root, "host.json"),
            ["LABRUNNER_HOME"] = Path.Combine(_project.Root, "home"),
        }, args);
    }

    public static TheoryData<string, string> TemplatesAndProviders()
    {
        var data = new TheoryData<string, string>();
        foreach (var template in LabTemplate.All)
            foreach (var provider in (string[])["simulated", "qemu"])
                data.Add(template.Name, provider);
        return data;
    }

    [Theory]
    [MemberData(nameof(TemplatesAndProviders))]
    public async Task Every_template_writes_a_Labfile_that_validates_once_its_box_is_there(string template, string provider)
    {
        var init = await Lab(provider, "init", template);
        Assert.True(init.ExitCode == 0, init.ToString());
        var box = LabTemplate.All.Single(t => t.Name == template).DefaultBox;
        // The box as a disk file beside the Labfile, as 'lab init' tells the user (any file will do for 'validate').
        Directory.CreateDirectory(Path.Combine(Folder, "boxes"));
        File.WriteAllBytes(Path.Combine(Folder, "boxes", box + (template == "windows" ? ".vhdx" : ".qcow2")), new byte[4096]);

        var validate = await Lab(provider, "validate");

        Assert.True(validate.ExitCode == 0, validate.ToString());
        var text = File.ReadAllText(Path.Combine(Folder, "Labfile.yml"));
        Assert.StartsWith("# yaml-language-server: $schema=.lab/labfile.schema.json\n", text, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^name: my-app( |$)", text);
        Assert.DoesNotContain("__", text, StringComparison.Ordinal);
        // The schema the first line names is there, and is the repository's.
        Assert.Equal(File.ReadAllText(Path.Combine(Repo.Root(), "schema", "labfile.schema.json")), File.ReadAllText(Path.Combine(Folder, ".lab", "labfile.schema.json")));
    }

    [Fact]
    public async Task The_web_db_template_has_two_VMs_on_NAT_and_private_with_a_forwarded_port_and_a_provisioner()
    {
        await Lab("simulated", "init", "web-db", "--box", "ubuntu-24.04");
        Directory.CreateDirectory(Path.Combine(Folder, "boxes"));
        File.WriteAllBytes(Path.Combine(Folder, "boxes", "ubuntu-24.04.vhdx"), new byte[4096]);

        var plan = await Lab("simulated", "plan", "--json");

        Assert.True(plan.ExitCode == 0, plan.ToString());
        using var json = JsonDocument.Parse(plan.Stdout);
        var text = plan.Stdout;
        Assert.Equal(2, json.RootElement.GetProperty("vms").GetArrayLength());
        Assert.Contains("\"nat\"", text, StringComparison.Ordinal);
        Assert.Contains("\"private\"", text, StringComparison.Ordinal);
        Assert.Contains("8080", text, StringComparison.Ordinal);
        Assert.Contains("box: ubuntu-24.04", File.ReadAllText(Path.Combine(Folder, "Labfile.yml")), StringComparison.Ordinal);
        Assert.Contains("provision:", File.ReadAllText(Path.Combine(Folder, "Labfile.yml")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Labfile.yml")]
    [InlineData("Labfile.yaml")]
    public async Task Init_never_overwrites_a_Labfile_and_writes_nothing(string existing)
    {
        Directory.CreateDirectory(Folder);
        File.WriteAllText(Path.Combine(Folder, existing), "name: mine\n");
        File.WriteAllText(Path.Combine(Folder, ".gitignore"), "bin/\n");

        var result = await Lab("simulated", "init", "web-db");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("already exists", result.Stderr, StringComparison.Ordinal);
        Assert.Equal("name: mine\n", File.ReadAllText(Path.Combine(Folder, existing)));
        Assert.Equal("bin/\n", File.ReadAllText(Path.Combine(Folder, ".gitignore")));
        Assert.False(Directory.Exists(Path.Combine(Folder, ".lab")));
        Assert.Single(Directory.GetFiles(Folder, "Labfile*"));
    }

    [Fact]
    public async Task Init_adds_the_state_folder_to_an_existing_gitignore_once()
    {
        Directory.CreateDirectory(Folder);
        File.WriteAllText(Path.Combine(Folder, ".gitignore"), "bin/\nobj/");

        var first = await Lab("simulated", "init");
        File.Delete(Path.Combine(Folder, "Labfile.yml"));
        var second = await Lab("simulated", "init", "windows");

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Equal("bin/\nobj/\n.lab/\n", File.ReadAllText(Path.Combine(Folder, ".gitignore")));
        Assert.Contains("Added .lab/ to .gitignore", first.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(".gitignore", second.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Init_makes_no_gitignore_where_there_is_none()
    {
        var result = await Lab("simulated", "init");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.False(File.Exists(Path.Combine(Folder, ".gitignore")));
    }

    [Fact]
    public async Task Init_list_shows_the_templates_and_writes_nothing()
    {
        var result = await Lab("simulated", "init", "--list");

        Assert.Equal(0, result.ExitCode);
        foreach (var name in (string[])["linux", "web-db", "windows"])
            Assert.Contains(name, result.Stdout, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(Folder));
    }

    [Theory]
    [InlineData("init", "debian")]
    [InlineData("init", "linux", "--box", "../etc")]
    public async Task An_unknown_template_or_a_bad_box_name_is_a_usage_error(params string[] args)
    {
        var result = await Lab("simulated", args);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Empty(Directory.GetFileSystemEntries(Folder));
    }

    [Fact]
    public async Task Without_a_Labfile_a_command_points_at_lab_init()
    {
        var result = await Lab("simulated", "status");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("'lab init'", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Labfile.example.yml", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("my-app", "my-app")]
    [InlineData("My_Project.v2", "my-project-v2")]
    [InlineData("___", "lab")]
    [InlineData("a-very-long-folder-name-that-goes-on-and-on", "a-very-long-folder-name-that-goe")]
    public void The_lab_is_named_after_its_folder(string folder, string expected) =>
        Assert.Equal(expected, InitCommand.LabName(Path.Combine(Path.GetTempPath(), folder)));
}
