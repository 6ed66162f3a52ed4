namespace LabRunner.Guest.Tests;

/// <summary>The same plan gives the same bytes; the instance-id moves exactly when the network or hostname does.</summary>
public class DeterminismTests
{
    [Theory]
    [MemberData(nameof(Labs.LinuxLabs), MemberType = typeof(Labs))]
    public void Rendering_twice_gives_identical_bytes(string lab)
    {
        var first = Labs.Render(lab, renderer: new GuestConfigRenderer());
        var second = Labs.Render(lab, renderer: new GuestConfigRenderer());

        Assert.Equal(first.Files.Select(f => f.Name), second.Files.Select(f => f.Name));
        foreach (var (a, b) in first.Files.Zip(second.Files))
            Assert.Equal(a.Content, b.Content);
    }

    [Theory]
    [MemberData(nameof(Labs.LinuxLabs), MemberType = typeof(Labs))]
    public void Cloud_init_files_are_utf8_without_bom_with_lf_line_endings(string lab)
    {
        foreach (var file in Labs.Render(lab).Files)
        {
            Assert.False(file.Content.AsSpan().StartsWith("\xEF\xBB\xBF"u8), $"{file.Name} starts with a BOM");
            Assert.DoesNotContain((byte)'\r', file.Content);
            Assert.Equal((byte)'\n', file.Content[^1]);
        }
    }

    [Fact]
    public void The_instance_id_names_the_vm_and_a_hash()
    {
        Assert.Matches("^instance-id: \"iid-web-[0-9a-f]{8}\"\n", Labs.Render(Labs.SingleNat)[GuestConfigRenderer.MetaDataFile].Text);
    }

    [Fact]
    public void The_instance_id_stays_when_nothing_changes()
    {
        Assert.Equal(InstanceId(Labs.BridgedStatic), InstanceId(Labs.BridgedStatic));
    }

    [Fact]
    public void The_instance_id_changes_when_an_ip_changes()
    {
        var changed = Labs.BridgedStatic.Replace("ip: 192.168.1.50", "ip: 192.168.1.51", StringComparison.Ordinal);
        Assert.NotEqual(Labs.BridgedStatic, changed);
        Assert.NotEqual(InstanceId(Labs.BridgedStatic), InstanceId(changed));
    }

    [Fact]
    public void The_instance_id_changes_when_the_hostname_changes()
    {
        var changed = Labs.BridgedStatic.Replace("hostname: srv.rack.example", "hostname: srv2.rack.example", StringComparison.Ordinal);
        Assert.NotEqual(Labs.BridgedStatic, changed);
        Assert.NotEqual(InstanceId(Labs.BridgedStatic), InstanceId(changed));
    }

    [Fact]
    public void The_instance_id_ignores_user_data_changes()
    {
        // New user-data alone must not re-run per-instance modules (and regenerate SSH host keys).
        var withUserData = Labs.SingleNat + "\n    user_data:\n      packages: [git]\n";
        Assert.Equal(InstanceId(Labs.SingleNat), InstanceId(withUserData));
    }

    private static string InstanceId(string lab) => Labs.Render(lab)[GuestConfigRenderer.MetaDataFile].Text.Split('\n')[0];
}
