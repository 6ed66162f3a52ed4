using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using LabRunner.Core.Boxes;
using LabRunner.Core.Diagnostics;
using LabRunner.Core.Hosting;
using LabRunner.Core.Providers;
using LabRunner.HostCommon.Files;

namespace LabRunner.Boxes;

/// <summary>
/// The user's box store: <c>LABRUNNER_HOME/boxes/NAME/VERSION/PROVIDER-FORMAT/</c>, each holding the
/// disk and its <c>box.json</c>. A box appears by one rename of a complete staging folder (made under
/// <c>.tmp/</c> in the store, so on the same file system), and disappears by one rename to the trash
/// before it is deleted: a reader never sees half a box. Writers take the store's lock file (an OS
/// lock, released if the process dies); readers need none.
/// </summary>
public sealed class BoxStore
{
    public const string HomeVariable = "LABRUNNER_HOME";
    private const string ManifestFile = "box.json";
    private const string UsesFile = "uses.json";

    public BoxStore(string root)
    {
        Root = Path.GetFullPath(root);
    }

    /// <summary>The store's folder: <c>LABRUNNER_HOME/boxes</c>.</summary>
    public string Root { get; }

    /// <summary>Where downloads and staging folders live until they are complete.</summary>
    public string TempFolder => Path.Combine(Root, ".tmp");

    /// <summary>
    /// <c>LABRUNNER_HOME</c>, else <c>%LOCALAPPDATA%\LabRunner</c> on Windows, else
    /// <c>$XDG_DATA_HOME/labrunner</c> or <c>~/.local/share/labrunner</c>.
    /// </summary>
    public static string DefaultHome(Func<string, string?> getVariable)
    {
        ArgumentNullException.ThrowIfNull(getVariable);
        if (getVariable(HomeVariable) is { Length: > 0 } home) return home;
        if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
            return Path.Combine(getVariable("LOCALAPPDATA") is { Length: > 0 } local ? local : Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "LabRunner");
        if (getVariable("XDG_DATA_HOME") is { Length: > 0 } xdg && Path.IsPathRooted(xdg)) return Path.Combine(xdg, "labrunner");
        var user = getVariable("HOME") is { Length: > 0 } h ? h : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(user, ".local", "share", "labrunner");
    }

    public static BoxStore ForHome(string home) => new(Path.Combine(home, "boxes"));

    public string FolderOf(string name, string version, BoxSupport target, string format) =>
        Path.Combine(Root, BoxNames.ToFolder(name), version, $"{target.StoreName}-{format}");

    /// <summary>Takes the store's write lock, waiting up to <paramref name="timeout"/>; <paramref name="onWaiting"/> is called once if it must wait.</summary>
    public async Task<IDisposable> LockAsync(TimeSpan timeout, Action? onWaiting, CancellationToken cancellationToken)
    {
        var path = Path.Combine(Root, ".lock");
        try
        {
            Directory.CreateDirectory(Root);
            return await FileLock.AcquireAsync(path, timeout, new LockWait { OnWaiting = onWaiting, OwnerOnly = false }, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            throw new BoxException(BoxErrorKind.Source, $"Another lab command has held the box store's lock '{path}' for more than {timeout.TotalMinutes:0} minutes; wait for it to finish, then try again.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BoxException(BoxErrorKind.Damaged, Directory.Exists(path)
                ? $"The box store's lock '{path}' is a folder; remove it (LabRunner creates the lock file itself)."
                : $"The box store's lock '{path}' cannot be opened: {FileFailure.Reason(e)}.", e);
        }
    }

    /// <summary>Every installed box, by name, then version (newest first), then provider.</summary>
    public IReadOnlyList<InstalledBox> List()
    {
        var boxes = new List<InstalledBox>();
        if (!Directory.Exists(Root)) return boxes;
        foreach (var nameDir in Directory.EnumerateDirectories(Root))
        {
            if (Path.GetFileName(nameDir).StartsWith('.')) continue;
            foreach (var versionDir in Directory.EnumerateDirectories(nameDir))
                foreach (var boxDir in Directory.EnumerateDirectories(versionDir))
                    if (Read(boxDir) is { } box) boxes.Add(box);
        }
        return [.. boxes.OrderBy(b => b.Name, StringComparer.Ordinal).ThenByDescending(b => b.Version).ThenBy(b => b.Folder, StringComparer.Ordinal)];
    }

    /// <summary>The versions of <paramref name="name"/> installed for <paramref name="target"/>, newest first.</summary>
    public IReadOnlyList<InstalledBox> Versions(string name, BoxSupport target) =>
        [.. List().Where(b => b.Name == name && b.Provider == target.StoreName)];

    /// <summary>The newest installed version of <paramref name="name"/> for <paramref name="target"/> that satisfies <paramref name="constraint"/>.</summary>
    public InstalledBox? Find(string name, VersionConstraint constraint, BoxSupport target) =>
        Versions(name, target).FirstOrDefault(b => constraint.Admits(b.Version));

    private static InstalledBox? Read(string folder)
    {
        var path = Path.Combine(folder, ManifestFile);
        if (!File.Exists(path)) return null;
        try
        {
            var manifest = JsonSerializer.Deserialize(File.ReadAllBytes(path), BoxJsonContext.Default.BoxManifest);
            return manifest is not null && BoxVersion.TryParse(manifest.Version, out var version) ? new InstalledBox(manifest, folder, version) : null;
        }
        catch (JsonException)
        {
            return null; // not a box folder LabRunner wrote; listed by nothing, removed by nothing
        }
    }

    /// <summary>A new, empty staging folder under <see cref="TempFolder"/>.</summary>
    public string NewStagingFolder()
    {
        var folder = Path.Combine(TempFolder, "stage-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return folder;
    }

    /// <summary>
    /// Writes <paramref name="manifest"/> into <paramref name="staging"/> and renames the folder into
    /// place (replacing an existing box of the same name, version and provider). Call under the lock.
    /// </summary>
    public InstalledBox Commit(string staging, BoxManifest manifest, BoxSupport target)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        AtomicFile.WriteAllBytes(Path.Combine(staging, ManifestFile),
            JsonSerializer.SerializeToUtf8Bytes(manifest, BoxJsonContext.Default.BoxManifest), ownerOnly: false);
        var final = FolderOf(manifest.Name, manifest.Version, target, manifest.Format);
        // Another format of the same box for the same provider (re-added from another source) is replaced too.
        foreach (var old in Versions(manifest.Name, target).Where(b => b.Manifest.Version == manifest.Version))
            Discard(old.Folder);
        if (Directory.Exists(final)) Discard(final);
        Directory.CreateDirectory(Path.GetDirectoryName(final)!);
        Directory.Move(staging, final);
        return new InstalledBox(manifest, final, BoxVersion.Parse(manifest.Version));
    }

    /// <summary>Removes one box folder: renamed away first (atomic for readers), then deleted. Call under the lock.</summary>
    public void Remove(InstalledBox box)
    {
        ArgumentNullException.ThrowIfNull(box);
        Discard(box.Folder);
        // Drop the version and name folders once empty.
        var versionDir = Path.GetDirectoryName(box.Folder)!;
        foreach (var dir in new[] { versionDir, Path.GetDirectoryName(versionDir)! })
        {
            try
            {
                if (Directory.Exists(dir) && !Directory.EnumerateFileSystemEntries(dir).Any()) Directory.Delete(dir);
            }
            catch (IOException) { }
        }
    }

    private void Discard(string folder)
    {
        Directory.CreateDirectory(TempFolder);
        var trash = Path.Combine(TempFolder, "trash-" + Guid.NewGuid().ToString("N"));
        Directory.Move(folder, trash);
        DeleteQuietly(trash);
    }

    /// <summary>Deletes what an interrupted command left in <see cref="TempFolder"/> (staging folders, trash); partial downloads stay for a resume. Call under the lock.</summary>
    public void CleanTemp()
    {
        if (!Directory.Exists(TempFolder)) return;
        foreach (var dir in Directory.EnumerateDirectories(TempFolder))
            DeleteQuietly(dir);
    }

    /// <summary>
    /// What interrupted commands left in <see cref="TempFolder"/>: partial downloads (<c>download-*.part</c> and
    /// their validators), old catalog downloads, staging folders and trash. A download in progress holds the
    /// store's lock, so under the lock every entry is a leftover.
    /// </summary>
    public IReadOnlyList<string> Leftovers() => Directory.Exists(TempFolder)
        ? [.. Directory.EnumerateFileSystemEntries(TempFolder).Order(StringComparer.Ordinal)]
        : [];

    /// <summary>Deletes <see cref="Leftovers"/>. Call under the lock.</summary>
    public void DeleteLeftovers()
    {
        CleanTemp();
        if (!Directory.Exists(TempFolder)) return;
        foreach (var file in Directory.EnumerateFiles(TempFolder))
        {
            try { File.Delete(file); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    internal static void DeleteQuietly(string folder)
    {
        try { Directory.Delete(folder, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    // ---- Which labs use which boxes ----

    /// <summary>
    /// The labs that use <paramref name="box"/>. A lab whose project folder no longer has its <c>.lab</c>
    /// state (deleted, or brought down) no longer counts.
    /// </summary>
    public IReadOnlyList<BoxUser> UsersOf(InstalledBox box)
    {
        ArgumentNullException.ThrowIfNull(box);
        return [.. ReadUses().Labs
            .Where(l => Directory.Exists(Path.Combine(l.Project, ".lab")))
            .Where(l => l.Boxes.Any(u => u.Name == box.Name && u.Provider == box.Provider && u.Version == box.Version))
            .Select(l => new BoxUser(l.Lab, l.Project))];
    }

    /// <summary>Records that the lab in <paramref name="project"/> uses exactly <paramref name="uses"/> (none: forgets it). Takes the lock.</summary>
    public async Task RecordUsesAsync(string project, string lab, IReadOnlyCollection<BoxUse> uses, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(uses);
        using var _ = await LockAsync(TimeSpan.FromMinutes(2), null, cancellationToken).ConfigureAwait(false);
        var file = ReadUses();
        var full = Path.GetFullPath(project);
        file.Labs.RemoveAll(l => string.Equals(l.Project, full, StringComparison.Ordinal));
        if (uses.Count > 0)
            file.Labs.Add(new LabBoxUses { Project = full, Lab = lab, Boxes = [.. uses.Distinct()] });
        WriteUses(file);
    }

    /// <summary>
    /// Reads <c>uses.json</c>. A damaged one (not JSON, or not the shape LabRunner writes, a version that is not one) is never read as
    /// "no lab uses anything": it is moved aside to <c>uses.json.damaged-TIMESTAMP</c> and the command is refused.
    /// </summary>
    private BoxUsesFile ReadUses()
    {
        var path = Path.Combine(Root, UsesFile);
        if (Directory.Exists(path))
            throw new BoxException(BoxErrorKind.Damaged,
                $"The box store's record of which labs use which boxes, {path}, is a folder, not a file, so nothing was changed. Move it away; then run 'lab up' in each lab that uses store boxes to record them again.");
        if (!File.Exists(path)) return new BoxUsesFile();
        string why;
        try
        {
            var file = JsonSerializer.Deserialize(ReadUsesBytes(path), BoxJsonContext.Default.BoxUsesFile);
            if (file is { Labs: not null } && file.Labs.All(l => l is { Project: not null, Lab: not null, Boxes: not null }
                && l.Boxes.All(b => b is { Name: not null, Version: not null, Provider: not null })))
                return file;
            why = "it is not the list of labs LabRunner writes";
        }
        catch (JsonException e)
        {
            why = "it is not valid JSON: " + e.Message;
        }
        var stamp = DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var aside = $"{path}.damaged-{stamp}";
        for (var n = 2; File.Exists(aside) || Directory.Exists(aside); n++)
            aside = string.Create(CultureInfo.InvariantCulture, $"{path}.damaged-{stamp}-{n}");
        File.Move(path, aside);
        throw new BoxException(BoxErrorKind.Damaged,
            $"The box store's record of which labs use which boxes, {path}, is damaged ({OutsideText.Escape(why)}), so nothing was changed; it was moved to {aside}. " +
            DamagedAdvice(aside));
    }

    private static byte[] ReadUsesBytes(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BoxException(BoxErrorKind.Source, $"Could not read the box store's record of which labs use which boxes, {path}: {e.Message} Nothing was changed.", e);
        }
    }

    private static string DamagedAdvice(string aside) =>
        $"Run 'lab up' in each lab that uses store boxes to record them again, then delete {aside}; until then 'lab box remove' and 'lab box prune' refuse (remove --force still removes).";

    /// <summary>Damaged records moved aside by <see cref="ReadUses"/> that the user has not deleted yet: which boxes are used is not known for sure.</summary>
    public IReadOnlyList<string> DamagedUses() => Directory.Exists(Root)
        ? [.. Directory.EnumerateFiles(Root, UsesFile + ".damaged-*").Order(StringComparer.Ordinal)]
        : [];

    /// <summary>Refuses while a damaged record of uses lies aside (see <see cref="DamagedUses"/>), and reads the current one (which may itself be damaged).</summary>
    internal void RequireKnownUses()
    {
        ReadUses();
        if (DamagedUses() is [var first, ..])
            throw new BoxException(BoxErrorKind.Damaged,
                $"Which labs use which boxes is not known for sure: the box store's record was damaged and lies at {first}. " + DamagedAdvice(first));
    }

    private void WriteUses(BoxUsesFile file)
    {
        AtomicFile.WriteAllBytes(Path.Combine(Root, UsesFile),
            JsonSerializer.SerializeToUtf8Bytes(file, BoxJsonContext.Default.BoxUsesFile), ownerOnly: false);
    }
}
