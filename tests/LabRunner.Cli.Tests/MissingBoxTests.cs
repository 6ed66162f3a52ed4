namespace LabRunner.Cli.Tests;

/// <summary>A box file that is not there is a Labfile problem, reported where the Labfile names it.</summary>
public sealed class MissingBoxTests : IDisposable
{
    private const string Labfile = """
        name: shop
        boxes:
          ubuntu: images/ubuntu.vhdx
          unused: images/unused.vhdx
        networks:
          - { name: lan, type: nat }
        vms:
          - name: web
            box: ubuntu
            networks: [lan]
        """;

    private readonly TempProject _project = new TempProject().With("Labfile.yml", Labfile);

    public void Dispose() => _project.Dispose();

    private Task<CliResult> Lab(params string[] args) => Cli.Tests.Lab.RunAsync(_project.Root, new Dictionary<string, string>
    {
        ["LABRUNNER_PROVIDER"] = "simulated",
        ["LABRUNNER_SIM_HOST"] = Path.Combine(_project.Root, "host.json"),
    }, args);

    [Fact]
    public async Task Validate_reports_a_missing_declared_box_file_at_its_boxes_entry()
    {
        var result = await Lab("validate");

        Assert.True(result.ExitCode == ExitCodes.InvalidLabfile, result.ToString());
        Assert.Contains("Labfile.yml:3:11: error LAB308: ", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("images/ubuntu.vhdx", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("unused.vhdx", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Up_reports_a_missing_box_file_as_a_labfile_error_before_changing_anything()
    {
        var up = await Lab("up");
        var status = await Lab("status");

        Assert.True(up.ExitCode == ExitCodes.InvalidLabfile, up.ToString());
        Assert.Contains("Labfile.yml:3:11: error LAB308: ", up.Stderr, StringComparison.Ordinal);
        Assert.Contains("not_created", status.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_and_up_accept_the_box_once_the_file_is_there()
    {
        _project.With("images/ubuntu.vhdx", "box");

        var validate = await Lab("validate");
        var up = await Lab("up");

        Assert.True(validate.ExitCode == 0, validate.ToString());
        Assert.True(up.ExitCode == 0, up.ToString());
    }

    [Fact]
    public async Task Down_and_status_still_work_when_the_box_file_is_gone()
    {
        _project.With("images/ubuntu.vhdx", "box");
        Assert.Equal(0, (await Lab("up")).ExitCode);
        File.Delete(Path.Combine(_project.Root, "images", "ubuntu.vhdx"));

        var status = await Lab("status");
        var down = await Lab("down");

        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.True(down.ExitCode == 0, down.ToString());
    }
}
