using LabRunner.Core.Diagnostics;
using LabRunner.Core.Labfile;
using LabRunner.Core.Planning;
using LabRunner.Guest;
using LabRunner.Guest.Ssh;
using LabRunner.Guest.Windows;

namespace LabRunner.Engine;

/// <summary>
/// The lab's SSH key pair, made once per project and kept in <c>.lab/</c> (private key owner-only),
/// the key that names its seeds (<see cref="LoadOrCreateSeedNameKey"/>), and the Windows administrator
/// password, which comes from the environment and is never stored in the Labfile, printed or logged.
/// </summary>
public static class ProjectSecrets
{
    public const string AdminPasswordVariable = "LABRUNNER_ADMIN_PASSWORD";
    public const string SeedNameKeyFileName = "seed-name.key";
    private const int SeedNameKeyLength = 32;

    /// <summary>
    /// The project's random key for seed file names (<see cref="SeedBuilder"/>), made once and kept
    /// owner-only in <c>.lab/</c>. A name keyed with it changes with the seed's content, yet without the
    /// key nobody can check a guessed password against a printed name. Losing <c>.lab/</c> gives a new
    /// key, so every VM gets a new seed at the next <c>lab up</c>.
    /// </summary>
    public static byte[] LoadOrCreateSeedNameKey(string stateDirectory) => SeedNameKey(stateDirectory, save: true);

    /// <summary>
    /// The seed-name key (<see cref="LoadOrCreateSeedNameKey"/>); without <paramref name="save"/> ('--what-if'),
    /// a key that does not exist yet is made in memory only and nothing is written.
    /// </summary>
    public static byte[] SeedNameKey(string stateDirectory, bool save)
    {
        var path = Path.Combine(stateDirectory, SeedNameKeyFileName);
        if (File.Exists(path) && File.ReadAllBytes(path) is { Length: SeedNameKeyLength } existing)
            return existing;
        if (!save) return System.Security.Cryptography.RandomNumberGenerator.GetBytes(SeedNameKeyLength);
        StateFolder.Create(stateDirectory);
        var key = System.Security.Cryptography.RandomNumberGenerator.GetBytes(SeedNameKeyLength);
        if (File.Exists(path))
            AtomicFile.WriteAllBytes(path, key, secret: true); // a damaged key (wrong length) is replaced
        else if (!AtomicFile.CreateNew(path, key) && File.ReadAllBytes(path) is { Length: SeedNameKeyLength } theirs)
            return theirs; // another command made it first: one key names every seed
        return key;
    }

    /// <summary>The project's keys that do not exist yet ('--what-if' says that 'lab up' will make them).</summary>
    public static IReadOnlyList<string> NotYetMade(string stateDirectory) =>
        [.. new[] { ("the lab's SSH key", SshKeys.PrivateKeyFileName), ("the seed-name key", SeedNameKeyFileName) }
            .Where(k => !File.Exists(Path.Combine(stateDirectory, k.Item2))).Select(k => $"{k.Item1} ({Path.Combine(".lab", k.Item2)})")];

    public static SshKeyPair LoadOrCreateSshKey(string stateDirectory, string lab, ICollection<Diagnostic> diagnostics) =>
        SshKey(stateDirectory, lab, diagnostics, save: true);

    /// <summary>The lab's SSH key pair; without <paramref name="save"/> ('--what-if'), one that does not exist yet is made in memory only.</summary>
    public static SshKeyPair SshKey(string stateDirectory, string lab, ICollection<Diagnostic> diagnostics, bool save)
    {
        var privatePath = Path.Combine(stateDirectory, SshKeys.PrivateKeyFileName);
        if (File.Exists(privatePath))
        {
            var display = Path.Combine(".lab", SshKeys.PrivateKeyFileName);
            return SshKeys.Load(new SourceText(display, File.ReadAllText(privatePath)), SshKeys.Comment(lab), diagnostics)
                ?? throw new ProjectInputException($"cannot read the lab's SSH key {display}; remove it to have a new one made");
        }
        var pair = SshKeys.Generate(lab);
        if (!save) return pair;
        StateFolder.Create(stateDirectory);
        // Two commands may make it at once: the first one's key stands, and the other uses it.
        if (!AtomicFile.CreateNew(privatePath, System.Text.Encoding.ASCII.GetBytes(pair.PrivateKeyPem)))
            return SshKey(stateDirectory, lab, diagnostics, save);
        AtomicFile.WriteAllText(privatePath + ".pub", pair.PublicKey + "\n");
        return pair;
    }

    /// <summary>
    /// Secrets for each VM's seed, read lazily and once: the SSH key when the first seed is built, the
    /// administrator password only when a Windows guest needs it.
    /// </summary>
    public static Func<string, VmPlan, GuestSecrets> ForSeeds(string stateDirectory, Func<string, string?> getVariable, Func<string?>? prompt) =>
        ForSeeds(stateDirectory, getVariable, prompt, save: true);

    /// <summary>As <see cref="ForSeeds(string, Func{string, string?}, Func{string?}?)"/>; without <paramref name="save"/>, keys are only read (missing ones made in memory).</summary>
    public static Func<string, VmPlan, GuestSecrets> ForSeeds(string stateDirectory, Func<string, string?> getVariable, Func<string?>? prompt, bool save)
    {
        string? publicKey = null;
        string? password = null;
        return (lab, vm) =>
        {
            publicKey ??= SshKey(stateDirectory, lab, new List<Diagnostic>(), save).PublicKey;
            if (vm.Os == GuestOs.Windows)
            {
                password ??= AdminPassword(getVariable, prompt);
                // Before any seed exists: Windows Setup would not say that it refused the password.
                if (WindowsPassword.Problem(password, ["Administrator", vm.User]) is { } problem)
                    throw new ProjectInputException($"{AdminPasswordVariable} does not meet Windows' password rules for VM '{vm.Name}': {problem}");
            }
            return new GuestSecrets(publicKey, vm.Os == GuestOs.Windows ? password : null)
            {
                Smb = SmbFor(stateDirectory, lab, vm, save),
                SshHostKey = vm.Os != GuestOs.Linux ? null
                    : save ? Guests.HostKeys.LoadOrCreate(stateDirectory, lab, vm.Name)
                    : Guests.HostKeys.Load(stateDirectory, lab, vm.Name) ?? SshKeys.Generate(lab),
            };
        };
    }

    /// <summary>
    /// The lab's share account for a Linux guest with <c>type: smb</c> synced folders (its server address is the
    /// plan's, filled in by <see cref="SeedBuilder"/>); null for any other VM.
    /// </summary>
    private static SmbCredentials? SmbFor(string stateDirectory, string lab, VmPlan vm, bool save)
    {
        if (vm.Os != GuestOs.Linux || !vm.SyncedFolders.Any(f => f.Type == SyncedFolderType.Smb)) return null;
        var identity = new Core.Hosting.LabIdentity(lab, ProjectIdentity.Of(Path.GetDirectoryName(Path.GetFullPath(stateDirectory))!));
        return new SmbCredentials(Core.Hosting.ShareNames.Account(identity), ShareSecrets.LoadOrCreate(stateDirectory, save), "");
    }

    /// <summary>The administrator password for Windows guests: the environment variable, else the prompt, else a usage error.</summary>
    public static string AdminPassword(Func<string, string?> getVariable, Func<string?>? prompt)
    {
        var password = getVariable(AdminPasswordVariable);
        if (string.IsNullOrEmpty(password)) password = prompt?.Invoke();
        if (string.IsNullOrEmpty(password))
            throw new ProjectInputException($"this lab has Windows VMs: set {AdminPasswordVariable} to their administrator password (it is never written to the Labfile or printed)");
        return password;
    }
}
