using System.Net;
using LabRunner.Core.Hosting;
using LabRunner.Core.Net;
using LabRunner.Providers.Qemu.Acceleration;
using LabRunner.Providers.Qemu.CommandLine;
using LabRunner.HostCommon.Disks;
using LabRunner.Providers.Qemu.Network;
using LabRunner.HostCommon.Running;
using LabRunner.Providers.Qemu.Vms;

namespace LabRunner.Providers.Qemu;

/// <summary>A VM's taps: persistent tap devices on the VM's bridges, made before QEMU starts and deleted when it stops or goes.</summary>
internal sealed class QemuTaps(QemuHost host)
{
    /// <summary>The taps of <paramref name="entry"/> on their bridges, replacing LabRunner's taps a stopped QEMU left; refuses a missing bridge or a foreign interface of a tap's name.</summary>
    public async Task CreateAsync(StartVm op, VmEntry entry, CancellationToken ct)
    {
        var links = await host.ReadLinksAsync(ct).ConfigureAwait(false);
        var stale = new List<string>();
        foreach (var adapter in entry.Adapters)
        {
            if (!links.Any(l => l.Name == adapter.Switch && l.Kind == HostInterfaceKind.Bridge))
                throw QemuHost.Refuse(HostErrorKind.NotFound, op, $"adapter '{adapter.Name}' is on network bridge '{adapter.Switch}', which does not exist.");
            if (links.FirstOrDefault(l => l.Name == adapter.Tap) is not { } existing) continue;
            if (existing.Kind != HostInterfaceKind.Tap || !(string.IsNullOrEmpty(existing.Alias) || LabIdentity.IsLabRunner(existing.Alias)))
                throw QemuHost.Refuse(HostErrorKind.Conflict, op, $"the interface '{adapter.Tap}' exists and is not one of LabRunner's taps.");
            stale.Add(adapter.Tap);
        }
        if (entry.Adapters.Length > 0 || stale.Count > 0)
            await host.RunCheckedAsync(QemuCommands.TapsCreate(entry.Adapters.Select(a => (a.Tap, a.Switch)), TapAlias(entry), stale), ct).ConfigureAwait(false);
    }

    public static string TapAlias(VmEntry entry) =>
        LabIdentity.IsLabRunner(entry.Notes) && QemuCommands.IsValidAlias(entry.Notes) ? entry.Notes : "labrunner:v1 shared";

    /// <summary>The VM's taps that exist (a stopped QEMU leaves them: they are persistent), in one ip process.</summary>
    public async Task DeleteTapsAsync(VmEntry entry, CancellationToken ct)
    {
        if (entry.Adapters.IsEmpty) return;
        var links = await host.ReadLinksAsync(ct).ConfigureAwait(false);
        var taps = entry.Adapters.Select(a => a.Tap)
            .Where(t => links.Any(l => l.Name == t && l.Kind == HostInterfaceKind.Tap && (string.IsNullOrEmpty(l.Alias) || LabIdentity.IsLabRunner(l.Alias))))
            .ToList();
        if (taps.Count > 0) await host.RunCheckedAsync(QemuCommands.TapsDelete(taps), ct).ConfigureAwait(false);
    }
}
