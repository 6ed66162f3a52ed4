using System.Globalization;
using System.Text;
using LabRunner.Core.Net;

namespace LabRunner.Guest.Access;

/// <summary>What the system's OpenSSH client needs to log in to one guest, with host keys checked strictly.</summary>
public sealed record SshTarget(string Vm, Ipv4Address Address, string User, string IdentityFile, string KnownHostsFile, int Port = GuestEndpoint.SshPort)
{
    /// <summary>
    /// Where the shared connection to the guest listens (OpenSSH <c>ControlPath</c>): the first ssh becomes its master and
    /// stays for <see cref="OpenSsh.ControlPersist"/>, later ones use it without a new handshake. Null: no sharing.
    /// </summary>
    public string? ControlPath { get; init; }
}

/// <summary>
/// The OpenSSH side of guest access: <c>Host</c> blocks for <c>lab ssh-config</c>, the argument vector
/// of <c>lab ssh</c>, and <c>known_hosts</c> lines. Host keys are pinned (LabRunner gave every guest its
/// key), so checking is strict: a changed key is an error, never a prompt.
/// </summary>
public static class OpenSsh
{
    /// <summary>How long a shared connection stays after its last session (OpenSSH <c>ControlPersist</c>).</summary>
    public const string ControlPersist = "10m";

    /// <summary>
    /// How often a shared connection checks that the guest still answers (<c>ServerAliveInterval</c>, seconds), and how
    /// many unanswered checks end it (<c>ServerAliveCountMax</c>): a guest that rebooted by itself, or was stopped outside
    /// LabRunner, leaves no master behind that would fail the next <c>lab ssh</c>; a guest paused for a minute (a snapshot) keeps it.
    /// </summary>
    public const int AliveIntervalSeconds = 10;

    public const int AliveCountMax = 6;

    /// <summary>The options both forms share, in the order <c>ssh -G</c> would list them.</summary>
    private static IEnumerable<(string Key, string Value)> Options(SshTarget t) =>
    [
        .. Common(t),
        .. t.ControlPath is { } control
            ?
            [
                ("ControlMaster", "auto"),
                ("ControlPath", PathValue(control)),
                ("ControlPersist", ControlPersist),
                ("ServerAliveInterval", AliveIntervalSeconds.ToString(CultureInfo.InvariantCulture)),
                ("ServerAliveCountMax", AliveCountMax.ToString(CultureInfo.InvariantCulture)),
            ]
            : Array.Empty<(string, string)>(),
    ];

    private static IEnumerable<(string Key, string Value)> Common(SshTarget t) =>
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
        ArgumentNullException.ThrowIfNull(command);
        return Arguments(target, command.Count > 0 ? PosixShell.Join(command) : null, terminal);
    }

    /// <summary>
    /// As above with the remote command given as one command line for the guest's shell (<c>lab ssh -c</c>, as
    /// <c>vagrant ssh -c</c>), or none to log in.
    /// </summary>
    public static IReadOnlyList<string> Arguments(SshTarget target, string? commandLine, bool terminal)
    {
        ArgumentNullException.ThrowIfNull(target);
        var args = new List<string>();
        foreach (var (key, value) in Options(target).Where(o => o.Key != "HostName"))
            args.Add("-o" + key + "=" + ConfigValue(value));
        // An address nothing answers at fails after this long instead of the system's TCP timeout (minutes).
        args.Add("-oConnectTimeout=" + ConnectTimeoutSeconds.ToString(CultureInfo.InvariantCulture));
        // A session without a command gets a terminal; a command gets none unless asked, so bytes pass through unchanged.
        if (commandLine is not null) args.Add(terminal ? "-t" : "-T");
        // Nothing after this is read as an option, whatever the command holds.
        args.Add("--");
        args.Add(target.Address.ToString());
        if (commandLine is not null) args.Add(commandLine);
        return args;
    }

    /// <summary>
    /// The arguments after <c>ssh</c> that open the shared connection to <paramref name="target"/> and leave it in the
    /// background (<c>-f</c> once logged in, <c>-N</c> no command, <c>-n</c> no input): the master that later
    /// <c>lab ssh</c> and <c>ssh -F</c> sessions use. With a master already listening, ssh joins it and ends at once.
    /// The master ends after <see cref="ControlPersist"/> without sessions, or when 'halt'/'down' tell it to.
    /// </summary>
    public static IReadOnlyList<string> MasterArguments(SshTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (target.ControlPath is null) throw new ArgumentException("no shared connection for this target (ControlPath is null)", nameof(target));
        var args = Arguments(target, commandLine: null, terminal: false).ToList();
        args.InsertRange(args.IndexOf("--"), ["-f", "-N", "-n"]);
        return args;
    }

    /// <summary>How long <c>lab ssh</c> lets OpenSSH try to connect (<c>ConnectTimeout</c>).</summary>
    public const int ConnectTimeoutSeconds = 10;

    /// <summary>What <c>ssh</c> exits with when it fails itself (no connection, key refused), rather than the remote command.</summary>
    public const int FailedExitCode = 255;

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

    /// <summary>
    /// Why <paramref name="path"/> cannot be given to OpenSSH as an IdentityFile or UserKnownHostsFile, or null. OpenSSH
    /// expands <c>${NAME}</c> in those paths from the environment and has no escape for it (<c>%%</c> covers only
    /// <c>%</c>); a control character cannot be written in a configuration line at all.
    /// </summary>
    public static string? Unwritable(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Contains("${", StringComparison.Ordinal))
            return "it holds '${', which OpenSSH reads as an environment variable in IdentityFile and UserKnownHostsFile and offers no way to escape";
        if (path.Any(char.IsControl))
            return "it holds a control character, which an OpenSSH configuration line cannot carry";
        return null;
    }

    /// <summary>
    /// One ssh_config value. OpenSSH splits a line's values like a shell (since 8.7): in double quotes, <c>\"</c>, <c>\'</c>
    /// and <c>\\</c> are escapes and any other backslash is itself (so a Windows path reads the same in older releases).
    /// A value with a space, '#', a quote or a double backslash is written in double quotes with those escapes; others as they are.
    /// </summary>
    private static string ConfigValue(string value)
    {
        if (value.Any(char.IsControl))
            throw new ArgumentException($"'{value}' cannot be written in an OpenSSH configuration file.", nameof(value));
        if (!value.Any(c => char.IsWhiteSpace(c) || c is '#' or '"' or '\'') && !value.Contains(@"\\", StringComparison.Ordinal))
            return value;
        var sb = new StringBuilder("\"");
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            var next = i + 1 < value.Length ? value[i + 1] : '"';
            // A backslash before a quote, a backslash or the closing quote would be read as an escape: double it.
            if (c is '"' || (c is '\\' && next is '\\' or '"' or '\''))
                sb.Append('\\');
            sb.Append(c);
        }
        return sb.Append('"').ToString();
    }
}
