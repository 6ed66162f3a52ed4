using System.Text.RegularExpressions;

namespace LabRunner.Core.Labfile;

/// <summary>
/// What names Hyper-V, Windows and the guests can take. Names become switch names, VM names,
/// file names and (by default) hostnames, so they stay within the strictest of those rules.
/// </summary>
public static partial class Names
{
    public const string LabRule = "use 1-32 letters, digits or hyphens, starting and ending with a letter or digit";
    public const string NetworkRule = "use 1-32 letters, digits, hyphens or underscores, starting and ending with a letter or digit";
    public const string VmRule = "use 1-63 letters, digits or hyphens, starting and ending with a letter or digit (the name is also the default hostname)";
    public const string BoxRule = "use 1-64 letters, digits, dots, hyphens or underscores, starting with a letter or digit";
    public const string BoxReferenceRule = "use 1-64 letters, digits, dots, hyphens or underscores, starting with a letter or digit, optionally as owner/name (a box catalog's name)";
    public const string UserRule = "use 1-32 lower-case letters, digits, hyphens or underscores, starting with a letter or underscore, and not 'root'";
    public const string GuestAccountRule = "use a user or group name of the guest: 1-32 lower-case letters, digits, hyphens or underscores, starting with a letter or underscore";
    public const string HostnameRule = "use dot-separated labels of 1-63 letters, digits or hyphens that do not start or end with a hyphen, 253 characters at most";
    public const string WindowsHostnameRule = "a Windows computer name has at most 15 characters, no dots, and not only digits";

    /// <summary>The longest adapter name whose bridge switch, LabRunner-Bridge-NAME, keeps within Hyper-V's 100 characters.</summary>
    public const int MaxAdapterNameLength = 100 - 17;
    public const string AdapterRule = "use the adapter's name as Get-NetAdapter shows it: at most 83 characters, none of \\ / : * ? \" < > | (Windows refuses them in adapter names) and none of [ ] ` (Hyper-V's cmdlets would read them as a wildcard pattern that can match other adapters)";

    /// <summary>Characters Hyper-V's and NetNat's cmdlets read as a wildcard pattern (or its escape) in a -Name.</summary>
    public static readonly char[] WildcardCharacters = ['*', '?', '[', ']', '`'];

    private static readonly char[] NotInAdapterNames = ['\\', '/', ':', '*', '?', '"', '<', '>', '|', '[', ']', '`'];

    public static bool IsLabName(string s) => LabPattern().IsMatch(s);
    public static bool IsNetworkName(string s) => NetworkPattern().IsMatch(s);
    public static bool IsVmName(string s) => VmPattern().IsMatch(s);
    public static bool IsBoxName(string s) => BoxPattern().IsMatch(s);

    /// <summary>What a VM's <c>box:</c> and the box store take: a box name, or a catalog's <c>owner/name</c>.</summary>
    public static bool IsBoxReference(string s) => BoxReferencePattern().IsMatch(s);
    public static bool IsUserName(string s) => UserPattern().IsMatch(s) && s != "root";

    /// <summary>The owner or group of a synced folder's files in the guest (root among them).</summary>
    public static bool IsGuestAccountName(string s) => UserPattern().IsMatch(s);

    public static bool IsHostname(string s) =>
        s.Length <= 253 && s.Split('.').All(label => HostLabelPattern().IsMatch(label));

    public static bool IsWindowsComputerName(string s) =>
        s.Length <= 15 && HostLabelPattern().IsMatch(s) && !s.All(char.IsAsciiDigit);

    /// <summary>A physical adapter name a bridged network can use on every provider (see <see cref="AdapterRule"/>).</summary>
    public static bool IsAdapterName(string s) => IsPrintable(s, MaxAdapterNameLength) && s.IndexOfAny(NotInAdapterNames) < 0;

    /// <summary>A name a POSIX shell and PowerShell both take as an environment variable: <c>[A-Za-z_][A-Za-z0-9_]*</c>.</summary>
    public static bool IsEnvName(string s) => EnvPattern().IsMatch(s);

    /// <summary>Free text that ends up as data (adapter names, paths): any printable characters.</summary>
    public static bool IsPrintable(string s, int maxLength) =>
        s.Length > 0 && s.Length <= maxLength && !s.Any(char.IsControl) && s.Trim().Length == s.Length;

    [GeneratedRegex("^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?\\z")]
    private static partial Regex LabPattern();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,127}\\z")]
    private static partial Regex EnvPattern();

    [GeneratedRegex("^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,30}[A-Za-z0-9])?\\z")]
    private static partial Regex NetworkPattern();

    [GeneratedRegex("^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\z")]
    private static partial Regex VmPattern();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\\z")]
    private static partial Regex BoxPattern();

    // \z, never $: $ also matches before a final newline, so "debian\n" would pass.
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}(?:/[A-Za-z0-9][A-Za-z0-9._-]{0,63})?\\z")]
    private static partial Regex BoxReferencePattern();

    [GeneratedRegex("^[a-z_][a-z0-9_-]{0,31}\\z")]
    private static partial Regex UserPattern();

    [GeneratedRegex("^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\z")]
    private static partial Regex HostLabelPattern();
}
