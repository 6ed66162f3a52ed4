using LabRunner.Boxes.Tests.Support;
using LabRunner.Tests.Shared;

namespace LabRunner.Cli.Tests;

/// <summary>
/// A .box is stored for the provider its metadata.json names, whichever provider is active (issue 14.15); an
/// explicit --provider stores it for that provider, converting its disk when it must. A bare disk names none.
/// </summary>
public sealed class BoxProviderCliTests : IDisposable
{
    private readonly BoxFiles _files = new();
    private readonly TempProject _project = new();

    public void Dispose()
    {
        _files.Dispose();
        _project.Dispose();
    }

    private string StoreRoot => Path.Combine(_project.Root, "home", "boxes");

    private Task<CliResult> Lab(string provider, params string[] args) => Cli.Tests.Lab.RunAsync(_project.Root, new Dictionary<string, string>
    {
        ["LABRUNNER_HOME"] = Path.Combine(_project.Root, "home"),
        ["LABRUNNER_PROVIDER"] = provider,
        ["LABRUNNER_SIM_HOST"] = Path.Combine(_project.Root, "host.json"),
    }, args);

    private string HyperVBox()
    {
        var disk = DiskImages.Write(_files.PathOf("win.vhdx"), DiskImages.Vhdx());
        return _files.Box("win.box", "tar", BoxFiles.Metadata("hyperv"), disk, "Virtual Hard Disks/win.vhdx");
    }

    private string[] Folders(string box) => Directory.Exists(Path.Combine(StoreRoot, box))
        ? [.. Directory.GetDirectories(Path.Combine(StoreRoot, box), "*", SearchOption.AllDirectories).Select(Path.GetFileName).OfType<string>().Where(n => n.Contains('-', StringComparison.Ordinal)).Order(StringComparer.Ordinal)]
        : [];

    [Fact]
    public async Task A_hyperv_box_added_while_QEMU_is_active_is_stored_for_HyperV_and_a_HyperV_lab_finds_it()
    {
        var added = await Lab("qemu", "box", "add", "win", HyperVBox());
        _project.With("Labfile.yml", "name: shop\nvms:\n  - { name: dc, box: win }\n");
        var validate = await Lab("simulated", "validate");

        Assert.True(added.ExitCode == 0, added.ToString());
        Assert.Contains("Added box 'win' 0 (hyperv, vhdx", added.Stdout, StringComparison.Ordinal);
        Assert.Equal(["hyperv-vhdx"], Folders("win"));
        Assert.True(validate.ExitCode == 0, validate.ToString());
    }

    [Fact]
    public async Task A_libvirt_box_added_while_HyperV_formats_are_active_is_stored_for_QEMU_unconverted()
    {
        var disk = DiskImages.Write(_files.PathOf("box.img"), DiskImages.Qcow2());
        var box = _files.Box("debian.box", "tar.gz", BoxFiles.Metadata("libvirt"), disk, "box.img");

        var added = await Lab("simulated", "box", "add", "debian", box);

        Assert.True(added.ExitCode == 0, added.ToString());
        Assert.Contains("Added box 'debian' 0 (qemu, qcow2", added.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("converted", added.Stdout, StringComparison.Ordinal);
        Assert.Equal(["qemu-qcow2"], Folders("debian"));
    }

    [Fact]
    public async Task An_explicit_provider_stores_a_box_for_it_and_QEMU_keeps_a_VHDX_as_it_is()
    {
        var added = await Lab("simulated", "--provider", "qemu", "box", "add", "win", HyperVBox());

        Assert.True(added.ExitCode == 0, added.ToString());
        Assert.Contains("Added box 'win' 0 (qemu, vhdx", added.Stdout, StringComparison.Ordinal);
        Assert.Equal(["qemu-vhdx"], Folders("win"));
    }

    [ToolFact("qemu-img")]
    public async Task An_explicit_provider_hyperv_converts_a_libvirt_box_once()
    {
        HostTools.Require(false, "qemu-img");
        var disk = await _files.DiskAsync("box.img", "qcow2", "16M");
        var box = _files.Box("debian.box", "tar", BoxFiles.Metadata("libvirt"), disk, "box.img");

        var added = await Lab("qemu", "box", "add", "debian", box, "--provider", "hyperv");

        Assert.True(added.ExitCode == 0, added.ToString());
        Assert.Contains("(hyperv, vhdx, converted from qcow2", added.Stdout, StringComparison.Ordinal);
        Assert.Equal(["hyperv-vhdx"], Folders("debian"));
    }

    [Fact]
    public async Task A_bare_disk_names_no_provider_and_is_stored_for_the_active_one()
    {
        var disk = DiskImages.Write(_files.PathOf("tools.vhdx"), DiskImages.Vhdx());

        var added = await Lab("qemu", "box", "add", "tools", disk);

        Assert.True(added.ExitCode == 0, added.ToString());
        Assert.Equal(["qemu-vhdx"], Folders("tools"));
    }
}
