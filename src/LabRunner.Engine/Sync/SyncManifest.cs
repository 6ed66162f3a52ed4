using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LabRunner.Engine.Sync;

/// <summary>
/// What the last push of one folder to one VM put in the guest, kept in <c>.lab/sync/VM/KEY.json</c>: every entry
/// (size, time, mode, hash, link target) and the token the push left in the guest. While the guest shows the same
/// token, the manifest describes it and the next push sends only the difference; a guest made anew (or reverted to
/// a snapshot) shows another token, and gets everything again.
/// </summary>
public sealed record SyncManifest(string GuestPath, string Token, ImmutableDictionary<string, SyncEntry> Entries)
{
    public const int FormatVersion = 1;

    /// <summary>The key of a folder in a guest (its guest path's hash): the manifest's file name and the guest's token file name.</summary>
    public static string KeyOf(string guestPath) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(guestPath ?? throw new ArgumentNullException(nameof(guestPath)))))[..16];

    public static string PathOf(string stateDirectory, string vm, string guestPath) =>
        Path.Combine(stateDirectory, "sync", vm.ToLowerInvariant(), KeyOf(guestPath) + ".json");

    /// <summary>The recorded manifest, or null when there is none (or it is damaged: then everything is pushed again).</summary>
    public static SyncManifest? Load(string stateDirectory, string vm, string guestPath)
    {
        var path = PathOf(stateDirectory, vm, guestPath);
        try
        {
            if (!File.Exists(path)) return null;
            var file = JsonSerializer.Deserialize(File.ReadAllBytes(path), SyncJson.Default.ManifestFile);
            if (file is null || file.Version != FormatVersion || file.GuestPath != guestPath) return null;
            return new SyncManifest(file.GuestPath, file.Token, file.Entries.ToImmutableDictionary(e => e.Path, StringComparer.Ordinal));
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public void Save(string stateDirectory, string vm)
    {
        ArgumentNullException.ThrowIfNull(vm);
        var path = PathOf(stateDirectory, vm, GuestPath);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var file = new ManifestFile(FormatVersion, GuestPath, Token, [.. Entries.Values.OrderBy(e => e.Path, StringComparer.Ordinal)]);
            HostCommon.Files.AtomicFile.WriteAllBytes(path, JsonSerializer.SerializeToUtf8Bytes(file, SyncJson.Default.ManifestFile), ownerOnly: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new SyncException($"cannot record the push in '{path}': {ex.Message}", ex);
        }
    }
}

/// <summary>
/// What one push does: the entries to send (folders before what they hold) and the paths to delete first (only
/// entries an earlier push put there, top-most only). With no trusted manifest everything is sent.
/// </summary>
public sealed record SyncDiff(IReadOnlyList<SyncEntry> Send, IReadOnlyList<string> Delete)
{
    public bool IsEmpty => Send.Count == 0 && Delete.Count == 0;

    /// <param name="pushed">What the guest holds from earlier pushes, as far as LabRunner knows; null: unknown.</param>
    /// <param name="trusted">Whether the guest still holds exactly <paramref name="pushed"/> (its token matches).</param>
    public static SyncDiff Between(IReadOnlyDictionary<string, SyncEntry>? pushed, bool trusted, IReadOnlyList<SyncEntry> now)
    {
        ArgumentNullException.ThrowIfNull(now);
        var current = now.ToDictionary(e => e.Path, StringComparer.Ordinal);
        var delete = new List<string>();
        var deleted = new HashSet<string>(StringComparer.Ordinal);
        if (pushed is not null)
        {
            // Gone from the host, or no longer of the same kind (a folder that became a link must go before the link comes).
            foreach (var (path, old) in pushed.OrderBy(p => p.Key, StringComparer.Ordinal))
                if ((!current.TryGetValue(path, out var entry) || entry.Kind != old.Kind) && !UnderDeleted(path))
                {
                    delete.Add(path);
                    deleted.Add(path);
                }
        }
        var send = trusted && pushed is not null
            ? now.Where(e => !pushed.TryGetValue(e.Path, out var old) || e.Differs(old)).ToList()
            : [.. now];
        return new SyncDiff(send, delete);

        bool UnderDeleted(string path)
        {
            for (var slash = path.IndexOf('/', StringComparison.Ordinal); slash > 0; slash = path.IndexOf('/', slash + 1))
                if (deleted.Contains(path[..slash])) return true;
            return false;
        }
    }
}

/// <summary>The manifest as stored.</summary>
public sealed record ManifestFile(int Version, string GuestPath, string Token, IReadOnlyList<SyncEntry> Entries);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ManifestFile))]
internal sealed partial class SyncJson : JsonSerializerContext;
