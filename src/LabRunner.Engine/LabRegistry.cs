using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;
using LabRunner.Core.Hosting;
using LabRunner.HostCommon.Files;

namespace LabRunner.Engine;

/// <summary>A lab LabRunner has brought up on this host: its name, project folder, Labfile and provider, and when it was last recorded.</summary>
public sealed record RegisteredLab(string Lab, string ProjectDirectory, string LabfilePath, string Provider, DateTimeOffset Updated);

/// <summary>What a registry file held: its labs, and why the file could not be read when it could not (null when it could).</summary>
public sealed record RegistryContents(string Path, ImmutableArray<RegisteredLab> Labs, string? Problem);

/// <summary>
/// The labs one user has on this host ('lab global-status'), in one small JSON file per user: 'lab up' records a lab,
/// a whole-lab 'lab down' forgets it. The file is replaced atomically under a short lock, so two commands never lose
/// each other's lab. A damaged file is reported and never crashes a command: reading it gives no labs and the
/// problem; the next record moves it aside (<c>labs.json.damaged</c>) and starts anew. Nothing here ever touches a VM.
/// </summary>
public sealed class LabRegistry(string path)
{
    public const string FileName = "labs.json";
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(10);

    public string Path { get; } = System.IO.Path.GetFullPath(path);

    /// <summary>
    /// This user's registry: <c>%LOCALAPPDATA%\LabRunner\labs.json</c> on Windows, else
    /// <c>$XDG_STATE_HOME/labrunner/labs.json</c> (default <c>~/.local/state/labrunner/labs.json</c>).
    /// </summary>
    public static string DefaultPath(Func<string, string?> getVariable)
    {
        ArgumentNullException.ThrowIfNull(getVariable);
        if (OperatingSystem.IsWindows())
            return System.IO.Path.Combine(getVariable("LOCALAPPDATA") is { Length: > 0 } local ? local : Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "LabRunner", FileName);
        if (getVariable("XDG_STATE_HOME") is { Length: > 0 } xdg && System.IO.Path.IsPathRooted(xdg))
            return System.IO.Path.Combine(xdg, "labrunner", FileName);
        var home = getVariable("HOME") is { Length: > 0 } h ? h : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return System.IO.Path.Combine(home, ".local", "state", "labrunner", FileName);
    }

    /// <summary>
    /// Every user's registry at its default place (for root's 'global-status --all'): under each home folder in
    /// <c>/home</c> and root's own on Unix, under each profile in <c>C:\Users</c> on Windows. A user who moved theirs
    /// with XDG_STATE_HOME is not found.
    /// </summary>
    public static IEnumerable<string> EveryUsersPaths(Func<string, string?> getVariable)
    {
        var own = DefaultPath(getVariable);
        var found = new SortedSet<string>(StringComparer.Ordinal) { own };
        if (OperatingSystem.IsWindows())
        {
            var users = System.IO.Path.GetDirectoryName(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));
            if (users is not null)
                foreach (var profile in SafeFolders(users))
                    found.Add(System.IO.Path.Combine(profile, "AppData", "Local", "LabRunner", FileName));
        }
        else
        {
            foreach (var home in SafeFolders("/home").Append("/root"))
                found.Add(System.IO.Path.Combine(home, ".local", "state", "labrunner", FileName));
        }
        return found.Where(p => p == own || FileEntry.Kind(p, followLinks: false) == EntryKind.Regular);
    }

    private static IEnumerable<string> SafeFolders(string parent)
    {
        try
        {
            return Directory.GetDirectories(parent);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>The labs recorded here; a missing file holds none, a damaged or unreadable one none and its problem.</summary>
    public RegistryContents Read()
    {
        switch (FileEntry.Kind(Path, followLinks: false))
        {
            case EntryKind.Missing:
                return new RegistryContents(Path, [], null);
            case EntryKind.Regular:
                break;
            default:
                return new RegistryContents(Path, [], "it is not a regular file");
        }
        try
        {
            var bytes = File.ReadAllBytes(Path);
            return Parse(bytes) is { } labs ? new RegistryContents(Path, labs, null) : new RegistryContents(Path, [], "it is damaged (not a LabRunner lab registry)");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new RegistryContents(Path, [], $"it cannot be read: {FileFailure.Reason(e)}");
        }
    }

    /// <summary>Records (or refreshes) a lab; the entry is keyed by its Labfile and provider.</summary>
    /// <exception cref="HostUnavailableException">The registry cannot be written.</exception>
    public void Record(RegisteredLab lab)
    {
        ArgumentNullException.ThrowIfNull(lab);
        Update(labs => [.. labs.Where(l => !SameLab(l, lab.LabfilePath, lab.Provider)), lab]);
    }

    /// <summary>Forgets the lab of this Labfile on this provider (after a whole-lab 'lab down').</summary>
    /// <exception cref="HostUnavailableException">The registry cannot be written.</exception>
    public void Forget(string labfilePath, string provider) =>
        Update(labs => [.. labs.Where(l => !SameLab(l, labfilePath, provider))]);

    /// <summary>Forgets every lab <paramref name="gone"/> says no longer exists; returns those forgotten.</summary>
    /// <exception cref="HostUnavailableException">The registry cannot be written.</exception>
    public ImmutableArray<RegisteredLab> Prune(Func<RegisteredLab, bool> gone)
    {
        ArgumentNullException.ThrowIfNull(gone);
        var forgotten = ImmutableArray<RegisteredLab>.Empty;
        Update(labs =>
        {
            forgotten = [.. labs.Where(gone)];
            return [.. labs.Where(l => !forgotten.Contains(l))];
        });
        return forgotten;
    }

    private static bool SameLab(RegisteredLab lab, string labfilePath, string provider) =>
        string.Equals(lab.LabfilePath, labfilePath, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal)
        && string.Equals(lab.Provider, provider, StringComparison.OrdinalIgnoreCase);

    private void Update(Func<ImmutableArray<RegisteredLab>, ImmutableArray<RegisteredLab>> change)
    {
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
            using var held = FileLock.Acquire(Path + ".lock", LockTimeout);
            var current = Read();
            // A damaged registry is kept for whoever wants to look, and a new one started: recording a lab never fails on it.
            if (current.Problem is not null && FileEntry.Kind(Path, followLinks: false) == EntryKind.Regular)
                File.Move(Path, Path + ".damaged", overwrite: true);
            var labs = change(current.Labs);
            HostCommon.Files.AtomicFile.WriteAllBytes(Path, Serialize(labs), ownerOnly: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or TimeoutException)
        {
            throw new HostUnavailableException(new HostError(HostErrorKind.Unavailable,
                $"The lab registry '{Path}' cannot be written: {(e is TimeoutException ? e.Message : FileFailure.Reason(e))}."));
        }
    }

    private static byte[] Serialize(ImmutableArray<RegisteredLab> labs)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteNumber("version", 1);
            json.WriteStartArray("labs");
            foreach (var lab in labs.OrderBy(l => l.ProjectDirectory, StringComparer.Ordinal).ThenBy(l => l.Provider, StringComparer.Ordinal))
            {
                json.WriteStartObject();
                json.WriteString("lab", lab.Lab);
                json.WriteString("project", lab.ProjectDirectory);
                json.WriteString("labfile", lab.LabfilePath);
                json.WriteString("provider", lab.Provider);
                json.WriteString("updated", lab.Updated.ToString("O", CultureInfo.InvariantCulture));
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        buffer.Write("\n"u8);
        return buffer.ToArray();
    }

    /// <summary>The labs of a registry file's bytes; null when they are not one (an entry missing a field counts as damage).</summary>
    private static ImmutableArray<RegisteredLab>? Parse(byte[] bytes)
    {
        try
        {
            using var document = JsonDocument.Parse(bytes);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("labs", out var labs) || labs.ValueKind != JsonValueKind.Array)
                return null;
            var result = ImmutableArray.CreateBuilder<RegisteredLab>();
            foreach (var item in labs.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object) return null;
                string? Text(string name) => item.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
                if (Text("lab") is not { } lab || Text("project") is not { } project || Text("labfile") is not { } labfile || Text("provider") is not { } provider)
                    return null;
                var updated = DateTimeOffset.TryParse(Text("updated"), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var u) ? u : DateTimeOffset.MinValue;
                result.Add(new RegisteredLab(lab, project, labfile, provider, updated));
            }
            return result.ToImmutable();
        }
        catch (JsonException)
        {
            return null;
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }
}
