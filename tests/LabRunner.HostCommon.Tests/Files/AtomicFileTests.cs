using System.Diagnostics;
using LabRunner.HostCommon.Files;

namespace LabRunner.HostCommon.Tests.Files;

public sealed class AtomicFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("labrunner-atomic-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void A_private_file_is_owner_only_even_when_it_replaces_a_readable_one()
    {
        if (OperatingSystem.IsWindows()) return;
        var path = Path.Combine(_folder, "state.json");
        File.WriteAllText(path, "old");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        AtomicFile.WriteAllText(path, "new", ownerOnly: true);

        Assert.Equal("new", File.ReadAllText(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    [Fact]
    public void A_write_leaves_no_temporary_file_and_removes_those_of_dead_writers_only()
    {
        var path = Path.Combine(_folder, "sim.json");
        var dead = DeadPid();
        var stale = new[] { $"sim.json.{dead}.{Guid.NewGuid():N}.tmp", $".sim.json.{dead}.{Guid.NewGuid():N}.tmp", $".sim.json.{dead}.tmp" };
        var live = $".sim.json.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        var other = $"other.json.{dead}.{Guid.NewGuid():N}.tmp";
        foreach (var name in stale.Append(live).Append(other)) File.WriteAllText(Path.Combine(_folder, name), "half");

        AtomicFile.WriteAllText(path, "whole", ownerOnly: false);

        var left = Directory.EnumerateFiles(_folder).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(new[] { live, other, "sim.json" }.Order(StringComparer.Ordinal), left);
    }

    [Fact]
    public void A_failed_write_leaves_no_temporary_file()
    {
        var path = Path.Combine(_folder, "state.json");
        Directory.CreateDirectory(path); // a folder in the file's place: the rename fails

        Assert.ThrowsAny<Exception>(() => AtomicFile.WriteAllText(path, "x", ownerOnly: true));

        Assert.Equal(["state.json"], Directory.EnumerateFileSystemEntries(_folder).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData("sim.json.123.0123456789abcdef0123456789abcdef.tmp", 123)]
    [InlineData(".sim.json.77.0123456789abcdef0123456789abcdef.tmp", 77)]
    [InlineData(".sim.json.9.tmp", 9)]
    [InlineData("sim.json.lock", null)]
    [InlineData(".sim.json.x.tmp", null)]
    [InlineData("sim.json.12.notaguid.tmp", null)]
    [InlineData("xsim.json.12.tmp", null)]
    public void Only_temporary_names_of_the_target_carry_a_writer_pid(string name, int? pid) =>
        Assert.Equal(pid, AtomicFile.WriterPid(name, "sim.json"));

    /// <summary>The pid of a process that has exited.</summary>
    private static int DeadPid()
    {
        using var process = Process.Start(new ProcessStartInfo("dotnet", "--version") { RedirectStandardOutput = true })!;
        process.WaitForExit();
        return process.Id;
    }
}

public sealed class FileEntryTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("labrunner-entry-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Kinds_are_told_without_opening_and_links_are_followed_only_when_asked()
    {
        var file = Path.Combine(_folder, "file");
        File.WriteAllText(file, "");
        var link = Path.Combine(_folder, "link");
        File.CreateSymbolicLink(link, file);
        var dangling = Path.Combine(_folder, "dangling");
        File.CreateSymbolicLink(dangling, Path.Combine(_folder, "nothing"));

        Assert.Equal(EntryKind.Regular, FileEntry.Kind(file, followLinks: false));
        Assert.Equal(EntryKind.Directory, FileEntry.Kind(_folder, followLinks: true));
        Assert.Equal(EntryKind.SymbolicLink, FileEntry.Kind(link, followLinks: false));
        Assert.Equal(EntryKind.Regular, FileEntry.Kind(link, followLinks: true));
        Assert.Equal(EntryKind.Missing, FileEntry.Kind(dangling, followLinks: true));
        Assert.Equal(EntryKind.Missing, FileEntry.Kind(Path.Combine(file, "below-a-file"), followLinks: true));
        if (OperatingSystem.IsWindows()) return;
        Assert.Equal(EntryKind.Special, FileEntry.Kind("/dev/zero", followLinks: true));
        var fifo = Path.Combine(_folder, "fifo");
        await HostTools.RunAsync("mkfifo", fifo);
        Assert.Equal(EntryKind.Special, FileEntry.Kind(fifo, followLinks: false));
    }
}
