using System.Collections.Immutable;
using System.Security.Cryptography;
using LabRunner.Core.Labfile;
using LabRunner.Core.Planning;
using LabRunner.Engine.Guests;
using LabRunner.Engine.Sync;
using LabRunner.Engine.Tests.Guests;
using LabRunner.Guest.Access;
using LabRunner.Providers.HyperV;
using Microsoft.Extensions.Time.Testing;

namespace LabRunner.Engine.Tests.Sync;

/// <summary>
/// The push of a synced folder end to end: SSH.NET to a real OpenSSH server on 127.0.0.1, the guest commands run by
/// its real sh, sudo and GNU tar into a folder standing for the guest's. The guest's tree is compared entry by entry
/// (kind, content hash, link target, mode) with what the host folder holds less what is excluded.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class PushTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("labrunner-push");
    private string Project => Path.Combine(_root.FullName, "project");
    private string Guest => Path.Combine(_root.FullName, "guest", "srv app");
    private string GuestState => Path.Combine(_root.FullName, "guest-state");

    public void Dispose() => _root.Delete(recursive: true);

    private LabProject OpenProject()
    {
        Directory.CreateDirectory(Project);
        File.WriteAllText(Path.Combine(Project, "Labfile.yml"), "name: demo\n");
        return LabProject.Open(null, Project, _ => null, HyperVRules.Instance);
    }

    private SyncedFolderPlan Folder(params string[] exclude) =>
        new(0, ".", Guest, SyncedFolderType.Push, [.. exclude], "root", "root");

    private void Write(string path, string content)
    {
        var full = Path.Combine(Project, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
    }

    private void MakeTree()
    {
        Write("README.md", "# demo\n");
        Write("src/app/main.c", "int main(void) { return 0; }\n");
        Write("src/app/deep/er/still.txt", "nested\n");
        Write("docs/a file with spaces ü ñ 日本.txt", "unicode\n");
        Write("docs/-rf", "a name that looks like an option\n");
        Write("docs/it's $(reboot).txt", "quotes and dollars\n");
        Write("node_modules/left/out.js", "excluded by name at any depth\n");
        Write("src/node_modules/x.js", "excluded too\n");
        Write("build.log", "excluded by glob\n");
        Write("build/keep.txt", "'/build/' is anchored, so this is excluded; below it is not");
        Write("src/build/kept.txt", "not at the top: kept\n");
        Write(".lab/id_lab", "the lab's private key: never pushed\n");
        File.CreateSymbolicLink(Path.Combine(Project, "src/link-to-readme"), "../README.md");
        File.CreateSymbolicLink(Path.Combine(Project, "docs/dangling"), "/nowhere/at/all");
        File.SetUnixFileMode(Path.Combine(Project, "src/app/main.c"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead);
    }

    private static readonly string[] Excludes = ["node_modules", "*.log", "/build/"];

    private static readonly string[] Expected =
    [
        "Labfile.yml", "README.md", "docs", "docs/-rf", "docs/a file with spaces ü ñ 日本.txt", "docs/dangling", "docs/it's $(reboot).txt",
        "src", "src/app", "src/app/deep", "src/app/deep/er", "src/app/deep/er/still.txt", "src/app/main.c", "src/build", "src/build/kept.txt", "src/link-to-readme",
    ];

    /// <summary>Every entry under <paramref name="root"/> (links not followed): path, kind, content hash or link target, permission bits.</summary>
    private static List<string> Snapshot(string root)
    {
        var lines = new List<string>();
        Walk(new DirectoryInfo(root));
        return [.. lines.Order(StringComparer.Ordinal)];

        void Walk(DirectoryInfo folder)
        {
            foreach (var i in folder.EnumerateFileSystemInfos())
            {
                var kind = i.LinkTarget is { } t ? "link " + t : i is DirectoryInfo ? "dir" : "file " + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(i.FullName)));
                lines.Add(string.Join('|', Path.GetRelativePath(root, i.FullName), kind, i.LinkTarget is null ? Convert.ToString((int)i.UnixFileMode, 8) : ""));
                if (i is DirectoryInfo d && i.LinkTarget is null) Walk(d);
            }
        }
    }

    private List<string> HostExpected(params string[] more) =>
        [.. Snapshot(Project).Where(l => Expected.Contains(l.Split('|')[0]) || more.Contains(l.Split('|')[0]))];

    private async Task<(PushResult Result, List<string> Commands)> PushAsync(LocalSshd sshd, LabProject project, SyncedFolderPlan folder)
    {
        await using var session = (await new SshNetConnector().TryConnectAsync(sshd.Login(), CancellationToken.None))!;
        var recording = new RecordingSession(session);
        var transport = new SshPushTransport(recording, new PushCommands(GuestState));
        var result = await new FolderPush(project, new FakeTimeProvider()).PushAsync("web", folder, transport, CancellationToken.None);
        return (result, recording.Commands);
    }

    [SshdFact]
    public async Task The_first_push_gives_the_guest_exactly_the_tree_less_what_is_excluded_with_links_kept_as_links()
    {
        using var sshd = new LocalSshd();
        var project = OpenProject();
        MakeTree();

        var (result, _) = await PushAsync(sshd, project, Folder(Excludes));

        Assert.Equal(HostExpected(), Snapshot(Guest));
        Assert.Equal(Expected.Length, Snapshot(Guest).Count);
        Assert.Equal("link ../README.md", Snapshot(Guest).Single(l => l.StartsWith("src/link-to-readme|", StringComparison.Ordinal)).Split('|')[1]);
        Assert.True(result.Full);
        Assert.Equal(Expected.Length - 6, result.Sent); // less the 6 folders
    }

    [SshdFact]
    public async Task A_later_push_sends_only_what_changed_and_deletes_only_inside_the_folder()
    {
        using var sshd = new LocalSshd();
        var project = OpenProject();
        MakeTree();
        Directory.CreateDirectory(Guest);
        File.WriteAllText(Path.Combine(Guest, "made-in-the-guest.txt"), "not ours");
        var outside = Path.Combine(_root.FullName, "guest", "outside.txt");
        File.WriteAllText(outside, "beside the folder");
        await PushAsync(sshd, project, Folder(Excludes));

        Write("src/app/main.c", "int main(void) { return 1; }\n");
        File.Delete(Path.Combine(Project, "docs/-rf"));
        Directory.Delete(Path.Combine(Project, "src/app/deep"), recursive: true);
        Write("docs/new one.txt", "added\n");
        File.SetLastWriteTimeUtc(Path.Combine(Project, "README.md"), DateTime.UtcNow.AddHours(-1)); // touched, same content
        var (result, commands) = await PushAsync(sshd, project, Folder(Excludes));

        Assert.Equal((2, 2, false), (result.Sent, result.Deleted, result.Full));
        var guest = Snapshot(Guest);
        Assert.Equal(HostExpected("docs/new one.txt").Where(l => !l.StartsWith("src/app/deep", StringComparison.Ordinal) && !l.StartsWith("docs/-rf|", StringComparison.Ordinal)).Append("made-in-the-guest.txt|file " + Convert.ToHexStringLower(SHA256.HashData("not ours"u8))).Order(StringComparer.Ordinal),
            guest.Select(l => l.Split('|') is [var p, var k, _] && p == "made-in-the-guest.txt" ? p + "|" + k : l).Order(StringComparer.Ordinal));
        Assert.True(File.Exists(outside));
        Assert.Equal(3, commands.Count);
    }

    [SshdFact]
    public async Task An_unchanged_folder_only_reads_the_token()
    {
        using var sshd = new LocalSshd();
        var project = OpenProject();
        MakeTree();
        await PushAsync(sshd, project, Folder(Excludes));

        var (result, commands) = await PushAsync(sshd, project, Folder(Excludes));

        Assert.Equal("up to date", result.Line.Split(": ")[1][..10]);
        Assert.Single(commands);
    }

    [SshdFact]
    public async Task A_guest_made_anew_gets_everything_again()
    {
        using var sshd = new LocalSshd();
        var project = OpenProject();
        MakeTree();
        await PushAsync(sshd, project, Folder(Excludes));
        Directory.Delete(Path.Combine(_root.FullName, "guest"), recursive: true);
        Directory.Delete(GuestState, recursive: true);

        var (result, _) = await PushAsync(sshd, project, Folder(Excludes));

        Assert.True(result.Full);
        Assert.Equal(HostExpected(), Snapshot(Guest));
    }

    [SshdFact]
    public async Task A_folder_that_became_a_link_replaces_it_in_the_guest()
    {
        using var sshd = new LocalSshd();
        var project = OpenProject();
        MakeTree();
        await PushAsync(sshd, project, Folder(Excludes));
        Directory.Delete(Path.Combine(Project, "src/app"), recursive: true);
        File.CreateSymbolicLink(Path.Combine(Project, "src/app"), "build");

        await PushAsync(sshd, project, Folder(Excludes));

        Assert.Equal("link build", Snapshot(Guest).Single(l => l.StartsWith("src/app|", StringComparison.Ordinal)).Split('|')[1]);
        Assert.DoesNotContain(Snapshot(Guest), l => l.StartsWith("src/app/", StringComparison.Ordinal));
    }

    [SshdFact]
    public async Task An_owner_the_guest_does_not_have_fails_the_push_with_its_name()
    {
        using var sshd = new LocalSshd();
        var project = OpenProject();
        Write("a.txt", "a");

        var ex = await Assert.ThrowsAsync<SyncException>(() => PushAsync(sshd, project, Folder() with { Owner = "no-such-user-here" }));

        Assert.Contains("user 'no-such-user-here' does not exist in the guest", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>The real session, with each command it ran recorded.</summary>
    private sealed class RecordingSession(IGuestSession inner) : IGuestSession
    {
        public List<string> Commands { get; } = [];

        public Task<int> RunAsync(string command, ReadOnlyMemory<byte> input, Action<string> stdout, Action<string> stderr, CancellationToken cancellationToken)
        {
            Commands.Add(command);
            return inner.RunAsync(command, input, stdout, stderr, cancellationToken);
        }

        public Task<int> RunAsync(string command, Func<Stream, CancellationToken, Task> writeInput, Action<string> stdout, Action<string> stderr, CancellationToken cancellationToken)
        {
            Commands.Add(command);
            return inner.RunAsync(command, writeInput, stdout, stderr, cancellationToken);
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
