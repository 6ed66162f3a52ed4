using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LabRunner.Engine;

/// <summary>
/// What a project remembers between commands, in <c>.lab/state.json</c>: its id (which tells two
/// copies of a lab with the same name apart on one host) and the VMs whose creation has started but
/// whose ownership mark may not be on them yet. The host's inventory stays the source of truth for
/// everything else, so this file cannot go stale in a way that matters.
/// </summary>
public sealed class ProjectState
{
    public string ProjectId { get; set; } = "";

    public List<string> PendingVms { get; set; } = [];

    public static string PathIn(string stateDirectory) => Path.Combine(stateDirectory, "state.json");

    public static ProjectState LoadOrCreate(string stateDirectory)
    {
        var path = PathIn(stateDirectory);
        if (File.Exists(path))
        {
            try
            {
                var state = JsonSerializer.Deserialize(File.ReadAllText(path), EngineJson.Default.ProjectState);
                if (state is { ProjectId.Length: > 0 }) return state;
            }
            catch (JsonException)
            {
                // A damaged state file is replaced; the inventory still says what exists.
            }
        }
        return new ProjectState { ProjectId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)) };
    }

    /// <summary>Writes to a temporary file and renames it over the old one, so a crash never leaves half a file.</summary>
    public void Save(string stateDirectory)
    {
        StateFolder.Create(stateDirectory);
        AtomicFile.WriteAllText(PathIn(stateDirectory), JsonSerializer.Serialize(this, EngineJson.Default.ProjectState));
    }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ProjectState))]
internal sealed partial class EngineJson : JsonSerializerContext;

public static class AtomicFile
{
    public static void WriteAllText(string path, string text) => WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(text), secret: false);

    /// <summary>
    /// Atomic replace. A <paramref name="secret"/> file (a seed with a Windows password) is created
    /// owner-only on Unix before any byte is written; on Windows the .lab folder's ACL applies.
    /// </summary>
    public static void WriteAllBytes(string path, byte[] bytes, bool secret)
    {
        var directory = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (secret && !OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(temp, options))
        {
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }
}
