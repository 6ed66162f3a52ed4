using System.Net;
using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Providers.Qemu.Acceleration;
using LabRunner.Providers.Qemu.CommandLine;
using LabRunner.HostCommon.Disks;
using LabRunner.Providers.Qemu.Network;
using LabRunner.HostCommon.Running;
using LabRunner.Providers.Qemu.Vms;

namespace LabRunner.Providers.Qemu;

/// <summary>
/// Networks on a Linux host: bridges marked in their alias, their addresses, and the NAT and forwarded-port rules
/// they carry in LabRunner's nft table.
/// </summary>
internal sealed class QemuNetworkOperations(QemuHost qemuHost, QemuNftTable nftTable)
{
    public async Task CreateSwitchAsync(CreateSwitch op, NftBatchContext context, CancellationToken ct)
    {
        if (op.Kind == SwitchKind.External)
            throw QemuHost.Refuse(HostErrorKind.Unavailable, op,
                $"the QEMU provider does not create a bridge on a physical adapter ('{op.NetAdapterName}'). Make a Linux bridge on it yourself " +
                "(e.g. with NetworkManager or systemd-networkd, so the host keeps its own connection), then name that bridge as the network's 'adapter' in Labfile.local.yml.");
        if (!InterfaceNames.IsValid(op.Name))
            throw QemuHost.Refuse(HostErrorKind.Failed, op, $"'{op.Name}' is not a Linux interface name (at most {InterfaceNames.MaxLength} letters, digits, '-', '_', '.').");
        var alias = op.Kind == SwitchKind.Private ? op.Notes + QemuProvider.PrivateSuffix : op.Notes;
        await qemuHost.RunCheckedAsync(QemuCommands.BridgeCreate(op.Name, alias), ct).ConfigureAwait(false);
        if (op.Kind == SwitchKind.Private)
        {
            var mark = QemuHost.MarkOf(op.Notes) ?? new OwnershipMark("unknown");
            await nftTable.ChangeAsync(context, s => s with
            {
                NoForwards = [.. s.NoForwards.Where(n => n.Bridge != op.Name), new NftNoForward(mark.Lab, op.Name) { Project = mark.Project }],
            }, ct).ConfigureAwait(false);
        }
    }

    public async Task RemoveSwitchAsync(RemoveSwitch op, NftBatchContext context, CancellationToken ct)
    {
        var existing = (await qemuHost.ReadLinksAsync(ct).ConfigureAwait(false)).FirstOrDefault(i => i.Name == op.Name);
        if (existing is not null && !LabIdentity.IsLabRunner(existing.Alias))
            throw QemuHost.Refuse(HostErrorKind.Conflict, op, $"'{op.Name}' does not carry LabRunner's mark; LabRunner never removes an interface it did not create.");
        var spec = await nftTable.SpecAsync(context, ct).ConfigureAwait(false);
        if (spec.NoForwards.Any(n => n.Bridge == op.Name))
            await nftTable.ChangeAsync(context, s => s.NoForwards.Any(n => n.Bridge == op.Name) ? s with { NoForwards = [.. s.NoForwards.Where(n => n.Bridge != op.Name)] } : s, ct).ConfigureAwait(false);
        if (existing is not null)
            await qemuHost.RunCheckedAsync(QemuCommands.LinkDelete(op.Name), ct).ConfigureAwait(false);
    }

    public async Task SetSwitchNotesAsync(SetSwitchNotes op, CancellationToken ct)
    {
        var existing = (await qemuHost.ReadLinksAsync(ct).ConfigureAwait(false)).FirstOrDefault(i => i.Name == op.Name && i.Kind == HostInterfaceKind.Bridge)
            ?? throw QemuHost.Refuse(HostErrorKind.NotFound, op, $"there is no bridge '{op.Name}'.");
        var suffix = existing.Alias?.EndsWith(QemuProvider.PrivateSuffix, StringComparison.Ordinal) == true ? QemuProvider.PrivateSuffix : "";
        await qemuHost.RunCheckedAsync(QemuCommands.LinkSetAlias(op.Name, op.Notes + suffix), ct).ConfigureAwait(false);
    }

    public Task AssignHostIpAsync(AssignHostIp op, CancellationToken ct) =>
        qemuHost.RunCheckedAsync(QemuCommands.AddressAdd(op.Ip.ToString(), op.PrefixLength, op.SwitchName), ct);

    public async Task CreateNatAsync(CreateNat op, NftBatchContext context, CancellationToken ct)
    {
        var mark = QemuHost.MarkOf(op.Mark) ?? await NatMarkAsync(op, op.Name, ct).ConfigureAwait(false);
        var subnet = IPNetwork.Parse(op.InternalPrefix.ToString());
        await nftTable.ChangeAsync(context, s => s with
        {
            Masquerades = [.. s.Masquerades.Where(m => m.Nat != op.Name), new NftMasquerade(mark.Lab, subnet) { Project = mark.Project, Nat = op.Name }],
        }, ct).ConfigureAwait(false);
        await qemuHost.RunCheckedAsync(QemuCommands.EnableForwarding(), ct).ConfigureAwait(false);
    }

    public Task RemoveNatAsync(RemoveNat op, NftBatchContext context, CancellationToken ct) =>
        nftTable.ChangeAsync(context, s => s with { Masquerades = [.. s.Masquerades.Where(m => m.Nat != op.Name)] }, ct);

    public async Task AddPortMappingAsync(AddPortMapping op, NftBatchContext context, CancellationToken ct)
    {
        var spec = await nftTable.SpecAsync(context, ct).ConfigureAwait(false);
        var nat = spec.Masquerades.FirstOrDefault(m => m.Nat == op.NatName);
        var mark = nat is not null ? new OwnershipMark(nat.Lab, nat.Project) : await NatMarkAsync(op, op.NatName, ct).ConfigureAwait(false);
        var protocol = op.Protocol == PortProtocol.Tcp ? NftProtocol.Tcp : NftProtocol.Udp;
        IPAddress? host = op.ExternalIp == QemuHost.AnyAddress ? null : IPAddress.Parse(op.ExternalIp.ToString());
        var forward = new NftPortForward(mark.Lab, protocol, host, op.ExternalPort, IPAddress.Parse(op.InternalIp.ToString()), op.InternalPort)
        {
            Project = mark.Project,
            Nat = OwnershipMark.IsToken(op.NatName) ? op.NatName : null,
        };
        // The clash is checked on the table as read under the lock, where another lab's new rule is seen.
        await nftTable.ChangeAsync(context, s =>
        {
            var clash = s.PortForwards.FirstOrDefault(f => f.Protocol == protocol && f.HostPort == op.ExternalPort
                && (f.HostAddress is null || host is null || f.HostAddress.Equals(host)));
            if (clash is null) return s with { PortForwards = s.PortForwards.Add(forward) };
            if (clash.GuestAddress.Equals(forward.GuestAddress) && clash.GuestPort == op.InternalPort && Equals(clash.HostAddress, host)) return s;
            throw QemuHost.Refuse(HostErrorKind.Conflict, op, $"host port {op.Protocol.ToString().ToLowerInvariant()}/{op.ExternalPort} is already forwarded to {clash.GuestAddress}:{clash.GuestPort} (lab '{clash.Lab}').");
        }, ct).ConfigureAwait(false);
    }

    public Task RemovePortMappingAsync(RemovePortMapping op, NftBatchContext context, CancellationToken ct) =>
        nftTable.ChangeAsync(context, s => s with { PortForwards = [.. s.PortForwards.Where(f => !Same(f, op))] }, ct);

    public static bool Same(NftPortForward f, RemovePortMapping op) =>
        f.Protocol == (op.Protocol == PortProtocol.Tcp ? NftProtocol.Tcp : NftProtocol.Udp) && f.HostPort == op.ExternalPort
        && (f.HostAddress?.ToString() ?? "0.0.0.0") == op.ExternalIp.ToString()
        && f.GuestAddress.ToString() == op.InternalIp.ToString() && f.GuestPort == op.InternalPort;

    /// <summary>The lab's mark for a NAT rule: the mark of the NAT network's bridge (this lab's, created before it).</summary>
    private async Task<OwnershipMark> NatMarkAsync(HostOperation op, string bridge, CancellationToken ct)
    {
        var link = (await qemuHost.ReadLinksAsync(ct).ConfigureAwait(false)).FirstOrDefault(i => i.Name == bridge);
        return QemuHost.MarkOf(link?.Alias) ?? throw QemuHost.Refuse(HostErrorKind.NotFound, op, $"there is no LabRunner bridge '{bridge}' whose mark the rule could carry.");
    }
}
