using System.Security.Cryptography;
using System.Text;

namespace LabRunner.Engine;

/// <summary>
/// The password of the lab's share account (<c>type: smb</c> synced folders), made once per project with a CSPRNG and
/// kept owner-only in <c>.lab/</c> like the project's other secrets. It is never printed or logged: the Hyper-V
/// provider hands it to PowerShell on standard input, and the guests get it in their (owner-only) seeds. Losing
/// <c>.lab/</c> makes a new one, which 'lab up' sets on the existing account and gives the guests in new seeds.
/// </summary>
public static class ShareSecrets
{
    public const string FileName = "smb-account.secret";

    /// <summary>32 letters and digits (about 190 bits), at least one of each kind: Windows' complexity rule, and nothing a credentials file or YAML must escape.</summary>
    public const int Length = 32;

    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    public static string PathIn(string stateDirectory) => Path.Combine(stateDirectory, FileName);

    /// <summary>Whether the project has its password already (checked before a run makes one).</summary>
    public static bool Exists(string stateDirectory) => Read(stateDirectory) is not null;

    /// <summary>
    /// The project's password, made and kept when there is none (two commands at once: the first one's stands); without
    /// <paramref name="save"/> ('--what-if') one that does not exist yet is made in memory only.
    /// </summary>
    public static string LoadOrCreate(string stateDirectory, bool save)
    {
        if (Read(stateDirectory) is { } existing) return existing;
        var password = Generate();
        if (!save) return password;
        StateFolder.Create(stateDirectory);
        var path = PathIn(stateDirectory);
        if (File.Exists(path))
            AtomicFile.WriteAllText(path, password + "\n"); // a damaged file is replaced
        else if (!AtomicFile.CreateNew(path, Encoding.ASCII.GetBytes(password + "\n")) && Read(stateDirectory) is { } theirs)
            return theirs;
        return password;
    }

    /// <summary>A new random password: <see cref="Length"/> characters of <c>[A-Za-z0-9]</c> with each kind present.</summary>
    public static string Generate()
    {
        while (true)
        {
            var password = RandomNumberGenerator.GetString(Alphabet, Length);
            if (password.Any(char.IsAsciiLetterUpper) && password.Any(char.IsAsciiLetterLower) && password.Any(char.IsAsciiDigit))
                return password;
        }
    }

    private static string? Read(string stateDirectory)
    {
        var path = PathIn(stateDirectory);
        if (!File.Exists(path)) return null;
        var text = File.ReadAllText(path).Trim();
        return text.Length == Length && text.All(c => Alphabet.Contains(c, StringComparison.Ordinal)) ? text : null;
    }
}
