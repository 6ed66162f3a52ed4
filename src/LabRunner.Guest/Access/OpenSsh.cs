using System.Globalization;
using System.Text;
using LabRunner.Core.Net;

namespace LabRunner.Guest.Access;

/// <summary>What the system's OpenSSH client needs to log in to one guest, with host keys checked strictly.</summary>
public sealed record SshTarget(string Vm, Ipv4Address Address, string User, string IdentityFile, string KnownHostsFile, int Port = GuestEndpoint.SshPort);

/// <summary>
/// The OpenSSH side of guest access: <c>Host</c> blocks for <c>lab ssh-config</c>, the argument vector
/// of <c>lab ssh</c>, and <c>known_hosts</c> lines. Host keys are pinned (LabRunner gave every guest its
/// key), so checking is strict: a changed key is an error, never a prompt.
/// </summary>
public static class OpenSsh
{
    /// <summary>The options both forms share, in the order <c>ssh -G</c> would list them.</summary>
    private static IEnumerable<(string Key, string Value)> Options(SshTarget t) =>
    [
        ("HostName", t.Address.ToString()),
        ("Port", t.Port.ToString(CultureInfo.InvariantCulture)),
        ("User", t.User),
        ("IdentityFile", PathValue(t.IdentityFile)),
        ("IdentitiesOnly", "yes"),
        ("UserKnownHostsFile", PathValue(t.KnownHostsFile)),
        ("StrictHostKeyChecking", "yes"),
        // Only the pinned key is wanted; no other file (~/.ssh/known_hosts) can vouch for the guest.
        ("GlobalKnownHostsFile", "none"),
        ("UpdateHostKeys", "no"),
        ("PasswordAuthentication", "no"),
        ("LogLevel", "ERROR"),
    ];

    /// <summary>An OpenSSH client configuration with one <c>Host</c> block per guest, named as in the Labfile.</summary>
    public static string Config(IEnumerable<SshTarget> targets)
    {
        var sb = new StringBuilder();
        foreach (var t in targets)
        {
            if (sb.Length > 0) sb.Append('\n');
            sb.Append("Host ").Append(t.Vm).Append('\n');
            foreach (var (key, value) in Options(t))
                sb.Append("  ").Append(key).Append(' ').Append(ConfigValue(value)).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>
    /// The arguments after <c>ssh</c> for <c>lab ssh</c>: options, the destination, and — when a command is
    /// given — one word holding it quoted for the guest's POSIX shell (sshd passes the command line to the
    /// login shell, which would otherwise split and expand the words again).
    /// </summary>
    public static IReadOnlyList<string> Arguments(SshTarget target, IReadOnlyList<string> command, bool terminal)
    {
        ArgumentNullException.ThrowIfNull(target);
        var args = new List<string>();
        foreach (var (key, value) in Options(target).Where(o => o.Key != "HostName"))
            args.Add("-o" + key + "=" + ConfigValue(value));
        // A session without a command gets a terminal; a command gets none unless asked, so bytes pass through unchanged.
        if (command.Count > 0) args.Add(terminal ? "-t" : "-T");
        // Nothing after this is read as an option, whatever the command holds.
        args.Add("--");
        args.Add(target.Address.ToString());
        if (command.Count > 0) args.Add(PosixShell.Join(command));
        return args;
    }

    /// <summary>One known_hosts line: the guest's addresses, then its public key (type and Base64, no comment).</summary>
    public static string KnownHostsLine(IEnumerable<Ipv4Address> addresses, string publicKeyLine, int port = GuestEndpoint.SshPort)
    {
        var parts = publicKeyLine.Split(' ');
        if (parts.Length < 2) throw new ArgumentException("not an OpenSSH public key line", nameof(publicKeyLine));
        var names = string.Join(',', addresses.Select(a => port == GuestEndpoint.SshPort ? a.ToString() : $"[{a}]:{port.ToString(CultureInfo.InvariantCulture)}"));
        return $"{names} {parts[0]} {parts[1]}";
    }

    /// <summary>OpenSSH expands <c>%</c> tokens in these paths; a literal percent sign is written <c>%%</c>.</summary>
    private static string PathValue(string path) => path.Replace("%", "%%", StringComparison.Ordinal);

    /// <summary>ssh_config values with spaces (a project path) go in double quotes; OpenSSH has no escape for a quote itself.</summary>
    private static string ConfigValue(string value)
    {
        if (value.Contains('"', StringComparison.Ordinal) || value.Any(char.IsControl))
            throw new ArgumentException($"'{value}' cannot be written in an OpenSSH configuration file.", nameof(value));
        return value.Any(char.IsWhiteSpace) || value.Contains('#', StringComparison.Ordinal) ? $"\"{value}\"" : value;
    }
}
