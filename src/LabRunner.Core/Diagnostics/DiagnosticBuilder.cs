using System.Globalization;
using LabRunner.Core.Labfile;

namespace LabRunner.Core.Diagnostics;

/// <summary>
/// Every diagnostic LabRunner reports, in one place, so codes stay stable and unique.
/// LAB0xx: the YAML and its shape. LAB1xx: names. LAB2xx: addresses and networks.
/// LAB3xx: VMs, boxes and sizes. LAB4xx: forwarded ports. LAB5xx: planning. LAB6xx: templates.
/// LAB7xx: provisioners and guest access. LAB8xx: synced folders.
/// </summary>
public static class DiagnosticBuilder
{
    private static Diagnostic Error(SourceSpan span, string code, string message) => new(span, DiagnosticLevel.Error, code, message);
    private static Diagnostic Warning(SourceSpan span, string code, string message) => new(span, DiagnosticLevel.Warning, code, message);
    // Every message is one line of the PATH:LINE:COL form, whatever the user's text held: a VM or network
    // name with a newline must not forge a second diagnostic line.
    private static string F(FormattableString s) => NoControl(s.ToString(CultureInfo.InvariantCulture));

    private static string NoControl(string text) =>
        text.Any(char.IsControl) ? new string(text.Select(c => char.IsControl(c) ? '?' : c).ToArray()) : text;

    // LAB0xx — YAML and document shape
    public static Diagnostic YamlSyntax(SourceSpan s, string message) => Error(s, DiagnosticCodes.YamlSyntax, NoControl(message));
    public static Diagnostic UnknownKey(SourceSpan s, string key, string where, string? suggestion) =>
        Error(s, "LAB002", suggestion is null
            ? F($"unknown key '{Printable(key)}' in {where}")
            : F($"unknown key '{Printable(key)}' in {where}; did you mean '{suggestion}'?"));
    public static Diagnostic WrongType(SourceSpan s, string what, string expected, string actual) =>
        Error(s, "LAB003", F($"{what} must be {expected}, not {actual}"));
    public static Diagnostic MissingKey(SourceSpan s, string key, string where) =>
        Error(s, "LAB004", F($"{where} needs '{Printable(key)}'"));
    public static Diagnostic DuplicateKey(SourceSpan s, string key, SourceSpan first) =>
        Error(s, "LAB005", F($"key '{Printable(key)}' appears twice in the same mapping (first at line {first.Line})"));
    public static Diagnostic InvalidChoice(SourceSpan s, string what, string value, IEnumerable<string> choices) =>
        Error(s, "LAB006", F($"{what} '{Printable(value)}' is not one of: {string.Join(", ", choices)}"));
    public static Diagnostic ComplexKey(SourceSpan s) => Error(s, "LAB007", "mapping keys must be plain text");
    public static Diagnostic EmptyLabfile(SourceSpan s) => Error(s, "LAB008", "the Labfile is empty (or holds only comments); it needs at least 'name', and 'vms' for any VM");
    public static Diagnostic NotApplicable(SourceSpan s, string key, string reason) =>
        Error(s, "LAB009", F($"'{Printable(key)}' does not apply here: {reason}"));
    public static Diagnostic LocalItemNotInLabfile(SourceSpan s, string what, string name, string list, string? suggestion) =>
        Warning(s, "LAB015", F($"the local file names {what} '{Printable(name)}', which the Labfile's '{Printable(list)}' does not have, so it is ignored") +
            (suggestion is null ? "" : F($"; did you mean '{Printable(suggestion)}'?")) +
            F($" To add a {what} for yourself only, give it '{LocalOverride.AddKey}: true'."));

    // LAB1xx — names
    public static Diagnostic InvalidName(SourceSpan s, string what, string name, string rule) =>
        Error(s, "LAB101", F($"{what} '{Printable(name)}' is not allowed: {rule}"));
    public static Diagnostic DuplicateName(SourceSpan s, string what, string name, SourceSpan first) =>
        Error(s, "LAB102", F($"{what} '{Printable(name)}' is declared twice (first at {first.File}:{first.Line}:{first.Column})"));
    public static Diagnostic InvalidHostname(SourceSpan s, string hostname, string rule) =>
        Error(s, "LAB103", F($"hostname '{Printable(hostname)}' is not allowed: {rule}"));

    // LAB2xx — addresses and networks
    public static Diagnostic InvalidCidr(SourceSpan s, string text) =>
        Error(s, "LAB201", F($"'{Printable(text)}' is not an IPv4 subnet in CIDR form such as 10.10.0.0/24"));
    public static Diagnostic InvalidIp(SourceSpan s, string text) =>
        Error(s, "LAB202", F($"'{Printable(text)}' is not an IPv4 address such as 10.10.0.5"));
    public static Diagnostic SubnetHostBits(SourceSpan s, string text, string network) =>
        Warning(s, "LAB203", F($"subnet '{Printable(text)}' has host bits set; it is read as {Printable(network)}"));
    public static Diagnostic IpOutsideSubnet(SourceSpan s, string ip, string network, string subnet) =>
        Error(s, "LAB204", F($"IP {ip} is outside network '{Printable(network)}' ({subnet})"));
    public static Diagnostic IpReserved(SourceSpan s, string ip, string which, string subnet) =>
        Error(s, "LAB205", F($"IP {ip} is the {which} address of {subnet}; no VM can hold it"));
    public static Diagnostic IpIsGateway(SourceSpan s, string ip, string network) =>
        Error(s, "LAB206", F($"IP {ip} is the gateway (host vNIC) address of network '{Printable(network)}'"));
    public static Diagnostic DuplicateIp(SourceSpan s, string ip, string firstVm, SourceSpan first) =>
        Error(s, "LAB207", F($"IP {ip} is already given to VM '{Printable(firstVm)}' (at {first.File}:{first.Line}:{first.Column})"));
    public static Diagnostic SubnetOverlap(SourceSpan s, string network, string subnet, string other, string otherSubnet) =>
        Error(s, "LAB208", F($"subnet {subnet} of network '{Printable(network)}' overlaps {otherSubnet} of network '{Printable(other)}'"));
    public static Diagnostic GatewayOutsideSubnet(SourceSpan s, string gateway, string subnet) =>
        Error(s, "LAB209", F($"gateway {gateway} is not a host address of {subnet}"));
    public static Diagnostic SubnetRequired(SourceSpan s, string network, string type) =>
        Error(s, "LAB210", F($"{type} network '{Printable(network)}' needs a 'subnet' (the host vNIC takes its gateway address)"));
    public static Diagnostic AdapterRequired(SourceSpan s, string network) =>
        Error(s, "LAB211", F($"bridged network '{Printable(network)}' needs 'adapter': the name of the host's physical network adapter (Get-NetAdapter -Physical)"));
    public static Diagnostic UndeclaredNetwork(SourceSpan s, string name, string? suggestion) =>
        Error(s, "LAB212", suggestion is null
            ? F($"network '{Printable(name)}' is not declared under 'networks'")
            : F($"network '{Printable(name)}' is not declared under 'networks'; did you mean '{suggestion}'?"));
    public static Diagnostic NatOutsidePrefix(SourceSpan s, string network, string subnet, string prefix) =>
        Error(s, "LAB213", F($"NAT network '{Printable(network)}' ({subnet}) lies outside the host's shared NAT prefix {prefix}; WinNAT allows one internal prefix per host, so every NAT network must be a slice of it (or change 'nat.prefix')"));
    public static Diagnostic IpNeedsPrefix(SourceSpan s, string ip, string network) =>
        Error(s, "LAB214", F($"static IP {ip} on network '{Printable(network)}' needs a prefix length: give the network a 'subnet' or write the IP as {ip}/24"));
    public static Diagnostic SubnetTooSmall(SourceSpan s, string subnet) =>
        Error(s, "LAB215", F($"subnet {subnet} is too small: use /30 or larger (prefix length 30 or less)"));
    public static Diagnostic InvalidMac(SourceSpan s, string text, string why) =>
        Error(s, "LAB216", F($"MAC address '{Printable(text)}' is not usable: {why}"));
    public static Diagnostic DuplicateMac(SourceSpan s, string mac, string firstVm) =>
        Error(s, "LAB217", F($"MAC address {mac} is already used by VM '{Printable(firstVm)}'"));
    public static Diagnostic NatPrefixInvalid(SourceSpan s, string prefix) =>
        Error(s, "LAB218", F($"NAT prefix {prefix} must be a private range (10/8, 172.16/12 or 192.168/16) of /8 to /28"));
    public static Diagnostic SameNetworkTwice(SourceSpan s, string vm, string network) =>
        Warning(s, "LAB219", F($"VM '{Printable(vm)}' is attached to network '{Printable(network)}' more than once"));
    public static Diagnostic IpPrefixMismatch(SourceSpan s, string ip, string subnet) =>
        Error(s, "LAB220", F($"IP {ip} gives a prefix length that differs from its network's subnet {subnet}; drop the '/nn'"));
    public static Diagnostic NatIpNeedsSubnet(SourceSpan s, string ip, string network) =>
        Error(s, "LAB221", F($"static IP {ip} on NAT network '{Printable(network)}' needs the network to have a 'subnet': without one LabRunner picks the network's slice of the NAT prefix, which the IP may not lie in"));

    // LAB3xx — VMs, boxes, sizes
    public static Diagnostic UndeclaredBox(SourceSpan s, string box, string? suggestion, string? storeProvider = null)
    {
        var message = F($"box '{Printable(box)}' is not declared under 'boxes' and there is no boxes/{Printable(box)}.vhdx (or .vhd, .qcow2, .img, .raw)");
        // With a box store, the name is the store's box: say which one is missing and how to add it.
        if (storeProvider is not null)
            message = F($"box '{Printable(box)}' is not in the box store (for {storeProvider}), not declared under 'boxes', and there is no boxes/{Printable(box)}.vhdx (or .vhd, .qcow2, .img, .raw); add it with 'lab box add {Printable(box)} SOURCE' (a .box, a disk or a catalog URL)");
        return Error(s, "LAB301", suggestion is null ? message : F($"{message}; did you mean '{suggestion}'?"));
    }
    public static Diagnostic InvalidSize(SourceSpan s, string text) =>
        Error(s, "LAB302", F($"'{Printable(text)}' is not a size; write it like 2GB, 1536MB or 512 (megabytes)"));
    public static Diagnostic SizeOutOfRange(SourceSpan s, string what, string size, string rule) =>
        Error(s, "LAB303", F($"{what} {Printable(size)} is impossible: {rule}"));
    public static Diagnostic NumberOutOfRange(SourceSpan s, string what, string value, long min, long max) =>
        Error(s, "LAB304", F($"{what} must be between {min} and {max}, not {Printable(value)}"));
    public static Diagnostic InvalidGeneration(SourceSpan s, string value) =>
        Error(s, "LAB305", F($"generation must be 1 or 2, not {Printable(value)}"));
    public static Diagnostic BoxRequired(SourceSpan s, string vm) =>
        Error(s, "LAB306", F($"VM '{Printable(vm)}' needs a 'box' (set it on the VM or under 'defaults')"));
    public static Diagnostic InvalidPath(SourceSpan s, string path) =>
        Error(s, "LAB307", F($"box path '{Printable(path)}' is not a usable file path"));
    public static Diagnostic BoxFileMissing(SourceSpan s, string box, string path, string vm) =>
        Error(s, "LAB308", F($"box '{Printable(box)}' has no file at '{Printable(path)}' (VM '{vm}' uses it); put the base VHDX there or correct the path"));

    public static Diagnostic InvalidVersionConstraint(SourceSpan s, string error) =>
        Error(s, "LAB309", F($"box version: {error}"));
    public static Diagnostic InvalidChecksum(SourceSpan s, string error) =>
        Error(s, "LAB310", F($"box checksum: {error}"));
    public static Diagnostic InvalidBoxUrl(SourceSpan s, string url) =>
        Error(s, "LAB311", F($"box url '{Printable(url)}' is not an http:// or https:// URL (of a box catalog, a Vagrant .box or a disk); for a file on this machine use 'path'"));
    public static Diagnostic BoxPathAndUrl(SourceSpan s, string box) =>
        Error(s, "LAB312", F($"box '{Printable(box)}' has both 'path' and 'url'; keep one: 'path' for a disk you provide, 'url' for a box LabRunner downloads into its store"));
    public static Diagnostic InvalidBoxReference(SourceSpan s, string box, string rule) =>
        Error(s, "LAB315", F($"box '{Printable(box)}' is not a box name: {rule}"));
    public static Diagnostic StoreBoxMissing(SourceSpan s, string box, string? constraint, string storeProvider, string vm) =>
        Error(s, "LAB313", F($"box '{Printable(box)}' has no version in the box store (for {storeProvider}) that fits '{Printable(constraint ?? "any")}' (VM '{Printable(vm)}' uses it); add one with 'lab box add {Printable(box)} SOURCE --version V', or give the entry a 'url' for 'lab up' to add it from"));

    public static Diagnostic BoxNotPlain(SourceSpan s, string box, string why, string vm) =>
        Error(s, "LAB314", F($"box '{Printable(box)}' cannot be used (VM '{Printable(vm)}' uses it): its disk {NoControl(why)}; a box must be one self-contained disk image, or the guest would read another file of this machine. If it is your own image, flatten it first, e.g. 'qemu-img convert -O qcow2 IN OUT'"));

    // LAB4xx — forwarded ports
    public static Diagnostic PortOutOfRange(SourceSpan s, string which, string value) =>
        Error(s, "LAB401", F($"{which} port must be between 1 and 65535, not {Printable(value)}"));
    public static Diagnostic PortWithoutNat(SourceSpan s, string vm) =>
        Error(s, "LAB402", F($"VM '{Printable(vm)}' forwards ports but has no NAT network; WinNAT static mappings only reach guests on the NAT network"));
    public static Diagnostic UnreachableHostIp(SourceSpan s, string vm, string hostIp, string why) =>
        Error(s, "LAB404", F($"host_ip {hostIp} of a forwarded port of VM '{Printable(vm)}' cannot be reached on this provider: {why}"));

    public static Diagnostic DuplicateHostPort(SourceSpan s, string protocol, int port, string firstVm, SourceSpan first) =>
        Error(s, "LAB403", F($"host port {protocol}/{port} is already forwarded to VM '{Printable(firstVm)}' (at {first.File}:{first.Line}:{first.Column})"));

    // LAB5xx — planning
    public static Diagnostic PoolExhausted(SourceSpan s, string network, string subnet) =>
        Error(s, "LAB501", F($"network '{Printable(network)}' ({subnet}) has no free address left for this adapter"));
    public static Diagnostic NoNatSlice(SourceSpan s, string prefix, int sliceLength) =>
        Error(s, "LAB502", F($"no free /{sliceLength} slice is left in the NAT prefix {prefix}"));

    // LAB6xx — templates and guest configuration
    public static Diagnostic TemplateError(SourceSpan s, string message) => Error(s, "LAB601", NoControl(message));
    public static Diagnostic UserDataKeyTaken(SourceSpan s, string key, string template, string hint) =>
        Error(s, "LAB602", F($"user_data key '{Printable(key)}' is already written by {template}; {hint}"));
    public static Diagnostic TemplateOutputInvalid(SourceSpan s, string format, string detail) =>
        Error(s, "LAB603", F($"the rendered {format} is not valid: {detail}"));
    public static Diagnostic SshKeyUnreadable(SourceSpan s, string reason) =>
        Error(s, "LAB604", F($"the lab's SSH private key cannot be used: {reason}"));
    public static Diagnostic UserDataIgnored(SourceSpan s, string vm) =>
        Warning(s, "LAB605", F($"VM '{Printable(vm)}' runs Windows, which has no cloud-init: its user_data is not used (Windows guests get unattend.xml)"));

    // LAB7xx — provisioners and guest access
    public static Diagnostic ProvisionerKind(SourceSpan s) =>
        Error(s, "LAB701", "each provision item needs exactly one of 'shell' or 'file'");
    public static Diagnostic ShellSource(SourceSpan s) =>
        Error(s, "LAB702", "a 'shell' provisioner needs exactly one of 'inline' (the script's text) or 'path' (a script file)");
    public static Diagnostic ProvisionFileMissing(SourceSpan s, string path) =>
        Error(s, DiagnosticCodes.ProvisionFileMissing, F($"'{Printable(path)}' does not exist or is not a file (provisioner paths are relative to the Labfile's folder)"));
    public static Diagnostic InvalidEnvName(SourceSpan s, string name) =>
        Error(s, "LAB704", F($"environment variable name '{Printable(name)}' is not allowed: letters, digits and underscores, not starting with a digit"));
    public static Diagnostic InvalidProvisionPath(SourceSpan s, string what, string path, string rule) =>
        Error(s, "LAB705", F($"{what} '{Printable(path)}' is not usable: {rule}"));

    // LAB8xx — synced folders
    public static Diagnostic InvalidSyncedFolderHost(SourceSpan s, string path) =>
        Error(s, "LAB801", F($"synced folder host path '{Printable(path)}' is not usable: give a folder relative to the Labfile's folder, such as . or ./site"));
    public static Diagnostic SyncedFolderMissing(SourceSpan s, string path) =>
        Error(s, DiagnosticCodes.SyncedFolderMissing, F($"synced folder '{Printable(path)}' does not exist or is not a folder (host paths are relative to the Labfile's folder)"));
    public static Diagnostic InvalidGuestPath(SourceSpan s, string path, string rule) =>
        Error(s, "LAB803", F($"synced folder guest path '{Printable(path)}' is not usable: {rule}"));
    public static Diagnostic GuestPathTaken(SourceSpan s, string vm, string path, string other, SourceSpan first) =>
        Error(s, "LAB804", path == other
            ? F($"VM '{Printable(vm)}' already has a synced folder at '{Printable(path)}' (at {first.File}:{first.Line}:{first.Column})")
            : F($"synced folder '{Printable(path)}' of VM '{Printable(vm)}' overlaps the one at '{Printable(other)}' (at {first.File}:{first.Line}:{first.Column}); one folder's push would delete the other's files"));
    public static Diagnostic SyncedFolderTypeUnavailable(SourceSpan s, string type, string provider, IEnumerable<string> offered) =>
        Error(s, "LAB805", F($"synced folder type '{type}' is not available on provider '{provider}', which offers: {string.Join(", ", offered)}"));
    public static Diagnostic InvalidExclude(SourceSpan s, string pattern, string why) =>
        Error(s, "LAB806", F($"exclude pattern '{Printable(pattern)}' is not usable: {why}"));

    /// <summary>
    /// Names and values can hold anything a user typed: every one quoted in a message goes through here,
    /// so control characters never break the one-line form and a 100,000-character name is cut the same
    /// way in every diagnostic.
    /// </summary>
    internal static string Printable(string text)
    {
        var clean = NoControl(text);
        return clean.Length > 80 ? clean[..77] + "..." : clean;
    }
}
