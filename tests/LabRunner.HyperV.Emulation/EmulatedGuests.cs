using System.Collections.Concurrent;
using System.Management.Automation;

namespace LabRunner.HyperV.Emulation;

/// <summary>
/// The Windows guests PowerShell Direct reaches in the emulation: per VM (by name), the account that exists in it
/// once it has booted. A running VM without an entry has not finished booting: it refuses every credential, as
/// a real guest does until Windows Setup has set the password. Guest sessions are runspaces of the real engine in
/// this process (so their file system and process environment are this process's).
/// </summary>
public sealed class EmulatedGuests
{
    /// <summary>The session variable that carries the guests (set by <see cref="EmulatedHost"/>).</summary>
    public const string Variable = "__LabRunnerEmulatedGuests";

    private readonly ConcurrentDictionary<string, (string User, string Password)> _accounts = new(StringComparer.OrdinalIgnoreCase);
    private int _connections;

    /// <summary>The guest in VM <paramref name="vmName"/> has booted and lets <paramref name="user"/> in with <paramref name="password"/>.</summary>
    public void Boot(string vmName, string user, string password) => _accounts[vmName] = (user, password);

    /// <summary>How many sessions were opened into guests (Invoke-Command -VMName and New-PSSession each open one).</summary>
    public int Connections => Volatile.Read(ref _connections);

    internal bool Accepts(string vmName, PSCredential credential)
    {
        Interlocked.Increment(ref _connections);
        if (!_accounts.TryGetValue(vmName, out var account)) return false;
        // A local account may be named bare, as .\NAME or as COMPUTER\NAME.
        var user = credential.UserName;
        var slash = user.LastIndexOf('\\');
        if (slash >= 0) user = user[(slash + 1)..];
        return string.Equals(user, account.User, StringComparison.OrdinalIgnoreCase)
               && string.Equals(credential.GetNetworkCredential().Password, account.Password, StringComparison.Ordinal);
    }
}
