using LabRunner.Core.Net;
using LabRunner.Core.Planning;
using LabRunner.Providers.HyperV;

namespace LabRunner.Core.Tests;

/// <summary>LAB3xx: boxes, sizes, CPUs and generations, and the defaults that fill them in.</summary>
public class VmTests
{
    private static string Lab(string vm, string defaults = "  box: ubuntu", string boxes = "  ubuntu: boxes/ubuntu.vhdx") => $"""
        name: demo
        boxes:
        {boxes}
        defaults:
        {defaults}
        vms:
          - name: web
        {vm}
        """;

    [Fact]
    public void An_undeclared_box_is_reported_at_the_box_with_a_suggestion()
    {
        var text = Lab("    box: ubunto");

        var d = Expect.OnlyError(Labfiles.Load(text).Diagnostics, "LAB301", text, "ubunto");

        Assert.Contains("did you mean 'ubuntu'?", d.Message);
        Assert.Contains("boxes/ubunto.vhdx", d.Message);
    }

    [Theory]
    [InlineData("    box: \"ubuntu\\n\"", "\"ubuntu")]
    [InlineData("    box: ../../etc/shadow", "../../etc")]
    [InlineData("    box: \"ubuntu\\e[31m\"", "\"ubuntu")]
    [InlineData("    box: acme/deb/ian", "acme/deb")]
    public void A_VM_box_that_is_no_box_name_is_reported_at_its_position(string vm, string at)
    {
        var text = Lab(vm);

        var d = Expect.OnlyError(Labfiles.Load(text).Diagnostics, "LAB315", text, at);

        Assert.Contains("is not a box name", d.Message);
        Assert.DoesNotContain('\n', d.Message);
        Assert.DoesNotContain('\u001b', d.Message);
    }

    [Fact]
    public void A_bad_box_in_defaults_is_reported_once_for_every_VM_that_takes_it()
    {
        var text = Lab("  - name: db", defaults: "  box: \"ubuntu\\n\"");

        Expect.OnlyError(Labfiles.Load(text).Diagnostics, "LAB315", text, "\"ubuntu");
    }

    [Fact]
    public void A_VM_box_may_name_a_catalog_box_as_owner_slash_name()
    {
        var text = Lab("    box: acme/debian-12", boxes: "  ubuntu: boxes/ubuntu.vhdx");
        var context = LabContext.For(HyperVRules.Instance) with { BoxStoreProvider = "qemu", StoreBoxNames = ["acme/debian-12"] };

        Assert.DoesNotContain(Labfiles.Load(text, context: context).Diagnostics, x => x.Code == "LAB315");
    }

    [Fact]
    public void A_box_found_on_disk_needs_no_declaration()
    {
        var text = Lab("    box: debian");
        var context = LabContext.For(HyperVRules.Instance) with { BoxesOnDisk = ["debian"] };

        Expect.NoErrors(Labfiles.Load(text, context: context).Diagnostics);
        Expect.OnlyError(Labfiles.Load(text).Diagnostics, "LAB301", text, "debian");
    }

    [Fact]
    public void A_declared_box_whose_file_is_missing_is_reported_once_at_its_path()
    {
        var text = Lab("    cpus: 2\n  - name: db", boxes: "  ubuntu: { path: images/u.vhdx }\n  spare: images/spare.vhdx");
        var context = LabContext.For(HyperVRules.Instance) with { MissingBoxFiles = ["images/u.vhdx", "images/spare.vhdx"] };

        var d = Expect.OnlyError(Labfiles.Load(text, context: context).Diagnostics, "LAB308", text, "images/u.vhdx");

        Assert.Contains("box 'ubuntu'", d.Message);
        Assert.Contains("VM 'web'", d.Message);
        Expect.NoErrors(Labfiles.Load(text).Diagnostics);
    }

    [Fact]
    public void A_VM_without_a_box_anywhere_is_reported_at_its_name()
    {
        var text = Lab("    cpus: 2", defaults: "  cpus: 1");

        var d = Expect.OnlyError(Labfiles.Load(text).Diagnostics, "LAB306", text, "web");

        Assert.Contains("'web'", d.Message);
    }

    [Fact]
    public void A_box_given_as_a_mapping_needs_a_path()
    {
        var text = Lab("    cpus: 2", boxes: "  ubuntu: { os: linux }");

        // The box is then left out, so the VM's reference to it is reported too.
        Expect.At(Labfiles.Load(text).Diagnostics, "LAB004", text, "{ os");
    }

    [Theory]
    [InlineData("2XB")]
    [InlineData("lots")]
    [InlineData("-2GB")]
    [InlineData("1e3MB")]
    [InlineData("2 G B")]
    [InlineData("1,5GB")]
    [InlineData("99999999999999GB")]
    [InlineData("1.0001GB")]
    public void Text_that_is_not_a_size_is_reported_at_the_value(string memory)
    {
        var text = Lab($"    memory: \"{memory}\"");

        Expect.OnlyError(Labfiles.Load(text).Diagnostics, "LAB302", text, $"\"{memory}\"");
    }

    [Theory]
    [InlineData("33MB", "multiple")]
    [InlineData("1025MB", "multiple")]
    [InlineData("64.5MB", "multiple")]
    [InlineData("3MB", "accepts")]
    [InlineData("16MB", "accepts")]
    [InlineData("13TB", "accepts")]
    [InlineData("0", "accepts")]
    public void A_size_Hyper_V_cannot_give_is_reported_at_the_value(string memory, string why)
    {
        var text = Lab($"    memory: \"{memory}\"");

        var d = Expect.OnlyError(Labfiles.Load(text).Diagnostics, "LAB303", text, $"\"{memory}\"");

        Assert.Contains(why, d.Message);
    }

    [Theory]
    [InlineData("2048", 2048L * ByteSize.MiB)]
    [InlineData("2GB", 2 * ByteSize.GiB)]
    [InlineData("2 GiB", 2 * ByteSize.GiB)]
    [InlineData("1.5g", 1536 * ByteSize.MiB)]
    [InlineData("12TB", 12L << 40)]
    [InlineData("32MB", 32 * ByteSize.MiB)]
    public void Sizes_are_binary_and_a_bare_number_is_megabytes(string memory, long bytes)
    {
        var text = Lab($"    memory: {memory}\n    networks: []");

        var plan = Labfiles.ValidPlan(text);

        Assert.Equal(bytes, plan.Vms.Single().MemoryBytes);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("241")]
    [InlineData("two")]
    [InlineData("1.5")]
    public void Cpus_outside_1_to_240_are_reported_at_the_value(string cpus)
    {
        var text = Lab($"    cpus: {cpus}");

        var d = Expect.OnlyError(Labfiles.Load(text).Diagnostics, "LAB304", text, "cpus: " + cpus, skip: "cpus: ".Length);

        Assert.Contains("between 1 and 240", d.Message);
    }

    [Theory]
    [InlineData("3")]
    [InlineData("0")]
    [InlineData("two")]
    public void A_generation_other_than_1_or_2_is_reported_at_the_value(string generation)
    {
        var text = Lab($"    generation: {generation}");

        Expect.OnlyError(Labfiles.Load(text).Diagnostics, "LAB305", text, "generation: " + generation, skip: "generation: ".Length);
    }

    [Fact]
    public void Defaults_fill_in_what_a_VM_leaves_out_and_a_VM_overrides_them()
    {
        var text = """
            name: demo
            boxes: { ubuntu: u.vhdx, win: { path: w.vhdx, os: windows } }
            defaults: { box: ubuntu, cpus: 3, memory: 3GB, generation: 1, user: admin }
            vms:
              - name: a
              - { name: b, box: win, cpus: 1, memory: 1GB, generation: 2, user: ops }
            """;

        var plan = Labfiles.ValidPlan(text);

        var a = plan.Vms[0];
        var b = plan.Vms[1];
        Assert.Equal(("ubuntu", 3, 3 * ByteSize.GiB, 1, "admin", Core.Labfile.GuestOs.Linux), (a.Box, a.Cpus, a.MemoryBytes, a.Generation, a.User, a.Os));
        Assert.Equal(("win", 1, 1 * ByteSize.GiB, 2, "ops", Core.Labfile.GuestOs.Windows), (b.Box, b.Cpus, b.MemoryBytes, b.Generation, b.User, b.Os));
    }

    [Fact]
    public void Without_defaults_a_VM_gets_two_CPUs_two_gigabytes_generation_2_and_the_lab_user()
    {
        var plan = Labfiles.ValidPlan("name: demo\nboxes: { ubuntu: u.vhdx }\nvms:\n  - { name: a, box: ubuntu }\n");

        var vm = plan.Vms.Single();
        Assert.Equal((2, 2 * ByteSize.GiB, 2, "lab", "a"), (vm.Cpus, vm.MemoryBytes, vm.Generation, vm.User, vm.Hostname));
    }

    [Fact]
    public void A_box_path_with_control_characters_is_not_a_usable_path()
    {
        var text = Lab("    cpus: 2", boxes: "  ubuntu: \"boxes/\\u0007.vhdx\"");

        Expect.At(Labfiles.Load(text).Diagnostics, "LAB307", text, "\"boxes/");
    }
}
