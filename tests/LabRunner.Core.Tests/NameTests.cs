namespace LabRunner.Core.Tests;

/// <summary>LAB101-LAB103 and the count limits: names become switch names, VM names and hostnames.</summary>
public class NameTests
{
    private static string Lab(string labName = "demo", string vmName = "web", string extraVm = "") => $"""
        name: {labName}
        boxes:
          ubuntu: boxes/ubuntu.vhdx
        networks:
          - name: lan
            type: private
            subnet: 10.10.0.0/24
        vms:
          - name: {vmName}
            box: ubuntu
            networks: [lan]
        {extraVm}
        """;

    public static TheoryData<string> HostileNames => new()
    {
        "\"it's\"",
        "'say \"hi\"'",
        "\"$(reboot)\"",
        "\"`reboot`\"",
        "\"web;reboot\"",
        "\"web\\nx\"",
        "\"web x\"",
        "\"wéb\"",
        "\"web\\u202Egnp\"",
        "\"-web\"",
        "\"web-\"",
        "\"web_1\"",
        "\"web.local\"",
        "\"web\\0\"",
        "\"💥\"",
    };

    [Theory]
    [MemberData(nameof(HostileNames))]
    public void A_hostile_VM_name_is_refused_at_the_name(string name)
    {
        var text = Lab(vmName: name);

        var result = Labfiles.Load(text);

        var d = Expect.OnlyError(result.Diagnostics, "LAB101", text, name);
        Assert.Contains("VM name", d.Message);
    }

    [Theory]
    [MemberData(nameof(HostileNames))]
    public void A_hostile_lab_name_is_refused_at_the_name(string name)
    {
        var text = Lab(labName: name);

        var result = Labfiles.Load(text);

        var d = Expect.OnlyError(result.Diagnostics, "LAB101", text, name);
        Assert.Contains("lab name", d.Message);
    }

    [Fact]
    public void A_hostile_network_name_is_refused_at_the_name()
    {
        var text = Lab().Replace("name: lan", "name: \"lan$(id)\"", StringComparison.Ordinal);

        var result = Labfiles.Load(text);

        // The VM's reference to 'lan' then names no network, which is a second, separate problem.
        Expect.At(result.Diagnostics, "LAB101", text, "\"lan$(id)\"");
    }

    [Fact]
    public void A_VM_name_may_have_63_characters_but_not_64()
    {
        var ok = Lab(vmName: new string('a', 63));
        var tooLong = Lab(vmName: new string('a', 64));

        Expect.NoErrors(Labfiles.Load(ok).Diagnostics);
        Expect.OnlyError(Labfiles.Load(tooLong).Diagnostics, "LAB101", tooLong, new string('a', 64));
    }

    [Fact]
    public void A_lab_name_may_have_32_characters_but_not_33()
    {
        var ok = Lab(labName: new string('l', 32));
        var tooLong = Lab(labName: new string('l', 33));

        Expect.NoErrors(Labfiles.Load(ok).Diagnostics);
        Expect.OnlyError(Labfiles.Load(tooLong).Diagnostics, "LAB101", tooLong, new string('l', 33));
    }

    [Fact]
    public void A_very_long_name_is_shortened_in_the_message()
    {
        var name = new string('x', 5000);
        var text = Lab(vmName: name);

        var d = Expect.OnlyError(Labfiles.Load(text).Diagnostics, "LAB101", text, name);

        Assert.True(d.Message.Length < 300, d.Message);
    }

    [Fact]
    public void VM_names_that_differ_only_in_case_are_duplicates_reported_at_the_second()
    {
        var text = Lab(extraVm: "  - { name: WEB, box: ubuntu }");

        var result = Labfiles.Load(text);

        var d = Expect.OnlyError(result.Diagnostics, "LAB102", text, "WEB");
        var (line, column) = Where.Is(text, "web");
        Assert.Contains($"first at {Labfiles.MainPath}:{line}:{column}", d.Message);
    }

    [Fact]
    public void Network_names_that_differ_only_in_case_are_duplicates_reported_at_the_second()
    {
        var text = Lab().Replace("networks:\n", "networks:\n  - { name: LAN, type: isolated }\n", StringComparison.Ordinal);

        var result = Labfiles.Load(text);

        var d = Expect.OnlyError(result.Diagnostics, "LAB102", text, "name: lan", skip: "name: ".Length);
        var (line, column) = Where.Is(text, "LAN");
        Assert.Contains($"first at {Labfiles.MainPath}:{line}:{column}", d.Message);
    }

    [Fact]
    public void A_Windows_VM_name_longer_than_15_characters_is_a_bad_hostname_at_the_name()
    {
        var text = Lab(vmName: "sixteen-chars-xx").Replace("    box: ubuntu\n", "    box: ubuntu\n    os: windows\n", StringComparison.Ordinal);

        var result = Labfiles.Load(text);

        var d = Expect.OnlyError(result.Diagnostics, "LAB103", text, "sixteen-chars-xx");
        Assert.Contains("15", d.Message);
    }

    [Fact]
    public void A_Windows_VM_name_of_15_characters_is_fine()
    {
        var text = Lab(vmName: "fifteen-chars-x").Replace("    box: ubuntu\n", "    box: ubuntu\n    os: windows\n", StringComparison.Ordinal);

        Expect.NoErrors(Labfiles.Load(text).Diagnostics);
    }

    [Fact]
    public void A_long_Windows_name_with_a_short_hostname_is_fine_and_a_long_hostname_is_reported_there()
    {
        var ok = Lab(vmName: "sixteen-chars-xx").Replace("    box: ubuntu\n", "    box: ubuntu\n    os: windows\n    hostname: web1\n", StringComparison.Ordinal);
        var bad = ok.Replace("hostname: web1", "hostname: a-much-longer-hostname", StringComparison.Ordinal);

        Expect.NoErrors(Labfiles.Load(ok).Diagnostics);
        Expect.OnlyError(Labfiles.Load(bad).Diagnostics, "LAB103", bad, "a-much-longer-hostname");
    }

    [Fact]
    public void The_OS_of_a_box_makes_its_VMs_Windows()
    {
        var text = Lab(vmName: "sixteen-chars-xx").Replace("ubuntu: boxes/ubuntu.vhdx", "ubuntu: { path: boxes/win.vhdx, os: windows }", StringComparison.Ordinal);

        Expect.OnlyError(Labfiles.Load(text).Diagnostics, "LAB103", text, "sixteen-chars-xx");
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("1001")]
    [InlineData("99999999999999999999")]
    [InlineData("1e3")]
    [InlineData("two")]
    public void A_count_outside_1_to_1000_is_reported_at_the_count(string count)
    {
        // The binder reads count as a number in range (LAB304).
        var text = Lab().Replace("    box: ubuntu\n", $"    box: ubuntu\n    count: {count}\n", StringComparison.Ordinal);

        var result = Labfiles.Load(text);

        var d = Expect.OnlyError(result.Diagnostics, "LAB304", text, "count: " + count, skip: "count: ".Length);
        Assert.Contains("between 1 and 1000", d.Message);
    }

    [Theory]
    [InlineData("\"web\\n\"")]
    [InlineData("\"bad user\"")]
    [InlineData("root")]
    [InlineData("Admin")]
    public void A_bad_user_name_is_refused_at_the_value(string user)
    {
        var text = Lab().Replace("    box: ubuntu\n", $"    box: ubuntu\n    user: {user}\n", StringComparison.Ordinal);

        var result = Labfiles.Load(text);

        Expect.OnlyError(result.Diagnostics, "LAB101", text, user);
    }

    [Fact]
    public void A_bad_box_name_is_refused_at_the_key()
    {
        var text = Lab().Replace("  ubuntu: boxes/ubuntu.vhdx", "  ubuntu: boxes/ubuntu.vhdx\n  \"../evil\": x.vhdx", StringComparison.Ordinal);

        var result = Labfiles.Load(text);

        Expect.OnlyError(result.Diagnostics, "LAB101", text, "\"../evil\"");
    }
}
