using LabRunner.Boxes.Tests.Support;
using LabRunner.Tests.Shared;

namespace LabRunner.Cli.Tests;

/// <summary>
/// A box disk that names another file of the host (issue 13.4) stops 'validate', 'plan' and 'up' before anything
/// is created, whether it is a Labfile 'path', a disk in boxes/ or a 'url' box that 'lab up' adds.
/// </summary>
public sealed class BoxDiskCliTests : IAsyncLifetime, IDisposable
{
    private readonly TempProject _project = new();
    private readonly LoopbackServer _server = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose() => _project.Dispose();

    private string HostFile => Path.Combine(_project.Root, "host.json");

    private Task<CliResult> Lab(params string[] args) => Cli.Tests.Lab.RunAsync(_project.Root, new Dictionary<string, string>
    {
        ["LABRUNNER_PROVIDER"] = "simulated",
        ["LABRUNNER_SIM_HOST"] = HostFile,
        ["LABRUNNER_HOME"] = Path.Combine(_project.Root, "home"),
    }, args);

    private static string Labfile(string boxes) => $"""
        name: shop
        {boxes}
        networks:
          - {"{"} name: lan, type: nat {"}"}
        vms:
          - name: web
            box: evil
            networks: [lan]
        """;

    private void Write(string relative, byte[] image)
    {
        var path = Path.Combine(_project.Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, image);
    }

    [Fact]
    public async Task A_path_box_with_a_backing_file_is_LAB314_at_its_path_in_validate_plan_and_up_and_nothing_is_created()
    {
        Write("images/evil.vhdx", DiskImages.Qcow2(backingFile: "/etc/shadow"));
        _project.With("Labfile.yml", Labfile("boxes:\n  evil: { path: images/evil.vhdx }"));

        var validate = await Lab("validate");
        var plan = await Lab("plan");
        var up = await Lab("up");
        var whatIf = await Lab("up", "--what-if");

        foreach (var result in new[] { validate, plan, up, whatIf })
        {
            Assert.True(result.ExitCode == ExitCodes.InvalidLabfile, result.ToString());
            Assert.Contains("Labfile.yml:3:17: error LAB314: box 'evil' cannot be used", result.Stderr, StringComparison.Ordinal);
            Assert.Contains("backing file ('/etc/shadow')", result.Stderr, StringComparison.Ordinal);
        }
        Assert.False(File.Exists(HostFile) && File.ReadAllText(HostFile).Contains("shop", StringComparison.Ordinal), "nothing may be created on the host");
    }

    [Theory]
    [InlineData("vhdx")]
    [InlineData("vhd")]
    public async Task A_differencing_disk_in_the_boxes_folder_is_LAB314_at_the_VMs_box(string extension)
    {
        Write($"boxes/evil.{extension}", extension == "vhdx" ? DiskImages.Vhdx(hasParent: true) : DiskImages.Vhd(4));
        _project.With("Labfile.yml", Labfile(""));

        var up = await Lab("up");

        Assert.True(up.ExitCode == ExitCodes.InvalidLabfile, up.ToString());
        Assert.Contains("Labfile.yml:7:10: error LAB314:", up.Stderr, StringComparison.Ordinal);
        Assert.Contains("differencing", up.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_plain_disk_passes()
    {
        Write("boxes/evil.vhdx", DiskImages.Vhdx());
        _project.With("Labfile.yml", Labfile(""));

        var validate = await Lab("validate");

        Assert.True(validate.ExitCode == 0, validate.ToString());
    }

    [Fact]
    public async Task A_url_box_with_an_external_data_file_is_refused_by_up_before_anything_is_created()
    {
        var url = _server.Serve("evil.qcow2", DiskImages.Qcow2(externalDataBit: true, dataFileName: "/dev/sda"));
        _project.With("Labfile.yml", Labfile($"boxes:\n  evil: {"{"} url: {url} {"}"}"));

        var up = await Lab("up");
        var list = await Lab("box", "list");

        Assert.True(up.ExitCode == ExitCodes.HostFailure, up.ToString());
        Assert.Contains("external data file", up.Stderr, StringComparison.Ordinal);
        Assert.Contains("Nothing was created", up.Stderr, StringComparison.Ordinal);
        Assert.Contains("No boxes in", list.Stdout, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_project.Root, "home", "boxes", ".tmp"), "*", SearchOption.AllDirectories));
    }
}
