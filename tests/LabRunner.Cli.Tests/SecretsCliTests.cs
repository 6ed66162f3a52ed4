using System.Security.Cryptography;
using System.Text.Json;

namespace LabRunner.Cli.Tests;

/// <summary>
/// The Windows administrator password: a password Windows would refuse is refused before anything is
/// created, and a seed's file name (printed by up and --what-if) does not let anyone test a guess.
/// </summary>
public sealed class SecretsCliTests : IDisposable
{
    private const string Password = "S3cret-Pa$$w0rd";

    private readonly TempProject _project = new TempProject().With("Labfile.yml", """
        name: winlab
        boxes: { win: { path: boxes/win.vhdx, os: windows } }
        defaults: { box: win }
        networks:
          - { name: lan, type: nat }
        vms:
          - { name: dc, networks: [lan] }
        """).With("boxes/win.vhdx", "x");

    public void Dispose() => _project.Dispose();

    private Dictionary<string, string> Env(string password) => new()
    {
        ["LABRUNNER_PROVIDER"] = "simulated",
        ["LABRUNNER_SIM_HOST"] = Path.Combine(_project.Root, "host.json"),
        ["LABRUNNER_ADMIN_PASSWORD"] = password,
    };

    private string SeedPath() => Assert.Single(Directory.GetFiles(Path.Combine(_project.Root, ".lab", "vms", "dc"), "seed-*.iso"));

    [Fact]
    public async Task A_seed_name_is_not_a_hash_of_the_seed_so_a_guessed_password_cannot_be_checked_against_it()
    {
        var up = await Lab.RunAsync(_project.Root, Env(Password), "up");
        // What an attacker can do without the project's key: render the same seed with a guess.
        using var elsewhere = new TempProject();
        var guess = await Lab.RunAsync(_project.Root, Env(Password), "seed", "dc", "--out", elsewhere.Root);

        Assert.True(up.ExitCode == 0, up.ToString());
        Assert.True(guess.ExitCode == 0, guess.ToString());
        var seed = SeedPath();
        var guessedIso = File.ReadAllBytes(Path.Combine(elsewhere.Root, "seed.iso"));
        Assert.Equal(File.ReadAllBytes(seed), guessedIso);
        var name = Path.GetFileNameWithoutExtension(seed)["seed-".Length..];
        Assert.DoesNotContain(name, Convert.ToHexStringLower(SHA256.HashData(guessedIso)), StringComparison.Ordinal);
        Assert.DoesNotContain(name, Convert.ToHexStringLower(MD5.HashData(guessedIso)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_new_password_gives_a_new_seed_and_a_notice_that_speaks_of_windows_not_cloud_init()
    {
        var first = await Lab.RunAsync(_project.Root, Env(Password), "up");
        var firstSeed = SeedPath();

        var second = await Lab.RunAsync(_project.Root, Env("An0ther-Pa$$w0rd"), "up", "--what-if");

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.True(second.ExitCode == 0, second.ToString());
        var named = System.Text.RegularExpressions.Regex.Matches(second.Stdout, @"seed-[0-9a-f]+\.iso").Select(m => m.Value).ToList();
        Assert.Contains(named, n => n != Path.GetFileName(firstSeed));
        Assert.Contains("answer file", second.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("cloud-init", second.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("An0ther-Pa$$w0rd", second.Stdout + second.Stderr, StringComparison.Ordinal);
    }

    [NotOnWindowsFact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // the Windows ACL is checked in StateFolderTests
    public async Task Lab_state_and_every_seed_even_a_linux_one_are_readable_by_their_user_only()
    {
        using var linux = new TempProject().With("Labfile.yml", """
            name: lin
            defaults: { box: ubuntu }
            networks:
              - { name: lan, type: nat }
            vms:
              - name: web
                networks: [lan]
                user_data: { runcmd: ["echo token-123 > /etc/app.token"] }
            """).With("boxes/ubuntu.vhdx", "x");

        var up = await Lab.RunAsync(linux.Root, Env(Password), "up");

        Assert.True(up.ExitCode == 0, up.ToString());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.Combine(linux.Root, ".lab")));
        var seed = Assert.Single(Directory.GetFiles(Path.Combine(linux.Root, ".lab", "vms", "web"), "seed-*.iso"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(seed));
    }

    [Theory]
    [InlineData("onlylowercase")] // one category
    [InlineData("Sh0rt!")] // too short
    [InlineData("MyAdministrator1")] // contains the account name
    [InlineData("Lab-user-Pa55")] // contains the VM's login user's name
    public async Task A_password_windows_would_refuse_is_refused_before_anything_is_created(string weak)
    {
        var up = await Lab.RunAsync(_project.Root, Env(weak), "up");

        Assert.Equal(2, up.ExitCode);
        Assert.Single(up.Stderr.Trim().Split('\n'));
        Assert.Contains("LABRUNNER_ADMIN_PASSWORD", up.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(weak, up.Stdout + up.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_project.Root, ".lab", "vms")), "nothing may be written for the VMs");
        var status = await Lab.RunAsync(_project.Root, Env(Password), "status", "--json");
        Assert.All(JsonDocument.Parse(status.Stdout).RootElement.GetProperty("vms").EnumerateArray(),
            v => Assert.Equal("not_created", v.GetProperty("state").GetString()));
    }
}
