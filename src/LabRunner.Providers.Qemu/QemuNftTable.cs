using System.Net;
using LabRunner.Core.Hosting;
using LabRunner.Core.Net;
using LabRunner.Providers.Qemu.Acceleration;
using LabRunner.Providers.Qemu.CommandLine;
using LabRunner.HostCommon.Disks;
using LabRunner.Providers.Qemu.Network;
using LabRunner.HostCommon.Running;

namespace LabRunner.Providers.Qemu;

/// <summary>State read once per batch: LabRunner's nft table as it is now (read at the first change to it).</summary>
internal sealed class NftBatchContext
{
    public NftRulesetSpec? Spec { get; set; }
}

/// <summary>
/// LabRunner's own nftables table (<c>inet labrunner</c>): read with <c>nft -j list ruleset</c>, replaced whole at
/// each change under the network namespace's nft lock.
/// </summary>
internal sealed class QemuNftTable(QemuHost host)
{
    /// <exception cref="QemuOperationException">nft is missing or refuses (AccessDenied without CAP_NET_ADMIN).</exception>
    public async Task<(NftInventory Inventory, NftRulesetSpec Spec)> ReadAsync(CancellationToken cancellationToken)
    {
        HostCommandResult result;
        try
        {
            result = await host.RunCheckedAsync(QemuCommands.NftListRuleset(), cancellationToken).ConfigureAwait(false);
        }
        catch (HostCommandStartException e)
        {
            throw new QemuOperationException(QemuErrors.FromStart(e));
        }
        catch (HostCommandFailedException e)
        {
            var kind = QemuErrors.KindOf(e.Result.StandardError);
            throw new QemuOperationException(new HostError(kind,
                $"nft -j list ruleset failed: {QemuErrors.OneLine(e.Result.StandardError)}." + (kind == HostErrorKind.AccessDenied ? " " + QemuErrors.SudoHint : "")));
        }
        try
        {
            return (NftInventory.Parse(result.StandardOutput), NftRulesetReader.Read(result.StandardOutput));
        }
        catch (FormatException e)
        {
            throw new QemuOperationException(new HostError(HostErrorKind.Failed, e.Message));
        }
    }

    public async Task<NftRulesetSpec> SpecAsync(NftBatchContext context, CancellationToken ct)
    {
        context.Spec ??= (await ReadAsync(ct).ConfigureAwait(false)).Spec;
        return context.Spec;
    }

    /// <summary>
    /// Replaces LabRunner's table with <paramref name="change"/> applied, in one nft transaction. The table is the
    /// whole namespace's (every lab's NAT and port rules, whatever its registry), so it is read again under the
    /// namespace's nft lock and replaced before the lock is released: a batch never writes back a stale copy.
    /// <paramref name="change"/> returns its argument itself when there is nothing to change.
    /// </summary>
    public async Task ChangeAsync(NftBatchContext context, Func<NftRulesetSpec, NftRulesetSpec> change, CancellationToken ct)
    {
        using var held = await NetnsLock.AcquireAsync(NetnsLock.NftPath(host.Options.LockDirectory, host.Options.NetworkNamespace), host.Options.NftLockTimeout, ct).ConfigureAwait(false);
        var current = (await ReadAsync(ct).ConfigureAwait(false)).Spec;
        context.Spec = current;
        var next = change(current);
        if (ReferenceEquals(next, current)) return;
        var empty = next.Masquerades.IsEmpty && next.PortForwards.IsEmpty && next.NoForwards.IsEmpty;
        await host.RunCheckedAsync(QemuCommands.NftApply(empty ? NftRuleset.RenderDelete() : NftRuleset.Render(next)), ct).ConfigureAwait(false);
        context.Spec = next;
    }
}
