using LabRunner.RealGuests.Tests.Support;

namespace LabRunner.RealGuests.Tests;

/// <summary>
/// <c>boxes/build/debian-12.sh</c> when apt's configuration names no Debian source: it says what is missing and what to
/// set, instead of ending with no word (under <c>set -e</c> and <c>pipefail</c> a <c>grep</c> that finds nothing ended
/// it). Run with an empty <c>/etc/apt</c> in a mount namespace of the test's own, a cache folder of its own, and a
/// mirror that does not exist, so nothing is downloaded and nothing is built.
/// </summary>
public sealed class BoxBuildScriptTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    [RealGuestFact(0)]
    public async Task Without_an_apt_source_for_bookworm_the_script_names_it_and_the_variable_to_set()
    {
        var result = await RunWithEmptyAptAsync(mirror: null);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("no apt source for 'bookworm main' found; set LABRUNNER_DEBIAN_MIRROR", result.Stderr, StringComparison.Ordinal);
    }

    [RealGuestFact(0)]
    public async Task A_mirror_given_and_no_security_source_goes_on_to_debootstrap()
    {
        // The security suite is optional: its absence must not end the script. debootstrap then fails on the mirror
        // that does not exist, and says so.
        var result = await RunWithEmptyAptAsync(mirror: "file:///nonexistent-labrunner-mirror");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("debootstrap bookworm from file:///nonexistent-labrunner-mirror", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("error: debootstrap failed", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("nothing was cached", result.Stderr, StringComparison.Ordinal);
    }

    private static async Task<ProcResult> RunWithEmptyAptAsync(string? mirror)
    {
        Requirements.Require();
        foreach (var tool in new[] { "unshare", "debootstrap", "mkfs.fat", "mcopy", "grub-mkstandalone" })
            Assert.True(Requirements.Find(tool) is not null, $"missing '{tool}' (boxes/README.md lists the packages)");
        var cache = Directory.CreateTempSubdirectory("lr-box-script-").FullName;
        try
        {
            var script = Path.Combine(Repository.Root(), "boxes", "build", "debian-12.sh");
            var environment = new Dictionary<string, string> { ["LABRUNNER_BOX_CACHE"] = cache };
            if (mirror is not null) environment["LABRUNNER_DEBIAN_MIRROR"] = mirror;
            var result = await Proc.RunAsync("unshare",
                ["-m", "--propagation", "private", "bash", "-c", "mount -t tmpfs tmpfs /etc/apt && exec bash \"$0\"", script],
                Timeout, environment: environment);
            // Nothing built, nothing left in the cache but the lock file.
            Assert.Empty(Directory.EnumerateDirectories(cache, "debian-12-*"));
            Assert.Empty(Directory.EnumerateDirectories(cache, ".build-*"));
            return result;
        }
        finally
        {
            Directory.Delete(cache, recursive: true);
        }
    }
}
