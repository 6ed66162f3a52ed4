using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace LabRunner.Providers.Qemu.Network;

/// <summary>A NAT network of a lab: traffic from <paramref name="Subnet"/> leaving it is masqueraded behind the host.</summary>
public sealed record NftMasquerade(string Lab, IPNetwork Subnet)
{
    /// <summary>The project id of the lab's mark, kept in the rule's comment.</summary>
    public string? Project { get; init; }

    /// <summary>The NAT network's bridge (the host's name for the NAT), kept in the rule's comment.</summary>
    public string? Nat { get; init; }
}

public enum NftProtocol
{
    Tcp,
    Udp,
}

/// <summary>A forwarded port: <paramref name="HostPort"/> on the host's addresses (or only <paramref name="HostAddress"/>) to a guest.</summary>
public sealed record NftPortForward(string Lab, NftProtocol Protocol, IPAddress? HostAddress, int HostPort, IPAddress GuestAddress, int GuestPort)
{
    /// <summary>The project id of the lab's mark, kept in the rule's comment.</summary>
    public string? Project { get; init; }

    /// <summary>The NAT network (bridge) the guest is on, kept in the rule's comment.</summary>
    public string? Nat { get; init; }
}

/// <summary>A bridge whose traffic must not be routed by the host (private and isolated networks): only the VMs on it (and, for private, the host) talk to each other.</summary>
public sealed record NftNoForward(string Lab, string Bridge)
{
    /// <summary>The project id of the lab's mark, kept in the rule's comment.</summary>
    public string? Project { get; init; }
}

/// <summary>Everything LabRunner's table must hold, for all labs on the host.</summary>
public sealed record NftRulesetSpec(ImmutableArray<NftMasquerade> Masquerades, ImmutableArray<NftPortForward> PortForwards, ImmutableArray<NftNoForward> NoForwards)
{
    public static NftRulesetSpec Empty { get; } = new([], [], []);
}

/// <summary>
/// Renders LabRunner's nftables table, <c>table inet labrunner</c>, as an <c>nft -f</c> script that replaces
/// that table — and only it — in one transaction: <c>table inet labrunner {}</c> (create if missing),
/// <c>delete table inet labrunner</c>, then the full definition. nft applies a file atomically, so the host
/// never sees a half-written table, and Docker's, firewalld's or the user's tables are never named.
/// Every rule carries a comment with the lab's <see cref="OwnershipMark"/>. Every value is validated
/// (addresses parsed, names restricted to <see cref="OwnershipMark.IsToken"/> and <see cref="InterfaceNames.IsValid"/>)
/// before it is written into the script.
/// </summary>
/// <remarks>
/// DNAT only catches packets addressed to the host itself (<c>fib daddr type local</c>, or the given host
/// address): a guest connecting to port 80 somewhere else is not redirected. The output chain makes a
/// forwarded port reachable from the host's own processes through its non-loopback addresses.
/// </remarks>
public static class NftRuleset
{
    public const string TableFamily = "inet";
    public const string TableName = "labrunner";

    /// <summary>The script that removes LabRunner's table (and nothing else), whether or not it exists.</summary>
    public static string RenderDelete() => $"table {TableFamily} {TableName} {{}}\ndelete table {TableFamily} {TableName}\n";

    public static string Render(NftRulesetSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var prerouting = new List<string>();
        var output = new List<string>();
        foreach (var forward in spec.PortForwards.OrderBy(p => p.Lab, StringComparer.Ordinal).ThenBy(p => p.Protocol).ThenBy(p => p.HostPort).ThenBy(p => p.HostAddress?.ToString(), StringComparer.Ordinal))
        {
            var match = $"{Protocol(forward.Protocol)} dport {Port(forward.HostPort)}";
            var action = $"dnat ip to {Ipv4(forward.GuestAddress)}:{Port(forward.GuestPort)} comment {Comment(forward.Lab, forward.Project, forward.Nat)}";
            if (forward.HostAddress is null)
            {
                prerouting.Add($"fib daddr type local {match} {action}");
                output.Add($"ip daddr != 127.0.0.0/8 fib daddr type local {match} {action}");
            }
            else
            {
                var daddr = $"ip daddr {Ipv4(forward.HostAddress)}";
                prerouting.Add($"{daddr} {match} {action}");
                if (!IPAddress.IsLoopback(forward.HostAddress)) output.Add($"{daddr} {match} {action}");
            }
        }

        var postrouting = spec.Masquerades.OrderBy(m => m.Lab, StringComparer.Ordinal).ThenBy(m => m.Subnet.ToString(), StringComparer.Ordinal)
            .Select(m => $"ip saddr {Subnet(m.Subnet)} ip daddr != {Subnet(m.Subnet)} masquerade comment {Comment(m.Lab, m.Project, m.Nat)}")
            .ToList();

        var forwardChain = new List<string>();
        foreach (var isolated in spec.NoForwards.OrderBy(n => n.Lab, StringComparer.Ordinal).ThenBy(n => n.Bridge, StringComparer.Ordinal))
        {
            var bridge = Bridge(isolated.Bridge);
            forwardChain.Add($"iifname {bridge} oifname != {bridge} drop comment {Comment(isolated.Lab, isolated.Project, null)}");
            forwardChain.Add($"oifname {bridge} iifname != {bridge} drop comment {Comment(isolated.Lab, isolated.Project, null)}");
        }

        var script = new StringBuilder();
        script.Append("# LabRunner's own table, replaced whole in one transaction; no other table is touched.\n");
        script.Append(RenderDelete());
        script.Append($"table {TableFamily} {TableName} {{\n");
        Chain(script, "prerouting", "type nat hook prerouting priority dstnat; policy accept;", prerouting);
        Chain(script, "output", "type nat hook output priority -100; policy accept;", output);
        Chain(script, "postrouting", "type nat hook postrouting priority srcnat; policy accept;", postrouting);
        Chain(script, "forward", "type filter hook forward priority filter; policy accept;", forwardChain);
        script.Append("}\n");
        return script.ToString();
    }

    private static void Chain(StringBuilder script, string name, string header, List<string> rules)
    {
        script.Append("\tchain ").Append(name).Append(" {\n\t\t").Append(header).Append('\n');
        foreach (var rule in rules) script.Append("\t\t").Append(rule).Append('\n');
        script.Append("\t}\n");
    }

    private static string Protocol(NftProtocol protocol) => protocol switch
    {
        NftProtocol.Tcp => "tcp",
        NftProtocol.Udp => "udp",
        _ => throw new ArgumentOutOfRangeException(nameof(protocol), protocol, null),
    };

    private static string Port(int port) =>
        port is >= 1 and <= 65535 ? port.ToString(CultureInfo.InvariantCulture) : throw new ArgumentOutOfRangeException(nameof(port), port, "A port is 1–65535.");

    private static string Ipv4(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetwork ? address.ToString() : throw new ArgumentException($"{address} is not an IPv4 address.", nameof(address));

    private static string Subnet(IPNetwork subnet) =>
        subnet.BaseAddress.AddressFamily == AddressFamily.InterNetwork ? subnet.ToString() : throw new ArgumentException($"{subnet} is not an IPv4 subnet.", nameof(subnet));

    private static string Bridge(string name) =>
        InterfaceNames.IsValid(name) ? $"\"{name}\"" : throw new ArgumentException($"'{name}' is not an interface name.", nameof(name));

    private static string Comment(string lab, string? project, string? nat) => $"\"{new OwnershipMark(lab, project, nat).Render()}\"";
}
