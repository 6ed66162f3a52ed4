using System.Globalization;
using System.Text;
using LabRunner.Core.Net;
using LabRunner.Simulation;
using LabRunner.Simulation.Model;

namespace LabRunner.Integration.Tests.Support;

/// <summary>The Labfiles and starting hosts the integration tests use.</summary>
internal static class Labfiles
{
    /// <summary>Three VMs on a NAT, a private and an isolated network, with TCP and UDP forwarded ports.</summary>
    public const string Shop = """
        name: shop
        boxes:
          ubuntu: boxes/ubuntu.vhdx
        networks:
          - name: front
            type: nat
            subnet: 10.188.7.0/24
          - name: back
            type: private
            subnet: 192.168.60.0/24
          - name: storage
            type: isolated
            subnet: 172.31.200.0/24
        vms:
          - name: web
            box: ubuntu
            cpus: 2
            memory: 1GB
            networks:
              - front
              - network: back
                ip: 192.168.60.10
              - storage
            forwarded_ports:
              - guest: 80
                host: 8080
              - guest: 53
                host: 5353
                protocol: udp
          - name: db
            box: ubuntu
            memory: 1536MB
            networks: [front, back, storage]
            forwarded_ports:
              - guest: 5432
                host: 15432
          - name: cache
            box: ubuntu
            memory: 512MB
            networks: [back, storage]
        """;

    /// <summary>Two VMs, every kind of network LabRunner makes on its own (NAT, private, isolated) and a forwarded port.</summary>
    public const string Pair = """
        name: pair
        boxes:
          ubuntu: boxes/ubuntu.vhdx
        networks:
          - name: front
            type: nat
            subnet: 10.188.9.0/24
          - name: back
            type: private
            subnet: 192.168.61.0/24
          - name: storage
            type: isolated
        vms:
          - name: a
            box: ubuntu
            memory: 512MB
            networks: [front, back, storage]
            forwarded_ports:
              - guest: 22
                host: 2222
          - name: b
            box: ubuntu
            memory: 512MB
            networks: [front, back]
        """;

    /// <summary>
    /// <paramref name="count"/> VMs with a NAT and a private network and a forwarded port each
    /// (<c>vm-{n}</c>, host ports 20001, 20002, …).
    /// </summary>
    public static string Many(int count, string name = "many")
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"""
            name: {name}
            boxes:
              ubuntu: boxes/ubuntu.vhdx
            networks:
              - name: front
                type: nat
                subnet: 10.188.0.0/20
              - name: back
                type: private
                subnet: 192.168.64.0/20
            vms:
              - name: vm-{"{n}"}
                count: {count}
                box: ubuntu
                memory: 512MB
                cpus: 1
                networks: [front, back]
                forwarded_ports:
                  - guest: 22
                    host: 20001

            """);
        return sb.ToString();
    }

    public const string ForeignSwitch = "ci-switch";
    public const string ForeignSwitchNotes = "made by the CI agent; not LabRunner's";
    public const string ForeignVm = "DockerDesktopVM";
    public const string ForeignVmNotes = "Docker Desktop\nkeep me";

    /// <summary>
    /// The default simulated host plus objects of others: an internal switch with its vNIC address, a
    /// running VM on it, and (when <paramref name="foreignNat"/>) Docker's NetNat over LabRunner's default
    /// prefix with a mapping of its own, which a lab then shares.
    /// </summary>
    public static SimulatedHost HostWithForeignObjects(bool foreignNat)
    {
        var host = SimulatedHost.InMemory();
        host.Mutate(m =>
        {
            m.NewSwitch(ForeignSwitch, Core.Hosting.SwitchKind.Internal, null, allowManagementOs: true, ForeignSwitchNotes);
            // Inside Docker's NetNat when there is one; elsewhere clear of LabRunner's default NAT prefix, which
            // LabRunner refuses to create over an address of the host.
            m.NewNetIPAddress(m.FindInterface($"vEthernet ({ForeignSwitch})")!, Ipv4Address.Parse(foreignNat ? "10.188.250.1" : "172.24.0.1"), foreignNat ? 24 : 20);
            var vm = m.NewVm(ForeignVm, 2, 2048L * 1024 * 1024, null, null, ForeignSwitch);
            m.SetVm(vm, notes: ForeignVmNotes);
            m.StartVm(vm);
            if (foreignNat)
            {
                m.NewNat("DockerNAT", Ipv4Subnet.Parse("10.188.0.0/16"));
                m.AddStaticMapping("DockerNAT", Core.Labfile.PortProtocol.Tcp, new Ipv4Address(0), 2375, Ipv4Address.Parse("10.188.250.2"), 2375);
            }
        });
        return host;
    }

    /// <summary>Everything of <paramref name="state"/> that is not a LabRunner object: to compare before and after a lab's life.</summary>
    public static string ForeignPart(SimulatedHostState state) => string.Join("\n",
        state.Switches.Where(s => !Core.Hosting.LabIdentity.IsLabRunner(s.Notes)).Select(s => $"switch {s.Name} {s.Id} {s.SwitchType} {s.Notes}")
            .Concat(state.NetAdapters.Where(a => !a.Name.StartsWith("vEthernet (LabRunner-", StringComparison.Ordinal))
                .Select(a => $"adapter {a.Name} {a.InterfaceIndex} {a.MacAddress} [{string.Join(",", a.Addresses)}]"))
            .Concat(state.Nats.Where(n => n.Name != Core.Planning.PlanRules.NatName).Select(n => $"nat {n.Name} {n.InternalIPInterfaceAddressPrefix}"))
            .Concat(state.StaticMappings.Where(m => m.InternalIPAddress.ToString().StartsWith("10.188.250.", StringComparison.Ordinal))
                .Select(m => $"mapping {m.StaticMappingId} {m.NatName} {m.Protocol} {m.ExternalPort} {m.InternalIPAddress}:{m.InternalPort}"))
            .Concat(state.Vms.Where(v => !Core.Hosting.LabIdentity.IsLabRunner(v.Notes))
                .Select(v => $"vm {v.Name} {v.Id} {v.State} {v.Notes} {string.Join(",", v.NetworkAdapters.Select(a => $"{a.Name}@{a.SwitchName}/{a.DynamicMacAddress}"))}")));
}
