using System.Security.Cryptography;
using System.Text;

namespace LabRunner.Providers.Qemu.Network;

/// <summary>
/// The naming policy for the host interfaces LabRunner creates. Linux interface names hold at most 15
/// bytes (IFNAMSIZ 16 with the NUL), far too few for <c>LabRunner-&lt;lab&gt;-&lt;net&gt;</c>, so the name is a
/// short prefix and a hash: deterministic (the same lab gives the same names on every run, so inventory
/// finds them again), without characters that need quoting anywhere, and the readable lab and network
/// names live in the interface's alias (<see cref="OwnershipMark"/>).
/// </summary>
public static class InterfaceNames
{
    /// <summary>Linux's limit on an interface name, in bytes.</summary>
    public const int MaxLength = 15;

    /// <summary>The bridge of network <paramref name="network"/> of lab <paramref name="lab"/>: <c>lr</c> + 8 hex digits.</summary>
    public static string Bridge(string lab, string network) => "lr" + Hash(lab, network);

    /// <summary>The tap of adapter <paramref name="adapter"/> of the host's VM <paramref name="vmHostName"/> (<c>LAB-VM</c>): <c>lt</c> + 8 hex digits.</summary>
    public static string TapOf(string vmHostName, string adapter) => "lt" + Hash("tap", vmHostName, adapter);

    /// <summary>
    /// Whether <paramref name="name"/> is a name the kernel accepts and that can be passed in a QEMU option
    /// or an nft script without quoting: 1–15 bytes of ASCII letters, digits, <c>-</c>, <c>_</c>, <c>.</c>, not <c>.</c> or <c>..</c>.
    /// </summary>
    public static bool IsValid(string? name) =>
        !string.IsNullOrEmpty(name) && name.Length <= MaxLength && name is not "." and not ".." &&
        name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    // Parts are joined with '/', which Labfile names cannot contain, so ("a/b","c") and ("a","b/c") cannot collide by construction.
    // Lower-cased: Labfile names are case-insensitive (as Hyper-V's), so "Web" and "web" are one lab with one set of interfaces.
    private static string Hash(params string[] parts)
    {
        foreach (var part in parts) ArgumentException.ThrowIfNullOrEmpty(part);
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('/', parts).ToLowerInvariant()));
        return Convert.ToHexStringLower(digest.AsSpan(0, 4));
    }
}
