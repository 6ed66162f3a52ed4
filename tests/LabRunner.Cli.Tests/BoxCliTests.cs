using System.Text.Json;
using LabRunner.Boxes;
using LabRunner.Core.Boxes;
using LabRunner.Boxes.Tests.Support;

namespace LabRunner.Cli.Tests;

/// <summary><c>lab box …</c> end to end in-process, against a store in a throw-away LABRUNNER_HOME and a loopback HTTP server.</summary>
public sealed class BoxCliTests : IAsyncLifetime, IDisposable
{
    private readonly BoxFiles _files = new();
    private readonly TempProject _project = new();
    private readonly LoopbackServer _server = new();
    private readonly Dictionary<string, string> _env;

    public BoxCliTests()
    {
        _env = new() { ["LABRUNNER_HOME"] = Path.Combine(_project.Root, "home"), ["LABRUNNER_PROVIDER"] = "qemu" };
    }

    private string StoreRoot => Path.Combine(_project.Root, "home", "boxes");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose()
    {
        _files.Dispose();
        _project.Dispose();
    }

    private Task<CliResult> Lab(params string[] args) => Cli.Tests.Lab.RunAsync(_project.Root, _env, args);

    [Fact]
    public async Task Box_add_downloads_verifies_and_reports_progress_as_plain_lines()
    {
        var disk = _files.RandomRaw("disk.img", 20 << 20);
        var url = _server.ServeFile("disk.img", disk);

        var result = await Lab("box", "add", "tiny", url.ToString(), "--version", "1.0", "--checksum", "sha256:" + BoxFiles.Sha256(disk));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("tiny: downloading (20.0 MiB)", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("tiny: downloading 100% (20.0 MiB of 20.0 MiB,", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("Added box 'tiny' 1.0 (qemu, raw, 20.0 MiB); sha256 verified.", result.Stdout, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(StoreRoot, "tiny", "1.0", "qemu-raw", "box.img")));
    }

    [Fact]
    public async Task Box_add_with_a_wrong_checksum_exits_3_and_installs_nothing()
    {
        var disk = _files.RandomRaw("disk.img", 1 << 20);
        var url = _server.ServeFile("disk.img", disk);

        var result = await Lab("box", "add", "tiny", url.ToString(), "--checksum", "sha1:" + new string('0', 40));

        Assert.Equal(3, result.ExitCode);
        Assert.Contains("sha1 checksum", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("Nothing was installed", result.Stderr, StringComparison.Ordinal);
        Assert.Equal([Path.Combine(StoreRoot, ".lock")], Directory.EnumerateFiles(StoreRoot, "*", SearchOption.AllDirectories));
    }

    [Theory]
    [InlineData("--checksum", "sha256:xyz")]
    [InlineData("--version", "~>")]
    public async Task Box_add_refuses_a_malformed_option_with_exit_2(string option, string value)
    {
        var result = await Lab("box", "add", "tiny", "http://127.0.0.1:1/x.img", option, value);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(option, result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("box", "add", "x", "/nonexistent/labrunner.box")]
    [InlineData("box", "add", "acme/x", "--catalog", "/nonexistent/labrunner.json")]
    public async Task Box_add_from_a_missing_local_file_is_a_usage_error(params string[] args)
    {
        var result = await Lab(args);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("/nonexistent/labrunner.", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Box_list_json_and_remove_refused_while_a_lab_uses_the_box()
    {
        var disk = _files.RandomRaw("disk.img", 1 << 20);
        Assert.Equal(0, (await Lab("box", "add", "tiny", _server.ServeFile("disk.img", disk).ToString())).ExitCode);
        Directory.CreateDirectory(Path.Combine(_project.Root, ".lab"));
        await BoxStore.ForHome(_env["LABRUNNER_HOME"]).RecordUsesAsync(_project.Root, "webshop", [new BoxUse("tiny", BoxVersion.Parse("0"), "qemu")], default);

        var list = await Lab("box", "list", "--json");
        var remove = await Lab("box", "remove", "tiny");
        var forced = await Lab("box", "remove", "tiny", "--force");

        using var doc = JsonDocument.Parse(list.Stdout);
        var box = Assert.Single(doc.RootElement.GetProperty("boxes").EnumerateArray().ToList());
        Assert.Equal(("tiny", "0", "qemu", "raw"), (box.GetProperty("name").GetString(), box.GetProperty("version").GetString(),
            box.GetProperty("provider").GetString(), box.GetProperty("format").GetString()));
        Assert.Equal("webshop", box.GetProperty("used_by")[0].GetProperty("lab").GetString());
        Assert.Equal(4, remove.ExitCode);
        Assert.Contains($"lab 'webshop' in {_project.Root}", remove.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, forced.ExitCode);
        Assert.Contains("Removed box 'tiny' 0 (qemu, raw).", forced.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Box_add_from_a_catalog_then_outdated_update_and_prune()
    {
        ServeCatalog("1.0.0");
        var catalog = _server.Url("catalog.json").ToString();
        var added = await Lab("box", "add", "acme/debian", "--catalog", catalog);
        ServeCatalog("1.0.0", "1.1.0");

        var outdated = await Lab("box", "outdated");
        var update = await Lab("box", "update");
        var prune = await Lab("box", "prune");
        var list = await Lab("box", "list");

        Assert.True(added.ExitCode == 0, added.ToString());
        Assert.Contains("acme/debian (qemu) 1.0.0 is outdated: 1.1.0 is available", outdated.Stdout, StringComparison.Ordinal);
        Assert.Contains("Added box 'acme/debian' 1.1.0", update.Stdout, StringComparison.Ordinal);
        Assert.Contains("Removed box 'acme/debian' 1.0.0", prune.Stdout, StringComparison.Ordinal);
        Assert.Contains("1.1.0", list.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("1.0.0", list.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Box_add_with_credentials_in_the_catalog_URL_never_prints_or_stores_them()
    {
        ServeCatalog("1.0.0");
        _server.RequireBasicAuth("catalog.json", "alice", "hunter2");
        var withCredentials = new UriBuilder(_server.Url("catalog.json")) { UserName = "alice", Password = "hunter2" }.Uri.ToString();
        var wrong = new UriBuilder(_server.Url("catalog.json")) { UserName = "alice", Password = "hunter3" }.Uri.ToString();

        var added = await Lab("box", "add", "acme/debian", "--catalog", withCredentials);
        var refused = await Lab("box", "add", "acme/other", "--catalog", wrong, "--json");
        var list = await Lab("box", "list", "--json");

        Assert.True(added.ExitCode == 0, added.ToString());
        Assert.Equal(3, refused.ExitCode);
        Assert.Contains("401", refused.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter", refused.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", list.Stdout, StringComparison.Ordinal);
        Assert.Contains(_server.Url("catalog.json").ToString(), list.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", string.Concat(Directory.EnumerateFiles(StoreRoot, "*.json", SearchOption.AllDirectories).Select(File.ReadAllText)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Box_add_never_prints_a_catalogs_control_characters()
    {
        var catalog = _server.Serve("evil.json", """
            {"name":"acme/x\u001b[2J","versions":[{"version":"1.0","providers":[
              {"name":"libvirt","url":"a.box","architecture":"sparc\u001b]0;pwned\u0007\nlab: forged"}]}]}
            """);

        var plain = await Lab("box", "add", "acme/x", "--catalog", catalog.ToString());
        var json = await Lab("box", "add", "acme/x", "--catalog", catalog.ToString(), "--json");

        Assert.Equal(2, plain.ExitCode);
        Assert.Contains("libvirt/sparc\\x1b]0;pwned\\x07\\nlab: forged", plain.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(plain.Stderr + plain.Stdout + json.Stderr + json.Stdout, c => char.IsControl(c) && c is not '\n' and not '\r');
        Assert.Single(plain.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Box_add_from_a_local_file_without_a_checksum_does_not_speak_of_a_download()
    {
        var disk = _files.RandomRaw("disk.img", 64 << 10);

        var result = await Lab("box", "add", "tiny", disk);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("no checksum was given, so the file was not verified.", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("download", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Box_add_from_a_file_URL_and_prune_of_download_leftovers()
    {
        var disk = _files.RandomRaw("disk.img", 64 << 10);
        var leftover = Path.Combine(StoreRoot, ".tmp", "download-0123456789abcdef01234567.part");

        var added = await Lab("box", "add", "local", new Uri(disk).AbsoluteUri);
        Directory.CreateDirectory(Path.GetDirectoryName(leftover)!);
        File.WriteAllBytes(leftover, new byte[3000]);
        var dry = await Lab("box", "prune", "--dry-run", "--json");
        var prune = await Lab("box", "prune");

        Assert.True(added.ExitCode == 0, added.ToString());
        Assert.Contains("Added box 'local' 0 (qemu, raw", added.Stdout, StringComparison.Ordinal);
        using (var doc = JsonDocument.Parse(dry.Stdout))
            Assert.Equal(leftover, doc.RootElement.GetProperty("would_remove_leftovers")[0].GetString());
        Assert.Contains("Removed 1 leftover(s) of interrupted downloads or adds", prune.Stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(leftover));
    }

    private void ServeCatalog(params string[] versions)
    {
        var entries = versions.Select(v =>
        {
            var disk = _files.RandomRaw($"d{v}.img", 64 << 10, seed: v.Length + v[^1]);
            var box = _files.Box($"d{v}.box", "zip", BoxFiles.Metadata("libvirt", null), disk, "box.img");
            _server.ServeFile($"d{v}.box", box);
            return $$"""{"version":"{{v}}","providers":[{"name":"libvirt","url":"d{{v}}.box","checksum_type":"sha256","checksum":"{{BoxFiles.Sha256(box)}}"}]}""";
        });
        _server.Serve("catalog.json", $$"""{"name":"acme/debian","versions":[{{string.Join(",", entries)}}]}""");
    }
}
