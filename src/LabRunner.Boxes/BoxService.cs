using System.Security.Cryptography;
using System.Text;
using LabRunner.Core.Boxes;
using LabRunner.Core.Diagnostics;
using LabRunner.Core.Providers;
using LabRunner.HostCommon.Disks;

namespace LabRunner.Boxes;

/// <summary>What to add: a name and a source (a local path or an http(s) URL of a catalog, a .box or a bare disk).</summary>
public sealed record BoxAddRequest(string Name, string Source)
{
    /// <summary>For a catalog: the versions that may be chosen (the newest that fits is). For a .box or disk: the exact version to record [0].</summary>
    public VersionConstraint Version { get; init; } = VersionConstraint.Any;

    /// <summary>The expected digest of the file (a catalog gives its own for each file).</summary>
    public Checksum? Checksum { get; init; }

    /// <summary>Treat <see cref="Source"/> as a catalog even before it is read.</summary>
    public bool IsCatalog { get; init; }

    /// <summary>Add again even when this version is installed.</summary>
    public bool Force { get; init; }

    /// <summary>
    /// Install for this provider, converting the disk when the provider cannot boot it (<c>box add --provider</c>,
    /// a lab's 'url' box at <c>lab up</c>, <c>box update</c>). Null: a Vagrant .box is installed for the provider
    /// its metadata.json names, and a bare disk, which names none, for <see cref="HostTarget"/>.
    /// </summary>
    public BoxSupport? Target { get; init; }

    /// <summary>
    /// The provider of this command line: a bare disk's when no <see cref="Target"/> is given, and whose boxes a catalog
    /// is asked for first. Null: the service's first target.
    /// </summary>
    public BoxSupport? HostTarget { get; init; }
}

/// <summary>The box added (or already there), and how many bytes this run fetched.</summary>
public sealed record BoxAddResult(InstalledBox Box, bool AlreadyInstalled, long Fetched, long Resumed);

/// <summary>A box whose catalog has a newer version than the newest installed.</summary>
public sealed record OutdatedBox(string Name, string Provider, BoxVersion Installed, BoxVersion? Latest, string Catalog, string? Error)
{
    /// <summary>The provider the box is installed for, as the store knows it; null when <see cref="Provider"/> names none it knows (then <see cref="Error"/> says so).</summary>
    public BoxSupport? Target { get; init; }
}

/// <summary>
/// The box commands: add, remove, outdated, update, prune. Every change happens under the store's lock,
/// so two <c>lab</c> processes adding the same box end with one box (the second finds it installed).
/// </summary>
public sealed class BoxService(BoxStore store, Downloader downloader, DiskTool disks, TimeProvider clock)
{
    public BoxStore Store => store;

    /// <summary>What boxes can be installed for: each provider's box support in the catalog (the first is the fallback for an unknown one).</summary>
    public required IReadOnlyList<BoxSupport> Targets { get; init; }

    /// <summary>The provider whose boxes a catalog is asked for first, and a bare disk's.</summary>
    private BoxSupport CatalogTarget(BoxAddRequest request) => request.Target ?? request.HostTarget ?? Targets[0];

    /// <summary>How long a command waits for another to release the store's lock.</summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromMinutes(30);

    public async Task<BoxAddResult> AddAsync(BoxAddRequest request, IBoxReporter reporter, CancellationToken cancellationToken)
    {
        try
        {
            return await AddOnceAsync(request, reporter, cancellationToken).ConfigureAwait(false);
        }
        catch (CatalogFoundException) when (!request.IsCatalog)
        {
            // The URL named no .json but served a catalog: read it as one (the store's lock is released by now).
            return await AddOnceAsync(request with { IsCatalog = true }, reporter, cancellationToken).ConfigureAwait(false);
        }
    }

    private sealed class CatalogFoundException : Exception;

    private async Task<BoxAddResult> AddOnceAsync(BoxAddRequest request, IBoxReporter reporter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(reporter);
        if (!BoxNames.IsValid(request.Name))
            throw new BoxException(BoxErrorKind.Usage, $"box name '{OutsideText.Escape(request.Name)}' is not allowed: {BoxNames.Rule}");

        // A file: URL is the local path it names, as Vagrant reads it.
        var source = BoxSource.FileUrlPath(request.Source) ?? request.Source;
        var checksum = request.Checksum;
        string? catalogUrl = null;
        string? catalogArchitecture = null;
        BoxVersion version;
        var constraintOnly = false;
        var isUrl = BoxSource.IsUrl(source, out var url);
        if (!isUrl && BoxSource.HasOtherScheme(source))
            throw new BoxException(BoxErrorKind.Usage, $"'{BoxSource.Display(source)}' is a URL LabRunner cannot read; give an http(s) or file:// URL, or a path.");
        if (!isUrl) BoxSource.RequireLocalFile(source);
        // The provider the box will be installed for, when known before the file is read (asked for, or a catalog's entry).
        var expected = request.Target;

        // A catalog is read first: it decides the version, the file and its checksum.
        var catalog = request.IsCatalog || LooksLikeCatalog(source)
            ? await ReadCatalogAsync(source, reporter, cancellationToken).ConfigureAwait(false)
            : null;
        if (catalog is not null)
        {
            var pick = catalog.Pick(request.Version, CatalogTarget(request).VagrantProviders, BoxCatalog.HostArchitecture)
                ?? throw new BoxException(BoxErrorKind.NotFound, NoFit(catalog, request, source));
            // What box.json keeps: a URL without its user:password (never stored), or the catalog file's full path.
            catalogUrl = isUrl ? Downloader.Redact(url!) : Path.GetFullPath(source);
            var named = pick.Provider.Url;
            if (named.Scheme == Uri.UriSchemeHttp || named.Scheme == Uri.UriSchemeHttps)
            {
                source = named.ToString();
            }
            else if (named.IsFile && !isUrl)
            {
                // A local catalog may name local files (relative ones are relative to the catalog's folder).
                source = named.LocalPath;
                if (!File.Exists(source))
                    throw new BoxException(BoxErrorKind.Source, $"The catalog {BoxSource.Display(catalogUrl)} names {OutsideText.Escape(source)} for {pick.Version.Version}, which does not exist.");
            }
            else
            {
                // A document from the network must never make LabRunner read this machine's files.
                throw new BoxException(BoxErrorKind.Source, named.IsFile && isUrl
                    ? $"The catalog {BoxSource.Display(catalogUrl)} is served over {url!.Scheme} but names a file on this machine for {pick.Version.Version} ({Downloader.Display(named)}); a remote catalog may only name http(s) URLs."
                    : $"The catalog's file for {pick.Version.Version} is neither an http(s) URL nor a file: {Downloader.Display(named)}");
            }
            isUrl = BoxSource.IsUrl(source, out url);
            checksum = pick.Provider.Checksum ?? checksum;
            version = pick.Version.Version;
            catalogArchitecture = pick.Provider.Architecture;
            expected ??= Targets.OwnerOf(pick.Provider.Name);
        }
        else
        {
            // A constraint only makes sense for a catalog; whether the source is one is known once it is read.
            constraintOnly = request.Version.Text.Length > 0 && request.Version.Exact is null;
            version = request.Version.Text.Length == 0 ? BoxVersion.Unversioned : request.Version.Exact ?? BoxVersion.Unversioned;
        }

        if (!request.Force && !constraintOnly && expected is { } early && Installed(request.Name, version, early) is { } existing)
            return new BoxAddResult(existing, true, 0, 0);

        using var _ = await store.LockAsync(LockTimeout, () => reporter.Note("Waiting for another lab command to finish with the box store..."), cancellationToken).ConfigureAwait(false);
        // Another process may have added it while this one waited.
        if (!request.Force && !constraintOnly && expected is { } known && Installed(request.Name, version, known) is { } added)
            return new BoxAddResult(added, true, 0, 0);
        store.CleanTemp();

        long fetched = 0, resumed = 0;
        string file;
        var downloaded = false;
        if (isUrl)
        {
            file = PartPath(source);
            var result = await downloader.DownloadAsync(url!, file, checksum, request.Name, reporter, cancellationToken).ConfigureAwait(false);
            (fetched, resumed, downloaded) = (result.Fetched, result.Resumed, true);
        }
        else
        {
            file = Path.GetFullPath(source);
            if (checksum is not null) await Downloader.VerifyAsync(file, checksum, OutsideText.Escape(source), cancellationToken).ConfigureAwait(false);
        }

        var staging = store.NewStagingFolder();
        try
        {
            var kind = BoxSource.Sniff(file, source);
            if (kind == SourceKind.Catalog)
            {
                if (catalogUrl is not null)
                    throw new BoxException(BoxErrorKind.Source, $"{BoxSource.Display(source)} is a box catalog, but a catalog may not point to another catalog.");
                if (downloaded) Downloader.TryDelete(file);
                throw new CatalogFoundException();
            }
            if (constraintOnly)
                throw new BoxException(BoxErrorKind.Usage,
                    $"version '{request.Version.Text}' is a constraint, but {BoxSource.Display(source)} is a single box, not a catalog; give it one exact version (such as 1.2.3), or none.");
            string disk;
            ExtractedBox? extracted = null;
            BoxSupport target;
            if (kind == SourceKind.Disk)
            {
                target = CatalogTarget(request);
                if (Unchanged(request, version, target, downloaded ? file : null) is { } installed) return installed;
                disk = Path.Combine(staging, "disk");
                if (downloaded)
                {
                    File.Move(file, disk); // same file system: the download becomes the box, 0 bytes copied
                    Downloader.TryDelete(file + ".validator");
                }
                else
                {
                    await CopyAsync(file, disk, request.Name, reporter, cancellationToken).ConfigureAwait(false);
                }
            }
            else
            {
                extracted = await ExtractAsync(file, kind, staging, source, request.Name, reporter, cancellationToken).ConfigureAwait(false);
                disk = extracted.DiskPath;
                // A .box is installed for the provider it was made for, unless another was asked for.
                target = request.Target ?? Targets.OwnerOf(extracted.VagrantProvider);
                if (Unchanged(request, version, target, downloaded ? file : null) is { } installed) return installed;
            }

            // Before anything reads the disk as an image (qemu-img, QEMU, Hyper-V): it must be one plain image.
            var format = BoxSource.RequirePlainDisk(disk, source);
            DiskFormat? convertedFrom = null;
            if (!target.Accepts(format))
            {
                // qemu-img makes VHDX, the one conversion the store knows (for Hyper-V's boxes).
                if (!target.Boots(DiskFormat.Vhdx.FormatName()))
                    throw new BoxException(BoxErrorKind.Source, $"{BoxSource.Display(source)} is a {format.FormatName()} disk, which boxes for {target.StoreName} cannot be, and LabRunner converts disks only to VHDX.");
                reporter.Progress(new TransferProgress(request.Name, TransferStage.Converting, 0, null));
                var vhdx = Path.Combine(staging, "converted.vhdx");
                await disks.ConvertToVhdxAsync(disk, format, vhdx, cancellationToken).ConfigureAwait(false);
                File.Delete(disk);
                (disk, convertedFrom, format) = (vhdx, format, DiskFormat.Vhdx);
            }
            var diskName = "box." + format.Extension();
            File.Move(disk, Path.Combine(staging, diskName));
            disk = Path.Combine(staging, diskName);
            reporter.Progress(new TransferProgress(request.Name, TransferStage.Installing, 0, null));

            var manifest = new BoxManifest
            {
                Name = request.Name,
                Version = version.Text,
                Provider = target.StoreName,
                Format = format.FormatName(),
                Disk = diskName,
                Size = new FileInfo(disk).Length,
                VirtualSize = await disks.VirtualSizeAsync(disk, format, cancellationToken).ConfigureAwait(false),
                Architecture = extracted?.Architecture ?? catalogArchitecture,
                Firmware = extracted?.Firmware,
                SecureBoot = extracted?.SecureBoot,
                VagrantProvider = extracted?.VagrantProvider,
                Source = url is null ? Path.GetFullPath(source) : Downloader.Redact(url),
                Checksum = checksum?.ToString(),
                Catalog = catalogUrl,
                ConvertedFrom = convertedFrom?.FormatName(),
                Added = clock.GetUtcNow(),
            };
            var box = store.Commit(staging, manifest, target);
            if (downloaded) Downloader.TryDelete(file);
            return new BoxAddResult(box, false, fetched, resumed);
        }
        catch (BoxException e) when (downloaded && e.Kind == BoxErrorKind.Source)
        {
            // Not a usable box: fetching it again will not help.
            Downloader.TryDelete(file);
            Downloader.TryDelete(file + ".validator");
            throw;
        }
        finally
        {
            BoxStore.DeleteQuietly(staging);
        }
    }

    /// <summary>The installed box when this version is already there for <paramref name="target"/> (and not forced); the download, if any, is dropped.</summary>
    private BoxAddResult? Unchanged(BoxAddRequest request, BoxVersion version, BoxSupport target, string? download)
    {
        if (request.Force || Installed(request.Name, version, target) is not { } installed) return null;
        if (download is not null)
        {
            Downloader.TryDelete(download);
            Downloader.TryDelete(download + ".validator");
        }
        return new BoxAddResult(installed, true, 0, 0);
    }

    /// <summary>
    /// Extracts a <c>.box</c> (the reader refuses a damaged archive with why); the source is named as messages may
    /// show it (no password, no control character), and a failure to write the staging folder is a source that failed.
    /// </summary>
    private static async Task<ExtractedBox> ExtractAsync(string file, SourceKind kind, string staging, string source, string box, IBoxReporter reporter, CancellationToken cancellationToken)
    {
        try
        {
            return await VagrantBoxReader.ExtractAsync(file, kind, staging, BoxSource.Display(source), box, reporter, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw new BoxException(BoxErrorKind.Source, $"Could not extract {BoxSource.Display(source)}: {OutsideText.Escape(e.Message)}", e);
        }
    }

    private InstalledBox? Installed(string name, BoxVersion version, BoxSupport target) =>
        store.Versions(name, target).FirstOrDefault(b => b.Version == version);

    private static bool LooksLikeCatalog(string source)
    {
        var path = BoxSource.IsUrl(source, out var u) ? u!.AbsolutePath : source;
        return path.EndsWith(".json", StringComparison.OrdinalIgnoreCase);
    }

    private string NoFit(BoxCatalog catalog, BoxAddRequest request, string source)
    {
        var providers = string.Join(", ", CatalogTarget(request).VagrantProviders);
        var available = catalog.Versions.OrderByDescending(v => v.Version).Take(10)
            .Select(v => $"{v.Version} ({string.Join(", ", v.Providers.Select(p => OutsideText.Escape(p.Architecture is null ? p.Name : $"{p.Name}/{p.Architecture}")))})");
        return $"The catalog {BoxSource.Display(source)} has no version matching '{request.Version}' for {providers} on {BoxCatalog.HostArchitecture}. " +
            (catalog.Versions.IsEmpty ? "It lists no versions." : $"It has: {string.Join("; ", available)}.");
    }

    /// <summary>Reads a catalog from an http(s) URL, a file: URL or a path; at most <see cref="BoxCatalog.MaxLength"/> bytes are read.</summary>
    public async Task<BoxCatalog> ReadCatalogAsync(string source, IBoxReporter reporter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(reporter);
        byte[] bytes;
        Uri? baseUri;
        if (BoxSource.IsUrl(source, out var url))
        {
            baseUri = url;
            bytes = await downloader.ReadSmallAsync(url!, BoxCatalog.MaxLength, "a box catalog", cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var path = BoxSource.FileUrlPath(source) ?? source;
            if (!File.Exists(path)) throw new BoxException(BoxErrorKind.Usage, $"The catalog '{OutsideText.Escape(path)}' does not exist.");
            path = Path.GetFullPath(path);
            try
            {
                await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
                var buffer = new byte[BoxCatalog.MaxLength + 1];
                var length = 0;
                int n;
                while (length < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false)) > 0)
                    length += n;
                if (length > BoxCatalog.MaxLength)
                    throw new BoxException(BoxErrorKind.Source, $"{OutsideText.Escape(path)} is larger than a box catalog can be (16 MiB).");
                bytes = buffer[..length];
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new BoxException(BoxErrorKind.Source, $"Could not read the catalog {OutsideText.Escape(path)}: {e.Message}", e);
            }
            baseUri = new Uri(path);
        }
        return BoxCatalog.Parse(bytes, baseUri, BoxSource.Display(source));
    }

    /// <summary>The partial file of a URL's download: the same URL resumes the same file.</summary>
    private string PartPath(string url)
    {
        Directory.CreateDirectory(store.TempFolder);
        var id = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(url)))[..24];
        return Path.Combine(store.TempFolder, $"download-{id}.part");
    }

    private static async Task CopyAsync(string from, string to, string box, IBoxReporter reporter, CancellationToken cancellationToken)
    {
        await using var source = new FileStream(from, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
        await using var target = new FileStream(to, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
        var total = source.Length;
        var buffer = new byte[1 << 20];
        long done = 0;
        int n;
        while ((n = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            await target.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
            done += n;
            if (done % (64 << 20) < n) reporter.Progress(new TransferProgress(box, TransferStage.Copying, done, total));
        }
        reporter.Progress(new TransferProgress(box, TransferStage.Copying, done, total));
    }

    /// <summary>
    /// Removes <paramref name="name"/>: one <paramref name="version"/>, or every version with <paramref name="all"/>
    /// (without either, the only version there is). Refused while a lab uses one, unless <paramref name="force"/>.
    /// </summary>
    public async Task<IReadOnlyList<InstalledBox>> RemoveAsync(string name, BoxVersion? version, bool all, bool force, BoxSupport? target, CancellationToken cancellationToken)
    {
        using var _ = await store.LockAsync(LockTimeout, null, cancellationToken).ConfigureAwait(false);
        var matches = store.List().Where(b => b.Name == name && (target is null || b.Provider == target.StoreName)).ToList();
        if (matches.Count == 0)
            throw new BoxException(BoxErrorKind.NotFound, $"No box named '{name}' is installed; 'lab box list' shows those that are.");
        if (version is not null)
        {
            matches = [.. matches.Where(b => b.Version == version)];
            if (matches.Count == 0)
                throw new BoxException(BoxErrorKind.NotFound, $"Box '{name}' has no version {version} installed; it has {string.Join(", ", store.List().Where(b => b.Name == name).Select(b => b.Manifest.Version).Distinct())}.");
        }
        else if (!all && matches.Select(b => b.Manifest.Version).Distinct().Count() > 1)
        {
            throw new BoxException(BoxErrorKind.Usage,
                $"Box '{name}' has several versions ({string.Join(", ", matches.Select(b => b.Manifest.Version).Distinct())}); say which with --version V, or --all.");
        }
        if (!force)
        {
            store.RequireKnownUses();
            var inUse = matches.Select(b => (Box: b, Users: store.UsersOf(b))).Where(x => x.Users.Count > 0).ToList();
            if (inUse.Count > 0)
                throw new BoxException(BoxErrorKind.InUse, string.Join(" ", inUse.Select(x =>
                    $"Box '{name}' {x.Box.Manifest.Version} ({x.Box.Provider}) is used by {string.Join(", ", x.Users.Select(u => $"lab '{u.Lab}' in {u.Project}"))}.")) +
                    " Bring those labs down first ('lab down'), or remove it anyway with --force (their VMs' disks would lose their base).");
        }
        foreach (var box in matches) store.Remove(box);
        return matches;
    }

    /// <summary>For each box (name and provider) added from a catalog: its newest installed version and the catalog's newest.</summary>
    public async Task<IReadOnlyList<OutdatedBox>> OutdatedAsync(string? name, CancellationToken cancellationToken)
    {
        var result = new List<OutdatedBox>();
        foreach (var group in store.List().Where(b => name is null || b.Name == name).GroupBy(b => (b.Name, b.Provider)))
        {
            var newest = group.OrderByDescending(b => b.Version).First();
            var catalogUrl = group.Select(b => b.Manifest.Catalog).FirstOrDefault(c => c is not null);
            if (catalogUrl is null) continue;
            // A box.json naming a provider this LabRunner does not know is compared with nothing (never as a Hyper-V box).
            if (Targets.Named(group.Key.Provider) is not { } target)
            {
                result.Add(new OutdatedBox(group.Key.Name, group.Key.Provider, newest.Version, null, catalogUrl,
                    $"it is installed for provider '{OutsideText.Escape(group.Key.Provider)}', which this LabRunner does not know"));
                continue;
            }
            try
            {
                var catalog = await ReadCatalogAsync(catalogUrl, NullBoxReporter.Instance, cancellationToken).ConfigureAwait(false);
                var latest = catalog.Pick(VersionConstraint.Any, target.VagrantProviders, BoxCatalog.HostArchitecture)?.Version.Version;
                result.Add(new OutdatedBox(group.Key.Name, group.Key.Provider, newest.Version, latest, catalogUrl, null) { Target = target });
            }
            catch (BoxException e)
            {
                result.Add(new OutdatedBox(group.Key.Name, group.Key.Provider, newest.Version, null, catalogUrl, e.Message));
            }
        }
        return result;
    }

    /// <summary>Adds the catalog's newest version of each outdated box (or of <paramref name="name"/>); older versions stay for the labs pinned to them.</summary>
    public async Task<IReadOnlyList<BoxAddResult>> UpdateAsync(string? name, IBoxReporter reporter, CancellationToken cancellationToken)
    {
        var outdated = await OutdatedAsync(name, cancellationToken).ConfigureAwait(false);
        if (name is not null && outdated.Count == 0)
            throw new BoxException(BoxErrorKind.NotFound, store.List().Any(b => b.Name == name)
                ? $"Box '{name}' was not added from a catalog, so there is nothing to update it from."
                : $"No box named '{name}' is installed.");
        var added = new List<BoxAddResult>();
        foreach (var box in outdated.Where(o => o.Latest is not null && o.Latest > o.Installed))
        {
            var target = box.Target ?? throw new InvalidOperationException($"box '{box.Name}' has a newer version but no provider");
            added.Add(await AddAsync(new BoxAddRequest(box.Name, box.Catalog)
            {
                IsCatalog = true,
                Version = VersionConstraint.Parse("= " + box.Latest!.Text),
                Target = target,
            }, reporter, cancellationToken).ConfigureAwait(false));
        }
        return added;
    }

    /// <summary>
    /// Removes every version no lab uses that is not the newest of its box and provider, and what interrupted
    /// downloads and adds left in the store's temporary folder (never a download in progress: that one holds the lock).
    /// </summary>
    public async Task<PruneResult> PruneAsync(bool dryRun, CancellationToken cancellationToken)
    {
        using var _ = await store.LockAsync(LockTimeout, null, cancellationToken).ConfigureAwait(false);
        store.RequireKnownUses();
        var removed = new List<InstalledBox>();
        foreach (var group in store.List().GroupBy(b => (b.Name, b.Provider)))
        {
            foreach (var box in group.OrderByDescending(b => b.Version).Skip(1))
            {
                if (store.UsersOf(box).Count > 0) continue;
                if (!dryRun) store.Remove(box);
                removed.Add(box);
            }
        }
        var leftovers = store.Leftovers();
        var bytes = leftovers.Sum(SizeOf);
        if (!dryRun) store.DeleteLeftovers();
        return new PruneResult(removed, leftovers, bytes);
    }

    private static long SizeOf(string path)
    {
        try
        {
            return Directory.Exists(path)
                ? new DirectoryInfo(path).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length)
                : new FileInfo(path).Length;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }
}

/// <summary>What <c>box prune</c> removed (or would): box versions, and leftovers of interrupted downloads and adds with their size.</summary>
public sealed record PruneResult(IReadOnlyList<InstalledBox> Boxes, IReadOnlyList<string> Leftovers, long LeftoverBytes);
