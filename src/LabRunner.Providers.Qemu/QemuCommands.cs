using System.Globalization;
using System.Text;
using LabRunner.HostCommon.Disks;
using LabRunner.Providers.Qemu.Network;
using LabRunner.HostCommon.Running;

namespace LabRunner.Providers.Qemu;

/// <summary>
/// The host commands the provider runs, as argument vectors (and, for <c>ip -batch -</c> and <c>nft -f -</c>,
/// the text on their standard input). One place, so that what <c>--what-if</c> shows is what runs. Every value
/// is validated before it gets here; <c>ip -batch</c> lines quote the one value that has spaces (an alias).
/// </summary>
public static class QemuCommands
{
    public static HostCommand AddressesShow() => new("ip", ["-d", "-j", "addr", "show"]);

    public static HostCommand LinksShow() => new("ip", ["-d", "-j", "link", "show"]);

    public static HostCommand NftListRuleset() => new("nft", ["-j", "list", "ruleset"]);

    /// <summary>Replaces LabRunner's table with <paramref name="script"/> in one nft transaction.</summary>
    public static HostCommand NftApply(string script) => new HostCommand("nft", ["-f", "-"]).WithStandardInput(script);

    /// <summary>A bridge, marked and up, in one <c>ip</c> process: the window in which it exists without its mark is as short as it can be.</summary>
    public static HostCommand BridgeCreate(string name, string alias) => IpBatch(
        $"link add name {Name(name)} type bridge",
        $"link set dev {Name(name)} alias {Quoted(alias)} up");

    public static HostCommand LinkDelete(string name) => new("ip", ["link", "del", "dev", Name(name)]);

    public static HostCommand LinkSetAlias(string name, string alias) => new("ip", ["link", "set", "dev", Name(name), "alias", Alias(alias)]);

    public static HostCommand LinkSetMaster(string name, string bridge) => new("ip", ["link", "set", "dev", Name(name), "master", Name(bridge)]);

    public static HostCommand AddressAdd(string address, int prefixLength, string device) =>
        new("ip", ["addr", "add", string.Create(CultureInfo.InvariantCulture, $"{address}/{prefixLength}"), "dev", Name(device)]);

    /// <summary>The taps of a VM, each enslaved to its bridge, marked and up (after deleting <paramref name="stale"/> ones left by a VM that died).</summary>
    public static HostCommand TapsCreate(IEnumerable<(string Tap, string Bridge)> taps, string alias, IEnumerable<string> stale)
    {
        var lines = stale.Select(t => $"link del dev {Name(t)}").ToList();
        foreach (var (tap, bridge) in taps)
        {
            lines.Add($"tuntap add dev {Name(tap)} mode tap");
            lines.Add($"link set dev {Name(tap)} master {Name(bridge)} alias {Quoted(alias)} up");
        }
        return IpBatch([.. lines]);
    }

    public static HostCommand TapsDelete(IEnumerable<string> taps) => IpBatch([.. taps.Select(t => $"link del dev {Name(t)}")]);

    /// <summary>IPv4 forwarding on, for the network namespace the command runs in.</summary>
    public static HostCommand EnableForwarding() => new("sysctl", ["-q", "-w", "net.ipv4.ip_forward=1"]);

    /// <summary>A qcow2 overlay on <paramref name="parent"/>, whose format is given (QEMU must not probe a backing file).</summary>
    public static HostCommand OverlayCreate(string path, string parent, DiskFormat parentFormat) =>
        new("qemu-img", ["create", "-q", "-f", "qcow2", "-b", parent, "-F", parentFormat.QemuName(), path]);

    /// <summary>
    /// A VM's own UEFI variable store as a qcow2 image, from <paramref name="source"/> (the firmware's pristine template, or
    /// a raw store an older LabRunner copied): internal snapshots need every writable drive of the VM to be qcow2.
    /// </summary>
    public static HostCommand VarsToQcow2(string source, DiskFormat sourceFormat, string target) =>
        new("qemu-img", ["convert", "-q", "-f", sourceFormat.QemuName(), "-O", "qcow2", source, target]);

    /// <summary>
    /// <c>qemu-img snapshot -c|-a|-d NAME FILE</c> on a qcow2 image no QEMU has open: take, apply or delete the internal
    /// snapshot <paramref name="name"/> (validated by the caller: qemu-img also matches a snapshot's numeric id). qemu-img
    /// snapshot takes no <c>-f</c>: the image is given as options, so its format is stated, never probed.
    /// </summary>
    public static HostCommand ImageSnapshot(ImageSnapshotAction action, string name, string image) =>
        new("qemu-img", ["snapshot", "--image-opts", action switch
        {
            ImageSnapshotAction.Create => "-c",
            ImageSnapshotAction.Apply => "-a",
            ImageSnapshotAction.Delete => "-d",
            _ => throw new ArgumentOutOfRangeException(nameof(action), action, null),
        }, name, "driver=qcow2,file.driver=file,file.filename=" + CommandLine.QemuOpts.Escape(image)]);

    /// <summary>The image's header as JSON (its internal snapshots with their sizes and times); <c>-U</c> reads it while a QEMU has it open.</summary>
    public static HostCommand ImageInfo(string image) => new("qemu-img", ["info", "-U", "-f", "qcow2", "--output=json", image]);

    /// <summary>Debian 12's virtiofsd (package qemu-system-common); it must run as root.</summary>
    public const string DefaultVirtiofsd = "/usr/lib/qemu/virtiofsd";

    /// <summary>
    /// The virtiofsd of one share, in the foreground (the provider runs it in the background and records its pid):
    /// <paramref name="folder"/> served on the vhost-user socket <paramref name="socket"/>, sandboxed in its own mount
    /// namespace rooted at the folder, caching attributes for a second (cache=auto: a change on one side is seen on the
    /// other within about a second).
    /// </summary>
    public static HostCommand Virtiofsd(string executable, string socket, string folder) =>
        new(executable, [SocketPathArgument(socket), "-o", "source=" + FuseOptionValue(folder), "-o", "cache=auto", "-o", "sandbox=namespace"]);

    /// <summary>virtiofsd's socket argument, which makes its command line unique per share (how its pid is checked).</summary>
    public static string SocketPathArgument(string socket) => "--socket-path=" + socket;

    /// <summary>A value inside a FUSE <c>-o</c> option list, where ',' separates options and '\' escapes.</summary>
    private static string FuseOptionValue(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace(",", "\\,", StringComparison.Ordinal);

    private static HostCommand IpBatch(params string[] lines) =>
        new HostCommand("ip", ["-batch", "-"]).WithStandardInput(string.Concat(lines.Select(l => l + "\n")));

    private static string Name(string name) =>
        InterfaceNames.IsValid(name) ? name : throw new ArgumentException($"'{name}' is not a Linux interface name (1-15 letters, digits, '-', '_', '.').", nameof(name));

    /// <summary>An alias: printable ASCII without quotes or backslashes (LabRunner's marks are), at most 255 bytes.</summary>
    public static bool IsValidAlias(string alias) =>
        alias.Length is > 0 and <= 255 && alias.All(c => c is >= ' ' and <= '~' and not '"' and not '\'' and not '\\');

    private static string Alias(string alias) =>
        IsValidAlias(alias) ? alias : throw new ArgumentException($"'{alias}' cannot be an interface alias.", nameof(alias));

    private static string Quoted(string alias) => "\"" + Alias(alias) + "\"";

    /// <summary>One command for people: the argument vector, display-quoted, then its standard input indented (never a shell string to paste).</summary>
    public static string Display(HostCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var text = new StringBuilder(command.ToString());
        if (command.StandardInput is { } input)
        {
            text.Append("  # with standard input:");
            foreach (var line in input.TrimEnd('\n').Split('\n')) text.Append("\n    | ").Append(line);
        }
        return text.ToString();
    }
}

/// <summary>What <see cref="QemuCommands.ImageSnapshot"/> does with a snapshot.</summary>
public enum ImageSnapshotAction
{
    Create,
    Apply,
    Delete,
}
