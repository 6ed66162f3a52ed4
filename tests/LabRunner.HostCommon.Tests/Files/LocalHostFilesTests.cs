using LabRunner.Core.Hosting;
using LabRunner.HostCommon.Files;

namespace LabRunner.HostCommon.Tests.Files;

/// <summary>A local host's files are this machine's, at their own paths; a failure is the host's, naming the path and why.</summary>
public sealed class LocalHostFilesTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("labrunner-hostfiles-").FullName;
    private readonly IHostFiles _files = LocalHostFiles.Instance;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task A_seed_is_written_whole_at_its_path_making_its_folder_and_a_secret_one_is_owner_only()
    {
        var seed = Path.Combine(_folder, "vms", "web", "seed-1.iso");

        await _files.WriteAsync(seed, "cidata"u8.ToArray(), secret: true, CancellationToken.None);

        Assert.Equal("cidata", File.ReadAllText(seed));
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(seed));
        Assert.Equal<string>([seed], await _files.ExistingAsync([seed, Path.Combine(_folder, "missing.iso")], CancellationToken.None));
    }

    [Fact]
    public async Task Listing_a_folder_that_is_not_there_is_empty_and_removing_what_is_gone_is_fine()
    {
        var gone = Path.Combine(_folder, "vms", "gone");

        Assert.Empty(await _files.FilesAsync(gone, "seed-*.iso", CancellationToken.None));
        Assert.Empty(await _files.FoldersAsync(gone, CancellationToken.None));
        await _files.DeleteAsync(Path.Combine(gone, "seed-1.iso"), CancellationToken.None);
        await _files.DeleteFolderAsync(gone, CancellationToken.None);
        Assert.False(Directory.Exists(gone));
    }

    [Fact]
    public async Task Seeds_are_listed_by_pattern_and_a_vm_folder_goes_with_everything_in_it()
    {
        var web = Path.Combine(_folder, "vms", "web");
        Directory.CreateDirectory(web);
        foreach (var name in new[] { "seed-2.iso", "seed-1.iso", "disk.vhdx" }) File.WriteAllText(Path.Combine(web, name), name);
        Directory.CreateDirectory(Path.Combine(_folder, "vms", "db"));

        var seeds = await _files.FilesAsync(web, "seed-*.iso", CancellationToken.None);
        var folders = await _files.FoldersAsync(Path.Combine(_folder, "vms"), CancellationToken.None);
        await _files.DeleteFolderAsync(web, CancellationToken.None);

        Assert.Equal<string>([Path.Combine(web, "seed-1.iso"), Path.Combine(web, "seed-2.iso")], seeds);
        Assert.Equal<string>([Path.Combine(_folder, "vms", "db"), web], folders);
        Assert.False(Directory.Exists(web));
    }

    [Fact]
    public async Task A_file_in_the_way_of_a_seeds_folder_is_a_host_error_that_names_it()
    {
        var vms = Path.Combine(_folder, "vms");
        File.WriteAllText(vms, "not a folder");
        var seed = Path.Combine(vms, "web", "seed-1.iso");

        var e = await Assert.ThrowsAsync<HostUnavailableException>(() => _files.WriteAsync(seed, "x"u8.ToArray(), secret: false, CancellationToken.None));

        Assert.Equal(HostErrorKind.Unavailable, e.Error.Kind);
        Assert.Contains($"'{seed}' cannot be written", e.Message, StringComparison.Ordinal);
        Assert.Contains($"'{vms}' is a file, not a folder", e.Message, StringComparison.Ordinal);
    }
}
