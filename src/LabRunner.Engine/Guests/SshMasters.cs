using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using LabRunner.Core.Net;

namespace LabRunner.Engine.Guests;

/// <summary>
/// Where OpenSSH's shared connections to the lab's guests listen (<c>ControlPath</c>), and how 'halt', 'down' and
/// 'reload' end them. The first <c>lab ssh</c> (or <c>ssh -F</c> with <c>lab ssh-config</c>) to a VM leaves a master
/// connection behind for <see cref="Persist"/>; every later one runs its command over it, without a new handshake.
/// Sockets live in <c>.lab/cm/</c> (owner-only, like <c>.lab/</c>), one per VM and address, named by hashes so the path
/// fits the 104 bytes a unix socket path may have on macOS and the BSDs (108 on Linux) with the 17 characters OpenSSH
/// appends while it creates one. A project folder too deep for that, and Windows (whose OpenSSH shares no
/// connections), get no sharing: <c>lab ssh</c> then connects anew each time, as before.
/// </summary>
public static class SshMasters
{
    public const string FolderName = "cm";

    /// <summary>How long a master stays after its last session ended (OpenSSH <c>ControlPersist</c>).</summary>
    public const string Persist = "10m";

    /// <summary>The longest unix socket path on every system OpenSSH runs on (<c>sun_path</c> on macOS and the BSDs), NUL included.</summary>
    public const int MaxSocketPathBytes = 104;

    /// <summary>What OpenSSH appends to the path while it creates a master's socket (a dot and 16 random characters), then renames.</summary>
    public const int OpenSshTemporarySuffix = 17;

    /// <summary>The hex digits naming the VM, then those naming the connection (user, address, port), in a socket's name.</summary>
    private const int VmDigits = 6;
    private const int ConnectionDigits = 6;

    public static string FolderPath(string stateDirectory) => Path.Combine(stateDirectory, FolderName);

    /// <summary>
    /// The control socket for <paramref name="user"/>@<paramref name="address"/>:<paramref name="port"/> on VM <paramref name="vm"/>,
    /// or null where sharing is off (Windows; a path too long for a unix socket). A VM whose address changes gets another
    /// socket, so a master never carries sessions to an address the VM no longer has; so does a VM whose pinned
    /// <paramref name="hostKey"/> changed, so the new key is checked by a connection of its own.
    /// </summary>
    public static string? ControlPath(string stateDirectory, string vm, Ipv4Address address, int port, string user, string? hostKey = null)
    {
        ArgumentNullException.ThrowIfNull(vm);
        if (OperatingSystem.IsWindows()) return null;
        var path = Path.Combine(Path.GetFullPath(FolderPath(stateDirectory)),
            VmPrefix(vm) + Hash($"{user}@{address}:{port.ToString(CultureInfo.InvariantCulture)} {hostKey}", ConnectionDigits));
        return Fits(path) ? path : null;
    }

    /// <summary>Whether OpenSSH can create a socket at <paramref name="path"/> on every system (with its temporary suffix and the NUL).</summary>
    public static bool Fits(string path) => OpenSshMux.ByteLength(path) + OpenSshTemporarySuffix < MaxSocketPathBytes;

    /// <summary>Makes <c>.lab/cm/</c>, owner-only (the sockets let anyone who can reach them run commands in the guests).</summary>
    public static bool TryCreateFolder(string stateDirectory)
    {
        if (OperatingSystem.IsWindows()) return false;
        var folder = FolderPath(stateDirectory);
        try
        {
            StateFolder.Create(stateDirectory);
            if (!Directory.Exists(folder)) Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            else if ((File.GetUnixFileMode(folder) & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute)) != 0)
                File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Core.Errors.LabRunnerException)
        {
            // No sharing then: lab ssh still works, with a handshake each time.
            return false;
        }
    }

    /// <summary>
    /// Ends the masters of <paramref name="vms"/> (every VM's when empty): each is asked to exit, as <c>ssh -O exit</c>
    /// does, and a socket nothing listens at any more is removed. Returns how many masters were ended. Never throws for
    /// a socket it cannot close: a master left over ends by itself after <see cref="Persist"/>.
    /// </summary>
    public static async Task<int> CloseAsync(string stateDirectory, IEnumerable<string> vms, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(vms);
        var folder = FolderPath(stateDirectory);
        if (OperatingSystem.IsWindows() || !Directory.Exists(folder)) return 0;
        var prefixes = vms.Select(VmPrefix).ToHashSet(StringComparer.Ordinal);
        var closed = 0;
        string[] sockets;
        try
        {
            sockets = Directory.GetFiles(folder);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
        foreach (var socket in sockets)
        {
            var name = Path.GetFileName(socket);
            if (name.Length != VmDigits + ConnectionDigits || (prefixes.Count > 0 && !prefixes.Contains(name[..VmDigits]))) continue;
            try
            {
                if (await OpenSshMux.CloseAsync(socket, cancellationToken).ConfigureAwait(false) == MuxClose.Closed) closed++;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Not ours to fix here; the master ends by itself.
            }
        }
        return closed;
    }

    private static string VmPrefix(string vm) => Hash(vm.ToLowerInvariant(), VmDigits);

    private static string Hash(string text, int digits) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..digits];
}
