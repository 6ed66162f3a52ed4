using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using LabRunner.Boxes.Tests.Support;

namespace LabRunner.Boxes.Tests;

/// <summary>
/// Hostile Vagrant .box files (issue 13.5): entries named <c>../</c> or absolute, symbolic and hard links out of
/// the store, a size declared far beyond the archive, thousands of entries. Nothing is written outside the
/// store's staging folder, a failed add leaves nothing 'box list' shows and nothing in the temporary folder.
/// </summary>
public sealed class HostileArchiveTests : IDisposable
{
    private readonly string _sandbox = Directory.CreateTempSubdirectory("lr-hostile-").FullName;
    private readonly BoxService _service;
    private readonly BoxStore _store;

    public HostileArchiveTests()
    {
        // The store is three levels below the sandbox: '../../../x' from a staging folder lands in the sandbox.
        _store = BoxStore.ForHome(Path.Combine(_sandbox, "home"));
        _service = new BoxService(_store, new Downloader(TestStore.Http), new DiskTool(HostTools.Runner), TimeProvider.System) { Targets = BoxTarget.All };
        Directory.CreateDirectory(Path.Combine(_sandbox, "in"));
    }

    public void Dispose() => Directory.Delete(_sandbox, recursive: true);

    private static readonly byte[] Metadata = Encoding.UTF8.GetBytes(BoxFiles.Metadata("libvirt"));

    private static byte[] Disk => DiskImages.Qcow2();

    private sealed record Entry(string Name, TarEntryType Type, byte[]? Content = null, string? Link = null);

    private string Tar(string name, bool gzip, IEnumerable<Entry> entries)
    {
        var path = Path.Combine(_sandbox, "in", name);
        using var file = File.Create(path);
        using var compressed = gzip ? new GZipStream(file, CompressionLevel.Fastest) : null;
        using var tar = new TarWriter(compressed ?? (Stream)file, TarEntryFormat.Pax, leaveOpen: true);
        foreach (var e in entries)
        {
            var entry = new PaxTarEntry(e.Type, e.Name);
            if (e.Content is not null) entry.DataStream = new MemoryStream(e.Content);
            if (e.Link is not null) entry.LinkName = e.Link;
            tar.WriteEntry(entry);
        }
        return path;
    }

    private string Zip(string name, IEnumerable<(string Name, byte[] Content, int? UnixMode)> entries)
    {
        var path = Path.Combine(_sandbox, "in", name);
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (entryName, content, mode) in entries)
        {
            var entry = zip.CreateEntry(entryName);
            if (mode is { } m) entry.ExternalAttributes = m << 16;
            using var s = entry.Open();
            s.Write(content);
        }
        return path;
    }

    /// <summary>Every file under the sandbox outside the store, except the archives the test wrote.</summary>
    private List<string> WrittenOutsideTheStore() =>
        [.. Directory.EnumerateFileSystemEntries(_sandbox, "*", SearchOption.AllDirectories)
            .Where(p => !p.StartsWith(Path.Combine(_sandbox, "in"), StringComparison.Ordinal) && !p.StartsWith(_store.Root, StringComparison.Ordinal)
                && p != Path.Combine(_sandbox, "home"))];

    private List<string> TempLeftovers() => Directory.Exists(_store.TempFolder)
        ? [.. Directory.EnumerateFileSystemEntries(_store.TempFolder, "*", SearchOption.AllDirectories)]
        : [];

    private void AssertNothingEscapedOrLeft(bool installed)
    {
        Assert.Empty(WrittenOutsideTheStore());
        Assert.Empty(TempLeftovers());
        Assert.False(File.Exists(Path.Combine(Environment.CurrentDirectory, "escaped")));
        Assert.False(File.Exists("/tmp/labrunner-hostile-escaped"));
        if (!installed) Assert.Empty(_store.List());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Dot_dot_and_absolute_entries_are_never_written_where_they_point(bool gzip)
    {
        var archive = Tar("traversal.box", gzip,
        [
            new Entry("../../../escaped", TarEntryType.RegularFile, "owned"u8.ToArray()),
            new Entry("../../../../escaped", TarEntryType.RegularFile, "owned"u8.ToArray()),
            new Entry($"{_sandbox}/escaped", TarEntryType.RegularFile, "owned"u8.ToArray()),
            new Entry("/tmp/labrunner-hostile-escaped", TarEntryType.RegularFile, "owned"u8.ToArray()),
            new Entry("../Virtual Hard Disks/../../../escaped.vhdx", TarEntryType.RegularFile, "owned"u8.ToArray()),
            new Entry("./metadata.json", TarEntryType.RegularFile, Metadata),
            new Entry("./box.img", TarEntryType.RegularFile, Disk),
        ]);

        var result = await _service.AddAsync(new BoxAddRequest("t", archive) { Target = BoxTarget.Qemu }, NullBoxReporter.Instance, default);

        Assert.Equal(Disk, File.ReadAllBytes(result.Box.DiskPath));
        Assert.Equal(["box.json", "box.qcow2"], Directory.GetFiles(result.Box.Folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        AssertNothingEscapedOrLeft(installed: true);
    }

    [Theory]
    [InlineData(TarEntryType.SymbolicLink)]
    [InlineData(TarEntryType.HardLink)]
    public async Task A_disk_or_metadata_entry_that_is_a_link_out_of_the_store_is_not_followed(TarEntryType link)
    {
        var secret = Path.Combine(_sandbox, "secret.qcow2");
        await File.WriteAllBytesAsync(secret, Disk); // a plain disk: only following the link would make this a box
        var diskLink = Tar("disk-link.box", gzip: false,
        [
            new Entry("metadata.json", TarEntryType.RegularFile, Metadata),
            new Entry("box.img", link, Link: secret),
            new Entry("../../../link-escaped", link, Link: secret),
        ]);
        var metadataLink = Tar("metadata-link.box", gzip: true,
        [
            new Entry("metadata.json", link, Link: "/etc/passwd"),
            new Entry("box.img", TarEntryType.RegularFile, Disk),
        ]);

        var noDisk = await Assert.ThrowsAsync<BoxException>(() => _service.AddAsync(new BoxAddRequest("l", diskLink) { Target = BoxTarget.Qemu }, NullBoxReporter.Instance, default));
        var noMetadata = await Assert.ThrowsAsync<BoxException>(() => _service.AddAsync(new BoxAddRequest("l", metadataLink) { Target = BoxTarget.Qemu }, NullBoxReporter.Instance, default));

        Assert.Contains("without box.img", noDisk.Message, StringComparison.Ordinal);
        Assert.Contains("without metadata.json", noMetadata.Message, StringComparison.Ordinal);
        File.Delete(secret);
        AssertNothingEscapedOrLeft(installed: false);
    }

    [Fact]
    public async Task A_zip_entry_marked_as_a_symbolic_link_is_read_as_its_own_bytes_never_followed()
    {
        const int symlinkMode = 0xA1FF; // S_IFLNK | 0777
        var archive = Zip("zip-link.box",
        [
            ("metadata.json", Metadata, null),
            ("box.img", Encoding.UTF8.GetBytes("/etc/passwd"), symlinkMode),
            ("../../../escaped", "owned"u8.ToArray(), null),
        ]);

        var ex = await Assert.ThrowsAsync<BoxException>(() => _service.AddAsync(new BoxAddRequest("z", archive) { Target = BoxTarget.Qemu }, NullBoxReporter.Instance, default));

        Assert.Equal(BoxErrorKind.Source, ex.Kind);
        Assert.Contains("512-byte sectors", ex.Message, StringComparison.Ordinal); // the 11 bytes of the link's text, not /etc/passwd
        AssertNothingEscapedOrLeft(installed: false);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_size_declared_far_beyond_the_archive_fails_as_a_damaged_box_and_leaves_nothing(bool gzip)
    {
        var plain = Tar("plain.tar", gzip: false,
        [
            new Entry("metadata.json", TarEntryType.RegularFile, Metadata),
            new Entry("box.img", TarEntryType.RegularFile, Disk),
        ]);
        var bytes = await File.ReadAllBytesAsync(plain);
        DeclareSize(bytes, "box.img", 64L << 30); // 64 GiB declared; 1.5 KiB there
        var path = Path.Combine(_sandbox, "in", gzip ? "huge.box.gz" : "huge.box");
        await using (var file = File.Create(path))
        {
            await using var compressed = gzip ? new GZipStream(file, CompressionLevel.Fastest) : null;
            await (compressed ?? (Stream)file).WriteAsync(bytes);
        }

        var ex = await Assert.ThrowsAsync<BoxException>(() => _service.AddAsync(new BoxAddRequest("h", path) { Target = BoxTarget.Qemu }, NullBoxReporter.Instance, default));

        Assert.Equal(BoxErrorKind.Source, ex.Kind);
        Assert.Contains("an entry declaring more bytes than the archive holds", ex.Message, StringComparison.Ordinal);
        AssertNothingEscapedOrLeft(installed: false);
    }

    /// <summary>Rewrites the ustar size field (12 octal bytes at 124) of <paramref name="entry"/>'s header and its checksum (at 148).</summary>
    private static void DeclareSize(byte[] tar, string entry, long size)
    {
        for (var at = 0; at + 512 <= tar.Length; at += 512)
        {
            var name = Encoding.ASCII.GetString(tar, at, 100).TrimEnd('\0');
            if (name != entry || tar[at + 156] != (byte)'0') continue;
            Encoding.ASCII.GetBytes(Convert.ToString(size, 8).PadLeft(11, '0') + "\0").CopyTo(tar, at + 124);
            Array.Fill(tar, (byte)' ', at + 148, 8);
            var sum = 0;
            for (var i = 0; i < 512; i++) sum += tar[at + i];
            Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(tar, at + 148);
            return;
        }
        throw new InvalidOperationException($"no regular entry '{entry}' in the archive");
    }

    [Fact]
    public async Task Thousands_of_entries_extract_one_disk_and_write_nothing_else()
    {
        var entries = new List<Entry> { new("metadata.json", TarEntryType.RegularFile, Encoding.UTF8.GetBytes(BoxFiles.Metadata("hyperv"))) };
        var vhdx = DiskImages.Vhdx();
        entries.Add(new Entry("Virtual Hard Disks/first.vhdx", TarEntryType.RegularFile, vhdx));
        for (var i = 0; i < 3000; i++)
        {
            entries.Add(new Entry($"Virtual Hard Disks/more-{i}.vhdx", TarEntryType.RegularFile, "x"u8.ToArray()));
            entries.Add(new Entry($"junk/{i}/../../../../escaped-{i}", TarEntryType.RegularFile, "x"u8.ToArray()));
            entries.Add(new Entry($"dir-{i}", TarEntryType.Directory));
        }
        var archive = Tar("many.box", gzip: true, entries);

        var result = await _service.AddAsync(new BoxAddRequest("many", archive) { Target = BoxTarget.HyperV }, NullBoxReporter.Instance, default);

        Assert.Equal(vhdx, File.ReadAllBytes(result.Box.DiskPath));
        Assert.Equal(["box.json", "box.vhdx"], Directory.GetFiles(result.Box.Folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal([result.Box.Folder], Directory.EnumerateDirectories(_store.Root, "*", SearchOption.AllDirectories)
            .Where(d => !d.StartsWith(_store.TempFolder, StringComparison.Ordinal) && Directory.EnumerateFiles(d).Any()));
        AssertNothingEscapedOrLeft(installed: true);
    }
}
