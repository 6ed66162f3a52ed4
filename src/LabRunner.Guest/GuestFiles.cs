using System.Collections.Immutable;
using System.Text;
using LabRunner.Core.Diagnostics;

namespace LabRunner.Guest;

/// <summary>
/// What only the caller knows: the lab's SSH public key (one OpenSSH line) and, for Windows guests,
/// the administrator password. Neither is ever written into a diagnostic.
/// </summary>
public sealed record GuestSecrets(string SshPublicKey, string? AdminPassword)
{
    /// <summary>
    /// The guest's own SSH host key (Linux guests, through cloud-init's <c>ssh_keys</c>): LabRunner made
    /// it, so <c>.lab/known_hosts</c> holds it before the guest first boots. Null keeps the image's way.
    /// </summary>
    public Ssh.SshKeyPair? SshHostKey { get; init; }

    /// <summary>
    /// The lab's share account and the host address a Linux guest mounts its <c>type: smb</c> synced folders from
    /// (written into the seed, root-only in the guest); null when the VM has none.
    /// </summary>
    public SmbCredentials? Smb { get; init; }

    /// <summary>Keeps the password out of logs that print the record.</summary>
    public override string ToString() => $"GuestSecrets {{ SshPublicKey = {SshPublicKey}, AdminPassword = {(AdminPassword is null ? "null" : "***")} }}";
}

/// <summary>The account a guest mounts the lab's shares as, and the host's address it mounts them from.</summary>
public sealed record SmbCredentials(string Account, string Password, string Server)
{
    /// <summary>Keeps the password out of logs that print the record.</summary>
    public override string ToString() => $"SmbCredentials {{ Account = {Account}, Password = ***, Server = {Server} }}";
}

/// <summary>One file of a guest's seed: its name at the root of the seed and its bytes (UTF-8, no BOM, LF).</summary>
public sealed record GuestFile(string Name, byte[] Content)
{
    public string Text => Encoding.UTF8.GetString(Content);

    /// <summary>Content can hold secrets (an encoded password), so printing the record shows only its size.</summary>
    public override string ToString() => $"{Name} ({Content.Length} bytes)";
}

/// <summary>The files for one VM, or the diagnostics that explain why there are none.</summary>
public sealed record GuestRenderResult(ImmutableArray<GuestFile> Files, ImmutableArray<Diagnostic> Diagnostics)
{
    public bool HasErrors => Diagnostics.Any(d => d.IsError);

    /// <summary>The file named <paramref name="name"/>; throws when it is missing, which is a bug in the caller's expectations.</summary>
    public GuestFile this[string name] => Files.FirstOrDefault(f => f.Name == name)
        ?? throw new KeyNotFoundException($"no guest file named '{name}' (have: {string.Join(", ", Files.Select(f => f.Name))})");
}
