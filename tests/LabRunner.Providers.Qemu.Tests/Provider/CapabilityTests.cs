using LabRunner.Core.Hosting;
using LabRunner.Providers.Qemu.Tests.Support;
using LabRunner.Providers.Qemu.Vms;

namespace LabRunner.Providers.Qemu.Tests.Provider;

/// <summary>What the QEMU provider can do beyond the core interface, asked for by capability.</summary>
public sealed class CapabilityTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("lr-qemu-cap-").FullName;
    private readonly VmRegistry _registry;
    private readonly IHostProvider _provider;

    public CapabilityTests()
    {
        _registry = new VmRegistry(Path.Combine(_directory, "registry"));
        _provider = new QemuProvider(new QemuProviderOptions(_registry, new FakeHostCommandRunner()));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Its_guests_boot_and_it_keeps_their_consoles_but_has_no_way_into_a_guest_without_a_network()
    {
        Assert.NotNull(_provider.Capability<IGuestBoot>());
        Assert.NotNull(_provider.Capability<IConsoleLog>());
        Assert.Null(_provider.Capability<IDirectGuestAccess>());
    }

    [Fact]
    public void The_console_tail_is_the_last_lines_of_the_vms_log_in_its_folder_with_control_characters_replaced()
    {
        var folder = Path.Combine(_directory, "project", ".lab", "vms", "web");
        Directory.CreateDirectory(folder);
        _registry.Save(new VmEntry("shop-web", "mark", 2, 1, 512L << 20, folder, Path.Combine(folder, "web.qcow2"), null, null, []));
        File.WriteAllText(Path.Combine(folder, "console.log"), string.Join("\r\n", Enumerable.Range(1, 40).Select(i => $"line {i}")) + "\n\u001b[2Jlast\n");

        var tail = _provider.Capability<IConsoleLog>()!.Tail("shop-web", 3);

        Assert.Equal(["line 39", "line 40", "?[2Jlast"], tail);
    }

    [Fact]
    public async Task A_running_vm_is_hard_reset_through_qmp_system_reset_and_a_stopped_one_is_refused()
    {
        var processes = new FakeVmProcesses();
        var provider = new QemuProvider(new QemuProviderOptions(_registry, new FakeHostCommandRunner()) { Processes = processes });
        var folder = Path.Combine(_directory, "db");
        _registry.Save(new VmEntry("shop-db", "mark", 2, 1, 512L << 20, folder, Path.Combine(folder, "db.qcow2"), null, null, []));
        var reset = provider.Capability<IVmReset>()!;

        var stopped = await Assert.ThrowsAsync<LabRunner.Providers.Qemu.Qmp.QmpException>(() => reset.ResetAsync("shop-db", CancellationToken.None));
        processes.Running[_registry.PidFile("shop-db")] = 4242;
        await reset.ResetAsync("shop-db", CancellationToken.None);

        Assert.Contains("'shop-db' does not run", stopped.Message, StringComparison.Ordinal);
        Assert.Equal(["system_reset"], processes.Sent);
        Assert.Equal("QMP system_reset", reset.How);
    }

    [Fact]
    public void A_vm_without_a_log_or_unknown_to_the_host_has_a_line_saying_so()
    {
        var folder = Path.Combine(_directory, "vm");
        _registry.Save(new VmEntry("shop-db", "mark", 2, 1, 512L << 20, folder, Path.Combine(folder, "db.qcow2"), null, null, []));
        var console = _provider.Capability<IConsoleLog>()!;

        Assert.Equal(["(no console log yet)"], console.Tail("shop-db", 5));
        Assert.Equal(["(no console log: the host has no VM 'shop-x')"], console.Tail("shop-x", 5));
    }
}
