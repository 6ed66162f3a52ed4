using System.Text.Json.Nodes;

namespace LabRunner.RealGuests.Tests.Support;

/// <summary>What <c>lab plan --json</c> says the guests get: the expectations the tests check inside them.</summary>
public sealed record LabPlan(string Lab, IReadOnlyList<PlannedNetwork> Networks, IReadOnlyList<PlannedVm> Vms)
{
    public static LabPlan Parse(string json)
    {
        var root = JsonNode.Parse(json)!;
        var networks = root["networks"]!.AsArray().Select(n => new PlannedNetwork(
            (string)n!["name"]!, (string)n["type"]!, (string?)n["subnet"], (string?)n["gateway"],
            [.. n["dns"]!.AsArray().Select(d => (string)d!)])).ToList();
        var vms = root["vms"]!.AsArray().Select(v => new PlannedVm(
            (string)v!["name"]!, (string)v["hostname"]!, (int)v["memory_mb"]!,
            [.. v["adapters"]!.AsArray().Select((a, i) => new PlannedAdapter(i, (string)a!["network"]!, (string)a["mac"]!, ((string?)a["ip"])?.Split('/')[0], (string?)a["gateway"]))],
            [.. v["forwarded_ports"]!.AsArray().Select(p => new PlannedPort((int)p!["host_port"]!, (int)p["guest_port"]!, (string)p["guest_ip"]!))])).ToList();
        return new LabPlan((string)root["lab"]!, networks, vms);
    }

    public PlannedNetwork Network(string name) => Networks.Single(n => n.Name == name);

    public PlannedVm Vm(string name) => Vms.Single(v => v.Name == name);

    /// <summary>The address SSH uses: the VM's first adapter on a network the host is on (NAT or private).</summary>
    public string SshIp(PlannedVm vm) => vm.Adapters.First(a => Network(a.Network).Type is "nat" or "private" && a.Ip is not null).Ip!;

    public IEnumerable<PlannedAdapter> AdaptersOfType(PlannedVm vm, string type) => vm.Adapters.Where(a => Network(a.Network).Type == type);

    /// <summary>The resolvers the guest's seed names: the DNS servers of its adapters' networks, in adapter order, once each.</summary>
    public IReadOnlyList<string> Resolvers(PlannedVm vm) => [.. vm.Adapters.SelectMany(a => Network(a.Network).Dns).Distinct(StringComparer.Ordinal)];
}

public sealed record PlannedNetwork(string Name, string Type, string? Subnet, string? Gateway, IReadOnlyList<string> Dns);

public sealed record PlannedVm(string Name, string Hostname, int MemoryMb, IReadOnlyList<PlannedAdapter> Adapters, IReadOnlyList<PlannedPort> Ports);

/// <summary>An adapter; the seed names the guest's interface eth&lt;index&gt; (matched by MAC).</summary>
public sealed record PlannedAdapter(int Index, string Network, string Mac, string? Ip, string? Gateway)
{
    public string Interface => $"eth{Index}";
}

public sealed record PlannedPort(int HostPort, int GuestPort, string GuestIp);
