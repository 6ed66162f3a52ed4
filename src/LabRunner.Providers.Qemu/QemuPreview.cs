using System.Net;
using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Providers.Qemu.Acceleration;
using LabRunner.HostCommon.Disks;
using LabRunner.Providers.Qemu.Network;
using LabRunner.HostCommon.Running;
using LabRunner.Providers.Qemu.Vms;

namespace LabRunner.Providers.Qemu;

/// <summary>What <c>lab up --what-if</c> prints for a QEMU host: the commands a batch would run, in full.</summary>
internal sealed class QemuPreview(QemuHost host, QemuVmLifecycle vms)
{
    private VmRegistry Registry => host.Registry;

    /// <summary>
    /// What <c>lab up --what-if</c> prints: per operation, in this host's words, every command it runs in full
    /// (argument vectors, display-quoted, with their standard input) and, as <c>#</c> lines, the registry, file
    /// and QMP steps. Commands whose arguments depend on the host at the time are shown as they would be now: nft's
    /// whole table from the table the last inventory read, with the batch's earlier changes applied; a VM's QEMU
    /// command line from its registry entry as the batch's earlier operations leave it.
    /// </summary>
    public string? Render(OperationBatch batch, NftRulesetSpec? inventorySpec)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Operations.IsDefaultOrEmpty) return null;
        var state = new PreviewState(inventorySpec ?? NftRulesetSpec.Empty);
        var lines = new List<string>();
        foreach (var operation in batch.Operations)
        {
            lines.Add("# " + operation.In(QemuRules.Instance.Words).Describe());
            lines.AddRange(PreviewOf(operation, state));
        }
        return string.Join('\n', lines) + "\n";
    }

    /// <summary>What a preview carries from one operation to the next: the nft table and the VM entries as the batch leaves them.</summary>
    private sealed class PreviewState(NftRulesetSpec spec)
    {
        public NftRulesetSpec Spec { get; set; } = spec;

        public Dictionary<string, VmEntry> Vms { get; } = new(StringComparer.OrdinalIgnoreCase);

        public Dictionary<string, OwnershipMark> BridgeMarks { get; } = new(StringComparer.Ordinal);
    }

    private IEnumerable<string> PreviewOf(HostOperation operation, PreviewState state)
    {
        string Show(HostCommand c) => QemuCommands.Display(c.InNamespace(host.Options.NetworkNamespace));
        string Nft(Func<NftRulesetSpec, NftRulesetSpec> change)
        {
            state.Spec = change(state.Spec);
            var empty = state.Spec.Masquerades.IsEmpty && state.Spec.PortForwards.IsEmpty && state.Spec.NoForwards.IsEmpty;
            return Show(QemuCommands.NftApply(empty ? NftRuleset.RenderDelete() : NftRuleset.Render(state.Spec)));
        }
        OwnershipMark MarkOfBridge(string bridge, string? given) =>
            QemuHost.MarkOf(given) ?? (state.BridgeMarks.TryGetValue(bridge, out var m) ? m : null)
            ?? state.Spec.Masquerades.Where(x => x.Nat == bridge).Select(x => new OwnershipMark(x.Lab, x.Project)).FirstOrDefault()
            ?? new OwnershipMark("unknown");
        switch (operation)
        {
            case CreateSwitch { Kind: SwitchKind.External } op:
                yield return $"#   refused: name an existing Linux bridge as the adapter instead of '{op.NetAdapterName}'";
                break;
            case CreateSwitch op:
                yield return Show(QemuCommands.BridgeCreate(op.Name, op.Kind == SwitchKind.Private ? op.Notes + QemuProvider.PrivateSuffix : op.Notes));
                if (QemuHost.MarkOf(op.Notes) is { } bridgeMark) state.BridgeMarks[op.Name] = bridgeMark;
                if (op.Kind == SwitchKind.Private)
                {
                    var mark = QemuHost.MarkOf(op.Notes) ?? new OwnershipMark("unknown");
                    yield return Nft(s => s with { NoForwards = [.. s.NoForwards.Where(n => n.Bridge != op.Name), new NftNoForward(mark.Lab, op.Name) { Project = mark.Project }] });
                }
                break;
            case AssignHostIp op:
                yield return Show(QemuCommands.AddressAdd(op.Ip.ToString(), op.PrefixLength, op.SwitchName));
                break;
            case CreateNat op:
            {
                var mark = MarkOfBridge(op.Name, op.Mark);
                var subnet = IPNetwork.Parse(op.InternalPrefix.ToString());
                yield return Nft(s => s with { Masquerades = [.. s.Masquerades.Where(m => m.Nat != op.Name), new NftMasquerade(mark.Lab, subnet) { Project = mark.Project, Nat = op.Name }] });
                yield return Show(QemuCommands.EnableForwarding());
                break;
            }
            case RemoveNat op:
                yield return Nft(s => s with { Masquerades = [.. s.Masquerades.Where(m => m.Nat != op.Name)] });
                break;
            case AddPortMapping op:
            {
                var mark = MarkOfBridge(op.NatName, null);
                var forward = new NftPortForward(mark.Lab, op.Protocol == PortProtocol.Tcp ? NftProtocol.Tcp : NftProtocol.Udp,
                    op.ExternalIp == QemuHost.AnyAddress ? null : IPAddress.Parse(op.ExternalIp.ToString()), op.ExternalPort, IPAddress.Parse(op.InternalIp.ToString()), op.InternalPort)
                {
                    Project = mark.Project,
                    Nat = OwnershipMark.IsToken(op.NatName) ? op.NatName : null,
                };
                yield return Nft(s => s with { PortForwards = s.PortForwards.Add(forward) });
                break;
            }
            case RemovePortMapping op:
                yield return Nft(s => s with { PortForwards = [.. s.PortForwards.Where(f => !QemuNetworkOperations.Same(f, op))] });
                break;
            case RemoveSwitch op:
                if (state.Spec.NoForwards.Any(n => n.Bridge == op.Name))
                    yield return Nft(s => s with { NoForwards = [.. s.NoForwards.Where(n => n.Bridge != op.Name)] });
                yield return Show(QemuCommands.LinkDelete(op.Name));
                break;
            case SetSwitchNotes op:
                yield return Show(QemuCommands.LinkSetAlias(op.Name, op.Notes));
                break;
            case CreateDisk op:
                var format = File.Exists(op.ParentPath) ? DiskFormatDetector.DetectFile(op.ParentPath) : DiskFormat.Raw;
                yield return Show(QemuCommands.OverlayCreate(Path.GetFullPath(op.Path), Path.GetFullPath(op.ParentPath), format));
                break;
            case CreateVm op:
                var vars = op.Generation == 2 ? Path.Combine(op.Path, QemuVmLifecycle.VarsFileName) : null;
                state.Vms[op.VmName] = new VmEntry(op.VmName, op.Notes, op.Generation, 1, op.MemoryBytes, op.Path, op.DiskPath, null, vars, []);
                if (vars is not null)
                {
                    var template = host.Options.OvmfVarsTemplate;
                    yield return Show(QemuCommands.VarsToQcow2(template, File.Exists(template) ? DiskFormatDetector.DetectFile(template) : DiskFormat.Raw, vars));
                }
                yield return $"#   write {Registry.EntryPath(op.VmName)}";
                break;
            case StartVm op:
                foreach (var line in PreviewStart(op, PreviewEntry(op.VmName, state))) yield return line;
                break;
            case StopVm op:
                yield return op.TurnOff ? $"#   QMP quit on {Registry.QmpSocket(op.VmName)}, SIGKILL after {host.Options.TurnOffTimeout.TotalSeconds:0} s; delete its taps"
                    : $"#   QMP system_powerdown on {Registry.QmpSocket(op.VmName)}, wait for the guest to power off (SIGKILL if QMP does not answer); delete its taps";
                if (PreviewEntry(op.VmName, state) is { Shares.IsEmpty: false } sharing)
                    yield return $"#   SIGKILL to the virtiofsd of {string.Join(", ", sharing.Shares.Select(s => s.Tag))} by the pids recorded in {Path.GetDirectoryName(Registry.SharePidFile(op.VmName, sharing.Shares[0].Tag))}";
                break;
            case ResumeVm op:
                yield return $"#   QMP cont on {Registry.QmpSocket(op.VmName)}";
                break;
            case RemoveVm op:
                state.Vms.Remove(op.VmName);
                yield return $"#   delete the VM's taps, {Registry.EntryPath(op.VmName)} and its UEFI variables";
                break;
            case RemoveFile op:
                yield return $"#   delete {op.Path}";
                break;
            case ConnectVmAdapter op:
                Fold(op.VmName, e => e with { Adapters = [.. e.Adapters.Select(a => QemuHost.SameName(a.Name, op.AdapterName) ? a with { Switch = op.SwitchName } : a)] });
                yield return $"#   update {Registry.EntryPath(op.VmName)} (a running VM's tap moves to {op.SwitchName} at once)";
                break;
            default:
                switch (operation)
                {
                    case SetVmHardware op:
                        Fold(op.VmName, e => e with { Cpus = op.Cpus, MemoryBytes = op.MemoryBytes });
                        break;
                    case AddVmAdapter op:
                        Fold(op.VmName, e => e with { Adapters = e.Adapters.Add(new VmAdapterEntry(op.AdapterName, op.SwitchName, op.Mac.ToString(':').ToLowerInvariant(), InterfaceNames.TapOf(e.Name, op.AdapterName))) });
                        break;
                    case RemoveVmAdapter op:
                        Fold(op.VmName, e => e with { Adapters = [.. e.Adapters.Where(a => !QemuHost.SameName(a.Name, op.AdapterName))] });
                        break;
                    case AttachSeed op:
                        Fold(op.VmName, e => e with { Seed = op.IsoPath });
                        break;
                    case AddVmShare op:
                        Fold(op.VmName, e => e with { Shares = [.. e.Shares.Where(s => s.Tag != op.Tag), new VmShareEntry(op.Tag, op.Path)] });
                        break;
                    case RemoveVmShare op:
                        Fold(op.VmName, e => e with { Shares = [.. e.Shares.Where(s => s.Tag != op.Tag)] });
                        break;
                }
                yield return $"#   update {Registry.EntryPath(operation.Vm ?? "")}".TrimEnd();
                break;
        }

        void Fold(string vm, Func<VmEntry, VmEntry> change)
        {
            if (PreviewEntry(vm, state) is { } entry) state.Vms[vm] = change(entry);
        }
    }

    /// <summary>The VM's entry as the batch so far leaves it: made or changed earlier in the batch, else the registry's.</summary>
    private VmEntry? PreviewEntry(string vm, PreviewState state) =>
        state.Vms.TryGetValue(vm, out var entry) ? entry : Registry.Find(vm);

    private IEnumerable<string> PreviewStart(StartVm op, VmEntry? entry)
    {
        if (entry is null)
        {
            yield return $"#   refused: there is no VM '{op.VmName}' in the QEMU registry ({Registry.Directory}) or earlier in this batch";
            yield break;
        }
        if (entry.Generation == 2 && entry.FirmwareVars is { } vars && File.Exists(vars) && DiskFormatDetector.DetectFile(vars) is var varsFormat && varsFormat != DiskFormat.Qcow2)
        {
            // A raw store from an older LabRunner becomes qcow2 before QEMU starts.
            var target = Path.Combine(entry.Folder, QemuVmLifecycle.VarsFileName);
            yield return QemuCommands.Display(QemuCommands.VarsToQcow2(vars, varsFormat, target + ".part").InNamespace(host.Options.NetworkNamespace));
            yield return $"#   rename it to {target}, update {Registry.EntryPath(entry.Name)}, delete {vars}";
            entry = entry with { FirmwareVars = target };
        }
        if (entry.Adapters.Length > 0)
            yield return QemuCommands.Display(QemuCommands.TapsCreate(entry.Adapters.Select(a => (a.Tap, a.Switch)), QemuTaps.TapAlias(entry), []).InNamespace(host.Options.NetworkNamespace));
        foreach (var share in entry.Shares)
        {
            yield return QemuCommands.Display(QemuCommands.Virtiofsd(host.Options.Virtiofsd, Registry.ShareSocket(entry.Name, share.Tag), share.Path));
            yield return $"#   in the background (its own session), output to {entry.VirtiofsdLog(share.Tag)}; pid to {Registry.SharePidFile(entry.Name, share.Tag)}; wait for its socket";
        }
        var accelerator = host.Accelerator.Choice?.Accelerator ?? QemuAccelerator.Tcg;
        var format = File.Exists(entry.Disk) ? DiskFormatDetector.DetectFile(entry.Disk) : DiskFormat.Qcow2;
        yield return QemuCommands.Display(vms.QemuCommandOf(entry, accelerator, format).InNamespace(host.Options.NetworkNamespace));
    }
}
