using LabRunner.Core.Boxes;
using System.Collections.Immutable;
using System.Globalization;
using LabRunner.Core.Diagnostics;
using LabRunner.Core.Net;

namespace LabRunner.Core.Labfile;

/// <summary>
/// Turns the YAML tree into a <see cref="LabDefinition"/>: types every value, applies defaults,
/// expands <c>count</c>, and reports every shape problem it meets (it never stops at the first).
/// Cross-references (names, addresses, ports) are checked afterwards by the validator.
/// </summary>
internal sealed partial class Binder(ICollection<Diagnostic> diagnostics)
{
    public const int MaxCount = 1000;
    public const int DefaultCpus = 2;
    public const long DefaultMemory = 2 * ByteSize.GiB;
    public const string DefaultUser = "lab";

    // Hyper-V's limits: at least 32 MB, a multiple of 2 MB, at most 12 TB (generation 2, Windows Server 2019+).
    private const long MinMemory = 32 * ByteSize.MiB;
    private const long MaxMemory = 12L << 40;
    private const long MemoryStep = 2 * ByteSize.MiB;
    private const int MaxCpus = 240;

    private static readonly string[] TopKeys = ["name", "nat", "defaults", "boxes", "networks", "vms"];
    private static readonly string[] NatKeys = ["prefix"];
    private static readonly string[] DefaultsKeys = ["box", "cpus", "memory", "generation", "os", "user", "user_data", "provision", "boot_timeout", "synced_folders"];
    private static readonly string[] BoxKeys = ["path", "os", "url", "version", "checksum"];
    private static readonly string[] NetworkKeys = ["name", "type", "subnet", "gateway", "dns", "adapter"];
    private static readonly string[] VmKeys = ["name", "count", "box", "cpus", "memory", "generation", "os", "hostname", "user", "networks", "forwarded_ports", "user_data", "provision", "boot_timeout", "synced_folders"];
    private static readonly string[] AdapterKeys = ["network", "ip", "mac"];
    private static readonly string[] PortKeys = ["guest", "host", "protocol", "host_ip", "auto_correct"];
    private static readonly string[] ProvisionerKeys = ["shell", "file"];
    private static readonly string[] ShellKeys = ["inline", "path", "args", "env", "privileged", "run"];
    private static readonly string[] FileKeys = ["source", "destination", "run"];

    // boot_timeout: at least long enough for a TCP handshake and a cloud-init query, at most a day.
    private const int MinBootTimeout = 10;
    private const int MaxBootTimeout = 86400;

    private readonly ICollection<Diagnostic> _d = diagnostics;

    public LabDefinition? Bind(YamlNode? root, string file)
    {
        if (root is null || root is YamlScalar { IsNull: true })
        {
            // An empty document has no position of its own (YamlDotNet puts it past the '---'); point at the start.
            _d.Add(DiagnosticBuilder.EmptyLabfile(SourceSpan.None(file)));
            return null;
        }
        if (root is not YamlMapping map)
        {
            _d.Add(DiagnosticBuilder.WrongType(root.Span, "the Labfile", "a mapping of keys such as 'name', 'networks' and 'vms'", root.Kind));
            return null;
        }

        var top = new MappingReader(map, "the Labfile", TopKeys, _d);
        var name = top.String("name", required: true);
        var nameSpan = top.SpanOf("name") ?? top.KeySpanOrMap("name");
        if (name is not null && !Names.IsLabName(name))
        {
            _d.Add(DiagnosticBuilder.InvalidName(nameSpan, "lab name", name, Names.LabRule));
            name = null;
        }

        Ipv4Subnet? natPrefix = null;
        SourceSpan? natPrefixSpan = null;
        if (top.Mapping("nat", "a mapping with 'prefix'") is { } natMap)
        {
            var nat = new MappingReader(natMap, "'nat'", NatKeys, _d);
            natPrefix = nat.Subnet("prefix");
            natPrefixSpan = nat.SpanOf("prefix");
        }

        var defaults = BindDefaults(top.Mapping("defaults", "a mapping of VM settings"));
        var boxes = BindBoxes(top.Mapping("boxes", "a mapping from box name to a VHDX path"));
        var networks = top.List("networks", "a list of networks").Select(BindNetwork).OfType<NetworkDefinition>().ToImmutableArray();
        var vms = top.List("vms", "a list of VMs").SelectMany(n => BindVms(n, defaults, boxes)).ToImmutableArray();

        return new LabDefinition(name ?? "", nameSpan, natPrefix, natPrefixSpan, boxes, networks, vms);
    }

    private sealed record Defaults(
        YamlScalar? Box, int Cpus, long Memory, int Generation, GuestOs? Os, string User, YamlMapping? UserData)
    {
        public ImmutableArray<ProvisionerDefinition> Provisioners { get; init; } = [];

        public int BootTimeout { get; init; } = VmDefinition.DefaultBootTimeoutSeconds;

        public ImmutableArray<SyncedFolderDefinition> SyncedFolders { get; init; } = [];
    }

    private Defaults BindDefaults(YamlMapping? map)
    {
        if (map is null) return new Defaults(null, DefaultCpus, DefaultMemory, 2, null, DefaultUser, null);
        var r = new MappingReader(map, "'defaults'", DefaultsKeys, _d);
        return new Defaults(
            r.Scalar("box", "a box name"),
            (int?)r.Integer("cpus", "cpus", 1, MaxCpus) ?? DefaultCpus,
            r.Size("memory", "memory", MinMemory, MaxMemory, MemoryStep) ?? DefaultMemory,
            Generation(r) ?? 2,
            r.Choice<GuestOs>("os", "os"),
            User(r) ?? DefaultUser,
            r.Mapping("user_data", "a mapping of cloud-config keys"))
        {
            Provisioners = BindProvisioners(r, "defaults", _d),
            BootTimeout = (int?)r.Integer("boot_timeout", "boot_timeout (seconds)", MinBootTimeout, MaxBootTimeout) ?? VmDefinition.DefaultBootTimeoutSeconds,
            SyncedFolders = BindSyncedFolders(r, _d),
        };
    }

    /// <summary>
    /// A box the store holds: added from its 'url' by 'lab up' (LAB309-LAB312), or, with only a 'version',
    /// one the user added with 'lab box add' (the newest installed version that fits).
    /// </summary>
    private BoxDefinition? BindStoreBox(YamlScalar key, MappingReader r)
    {
        var ok = true;
        if (r.Has("path"))
        {
            _d.Add(DiagnosticBuilder.BoxPathAndUrl(r.KeySpanOrMap("path"), key.Value));
            ok = false;
        }
        var urlNode = r.Has("url") ? r.Scalar("url", "a URL") : null;
        var url = urlNode?.Value;
        if (urlNode is not null && !IsHttpUrl(url))
        {
            _d.Add(DiagnosticBuilder.InvalidBoxUrl(urlNode.Span, url ?? ""));
            ok = false;
        }
        if (urlNode is null && r.Has("checksum"))
        {
            _d.Add(DiagnosticBuilder.NotApplicable(r.KeySpanOrMap("checksum"), "checksum", "it goes with 'url' (a box LabRunner downloads), not with a box already in the store"));
            ok = false;
        }
        var versionNode = r.Scalar("version", "a version constraint");
        VersionConstraint? version = null;
        if (versionNode is not null && !VersionConstraint.TryParse(versionNode.Value, out version, out var versionError))
        {
            _d.Add(DiagnosticBuilder.InvalidVersionConstraint(versionNode.Span, versionError));
            ok = false;
        }
        var checksumNode = urlNode is null ? null : r.Scalar("checksum", "ALGO:HEX");
        Checksum? checksum = null;
        if (checksumNode is not null && !Checksum.TryParse(checksumNode.Value, out checksum, out var checksumError))
        {
            _d.Add(DiagnosticBuilder.InvalidChecksum(checksumNode.Span, checksumError));
            ok = false;
        }
        var os = r.Choice<GuestOs>("os", "os");
        if (!ok || (urlNode is null && versionNode is null)) return null;
        return new BoxDefinition(key.Value, "", os, key.Span)
        {
            FromStore = true,
            PathSpan = urlNode?.Span ?? versionNode!.Span,
            Url = url,
            Version = version,
            Checksum = checksum,
        };
    }

    private static bool IsHttpUrl(string? text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp) && uri.Host.Length > 0;

    private ImmutableArray<BoxDefinition> BindBoxes(YamlMapping? map)
    {
        if (map is null) return [];
        var boxes = ImmutableArray.CreateBuilder<BoxDefinition>();
        foreach (var (key, value) in map.Entries.Select(e => (e.Key, e.Value)))
        {
            if (!Names.IsBoxName(key.Value))
            {
                _d.Add(DiagnosticBuilder.InvalidName(key.Span, "box name", key.Value, Names.BoxRule));
                continue;
            }
            string? path;
            GuestOs? os = null;
            SourceSpan pathSpan;
            switch (value)
            {
                case YamlScalar { IsNull: false } s:
                    path = s.Value;
                    pathSpan = s.Span;
                    break;
                case YamlMapping m:
                    var r = new MappingReader(m, $"box '{key.Value}'", BoxKeys, _d);
                    // 'url': a box 'lab up' adds to the store; only 'version' (no 'path'): one already there.
                    if (r.Has("url") || (r.Has("version") && !r.Has("path")))
                    {
                        if (BindStoreBox(key, r) is { } stored) boxes.Add(stored);
                        continue;
                    }
                    path = r.String("path", required: true);
                    pathSpan = r.SpanOf("path") ?? m.Span;
                    os = r.Choice<GuestOs>("os", "os");
                    foreach (var storeOnly in new[] { "version", "checksum" }.Where(r.Has))
                        _d.Add(DiagnosticBuilder.NotApplicable(r.KeySpanOrMap(storeOnly), storeOnly, "it goes with 'url' (a box LabRunner downloads), not with 'path'"));
                    break;
                default:
                    _d.Add(DiagnosticBuilder.WrongType(value.Span, $"box '{DiagnosticBuilder.Printable(key.Value)}'", "a VHDX path or a mapping with 'path'", value.Kind));
                    continue;
            }
            if (path is null) continue;
            if (!Names.IsPrintable(path, 1024) || path.Contains('\0', StringComparison.Ordinal))
            {
                _d.Add(DiagnosticBuilder.InvalidPath(pathSpan, path));
                continue;
            }
            boxes.Add(new BoxDefinition(key.Value, path, os, key.Span) { PathSpan = pathSpan });
        }
        return boxes.ToImmutable();
    }

    private NetworkDefinition? BindNetwork(YamlNode node)
    {
        if (node is not YamlMapping map)
        {
            _d.Add(DiagnosticBuilder.WrongType(node.Span, "each network", "a mapping with 'name' and 'type'", node.Kind));
            return null;
        }
        var r = new MappingReader(map, "a network", NetworkKeys, _d);
        var name = r.String("name", required: true);
        var nameSpan = r.SpanOf("name") ?? map.Span;
        var type = r.Choice<NetworkType>("type", "network type", required: true);
        if (name is not null && !Names.IsNetworkName(name))
        {
            _d.Add(DiagnosticBuilder.InvalidName(nameSpan, "network name", name, Names.NetworkRule));
            name = null;
        }
        var subnet = r.Subnet("subnet");
        var gateway = r.Ip("gateway");
        var dns = IpList(r, "dns");
        var adapter = r.String("adapter");
        if (adapter is not null && !Names.IsAdapterName(adapter))
        {
            _d.Add(DiagnosticBuilder.InvalidName(r.SpanOf("adapter")!.Value, "adapter name", adapter, Names.AdapterRule));
            adapter = null;
        }
        if (name is null || type is null) return null;
        return new NetworkDefinition(name, nameSpan, type.Value, subnet, r.SpanOf("subnet"), gateway, r.SpanOf("gateway"),
            dns, adapter, r.SpanOf("adapter"), map.Span);
    }

    private ImmutableArray<Ipv4Address> IpList(MappingReader r, string key)
    {
        var node = r.Node(key);
        IEnumerable<YamlNode> items = node switch
        {
            null => [],
            YamlSequence seq => seq.Items,
            YamlScalar s => [s],
            _ => Report(node),
        };
        var result = ImmutableArray.CreateBuilder<Ipv4Address>();
        foreach (var item in items)
        {
            if (item is YamlScalar s && Ipv4Address.TryParse(s.Value, out var ip)) result.Add(ip);
            else if (item is YamlScalar bad) _d.Add(DiagnosticBuilder.InvalidIp(bad.Span, bad.Value));
            else _d.Add(DiagnosticBuilder.WrongType(item.Span, $"each '{key}' entry", "an IPv4 address", item.Kind));
        }
        return result.ToImmutable();

        IEnumerable<YamlNode> Report(YamlNode n)
        {
            _d.Add(DiagnosticBuilder.WrongType(n.Span, $"'{key}'", "a list of IPv4 addresses", n.Kind));
            return [];
        }
    }

    private IEnumerable<VmDefinition> BindVms(YamlNode node, Defaults defaults, ImmutableArray<BoxDefinition> boxes)
    {
        if (node is not YamlMapping map)
        {
            _d.Add(DiagnosticBuilder.WrongType(node.Span, "each VM", "a mapping with at least 'name'", node.Kind));
            yield break;
        }
        var r = new MappingReader(map, "a VM", VmKeys, _d);
        var namePattern = r.String("name", required: true);
        var nameSpan = r.SpanOf("name") ?? map.Span;
        var count = (int?)r.Integer("count", "count", 1, MaxCount);
        var boxNode = r.Scalar("box", "a box name") ?? defaults.Box;
        var cpus = (int?)r.Integer("cpus", "cpus", 1, MaxCpus) ?? defaults.Cpus;
        var memory = r.Size("memory", "memory", MinMemory, MaxMemory, MemoryStep) ?? defaults.Memory;
        var generation = Generation(r) ?? defaults.Generation;
        var box = boxNode?.Value;
        var os = r.Choice<GuestOs>("os", "os")
            ?? boxes.FirstOrDefault(b => b.Name == box)?.Os
            ?? defaults.Os
            ?? GuestOs.Linux;
        var hostnameNode = r.Scalar("hostname", "a hostname");
        var user = User(r) ?? defaults.User;
        var userData = r.Mapping("user_data", "a mapping of cloud-config keys") ?? defaults.UserData;
        var adapterNodes = r.List("networks", "a list of network names or mappings with 'network'");
        var portNodes = r.List("forwarded_ports", "a list of mappings with 'guest' and 'host'");
        var provisioners = defaults.Provisioners.AddRange(BindProvisioners(r, "vm", _d));
        var bootTimeout = (int?)r.Integer("boot_timeout", "boot_timeout (seconds)", MinBootTimeout, MaxBootTimeout) ?? defaults.BootTimeout;
        var syncedFolders = defaults.SyncedFolders.AddRange(BindSyncedFolders(r, _d));
        if (namePattern is null) yield break;

        var copies = count ?? 1;
        if (copies > 1 && hostnameNode is not null && !hostnameNode.Value.Contains("{n}", StringComparison.Ordinal))
            _d.Add(DiagnosticBuilder.InvalidHostname(hostnameNode.Span, hostnameNode.Value, "with 'count', the hostname needs '{n}' so each copy gets its own"));

        for (var i = 1; i <= copies; i++)
        {
            var name = Expand(namePattern, i, count is not null);
            var valid = Names.IsVmName(name);
            // When the first copy's name is already refused, the others repeat the same mistake.
            if (!valid && (i == 1 || Names.IsVmName(Expand(namePattern, 1, count is not null))))
                _d.Add(DiagnosticBuilder.InvalidName(nameSpan, "VM name", name, Names.VmRule + (count is null ? "" : "; with 'count', '{n}' in the name stands for 1, 2, …")));
            if (i > 1 && !valid) yield break;

            var hostname = hostnameNode is null ? name : Expand(hostnameNode.Value, i, false);
            var hostnameSpan = hostnameNode?.Span ?? nameSpan;
            if (valid || hostnameNode is not null)
            {
                if (!Names.IsHostname(hostname))
                    _d.Add(DiagnosticBuilder.InvalidHostname(hostnameSpan, hostname, Names.HostnameRule));
                else if (os == GuestOs.Windows && !Names.IsWindowsComputerName(hostname))
                    _d.Add(DiagnosticBuilder.InvalidHostname(hostnameSpan, hostname, Names.WindowsHostnameRule + (hostnameNode is null ? "; set 'hostname' or shorten the VM name" : "")));
            }

            var adapters = adapterNodes.Select(n => BindAdapter(n, i - 1, copies)).OfType<AdapterDefinition>().ToImmutableArray();
            var ports = portNodes.Select(n => BindPort(n, i - 1)).OfType<ForwardedPortDefinition>().ToImmutableArray();
            yield return new VmDefinition(name, nameSpan, box, boxNode?.Span, cpus, memory, generation, os, hostname, hostnameSpan,
                user, adapters, ports, userData, map.Span) { Provisioners = provisioners, BootTimeoutSeconds = bootTimeout, SyncedFolders = syncedFolders };
        }
    }

    private static ImmutableArray<ProvisionerDefinition> BindProvisioners(MappingReader r, string origin, ICollection<Diagnostic> d)
    {
        var items = r.List("provision", "a list of 'shell' or 'file' items");
        var result = ImmutableArray.CreateBuilder<ProvisionerDefinition>();
        for (var i = 0; i < items.Count; i++)
        {
            if (BindProvisioner(items[i], d) is { } p) result.Add(p with { Origin = origin, Index = i });
        }
        return result.ToImmutable();
    }

    private static ProvisionerDefinition? BindProvisioner(YamlNode node, ICollection<Diagnostic> d)
    {
        if (node is not YamlMapping map)
        {
            d.Add(DiagnosticBuilder.WrongType(node.Span, "each provision item", "a mapping with 'shell' or 'file'", node.Kind));
            return null;
        }
        var r = new MappingReader(map, "a provision item", ProvisionerKeys, d);
        var shell = r.Mapping("shell", "a mapping with 'inline' or 'path'");
        var file = r.Mapping("file", "a mapping with 'source' and 'destination'");
        if (r.Has("shell") == r.Has("file"))
        {
            d.Add(DiagnosticBuilder.ProvisionerKind(map.Span));
            return null;
        }
        if (shell is not null) return BindShell(shell, map.Span, d);
        if (file is not null) return BindFile(file, map.Span, d);
        return null;
    }

    private static ShellProvisionerDefinition? BindShell(YamlMapping map, SourceSpan itemSpan, ICollection<Diagnostic> d)
    {
        var r = new MappingReader(map, "'shell'", ShellKeys, d);
        var inline = r.String("inline");
        var path = ProjectPath(r, "path", "script path", d);
        var run = r.Choice<ProvisionRun>("run", "run") ?? ProvisionRun.Once;
        var privileged = r.Boolean("privileged") ?? true;
        var args = ImmutableArray.CreateBuilder<string>();
        foreach (var item in r.List("args", "a list of arguments"))
        {
            if (item is YamlScalar { IsNull: false } s && !s.Value.Contains('\0', StringComparison.Ordinal)) args.Add(s.Value);
            else if (item is YamlScalar { IsNull: false } nul) d.Add(DiagnosticBuilder.WrongType(nul.Span, "each 'args' entry", "text without NUL characters", "text with one"));
            else d.Add(DiagnosticBuilder.WrongType(item.Span, "each 'args' entry", "text", item.Kind));
        }
        var env = ImmutableArray.CreateBuilder<KeyValuePair<string, string>>();
        if (r.Mapping("env", "a mapping of variable names to values") is { } envMap)
        {
            foreach (var entry in envMap.Entries)
            {
                if (!Names.IsEnvName(entry.Key.Value))
                    d.Add(DiagnosticBuilder.InvalidEnvName(entry.Key.Span, entry.Key.Value));
                else if (entry.Value is YamlScalar nul && nul.Value.Contains('\0', StringComparison.Ordinal))
                    d.Add(DiagnosticBuilder.WrongType(nul.Span, $"'{DiagnosticBuilder.Printable(entry.Key.Value)}'", "text without NUL characters", "text with one"));
                else if (entry.Value is YamlScalar value)
                    env.Add(new(entry.Key.Value, value.IsNull ? "" : value.Value));
                else
                    d.Add(DiagnosticBuilder.WrongType(entry.Value.Span, $"'{DiagnosticBuilder.Printable(entry.Key.Value)}'", "text", entry.Value.Kind));
            }
        }
        if (r.Has("inline") == r.Has("path"))
        {
            d.Add(DiagnosticBuilder.ShellSource(r.Span));
            return null;
        }
        if (inline is null && path is null) return null;
        return new ShellProvisionerDefinition(inline, path, r.SpanOf("path"), args.ToImmutable(), env.ToImmutable(), privileged, run, itemSpan);
    }

    private static FileProvisionerDefinition? BindFile(YamlMapping map, SourceSpan itemSpan, ICollection<Diagnostic> d)
    {
        var r = new MappingReader(map, "'file'", FileKeys, d);
        var source = ProjectPath(r, "source", "source path", d, required: true);
        var destination = r.String("destination", required: true);
        if (destination is not null && (destination.Length == 0 || destination.Any(char.IsControl) || destination.Length > 4096))
        {
            d.Add(DiagnosticBuilder.InvalidProvisionPath(r.SpanOf("destination")!.Value, "destination", destination, "give a path in the guest without control characters"));
            destination = null;
        }
        var run = r.Choice<ProvisionRun>("run", "run") ?? ProvisionRun.Once;
        if (source is null || destination is null) return null;
        return new FileProvisionerDefinition(source, r.SpanOf("source")!.Value, destination, run, itemSpan);
    }

    /// <summary>A path on this machine, relative to the Labfile's folder; whether it exists is the validator's question.</summary>
    private static string? ProjectPath(MappingReader r, string key, string what, ICollection<Diagnostic> d, bool required = false)
    {
        var path = r.String(key, required);
        if (path is null) return null;
        if (path.Length == 0 || !Names.IsPrintable(path, 1024) || path.Contains('\0', StringComparison.Ordinal))
        {
            d.Add(DiagnosticBuilder.InvalidProvisionPath(r.SpanOf(key)!.Value, what, path, "give a file path relative to the Labfile's folder"));
            return null;
        }
        return path;
    }

    /// <summary>With <c>count</c>, <c>{n}</c> stands for the copy's number; without it in the name, <c>-n</c> is appended.</summary>
    internal static string Expand(string pattern, int n, bool counted)
    {
        var number = n.ToString(CultureInfo.InvariantCulture);
        if (pattern.Contains("{n}", StringComparison.Ordinal)) return pattern.Replace("{n}", number, StringComparison.Ordinal);
        return counted ? $"{pattern}-{number}" : pattern;
    }

    private AdapterDefinition? BindAdapter(YamlNode node, int index, int copies)
    {
        // Reported once, for the first copy: every copy shares the same text.
        var report = index == 0 ? _d : new List<Diagnostic>();
        switch (node)
        {
            case YamlScalar { IsNull: false } s:
                return new AdapterDefinition(s.Value, s.Span, null, null, null, null, null);
            case YamlMapping map:
                var r = new MappingReader(map, "a VM network attachment", AdapterKeys, report);
                var network = r.String("network", required: true);
                var networkSpan = r.SpanOf("network") ?? map.Span;
                Ipv4Address? ip = null;
                int? prefix = null;
                var ipNode = r.Scalar("ip", "an IPv4 address");
                if (ipNode is not null)
                {
                    var text = ipNode.Value;
                    if (Ipv4Subnet.TryParse(text, out var cidr, out _) && text.Contains('/', StringComparison.Ordinal))
                    {
                        ip = Ipv4Address.Parse(text[..text.IndexOf('/', StringComparison.Ordinal)]);
                        prefix = cidr.PrefixLength;
                    }
                    else if (Ipv4Address.TryParse(text, out var plain))
                    {
                        ip = plain;
                    }
                    else
                    {
                        report.Add(DiagnosticBuilder.InvalidIp(ipNode.Span, text));
                    }
                    // Copies made by 'count' take consecutive addresses.
                    if (ip is { } first) ip = first.Add(index);
                }
                MacAddress? mac = null;
                var macNode = r.Scalar("mac", "a MAC address");
                if (macNode is not null)
                {
                    if (!MacAddress.TryParse(macNode.Value, out var parsed))
                        report.Add(DiagnosticBuilder.InvalidMac(macNode.Span, macNode.Value, "write it as 02-15-5D-00-00-01 or 02:15:5d:00:00:01"));
                    else if (parsed.IsMulticast || parsed.IsZero)
                        report.Add(DiagnosticBuilder.InvalidMac(macNode.Span, macNode.Value, "it is a multicast or all-zero address"));
                    else if (copies > 1)
                        report.Add(DiagnosticBuilder.InvalidMac(macNode.Span, macNode.Value, "with 'count', every copy would share it; leave 'mac' out and LabRunner derives one per copy"));
                    else
                        mac = parsed;
                }
                if (network is null) return null;
                return new AdapterDefinition(network, networkSpan, ip, prefix, ipNode?.Span, mac, macNode?.Span);
            default:
                report.Add(DiagnosticBuilder.WrongType(node.Span, "each VM network", "a network name or a mapping with 'network'", node.Kind));
                return null;
        }
    }

    private ForwardedPortDefinition? BindPort(YamlNode node, int index)
    {
        var report = index == 0 ? _d : new List<Diagnostic>();
        if (node is not YamlMapping map)
        {
            report.Add(DiagnosticBuilder.WrongType(node.Span, "each forwarded port", "a mapping with 'guest' and 'host'", node.Kind));
            return null;
        }
        var r = new MappingReader(map, "a forwarded port", PortKeys, report);
        var guest = Port(r, "guest", report);
        var host = Port(r, "host", report);
        var protocol = r.Choice<PortProtocol>("protocol", "protocol") ?? PortProtocol.Tcp;
        var hostIp = r.Ip("host_ip");
        var autoCorrect = r.Boolean("auto_correct") ?? false;
        if (guest is null || host is null) return null;
        // Copies made by 'count' take consecutive host ports.
        var hostPort = host.Value + index;
        if (hostPort > 65535)
        {
            _d.Add(DiagnosticBuilder.PortOutOfRange(r.SpanOf("host")!.Value, "host", hostPort.ToString(CultureInfo.InvariantCulture)));
            return null;
        }
        return new ForwardedPortDefinition(guest.Value, r.SpanOf("guest")!.Value, hostPort, r.SpanOf("host")!.Value,
            protocol, hostIp, autoCorrect, map.Span);
    }

    private static int? Port(MappingReader r, string key, ICollection<Diagnostic> report)
    {
        var s = r.Scalar(key, "a port number", required: true);
        if (s is null) return null;
        if (int.TryParse(s.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 1 and <= 65535)
            return port;
        report.Add(DiagnosticBuilder.PortOutOfRange(s.Span, key, s.Value));
        return null;
    }

    private int? Generation(MappingReader r)
    {
        var s = r.Scalar("generation", "1 or 2");
        if (s is null) return null;
        if (s.Value is "1" or "2") return s.Value[0] - '0';
        _d.Add(DiagnosticBuilder.InvalidGeneration(s.Span, s.Value));
        return null;
    }

    private string? User(MappingReader r)
    {
        var s = r.Scalar("user", "a user name");
        if (s is null) return null;
        if (Names.IsUserName(s.Value)) return s.Value;
        _d.Add(DiagnosticBuilder.InvalidName(s.Span, "user", s.Value, Names.UserRule));
        return null;
    }
}
