using System.Text;
using LabRunner.Providers.Qemu.Network;

namespace LabRunner.Providers.Qemu.Tests.Network;

public class InterfaceNamesTests
{
    [Fact]
    public void Names_fit_linux_15_byte_limit_even_for_the_longest_labfile_names()
    {
        var lab = new string('l', 32);
        var vm = lab + "-" + new string('v', 63);

        var bridge = InterfaceNames.Bridge(lab, new string('n', 32));
        var tap = InterfaceNames.TapOf(vm, new string('a', 32));

        Assert.InRange(Encoding.UTF8.GetByteCount(bridge), 1, InterfaceNames.MaxLength);
        Assert.InRange(Encoding.UTF8.GetByteCount(tap), 1, InterfaceNames.MaxLength);
        Assert.True(InterfaceNames.IsValid(bridge));
        Assert.True(InterfaceNames.IsValid(tap));
    }

    [Fact]
    public void Names_are_deterministic_and_prefixed_by_kind()
    {
        Assert.Equal(InterfaceNames.Bridge("demo", "lan"), InterfaceNames.Bridge("demo", "lan"));
        Assert.Equal(InterfaceNames.TapOf("demo-web", "eth0"), InterfaceNames.TapOf("demo-web", "eth0"));
        Assert.Matches("^lr[0-9a-f]{8}$", InterfaceNames.Bridge("demo", "lan"));
        Assert.Matches("^lt[0-9a-f]{8}$", InterfaceNames.TapOf("demo-web", "eth0"));
    }

    [Fact]
    public void Known_values_stay_stable_across_versions()
    {
        // Changing these would orphan every bridge and tap created by an earlier version.
        Assert.Equal("lr" + Sha256Prefix("demo/lan"), InterfaceNames.Bridge("demo", "lan"));
        Assert.Equal("lt" + Sha256Prefix("tap/demo-web/eth0"), InterfaceNames.TapOf("demo-web", "eth0"));
    }

    [Fact]
    public void Different_labs_networks_vms_and_adapters_get_different_names()
    {
        var names = new[]
        {
            InterfaceNames.Bridge("demo", "lan"), InterfaceNames.Bridge("demo", "wan"), InterfaceNames.Bridge("other", "lan"),
            InterfaceNames.TapOf("demo-web", "eth0"), InterfaceNames.TapOf("demo-web", "eth1"), InterfaceNames.TapOf("demo-db", "eth0"),
        };

        Assert.Equal(names.Length, names.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void Names_ignore_case_like_labfile_names() =>
        Assert.Equal(InterfaceNames.Bridge("demo", "lan"), InterfaceNames.Bridge("Demo", "LAN"));

    [Theory]
    [InlineData("lr1a2b3c4d", true)]
    [InlineData("eth0", true)]
    [InlineData("", false)]
    [InlineData("0123456789abcdef", false)]
    [InlineData("a b", false)]
    [InlineData("a/b", false)]
    [InlineData("..", false)]
    public void Validity_follows_the_kernel_and_quoting_rules(string name, bool valid) =>
        Assert.Equal(valid, InterfaceNames.IsValid(name));

    [Fact]
    public void An_ownership_mark_round_trips_and_foreign_aliases_are_not_marks()
    {
        var mark = new OwnershipMark("demo", "1a2b3c4d");

        Assert.Equal("labrunner:v1 lab=demo project=1a2b3c4d", mark.Render());
        Assert.Equal(mark, OwnershipMark.TryParse(mark.Render()));
        Assert.Equal(new OwnershipMark("demo"), OwnershipMark.TryParse("labrunner:v1 lab=demo future=x"));
        Assert.Null(OwnershipMark.TryParse("docker bridge"));
        Assert.Null(OwnershipMark.TryParse("labrunner:v1 project=x"));
        Assert.Null(OwnershipMark.TryParse("labrunner:v2 lab=demo"));
        Assert.Throws<ArgumentException>(() => new OwnershipMark("de\"mo").Render());
    }

    private static string Sha256Prefix(string text) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(text)).AsSpan(0, 4));
}
