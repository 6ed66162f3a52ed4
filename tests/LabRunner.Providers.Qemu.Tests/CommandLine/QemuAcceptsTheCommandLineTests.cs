using LabRunner.HostCommon.Running;
using System.Globalization;
using LabRunner.Providers.Qemu.CommandLine;
using System.Text.Json.Nodes;
using LabRunner.Providers.Qemu.Network;
using LabRunner.Providers.Qemu.Qmp;
using LabRunner.Providers.Qemu.Tests.Support;

namespace LabRunner.Providers.Qemu.Tests.CommandLine;

/// <summary>
/// The real qemu-system-x86_64 starts with the exact argv the builder renders — taps included — inside a
/// network namespace the test creates, paused (<c>-S</c>) so no guest runs, then it is killed by pid.
/// </summary>
public sealed class QemuAcceptsTheCommandLineTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("lr-qemu-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [LiveNetworkFact("qemu-system-x86_64", "qemu-img")]
    public async Task Qemu_starts_a_generation_2_vm_from_the_rendered_argv_in_a_namespace_with_its_taps() =>
        await StartsAsync(QemuCommandLineTests.Generation2(_directory), needsOvmfVars: true);

    [LiveNetworkFact("qemu-system-x86_64", "qemu-img")]
    public async Task Qemu_starts_a_generation_1_vm_from_the_rendered_argv_in_a_namespace_with_its_taps() =>
        await StartsAsync(QemuCommandLineTests.Generation1(_directory).WithAccelerator(LabRunner.Providers.Qemu.Acceleration.QemuAccelerator.Tcg).WithSeedIso(Path.Combine(_directory, "seed.iso")), needsOvmfVars: false);

    private async Task StartsAsync(QemuCommandLine line, bool needsOvmfVars)
    {
        HostTools.Require(needsRoot: true, "ip", "qemu-system-x86_64", "qemu-img");
        // Arrange: the files the provider makes before starting QEMU — a box, the overlay on it, a seed, the variable store (qcow2).
        var box = Path.Combine(_directory, "box.qcow2");
        await HostTools.RunAsync("qemu-img", "create", "-q", "-f", "qcow2", box, "64M");
        await HostTools.RunAsync("qemu-img", "create", "-q", "-f", "qcow2", "-b", box, "-F", "qcow2", line.Disk!);
        await File.WriteAllBytesAsync(Path.Combine(_directory, "seed.iso"), new byte[64 * 1024]);
        if (needsOvmfVars) await HostTools.RunAsync("qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", QemuCommandLine.DefaultOvmfVarsTemplate, line.OvmfVars!);

        await using var ns = await TestNamespace.CreateAsync();
        foreach (var adapter in line.Adapters)
            await ns.RunAsync("ip", "tuntap", "add", "dev", adapter.Tap, "mode", "tap");

        // Act: the exact argv, paused, daemonized; QEMU exits 0 once the VM is set up.
        var result = await HostTools.Runner.RunAsync(line.WithStartPaused(true).ToHostCommand().InNamespace(ns.Name), CancellationToken.None);
        var pid = File.Exists(line.PidFile) ? int.Parse((await File.ReadAllTextAsync(line.PidFile!)).Trim(), CultureInfo.InvariantCulture) : 0;
        if (pid > 0 && LinuxProcess.Find(pid) is { } qemu) ns.Track(qemu);

        // Assert
        Assert.True(result.Succeeded, $"qemu exited {result.ExitCode}: {result.StandardError}");
        Assert.True(pid > 0, "QEMU wrote no pid file");
        Assert.True(ns.Contains(pid), "QEMU does not run in the test's namespace");
        Assert.True(File.Exists(line.QmpSocket), "QEMU created no QMP socket");
        await using var qmp = await QmpClient.ConnectAsync(line.QmpSocket!, null, CancellationToken.None);
        Assert.Equal(new QmpStatus(false, "prelaunch"), await qmp.QueryStatusAsync(CancellationToken.None));
        var network = (await qmp.ExecuteAsync("human-monitor-command", new JsonObject { ["command-line"] = "info network" }, CancellationToken.None)).GetString()!;
        foreach (var adapter in line.Adapters)
        {
            Assert.Contains($"ifname={adapter.Tap}", network, StringComparison.Ordinal);
            Assert.Contains($"macaddr={adapter.MacAddress}", network, StringComparison.Ordinal);
        }
        var blocks = (await qmp.ExecuteAsync("query-block", null, CancellationToken.None)).GetRawText();
        Assert.Contains("\"device\": \"seed\"".Replace(" ", "", StringComparison.Ordinal), blocks.Replace(" ", "", StringComparison.Ordinal), StringComparison.Ordinal);
        await qmp.QuitAsync(CancellationToken.None);
    }
}
