using System.Collections.Immutable;
using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Core.Net;
using LabRunner.Providers.Qemu.CommandLine;
using LabRunner.HostCommon.Disks;
using LabRunner.Providers.Qemu.Network;
using LabRunner.Providers.Qemu.Qmp;
using LabRunner.HostCommon.Running;
using LabRunner.Providers.Qemu.Vms;

namespace LabRunner.Providers.Qemu;

/// <summary>The host as LabRunner sees it: bridges and addresses from ip, NAT and port rules from nft, VMs from the registry and QMP.</summary>
internal sealed class QemuInventoryReader(QemuHost host, QemuNftTable nftTable)
{
    private VmRegistry Registry => host.Registry;

    /// <summary>LabRunner's nft table as the last inventory read it: what --what-if's nft scripts start from.</summary>
    public NftRulesetSpec? LastSpec { get; private set; }

    /// <summary>
    /// One <c>ip -d -j addr show</c>, one <c>nft -j list ruleset</c>, the registry, <c>/proc</c> and QMP for
    /// the running VMs. nft needs CAP_NET_ADMIN even to read: unprivileged, the NAT rules are unknown, which is
    /// harmless only while no LabRunner network exists on the host (then there are none of this host's rules
    /// to know, and plan/validate/status work without sudo); otherwise the read fails with "run with sudo".
    /// </summary>
    public async Task<HostInventory> ReadAsync(ImmutableArray<string> filesOfInterest, CancellationToken cancellationToken)
    {
        var interfaces = await ReadInterfacesAsync(cancellationToken).ConfigureAwait(false);
        var nft = await ReadNftForInventoryAsync(interfaces, cancellationToken).ConfigureAwait(false);
        var spec = nft is null ? NftRulesetSpec.Empty : nft.Value.Spec;
        LastSpec = spec;

        var adapters = interfaces
            .Where(i => i.Name != "lo" && i.Kind is not (HostInterfaceKind.Tap or HostInterfaceKind.Macvtap))
            .Select(i => new HostNetAdapter(i.Name, i.InfoKind ?? "device", i.Kind is HostInterfaceKind.Device or HostInterfaceKind.Veth,
                [.. i.Addresses.Select(a => new HostIp(Ipv4Address.Parse(a.Address.ToString()), a.PrefixLength))]))
            .ToImmutableArray();
        var switches = interfaces.Where(i => i.Kind == HostInterfaceKind.Bridge).Select(SwitchOf).ToImmutableArray();
        var nats = spec.Masquerades
            .Select(m => new HostNat(m.Nat ?? NftRuleset.TableName, Ipv4Subnet.Parse(m.Subnet.ToString()), new OwnershipMark(m.Lab, m.Project).Render()))
            .ToImmutableArray();
        var mappings = spec.PortForwards
            .Select(f => new HostPortMapping(f.Nat ?? "", f.Protocol == NftProtocol.Tcp ? PortProtocol.Tcp : PortProtocol.Udp,
                f.HostAddress is null ? QemuHost.AnyAddress : Ipv4Address.Parse(f.HostAddress.ToString()), f.HostPort,
                Ipv4Address.Parse(f.GuestAddress.ToString()), f.GuestPort))
            .ToImmutableArray();

        List<VmEntry> entries;
        try
        {
            entries = [.. Registry.All()];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            throw new HostUnavailableException(e is System.Text.Json.JsonException
                ? new HostError(HostErrorKind.Failed, $"The QEMU VM registry in '{Registry.Directory}' holds a file that is not a VM entry: {e.Message}")
                : QemuErrors.FromFile(null, Registry.Directory, e));
        }
        var vms = ImmutableArray.CreateBuilder<HostVm>();
        foreach (var entry in entries)
            vms.Add(VmOf(entry, await StateOfAsync(entry, cancellationToken).ConfigureAwait(false)));

        var existing = filesOfInterest.IsDefaultOrEmpty ? [] : await host.Files.ExistingAsync(filesOfInterest, cancellationToken).ConfigureAwait(false);
        var files = filesOfInterest.IsDefault ? [] : filesOfInterest.Where(existing.Contains).ToImmutableArray();
        return new HostInventory(adapters, switches, nats, mappings, vms.ToImmutable(), files);
    }

    private static HostSwitch SwitchOf(HostInterface bridge)
    {
        var alias = bridge.Alias ?? "";
        if (!LabIdentity.IsLabRunner(alias))
            return new HostSwitch(bridge.Name, SwitchKind.External, bridge.Name, alias);
        return alias.EndsWith(QemuProvider.PrivateSuffix, StringComparison.Ordinal)
            ? new HostSwitch(bridge.Name, SwitchKind.Private, null, alias[..^QemuProvider.PrivateSuffix.Length])
            : new HostSwitch(bridge.Name, SwitchKind.Internal, null, alias);
    }

    private static HostVm VmOf(VmEntry entry, (VmState State, string? UnknownBecause) state) => new(
        entry.Name,
        state.State,
        entry.Notes,
        entry.Generation,
        entry.MemoryBytes,
        entry.Cpus,
        [.. entry.Adapters.Select(a => new HostVmAdapter(a.Name, a.Switch, MacAddress.Parse(a.Mac)))],
        [entry.Disk],
        entry.Seed is null ? [] : [new HostDvdDrive(0, 0, entry.Seed)],
        SecureBoot: false,
        UnknownStateReason: state.UnknownBecause)
    {
        Shares = entry.Shares.IsEmpty ? [] : [.. entry.Shares.Select(s => new HostVmShare(s.Tag, s.Path))],
    };

    /// <summary>
    /// Off unless the pid file names a live QEMU of this VM; then what QMP says. When the monitor does not
    /// answer, the state is unknown, with why: the process is there, so it counts as running for planning
    /// (halt and down stop it, falling back to a kill).
    /// </summary>
    private async Task<(VmState State, string? UnknownBecause)> StateOfAsync(VmEntry entry, CancellationToken cancellationToken)
    {
        var socket = Registry.QmpSocket(entry.Name);
        if (host.Options.Processes.FindRunning(Registry.PidFile(entry.Name)) is not { } process) return (VmState.Off, null);
        string? status;
        try
        {
            status = await host.Options.Processes.QueryStatusAsync(socket, cancellationToken).ConfigureAwait(false);
        }
        catch (QmpException e)
        {
            if (!host.Options.Processes.IsAlive(process)) return (VmState.Off, null);
            return (VmState.Running, $"QEMU ({process}) runs, but its monitor {socket} did not answer: {e.Message}");
        }
        return (status switch
        {
            null or "running" => VmState.Running,
            "paused" or "prelaunch" or "suspended" => VmState.Paused,
            "shutdown" => VmState.Stopping,
            _ => VmState.Other,
        }, null);
    }

    private async Task<ImmutableArray<HostInterface>> ReadInterfacesAsync(CancellationToken cancellationToken)
    {
        try
        {
            var result = await host.RunCheckedAsync(QemuCommands.AddressesShow(), cancellationToken).ConfigureAwait(false);
            return IpJsonParser.ParseInterfaces(result.StandardOutput);
        }
        catch (HostCommandStartException e)
        {
            throw new HostUnavailableException(QemuErrors.FromStart(e));
        }
        catch (HostCommandFailedException e)
        {
            throw new HostUnavailableException(new HostError(QemuErrors.KindOf(e.Result.StandardError), $"Reading the host's interfaces failed: {QemuErrors.OneLine(e.Result.StandardError)}"));
        }
        catch (FormatException e)
        {
            throw new HostUnavailableException(new HostError(HostErrorKind.Failed, e.Message));
        }
    }

    private async Task<(NftInventory Inventory, NftRulesetSpec Spec)?> ReadNftForInventoryAsync(ImmutableArray<HostInterface> interfaces, CancellationToken cancellationToken)
    {
        try
        {
            return await nftTable.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (QemuOperationException e)
        {
            var ours = interfaces.Where(i => i.Kind == HostInterfaceKind.Bridge && LabIdentity.IsLabRunner(i.Alias)).Select(i => i.Name).ToList();
            if (ours.Count == 0) return null;
            throw new HostUnavailableException(e.Error with
            {
                Message = $"LabRunner's networks ({string.Join(", ", ours)}) have NAT and port rules in nftables, which cannot be read: {e.Error.Message}",
            });
        }
    }
}
