using LabRunner.Core.Diagnostics;
using LabRunner.Core.Labfile;
using LabRunner.Core.Net;
using LabRunner.Core.Planning;

namespace LabRunner.Core.Validation;

/// <summary>
/// Checks that hold between parts of a lab: names are unique, references resolve, addresses fit
/// their networks and never collide, ports are forwarded once and only where WinNAT can reach.
/// </summary>
public static partial class LabValidator
{
    private static bool IsMissingFromStore(LabContext context, string box) =>
        context.MissingStoreBoxes.Contains(box, StringComparer.OrdinalIgnoreCase);

    public static void Validate(LabDefinition lab, LabContext context, ICollection<Diagnostic> d)
    {
        var networks = ValidateNetworks(lab, context, d);
        var boxNames = lab.Boxes.Select(b => b.Name).Concat(context.BoxesOnDisk).ToHashSet(StringComparer.OrdinalIgnoreCase);

        var missingReported = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var vmNames = new Dictionary<string, VmDefinition>(StringComparer.OrdinalIgnoreCase);
        var ips = new Dictionary<Ipv4Address, (VmDefinition Vm, SourceSpan Span)>();
        var macs = new Dictionary<MacAddress, VmDefinition>();
        var hostPorts = new Dictionary<(PortProtocol, uint, int), (VmDefinition Vm, SourceSpan Span)>();
        var provisionReported = new HashSet<SourceSpan>();
        var badBoxReported = new HashSet<SourceSpan>();
        var syncedReported = new HashSet<(SourceSpan, string)>();

        foreach (var vm in lab.Vms)
        {
            if (!vmNames.TryAdd(vm.Name, vm))
                d.Add(DiagnosticBuilder.DuplicateName(vm.NameSpan, "VM", vm.Name, vmNames[vm.Name].NameSpan));

            if (vm.Box is null)
                d.Add(DiagnosticBuilder.BoxRequired(vm.NameSpan, vm.Name));
            else if (!Names.IsBoxReference(vm.Box))
            {
                // A box from 'defaults' (or a VM with 'count') shares one position: reported once.
                if (badBoxReported.Add(vm.BoxSpan ?? vm.NameSpan))
                    d.Add(DiagnosticBuilder.InvalidBoxReference(vm.BoxSpan ?? vm.NameSpan, vm.Box, Names.BoxReferenceRule));
            }
            else if (!boxNames.Contains(vm.Box))
            {
                // With a box store, a name the project does not know is the store's box; only one it lacks is a problem.
                if (context.BoxStoreProvider is null || (IsMissingFromStore(context, vm.Box) && missingReported.Add(vm.Box)))
                    d.Add(DiagnosticBuilder.UndeclaredBox(vm.BoxSpan ?? vm.NameSpan, vm.Box, Suggest.Closest(vm.Box, boxNames.Concat(context.StoreBoxNames)), context.BoxStoreProvider));
            }
            else if (context.RefusedBoxFiles.TryGetValue(vm.Box, out var why))
            {
                // Read by the caller: a 'path' box at its path, any other (boxes/, the store) at the VM's box.
                var declared = lab.Boxes.FirstOrDefault(b => string.Equals(b.Name, vm.Box, StringComparison.OrdinalIgnoreCase));
                if (missingReported.Add(vm.Box))
                    d.Add(DiagnosticBuilder.BoxNotPlain(declared is { FromStore: false } ? declared.PathSpan : vm.BoxSpan ?? vm.NameSpan, vm.Box, why, vm.Name));
            }
            else if (lab.Boxes.FirstOrDefault(b => string.Equals(b.Name, vm.Box, StringComparison.OrdinalIgnoreCase)) is { } box)
            {
                if (!box.FromStore && context.MissingBoxFiles.Contains(box.Path) && missingReported.Add(box.Name))
                    d.Add(DiagnosticBuilder.BoxFileMissing(box.PathSpan, box.Name, box.Path, vm.Name));
                else if (box is { FromStore: true, Url: null } && context.BoxStoreProvider is { } provider && IsMissingFromStore(context, box.Name) && missingReported.Add(box.Name))
                    d.Add(DiagnosticBuilder.StoreBoxMissing(vm.BoxSpan ?? vm.NameSpan, box.Name, box.Version?.Text, provider, vm.Name));
            }

            // A defaults item and every copy made by 'count' share one position: reported once.
            foreach (var (path, span) in vm.Provisioners.Select(ProvisionFile))
                if (path is not null && context.MissingProvisionFiles.Contains(path) && provisionReported.Add(span))
                    d.Add(DiagnosticBuilder.ProvisionFileMissing(span, path));

            ValidateSyncedFolders(vm, context, d, syncedReported);

            var attached = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var adapter in vm.Adapters)
            {
                if (!networks.TryGetValue(adapter.Network, out var network))
                {
                    d.Add(DiagnosticBuilder.UndeclaredNetwork(adapter.NetworkSpan, adapter.Network, Suggest.Closest(adapter.Network, networks.Keys)));
                    continue;
                }
                if (!attached.Add(network.Name))
                    d.Add(DiagnosticBuilder.SameNetworkTwice(adapter.NetworkSpan, vm.Name, network.Name));
                if (adapter.Ip is { } ip)
                    ValidateStaticIp(vm, adapter, ip, network, ips, d);
                if (adapter.Mac is { } mac && !macs.TryAdd(mac, vm))
                    d.Add(DiagnosticBuilder.DuplicateMac(adapter.MacSpan!.Value, mac.ToString(), macs[mac].Name));
            }

            var hasNat = vm.Adapters.Any(a => networks.TryGetValue(a.Network, out var n) && n.Type == NetworkType.Nat);
            foreach (var port in vm.ForwardedPorts)
            {
                if (!hasNat)
                {
                    d.Add(DiagnosticBuilder.PortWithoutNat(port.Span, vm.Name));
                    break;
                }
                if (port.HostIp is { } hostIp && context.Rules.UnreachableHostIp(hostIp) is { } why)
                    d.Add(DiagnosticBuilder.UnreachableHostIp(port.Span, vm.Name, hostIp.ToString(), why));
                // One external port per protocol and external address; 0.0.0.0 (all addresses) clashes with every address.
                var key = (port.Protocol, port.HostIp?.Value ?? 0u, port.Host);
                var clash = hostPorts.Keys.FirstOrDefault(k => k.Item1 == key.Protocol && k.Item3 == key.Host && (k.Item2 == key.Item2 || k.Item2 == 0 || key.Item2 == 0));
                if (clash != default)
                {
                    var first = hostPorts[clash];
                    d.Add(DiagnosticBuilder.DuplicateHostPort(port.HostSpan, port.Protocol.ToString().ToLowerInvariant(), port.Host, first.Vm.Name, first.Span));
                }
                else
                {
                    hostPorts.Add(key, (vm, port.HostSpan));
                }
            }
        }
    }

    /// <summary>The project file a provisioner reads, as written, and where; null for an inline script.</summary>
    public static (string? Path, SourceSpan Span) ProvisionFile(ProvisionerDefinition p) => p switch
    {
        ShellProvisionerDefinition { Path: { } path } s => (path, s.PathSpan ?? s.Span),
        FileProvisionerDefinition f => (f.Source, f.SourceSpan),
        _ => (null, p.Span),
    };

    private static Dictionary<string, NetworkDefinition> ValidateNetworks(LabDefinition lab, LabContext context, ICollection<Diagnostic> d)
    {
        var byName = new Dictionary<string, NetworkDefinition>(StringComparer.OrdinalIgnoreCase);
        var natPrefix = lab.NatPrefix ?? context.DefaultNatPrefix;
        if (lab.NatPrefix is { } p && !PlanRules.IsUsableNatPrefix(p))
            d.Add(DiagnosticBuilder.NatPrefixInvalid(lab.NatPrefixSpan!.Value, p.ToString()));

        var withSubnets = new List<NetworkDefinition>();
        foreach (var network in lab.Networks)
        {
            if (!byName.TryAdd(network.Name, network))
            {
                d.Add(DiagnosticBuilder.DuplicateName(network.NameSpan, "network", network.Name, byName[network.Name].NameSpan));
                continue;
            }
            var type = network.Type.ToString().ToLowerInvariant();

            // An adapter that was given but refused (LAB101) is not also missing.
            if (network.Type == NetworkType.Bridged && network.Adapter is null && network.AdapterSpan is null)
                d.Add(DiagnosticBuilder.AdapterRequired(network.NameSpan, network.Name));
            if (network.Type != NetworkType.Bridged && network.AdapterSpan is { } adapterSpan)
                d.Add(DiagnosticBuilder.NotApplicable(adapterSpan, "adapter", $"only bridged networks use a physical adapter; '{DiagnosticBuilder.Printable(network.Name)}' is {type}"));
            if (network.Type == NetworkType.Isolated && network.GatewaySpan is { } gatewaySpan)
                d.Add(DiagnosticBuilder.NotApplicable(gatewaySpan, "gateway", "an isolated network has no host side and no way out"));
            if (network.Type == NetworkType.Private && network.SubnetSpan is null)
                d.Add(DiagnosticBuilder.SubnetRequired(network.NameSpan, network.Name, type));

            if (network.Subnet is not { } subnet)
            {
                if (network.GatewaySpan is { } gs && network.Type == NetworkType.Bridged)
                    d.Add(DiagnosticBuilder.NotApplicable(gs, "gateway", "give the bridged network a 'subnet' too, so guests with a static IP know their prefix"));
                continue;
            }
            if (subnet.PrefixLength > 30)
            {
                d.Add(DiagnosticBuilder.SubnetTooSmall(network.SubnetSpan!.Value, subnet.ToString()));
                continue;
            }
            if (network.Gateway is { } gateway && (!subnet.Contains(gateway) || subnet.IsReserved(gateway)))
                d.Add(DiagnosticBuilder.GatewayOutsideSubnet(network.GatewaySpan!.Value, gateway.ToString(), subnet.ToString()));
            if (network.Type == NetworkType.Nat && !natPrefix.Contains(subnet))
                d.Add(DiagnosticBuilder.NatOutsidePrefix(network.SubnetSpan!.Value, network.Name, subnet.ToString(), natPrefix.ToString()));

            foreach (var other in withSubnets)
                if (other.Subnet!.Value.Overlaps(subnet))
                    d.Add(DiagnosticBuilder.SubnetOverlap(network.SubnetSpan!.Value, network.Name, subnet.ToString(), other.Name, other.Subnet.Value.ToString()));
            withSubnets.Add(network);
        }
        return byName;
    }

    private static void ValidateStaticIp(VmDefinition vm, AdapterDefinition adapter, Ipv4Address ip, NetworkDefinition network,
        Dictionary<Ipv4Address, (VmDefinition Vm, SourceSpan Span)> ips, ICollection<Diagnostic> d)
    {
        var span = adapter.IpSpan!.Value;
        var text = ip.ToString();
        Ipv4Subnet subnet;
        if (network.Subnet is { } declared)
        {
            subnet = declared;
            if (adapter.IpPrefixLength is { } given && given != declared.PrefixLength)
            {
                d.Add(DiagnosticBuilder.IpPrefixMismatch(span, $"{text}/{given}", declared.ToString()));
                return;
            }
        }
        else if (network.Type == NetworkType.Nat)
        {
            // Without a subnet LabRunner chooses the NAT slice, so no address can be known to lie in it.
            d.Add(DiagnosticBuilder.NatIpNeedsSubnet(span, text, network.Name));
            return;
        }
        else if (adapter.IpPrefixLength is { } prefix)
        {
            subnet = new Ipv4Subnet(ip, prefix);
        }
        else
        {
            d.Add(DiagnosticBuilder.IpNeedsPrefix(span, text, network.Name));
            return;
        }

        if (!subnet.Contains(ip))
            d.Add(DiagnosticBuilder.IpOutsideSubnet(span, text, network.Name, subnet.ToString()));
        else if (subnet.IsReserved(ip))
            d.Add(DiagnosticBuilder.IpReserved(span, text, ip == subnet.Network ? "network" : "broadcast", subnet.ToString()));
        else if (PlanRules.GatewayOf(network) == ip)
            d.Add(DiagnosticBuilder.IpIsGateway(span, text, network.Name));
        else if (ips.TryGetValue(ip, out var first))
            d.Add(DiagnosticBuilder.DuplicateIp(span, text, first.Vm.Name, first.Span));
        else
            ips.Add(ip, (vm, span));
    }
}
