using System.Collections.Immutable;
using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Core.Planning;

namespace LabRunner.Core.Reconciliation;

public static partial class Reconciler
{
    /// <summary>VMs: MACs checked host-wide, each VM created or changed (adapters, seed, disk, hardware), woken or halted, and strays noticed.</summary>
    private sealed partial class Converger
    {
        /// <summary>
        /// Hyper-V refuses a second adapter with a MAC another VM has, and finds out only when the VM is
        /// half made: every planned MAC is checked against every VM on the host first.
        /// </summary>
        private void CheckMacs()
        {
            var planned = request.Plan.Vms.Select(v => v.HostVmName).ToHashSet(StringComparer.OrdinalIgnoreCase);
            foreach (var vm in Targets)
            {
                foreach (var adapter in vm.Adapters)
                {
                    // This lab's own planned VMs give up a MAC the plan moved elsewhere in the same run.
                    var holders = Inv.Vms.Where(h => !string.Equals(h.Name, vm.HostVmName, StringComparison.OrdinalIgnoreCase)
                        && !(planned.Contains(h.Name) && request.Identity.Owns(h.Notes))
                        && h.Adapters.Any(a => a.Mac == adapter.Mac));
                    foreach (var holder in holders)
                    {
                        var whose = request.Identity.Owns(holder.Notes)
                            ? $"a VM of this lab no longer in the Labfile ('lab down {request.Rules.LabfileVmName(request.Identity.Lab, holder.Name) ?? holder.Name}' removes it)"
                            : LabIdentity.Parse(holder.Notes) is { } other ? $"a VM of lab '{other.Lab}'" : "not created by LabRunner";
                        _conflicts.Add(new Conflict($"MAC {adapter.Mac} of VM '{vm.Name}' on network '{adapter.Network}' is already used by VM '{holder.Name}' on this host ({whose}); " +
                            $"Hyper-V refuses a second adapter with it. Give the adapter another address with 'mac:' under network '{adapter.Network}' of VM '{vm.Name}', " +
                            "or rename the VM or the lab (LabRunner derives MACs from their names)."));
                    }
                }
            }
        }

        private void PlanVm(VmPlan vm)
        {
            var files = request.Files[vm.Name];
            var host = Inv.Vm(vm.HostVmName);
            var id = vm.HostVmName;
            var ops = new List<HostOperation>();
            if (!request.Rules.SnapshotTypes && vm.SnapshotType != SnapshotType.Standard && request.Mode != ReconcileMode.Halt)
                _notices.Add($"VM '{vm.Name}' asks for {SetSnapshotType.TypeWords(vm.SnapshotType)} snapshots ('snapshot_type'); the {request.Rules.Name} host takes standard ones only " +
                    "(with the VM's memory while it runs), so 'lab snapshot save' takes those.");
            if (_adoptedVms.Contains(id)) ops.Add(new SetVmNotes(id, request.Identity.Mark));

            if (host is not null && !request.Identity.Owns(host.Notes))
            {
                var interrupted = string.IsNullOrEmpty(host.Notes) && request.PendingVms.Contains(id);
                if (!interrupted)
                {
                    _conflicts.Add(new Conflict(ForeignObject("VM", id, host.Notes) + " Rename the VM in the Labfile."));
                    return;
                }
                if (request.Mode == ReconcileMode.Halt) return;
                if (TransientState(vm.Name, host.State, request.Mode) is { } transient)
                {
                    _conflicts.Add(transient);
                    return;
                }
                // Created by an interrupted 'lab up' before it was marked: remove and create it again.
                ops.AddRange(PowerOff(host));
                ops.Add(new RemoveVm(id));
                host = null;
            }

            if (host is null)
            {
                if (request.Mode == ReconcileMode.Halt) return;
                if (!Inv.FileExists(files.BoxPath))
                {
                    _conflicts.Add(new Conflict($"VM '{vm.Name}': the box '{vm.Box}' is not at '{files.BoxPath}'. Put the base VHDX there or point 'boxes' at it."));
                    return;
                }
                if (request.Rules.RefuseBox(files.BoxPath) is { } refusal)
                {
                    _conflicts.Add(new Conflict($"VM '{vm.Name}': {refusal}."));
                    return;
                }
                if (!Inv.FileExists(files.DiskPath))
                    ops.Add(new CreateDisk(id, files.DiskPath, files.BoxPath));
                ops.Add(new CreateVm(id, vm.Generation, vm.MemoryBytes, files.Folder, files.DiskPath, request.Identity.Mark)
                {
                    SnapshotType = request.Rules.SnapshotTypes ? vm.SnapshotType : null,
                });
                ops.Add(new SetVmHardware(id, vm.Cpus, vm.MemoryBytes));
                foreach (var a in vm.Adapters)
                    ops.Add(new AddVmAdapter(id, a.GuestInterfaceName, _switchOf[a.Network], a.Mac));
                ops.AddRange(WantedShares(vm, files).Select(s => new AddVmShare(id, s.Tag, s.Path)));
                ops.Add(new AttachSeed(id, files.SeedPath));
                if (vm.Generation == 2 && request.Rules.SecureBootTemplates)
                    ops.Add(new SetFirmware(id, true, SecureBootTemplate(vm.Os), files.DiskPath));
                ops.Add(new StartVm(id));
                _vms.Add((vm.Name, [.. ops]));
                return;
            }

            if (TransientState(vm.Name, host.State, request.Mode) is { } busy)
            {
                _conflicts.Add(busy);
                return;
            }
            var isOff = host.State == VmState.Off;
            var wake = Wake(host);
            if (request.Mode == ReconcileMode.Halt)
            {
                if (!isOff) _vms.Add((vm.Name, [.. wake, new StopVm(id, TurnOff: false)]));
                return;
            }

            // Changes Hyper-V accepts on a running VM, and those it refuses until the VM is off.
            var live = new List<HostOperation>();
            var offline = new List<HostOperation>();
            var hotPlug = request.Rules.AdaptersHotPlug(vm.Generation) ? live : offline;
            // On, the next start would move the VM onto a checkpoint's .avhdx.
            if (host.AutomaticCheckpoints)
                live.Add(new DisableAutomaticSnapshots(id));
            // A host that does not say (or whose VM had its checkpoints disabled by hand) is left as it is: 'lab snapshot save' sets the type it takes.
            if (request.Rules.SnapshotTypes && host.SnapshotType is { } taken && taken != vm.SnapshotType)
                live.Add(new SetSnapshotType(id, vm.SnapshotType));
            if (host.Cpus != vm.Cpus || host.MemoryBytes != vm.MemoryBytes)
                offline.Add(new SetVmHardware(id, vm.Cpus, vm.MemoryBytes));
            var wanted = vm.Adapters.ToDictionary(a => a.GuestInterfaceName, StringComparer.OrdinalIgnoreCase);
            foreach (var extra in host.Adapters.Where(a => !wanted.ContainsKey(a.Name)))
                hotPlug.Add(new RemoveVmAdapter(id, extra.Name));
            foreach (var a in vm.Adapters)
            {
                var switchName = _switchOf[a.Network];
                var existing = host.Adapters.FirstOrDefault(h => string.Equals(h.Name, a.GuestInterfaceName, StringComparison.OrdinalIgnoreCase));
                if (existing is null)
                {
                    hotPlug.Add(new AddVmAdapter(id, a.GuestInterfaceName, switchName, a.Mac));
                }
                else if (existing.Mac != a.Mac)
                {
                    offline.Add(new RemoveVmAdapter(id, existing.Name));
                    offline.Add(new AddVmAdapter(id, a.GuestInterfaceName, switchName, a.Mac));
                }
                else if (!string.Equals(existing.SwitchName, switchName, StringComparison.OrdinalIgnoreCase))
                {
                    live.Add(new ConnectVmAdapter(id, existing.Name, switchName));
                }
            }
            offline.AddRange(ShareChanges(host, WantedShares(vm, files), request.Rules.PathComparison));
            var seedChanged = !host.HoldsDisc(files.SeedPath);
            if (seedChanged)
            {
                // The seed goes into the drive that holds an earlier seed of this lab, else an empty one, else a
                // new one; a disc the user put in another drive stays. Changing the disc in a drive the VM has
                // works while running; adding a drive does not.
                SeedDrive drive = host.DvdDrives.FirstOrDefault(d => IsUnder(d.Path, request.LabFolder, request.Rules)) is { } earlier ? new SeedDrive.Holding(earlier.Path)
                    : host.DvdDrives.Any(d => d.IsEmpty) ? new SeedDrive.Empty()
                    : new SeedDrive.EmptyOrNew();
                (drive.Exists && request.Rules.SeedChangeWhileRunning ? live : offline).Add(new AttachSeed(id, files.SeedPath, drive));
            }
            else if (request.MissingSeeds?.Contains(files.SeedPath) == true)
            {
                // The VM holds its seed but the file is gone (.lab was deleted): written again and re-inserted.
                var held = host.DvdDrives.First(d => string.Equals(d.Path, files.SeedPath, StringComparison.OrdinalIgnoreCase)).Path;
                live.Add(new AttachSeed(id, files.SeedPath, new SeedDrive.Holding(held)));
            }
            // A VM whose creation stopped before its firmware step still has New-VM's default template
            // (MicrosoftWindows): the template read back says so. A host that does not report it (null) is
            // taken at its word that secure boot is on.
            var plannedTemplate = SecureBootTemplate(vm.Os);
            var wrongTemplate = host.SecureBootTemplate is { } template && !string.Equals(template, plannedTemplate, StringComparison.OrdinalIgnoreCase);
            if (vm.Generation == 2 && request.Rules.SecureBootTemplates && (!host.SecureBoot || wrongTemplate))
                // The disk the VM runs on: its own, or with snapshots the differencing disk of the chain that ends in it.
                offline.Add(new SetFirmware(id, true, plannedTemplate, host.HardDiskOn(files.DiskPath) ?? files.DiskPath));

            if (request.Mode == ReconcileMode.Reload)
            {
                if (!isOff)
                {
                    ops.AddRange(wake);
                    ops.Add(new StopVm(id, TurnOff: false));
                }
                ops.AddRange(live);
                ops.AddRange(offline);
                ops.Add(new StartVm(id));
            }
            else if (isOff)
            {
                ops.AddRange(live);
                ops.AddRange(offline);
                ops.Add(new StartVm(id));
            }
            else
            {
                // Up resumes a paused VM and restores a saved one, as it starts one that is off.
                ops.AddRange(wake);
                ops.AddRange(live);
                if (offline.Count > 0)
                {
                    Pending(vm.Name, [.. offline.Select(o => o.Describe())], $"VM '{vm.Name}' is running; 'lab reload {vm.Name}' applies what needs it off: " +
                        string.Join("; ", offline.Select(o => o.Describe())) + ".");
                }
                // A seed put in while the VM ran, by this run or an earlier one, waits for its next boot.
                var notBooted = request.BootedSeeds?.GetValueOrDefault(vm.Name) is { } booted && files.SeedPath.Length > 0
                    && !string.Equals(booted, files.SeedPath, StringComparison.OrdinalIgnoreCase);
                if ((seedChanged || notBooted) && offline.Count == 0)
                {
                    if (vm.Os == GuestOs.Windows)
                        // Windows reads an answer file only while it is set up; a restart applies nothing.
                        _notices.Add($"VM '{vm.Name}' has a new answer file (its network, hostname or administrator password changed); Windows applies one only during setup, so change the running VM inside Windows, or recreate it with 'lab down {vm.Name}' and 'lab up {vm.Name}'.");
                    else
                        Pending(vm.Name, ["apply the new seed (its network or hostname changed) at the next boot"],
                            $"VM '{vm.Name}' has a new seed (its network or hostname changed); 'lab reload {vm.Name}' restarts it so cloud-init applies it.");
                }
            }
            _vms.Add((vm.Name, [.. ops]));
        }

        /// <summary>
        /// Back to Running with the guest's memory as it was: Resume-VM for a paused VM, Start-VM restores a
        /// saved one. Hyper-V refuses a guest shutdown and hardware changes in either state.
        /// </summary>
        private static HostOperation[] Wake(HostVm host) => host.State switch
        {
            VmState.Paused => [new ResumeVm(host.Name)],
            VmState.Saved => [new StartVm(host.Name)],
            _ => [],
        };

        /// <summary>lab halt NAME of a VM of this lab that is no longer in the Labfile.</summary>
        private void HaltStrayVms()
        {
            foreach (var target in request.TargetVms.Where(t => !request.Plan.Vms.Any(v => string.Equals(v.Name, t, StringComparison.OrdinalIgnoreCase))))
            {
                if (Inv.Vm(request.Rules.VmName(request.Identity.Lab, target)) is not { } host || !request.Identity.Owns(host.Notes) || host.State == VmState.Off) continue;
                if (TransientState(target, host.State, request.Mode) is { } busy)
                    _conflicts.Add(busy);
                else
                    _vms.Add((target, [.. Wake(host), new StopVm(host.Name, TurnOff: false)]));
            }
        }

        /// <summary>
        /// Starting and Stopping last seconds and Hyper-V refuses most requests meanwhile; LabRunner does not guess
        /// where the VM is going, so the command stops before changing anything and asks to run it again.
        /// </summary>
        internal static Conflict? TransientState(string vm, VmState state, ReconcileMode mode) => state switch
        {
            VmState.Starting or VmState.Stopping => new Conflict(
                $"VM '{vm}' is {state.ToString().ToLowerInvariant()}; wait until it is running or off, then run 'lab {mode.ToString().ToLowerInvariant()}' again."),
            VmState.Other => new Conflict(
                $"VM '{vm}' is in a state LabRunner does not handle (not off, running, paused or saved); bring it to one of those in Hyper-V Manager, then run 'lab {mode.ToString().ToLowerInvariant()}' again."),
            _ => null,
        };

        private void Pending(string vm, ImmutableArray<string> changes, string notice)
        {
            _notices.Add(notice);
            _pending.Add(new PendingChange(vm, changes, $"lab reload {vm}", notice));
        }

        private void NoticeStrays()
        {
            var planned = request.Plan.Vms.Select(v => v.HostVmName).ToHashSet(StringComparer.OrdinalIgnoreCase);
            foreach (var stray in Inv.Vms.Where(v => request.Identity.Owns(v.Notes) && !planned.Contains(v.Name)))
            {
                var name = request.Rules.LabfileVmName(request.Identity.Lab, stray.Name) ?? stray.Name;
                _notices.Add($"VM '{name}' ({stray.Name}) of this lab is no longer in the Labfile; 'lab down {name}' removes it" +
                    (stray.State == VmState.Off ? "." : $", 'lab halt {name}' stops it."));
            }
            var switches = request.Plan.Networks.Select(n => n.Switch).ToHashSet(StringComparer.OrdinalIgnoreCase);
            foreach (var stray in Inv.Switches.Where(s => request.Identity.Owns(s.Notes) && !switches.Contains(s.Name) && !_removedSwitches.Contains(s.Name) && !request.TargetVms.IsEmpty))
                _notices.Add($"switch '{stray.Name}' of this lab is no longer in the Labfile (its network was renamed or removed); 'lab up' of the whole lab removes it once no VM is on it.");
        }
    }
}
