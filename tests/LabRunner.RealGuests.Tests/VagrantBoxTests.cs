using System.Security.Cryptography;
using LabRunner.RealGuests.Tests.Support;

namespace LabRunner.RealGuests.Tests;

/// <summary>
/// <c>boxes/build/debian-12-vagrant.sh</c>, the Vagrant box and "no seed" floor that <c>bench/side-by-side.sh</c>
/// boots: built from the test box with a key of the test's own, then its files read back from the disk it made
/// (debugfs, mtools), and the base box left as it was.
/// </summary>
public sealed class VagrantBoxTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);
    private const long RootOffset = 262144L * 512;   // the root partition's first byte in debian-12.sh's layout
    private const long EspOffset = 2048L * 512;

    [RealGuestFact(0)]
    public async Task The_vagrant_variant_disables_cloud_init_and_lets_the_vagrant_user_in_with_the_given_key()
    {
        Requirements.Require();
        foreach (var tool in new[] { "debugfs", "e2fsck", "mcopy", "grub-mkstandalone", "ssh-keygen", "sfdisk", "tar" })
            Assert.True(Requirements.Find(tool) is not null, $"missing '{tool}' (boxes/README.md lists the packages)");
        var box = Requirements.Box!;
        var work = Directory.CreateTempSubdirectory("lr-vagrant-box-").FullName;
        try
        {
            // A base box folder of the test's own (a link to the real disk), so the output lands in the test's folder.
            var baseDir = Directory.CreateDirectory(Path.Combine(work, "debian-12-base")).FullName;
            File.CreateSymbolicLink(Path.Combine(baseDir, "debian-12.qcow2"), box);
            var baseHash = await Sha256Async(box);
            await Proc.CheckedAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "vagrant-box-test", "-f", Path.Combine(work, "key")]);
            var publicKey = await File.ReadAllTextAsync(Path.Combine(work, "key.pub"));

            var script = Path.Combine(Repository.Root(), "boxes", "build", "debian-12-vagrant.sh");
            var build = await Proc.RunAsync("bash", [script], Timeout, environment: new Dictionary<string, string>
            {
                ["LABRUNNER_BASE_BOX_DIR"] = baseDir,
                ["VAGRANT_INSECURE_KEY"] = Path.Combine(work, "key.pub"),
            });
            Assert.True(build.Succeeded, build.ToString());
            var outDir = build.Stdout.TrimEnd('\n').Split('\n')[^1];
            Assert.Equal(work, Path.GetDirectoryName(outDir));
            Assert.StartsWith("debian-12-vagrant-", Path.GetFileName(outDir), StringComparison.Ordinal);

            var members = await Proc.CheckedAsync("tar", ["-tf", Path.Combine(outDir, "debian-12-vagrant.box")]);
            Assert.Equal(["Vagrantfile", "box.img", "metadata.json"], members.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
            Assert.Contains("\"provider\": \"libvirt\"", await File.ReadAllTextAsync(Path.Combine(outDir, "metadata.json")), StringComparison.Ordinal);

            // The disk it made, read back: the root file system and the ESP at their offsets.
            var raw = Path.Combine(work, "disk.raw");
            await Proc.CheckedAsync("qemu-img", ["convert", "-f", "qcow2", "-O", "raw", Path.Combine(outDir, "box.img"), raw], Timeout);
            var root = Path.Combine(work, "root.ext4");
            await Proc.CheckedAsync("dd", [$"if={raw}", $"of={root}", "bs=1M", $"skip={RootOffset / 1048576}", "status=none"], Timeout);
            async Task<string> Debugfs(string request) => (await Proc.CheckedAsync("debugfs", ["-R", request, root])).Stdout;

            var keyStat = await Debugfs("stat /home/vagrant/.ssh/authorized_keys");
            Assert.Matches(@"User:\s+1000\s+Group:\s+1000", keyStat);
            Assert.Contains("Mode:  0600", keyStat, StringComparison.Ordinal);
            Assert.Equal(publicKey, await Debugfs("cat /home/vagrant/.ssh/authorized_keys"));
            Assert.Contains("Mode:  0700", await Debugfs("stat /home/vagrant/.ssh"), StringComparison.Ordinal);
            Assert.Contains("\nvagrant:x:1000:1000:", "\n" + await Debugfs("cat /etc/passwd"), StringComparison.Ordinal);
            Assert.Equal("vagrant ALL=(ALL) NOPASSWD:ALL\n", await Debugfs("cat /etc/sudoers.d/vagrant"));
            Assert.Contains("Mode:  0440", await Debugfs("stat /etc/sudoers.d/vagrant"), StringComparison.Ordinal);
            Assert.Contains("Type: regular", await Debugfs("stat /etc/cloud/cloud-init.disabled"), StringComparison.Ordinal);
            Assert.Contains("iface eth0 inet dhcp", await Debugfs("cat /etc/network/interfaces.d/eth0"), StringComparison.Ordinal);
            foreach (var type in new[] { "ed25519", "ecdsa", "rsa" })
            {
                Assert.Contains("Mode:  0600", await Debugfs($"stat /etc/ssh/ssh_host_{type}_key"), StringComparison.Ordinal);
                Assert.Matches("^(ssh|ecdsa-sha2)-[a-z0-9-]+ AAAA", await Debugfs($"cat /etc/ssh/ssh_host_{type}_key.pub"));
            }
            var fsck = await Proc.RunAsync("e2fsck", ["-fn", root], Timeout);
            Assert.True(fsck.Succeeded, fsck.ToString());

            var efi = Path.Combine(work, "BOOTX64.EFI");
            var copy = await Proc.RunAsync("mcopy", ["-i", $"{raw}@@{EspOffset}", "::/EFI/BOOT/BOOTX64.EFI", efi], Timeout,
                environment: new Dictionary<string, string> { ["MTOOLS_SKIP_CHECK"] = "1" });
            Assert.True(copy.Succeeded, copy.ToString());
            var grub = await File.ReadAllBytesAsync(efi);   // the standalone GRUB carries its grub.cfg uncompressed
            Assert.True(grub.AsSpan().IndexOf("console=ttyS0,115200 net.ifnames=0"u8) >= 0, "no 'net.ifnames=0' on the GRUB command line");

            Assert.Equal(baseHash, await Sha256Async(box));   // the base box is read, never written
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static async Task<string> Sha256Async(string path)
    {
        await using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream));
    }
}
