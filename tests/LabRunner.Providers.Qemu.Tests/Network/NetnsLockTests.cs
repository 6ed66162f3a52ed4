using LabRunner.Providers.Qemu.Network;
using LabRunner.Providers.Qemu.Tests.Support;
using LabRunner.Providers.Qemu.Vms;

namespace LabRunner.Providers.Qemu.Tests.Network;

/// <summary>Issue 13.7: the QEMU engine lock covers the network namespace, which every lab in it shares, not the registry.</summary>
public sealed class NetnsLockTests
{
    private static QemuProvider Provider(string registry, string? ns) =>
        new(new QemuProviderOptions(new VmRegistry(registry), new FakeHostCommandRunner()) { NetworkNamespace = ns });

    [Fact]
    public void Labs_with_different_registries_share_the_lock_of_their_namespace_in_the_fixed_folder()
    {
        var a = Provider("/tmp/lr-registry-a", null);
        var b = Provider("/var/lib/labrunner/qemu", null);

        Assert.Equal(a.LockPath, b.LockPath);
        Assert.StartsWith(NetnsLock.DefaultDirectory + "/", a.LockPath, StringComparison.Ordinal);
        Assert.DoesNotContain("registry", a.LockPath, StringComparison.Ordinal);
    }

    [Fact]
    public void Each_network_namespace_has_its_own_lock()
    {
        var own = Provider("/tmp/lr-registry-a", null).LockPath;
        var one = Provider("/tmp/lr-registry-a", "lrtest-1").LockPath;
        var two = Provider("/tmp/lr-registry-a", "lrtest-2").LockPath;

        Assert.Equal(3, new[] { own, one, two }.Distinct().Count());
        Assert.Matches(@"qemu-netns-inode-\d+\.lock$", own);
    }

    [Fact]
    public async Task The_lock_is_exclusive_until_released()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("lr-netns-").FullName, "x.lock");
        var first = await NetnsLock.AcquireAsync(path, TimeSpan.FromSeconds(5), CancellationToken.None);

        var second = NetnsLock.AcquireAsync(path, TimeSpan.FromMinutes(1), CancellationToken.None);
        var waitedWhileHeld = !second.IsCompleted;
        first.Dispose();
        using var taken = await second;

        Assert.True(waitedWhileHeld);
        Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
    }
}
