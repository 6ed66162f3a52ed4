using LabRunner.Core.Planning;
using LabRunner.Providers.HyperV;

namespace LabRunner.Core.Tests;

/// <summary>
/// Boxes from the user's box store named the Vagrant way: by the VM's 'box' alone, or by a 'boxes' entry with
/// only a 'version'. The caller says whether there is a store and which of them it lacks; the core reports those
/// at the VM's 'box' with the command that adds them.
/// </summary>
public class StoreBoxTests
{
    private static readonly LabContext WithStore = LabContext.For(HyperVRules.Instance) with { BoxStoreProvider = "qemu" };

    private static string Lab(string boxes, string vmBox = "debian-12") => $"""
        name: demo
        {boxes}
        defaults:
          memory: 1GB
        vms:
          - name: web
            box: {vmBox}
          - name: db
            box: {vmBox}
        """;

    [Fact]
    public void A_boxes_entry_with_only_a_version_is_a_store_box_with_that_constraint()
    {
        var text = Lab("boxes:\n  debian-12: { version: \"~> 1.2\", os: linux }");

        var result = Labfiles.Load(text, context: WithStore);

        Expect.NoErrors(result.Diagnostics);
        var box = Assert.Single(result.Lab!.Boxes);
        Assert.Equal((true, null, "~> 1.2", ""), (box.FromStore, box.Url, box.Version?.Text, box.Path));
    }

    [Fact]
    public void A_url_box_is_a_store_box_too()
    {
        var text = Lab("boxes:\n  debian-12: { url: https://boxes.example.org/d.json }");

        var box = Assert.Single(Labfiles.Load(text).Lab!.Boxes);

        Assert.True(box.FromStore);
    }

    [Fact]
    public void A_path_box_is_not_a_store_box()
    {
        var text = Lab("boxes:\n  debian-12: { path: images/d.vhdx }");

        var box = Assert.Single(Labfiles.Load(text).Lab!.Boxes);

        Assert.False(box.FromStore);
    }

    [Fact]
    public void A_checksum_without_a_url_is_reported_at_its_key()
    {
        var text = Lab("boxes:\n  debian-12:\n    version: \"1.0\"\n    checksum: sha256:" + new string('a', 64));

        var d = Expect.OnlyError(Labfiles.Load(text, context: WithStore).Diagnostics, "LAB009", text, "checksum");

        Assert.Contains("'url'", d.Message);
    }

    [Fact]
    public void A_malformed_version_of_a_store_box_is_reported_where_it_is_written()
    {
        var text = Lab("boxes:\n  debian-12: { version: \"~> \" }");

        Expect.OnlyError(Labfiles.Load(text, context: WithStore).Diagnostics, "LAB309", text, "\"~> \"");
    }

    [Fact]
    public void A_box_named_only_by_the_VM_is_the_store_box_when_there_is_a_store()
    {
        var text = Lab("");

        Expect.NoErrors(Labfiles.Load(text, context: WithStore).Diagnostics);
        Expect.At(Labfiles.Load(text).Diagnostics, "LAB301", text, "debian-12"); // without a store, as before
    }

    [Fact]
    public void A_box_named_only_by_the_VM_that_the_store_lacks_is_reported_once_at_the_box_with_the_command_to_add_it()
    {
        var text = Lab("");
        var context = WithStore with { MissingStoreBoxes = ["debian-12"] };

        var d = Expect.OnlyError(Labfiles.Load(text, context: context).Diagnostics, "LAB301", text, "debian-12");

        Assert.Contains("not in the box store (for qemu)", d.Message);
        Assert.Contains("'lab box add debian-12 SOURCE'", d.Message);
    }

    [Fact]
    public void A_store_box_is_matched_without_regard_to_case()
    {
        var text = Lab("", vmBox: "Debian-12");
        var context = WithStore with { MissingStoreBoxes = ["debian-12"] };

        Expect.OnlyError(Labfiles.Load(text, context: context).Diagnostics, "LAB301", text, "Debian-12");
    }

    [Fact]
    public void A_version_only_box_with_no_fitting_version_in_the_store_is_reported_at_the_VMs_box()
    {
        var text = Lab("boxes:\n  debian-12: { version: \"~> 1.2\" }");
        var context = WithStore with { MissingStoreBoxes = ["debian-12"] };

        var d = Expect.OnlyError(Labfiles.Load(text, context: context).Diagnostics, "LAB313", text, "box: debian-12", skip: "box: ".Length);

        Assert.Contains("fits '~> 1.2'", d.Message);
        Assert.Contains("(for qemu)", d.Message);
        Assert.Contains("'lab box add debian-12 SOURCE --version V'", d.Message);
        Assert.Contains("VM 'web'", d.Message);
    }

    [Fact]
    public void A_store_box_from_defaults_is_reported_at_the_defaults_box()
    {
        var text = """
            name: demo
            defaults: { box: tools }
            vms:
              - name: web
              - name: db
            """;
        var context = WithStore with { MissingStoreBoxes = ["tools"] };

        Expect.OnlyError(Labfiles.Load(text, context: context).Diagnostics, "LAB301", text, "tools");
    }

    [Fact]
    public void A_url_box_is_never_reported_missing_from_the_store()
    {
        var text = Lab("boxes:\n  debian-12: { url: https://boxes.example.org/d.json, version: \"~> 1.2\" }");
        var context = WithStore with { MissingStoreBoxes = ["debian-12"] };

        Expect.NoErrors(Labfiles.Load(text, context: context).Diagnostics);
    }
}
