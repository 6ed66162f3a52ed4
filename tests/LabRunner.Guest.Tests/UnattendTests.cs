using System.Text;
using System.Xml.Linq;
using LabRunner.Core.Planning;
using LabRunner.Guest.Windows;

namespace LabRunner.Guest.Tests;

/// <summary>The Windows answer file: well-formed, in Microsoft's element order, carrying the plan.</summary>
public class UnattendTests
{
    private static readonly XNamespace U = "urn:schemas-microsoft-com:unattend";
    private static readonly XNamespace Wcm = "http://schemas.microsoft.com/WMIConfig/2002/State";

    /// <summary>Child orders from Microsoft's unattend reference (and what Windows SIM writes); absent optional children are skipped.</summary>
    private static readonly Dictionary<string, string[]> SchemaOrder = new()
    {
        ["Interface/TCPIP"] = ["Ipv4Settings", "Ipv6Settings", "Identifier", "UnicastIpAddresses", "Routes"],
        ["Ipv4Settings"] = ["DhcpEnabled", "Metric", "RouterDiscoveryEnabled"],
        ["Route"] = ["Identifier", "Metric", "NextHopAddress", "Prefix"],
        ["Interface/DNS"] = ["Identifier", "DNSDomain", "DNSServerSearchOrder", "EnableAdapterDomainNameRegistration", "DisableDynamicUpdate"],
        ["Shell-Setup/oobeSystem"] = ["AutoLogon", "FirstLogonCommands", "OOBE", "UserAccounts"],
        ["AutoLogon"] = ["Password", "Domain", "Enabled", "LogonCount", "Username"],
        ["Password"] = ["Value", "PlainText"],
        ["SynchronousCommand"] = ["CommandLine", "Description", "Order", "RequiresUserInput"],
        ["UserAccounts"] = ["AdministratorPassword", "DomainAccounts", "LocalAccounts"],
        ["LocalAccount"] = ["Password", "Description", "DisplayName", "Group", "Name"],
    };

    private static VmPlan Vm => Labs.Vm(Labs.Windows);

    private static XDocument Render(VmPlan? vm = null, GuestSecrets? secrets = null)
    {
        var plan = Labs.Plan(Labs.Windows);
        var result = new GuestConfigRenderer().Render(plan.Lab, vm ?? plan.Vms[0], secrets ?? Labs.Secrets);
        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics));
        return XDocument.Parse(result[GuestConfigRenderer.UnattendFile].Text);
    }

    private static XElement Component(XDocument doc, string pass, string name) =>
        doc.Root!.Elements(U + "settings").Single(s => (string?)s.Attribute("pass") == pass)
            .Elements(U + "component").Single(c => (string?)c.Attribute("name") == name);

    [Fact]
    public void It_is_well_formed_with_the_unattend_namespace_and_two_passes()
    {
        var doc = Render();
        Assert.Equal(U + "unattend", doc.Root!.Name);
        Assert.Equal(["specialize", "oobeSystem"], doc.Root.Elements(U + "settings").Select(s => (string?)s.Attribute("pass")));
        foreach (var component in doc.Descendants(U + "component"))
        {
            Assert.Equal("amd64", (string?)component.Attribute("processorArchitecture"));
            Assert.Equal("31bf3856ad364e35", (string?)component.Attribute("publicKeyToken"));
            Assert.Equal("neutral", (string?)component.Attribute("language"));
            Assert.Equal("nonSxS", (string?)component.Attribute("versionScope"));
            Assert.Equal(Wcm.NamespaceName, (string?)component.Attribute(XNamespace.Xmlns + "wcm"));
        }
        Assert.Equal(["Microsoft-Windows-Shell-Setup", "Microsoft-Windows-TCPIP", "Microsoft-Windows-DNS-Client"],
            doc.Root.Elements(U + "settings").First().Elements(U + "component").Select(c => (string?)c.Attribute("name")));
    }

    [Fact]
    public void Each_adapter_is_configured_by_its_dash_form_mac()
    {
        var interfaces = Component(Render(), "specialize", "Microsoft-Windows-TCPIP").Element(U + "Interfaces")!.Elements(U + "Interface").ToList();

        Assert.Equal(Vm.Adapters.Length, interfaces.Count);
        foreach (var (a, xml) in Vm.Adapters.Zip(interfaces))
        {
            Assert.Equal("add", (string?)xml.Attribute(Wcm + "action"));
            Assert.Equal(a.Mac.ToString(), (string?)xml.Element(U + "Identifier"));
            Assert.Matches("^[0-9A-F]{2}(-[0-9A-F]{2}){5}$", (string?)xml.Element(U + "Identifier"));
            Assert.Equal(a.Dhcp ? "true" : "false", (string?)xml.Element(U + "Ipv4Settings")!.Element(U + "DhcpEnabled"));
            var addresses = xml.Element(U + "UnicastIpAddresses")?.Elements(U + "IpAddress").Select(e => (string)e).ToList() ?? [];
            Assert.Equal(a.Cidr is { } cidr ? [cidr] : [], addresses);
            var routes = xml.Element(U + "Routes")?.Elements(U + "Route").ToList() ?? [];
            if (CloudInit.ExpectedRoute(a) is { } gw)
            {
                var route = Assert.Single(routes);
                Assert.Equal("0.0.0.0/0", (string?)route.Element(U + "Prefix"));
                Assert.Equal(gw, (string?)route.Element(U + "NextHopAddress"));
            }
            else
            {
                Assert.Empty(routes);
            }
        }
    }

    [Fact]
    public void Dns_servers_are_set_per_adapter_in_plan_order()
    {
        var interfaces = Component(Render(), "specialize", "Microsoft-Windows-DNS-Client").Element(U + "Interfaces")!.Elements(U + "Interface").ToList();
        var withDns = Vm.Adapters.Where(a => !a.Dns.IsEmpty).ToList();

        Assert.NotEmpty(withDns);
        Assert.Equal(withDns.Select(a => a.Mac.ToString()), interfaces.Select(i => (string?)i.Element(U + "Identifier")));
        foreach (var (a, xml) in withDns.Zip(interfaces))
        {
            var servers = xml.Element(U + "DNSServerSearchOrder")!.Elements(U + "IpAddress").ToList();
            Assert.Equal(a.Dns.Select(d => d.ToString()), servers.Select(s => (string)s));
            Assert.Equal(Enumerable.Range(1, servers.Count).Select(i => i.ToString()), servers.Select(s => (string?)s.Attribute(Wcm + "keyValue")));
        }
    }

    [Fact]
    public void Child_elements_follow_the_order_the_unattend_schema_requires()
    {
        var doc = Render();
        var tcpip = Component(doc, "specialize", "Microsoft-Windows-TCPIP");
        var dns = Component(doc, "specialize", "Microsoft-Windows-DNS-Client");
        var shell = Component(doc, "oobeSystem", "Microsoft-Windows-Shell-Setup");

        foreach (var e in tcpip.Descendants(U + "Interface")) AssertOrder("Interface/TCPIP", e);
        foreach (var e in tcpip.Descendants(U + "Ipv4Settings")) AssertOrder("Ipv4Settings", e);
        foreach (var e in tcpip.Descendants(U + "Route")) AssertOrder("Route", e);
        foreach (var e in dns.Descendants(U + "Interface")) AssertOrder("Interface/DNS", e);
        AssertOrder("Shell-Setup/oobeSystem", shell);
        Assert.Equal(["AutoLogon", "FirstLogonCommands", "OOBE", "UserAccounts"], shell.Elements().Select(e => e.Name.LocalName));
        AssertOrder("AutoLogon", shell.Element(U + "AutoLogon")!);
        foreach (var e in shell.Descendants(U + "Password").Concat(shell.Descendants(U + "AdministratorPassword"))) AssertOrder("Password", e);
        foreach (var e in shell.Descendants(U + "SynchronousCommand")) AssertOrder("SynchronousCommand", e);
        AssertOrder("UserAccounts", shell.Element(U + "UserAccounts")!);
        foreach (var e in shell.Descendants(U + "LocalAccount")) AssertOrder("LocalAccount", e);
        // The Interface order is the one Microsoft calls out explicitly; check it as an exact sequence too.
        var first = tcpip.Descendants(U + "Interface").First();
        Assert.Equal(["Ipv4Settings", "Identifier", "UnicastIpAddresses", "Routes"], first.Elements().Select(e => e.Name.LocalName));
    }

    [Fact]
    public void Passwords_are_in_the_hidden_form_and_decode_to_the_password()
    {
        var doc = Render();
        var shell = Component(doc, "oobeSystem", "Microsoft-Windows-Shell-Setup");
        var admin = shell.Element(U + "UserAccounts")!.Element(U + "AdministratorPassword")!;
        var autologon = shell.Element(U + "AutoLogon")!.Element(U + "Password")!;

        Assert.Equal("false", (string?)admin.Element(U + "PlainText"));
        Assert.Equal(Labs.TestPassword + "AdministratorPassword", Encoding.Unicode.GetString(Convert.FromBase64String((string)admin.Element(U + "Value")!)));
        Assert.Equal("false", (string?)autologon.Element(U + "PlainText"));
        Assert.Equal(Labs.TestPassword + "Password", Encoding.Unicode.GetString(Convert.FromBase64String((string)autologon.Element(U + "Value")!)));
        Assert.DoesNotContain(Labs.TestPassword, doc.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Password_encoding_matches_microsofts_documented_example()
    {
        // The AdministratorPassword example in Microsoft's unattend reference: "pw" in hidden form.
        Assert.Equal("cAB3AEEAZABtAGkAbgBpAHMAdAByAGEAdABvAHIAUABhAHMAcwB3AG8AcgBkAA==",
            UnattendPassword.Encode("pw", UnattendPassword.AdministratorPassword));
    }

    [Fact]
    public void Markup_characters_in_values_stay_text()
    {
        const string hostile = "<b>&amp;\"'</b> ]]> <!--";
        var doc = Render(Vm with { Hostname = hostile, User = hostile });

        Assert.Equal(hostile, (string?)Component(doc, "specialize", "Microsoft-Windows-Shell-Setup").Element(U + "ComputerName"));
        Assert.Equal(hostile, (string?)doc.Descendants(U + "LocalAccount").Single().Element(U + "Name"));
    }

    [Fact]
    public void First_logon_commands_enable_ssh_with_the_lab_key_and_winrm_in_order()
    {
        var commands = Render().Descendants(U + "SynchronousCommand").ToList();

        Assert.Equal(Enumerable.Range(1, commands.Count).Select(i => i.ToString()), commands.Select(c => (string?)c.Element(U + "Order")));
        var lines = commands.Select(c => (string)c.Element(U + "CommandLine")!).ToList();
        Assert.All(lines, l => Assert.True(l.Length <= 1024, $"CommandLine longer than Windows' 1024-character limit: {l.Length}"));
        Assert.Contains(lines, l => l.Contains("Add-WindowsCapability -Online -Name OpenSSH.Server~~~~0.0.1.0", StringComparison.Ordinal)
                                    && l.Contains("Set-Service -Name sshd -StartupType Automatic", StringComparison.Ordinal)
                                    && l.Contains("Start-Service sshd", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains($"'{Labs.TestKey}'", StringComparison.Ordinal) && l.Contains("administrators_authorized_keys", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("Enable-PSRemoting", StringComparison.Ordinal));
    }

    [Fact]
    public void Autounattend_and_unattend_carry_the_same_bytes()
    {
        var result = Labs.Render(Labs.Windows);
        Assert.Equal([GuestConfigRenderer.UnattendFile, GuestConfigRenderer.AutounattendFile], result.Files.Select(f => f.Name));
        Assert.Equal(result[GuestConfigRenderer.UnattendFile].Content, result[GuestConfigRenderer.AutounattendFile].Content);
    }

    [Fact]
    public void A_windows_vm_without_a_password_is_a_caller_bug()
    {
        var plan = Labs.Plan(Labs.Windows);
        Assert.Throws<ArgumentException>(() => new GuestConfigRenderer().Render(plan.Lab, plan.Vms[0], Labs.Secrets with { AdminPassword = null }));
    }

    [Fact]
    public void User_data_on_a_windows_vm_is_reported_as_unused()
    {
        var lab = Labs.Windows + "\n    user_data:\n      packages: [git]\n";
        var plan = Labs.Plan(lab);

        var result = new GuestConfigRenderer().Render(plan.Lab, plan.Vms[0], Labs.Secrets);

        var warning = Assert.Single(result.Diagnostics);
        Assert.Equal("LAB605", warning.Code);
        Assert.False(warning.IsError);
        Assert.NotEmpty(result.Files);
    }

    private static void AssertOrder(string rule, XElement element)
    {
        var order = SchemaOrder[rule];
        var names = element.Elements().Select(e => e.Name.LocalName).ToList();
        Assert.All(names, n => Assert.Contains(n, order));
        var positions = names.Select(n => Array.IndexOf(order, n)).ToList();
        Assert.True(positions.SequenceEqual(positions.Order()) && positions.Distinct().Count() == positions.Count,
            $"{element.Name.LocalName} children [{string.Join(", ", names)}] are not in the order [{string.Join(", ", order)}]");
    }
}
