using System.Collections.Immutable;
using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Core.Planning;
using LabRunner.Core.Reconciliation;

namespace LabRunner.Core.Tests.Reconciliation;

/// <summary>
/// Every state a VM can be in on Hyper-V × every command: the operations the reconciler lists, and that each of
/// them is one Hyper-V accepts in the state the VM is in by then (Stop-VM needs it running, -TurnOff running or
/// paused, Resume-VM paused, Start-VM off or saved, Remove-VMSavedState saved (DiscardSuspendedState), Set-VM and Remove-VM off).
/// </summary>
public class VmStateTests
{
    private const string Lab = """
        name: demo
        boxes: { ubuntu: /boxes/ubuntu.vhdx }
        defaults: { box: ubuntu }
        networks:
          - { name: back, type: private, subnet: 192.168.77.0/24 }
        vms:
          - { name: web, networks: [back] }
        """;

    private static readonly LabIdentity Me = new("demo", "p1");

    public static TheoryData<VmState, ReconcileMode, string> InSync => new()
    {
        { VmState.Off, ReconcileMode.Up, "Start" },
        { VmState.Running, ReconcileMode.Up, "" },
        { VmState.Paused, ReconcileMode.Up, "Resume" },
        { VmState.Saved, ReconcileMode.Up, "Start" },
        { VmState.Starting, ReconcileMode.Up, "conflict" },
        { VmState.Stopping, ReconcileMode.Up, "conflict" },

        { VmState.Off, ReconcileMode.Halt, "" },
        { VmState.Running, ReconcileMode.Halt, "Shutdown" },
        { VmState.Paused, ReconcileMode.Halt, "Resume Shutdown" },
        { VmState.Saved, ReconcileMode.Halt, "Start Shutdown" },
        { VmState.Starting, ReconcileMode.Halt, "conflict" },
        { VmState.Stopping, ReconcileMode.Halt, "conflict" },

        { VmState.Off, ReconcileMode.Reload, "Start" },
        { VmState.Running, ReconcileMode.Reload, "Shutdown Start" },
        { VmState.Paused, ReconcileMode.Reload, "Resume Shutdown Start" },
        { VmState.Saved, ReconcileMode.Reload, "Start Shutdown Start" },
        { VmState.Starting, ReconcileMode.Reload, "conflict" },
        { VmState.Stopping, ReconcileMode.Reload, "conflict" },

        { VmState.Off, ReconcileMode.Down, "RemoveVm" },
        { VmState.Running, ReconcileMode.Down, "TurnOff RemoveVm" },
        { VmState.Paused, ReconcileMode.Down, "TurnOff RemoveVm" },
        { VmState.Saved, ReconcileMode.Down, "DiscardSuspendedState RemoveVm" },
        { VmState.Starting, ReconcileMode.Down, "conflict" },
        { VmState.Stopping, ReconcileMode.Down, "conflict" },
    };

    [Theory]
    [MemberData(nameof(InSync))]
    public void A_vm_as_the_labfile_says_gets_the_operations_its_state_needs(VmState state, ReconcileMode mode, string expected)
    {
        var r = Run(state, mode, memoryBytes: null);

        AssertOperations(r, state, mode, expected);
    }

    public static TheoryData<VmState, ReconcileMode, string> MemoryChanged => new()
    {
        { VmState.Off, ReconcileMode.Up, "SetVmHardware Start" },
        { VmState.Running, ReconcileMode.Up, "" },
        { VmState.Paused, ReconcileMode.Up, "Resume" },
        { VmState.Saved, ReconcileMode.Up, "Start" },
        { VmState.Off, ReconcileMode.Reload, "SetVmHardware Start" },
        { VmState.Running, ReconcileMode.Reload, "Shutdown SetVmHardware Start" },
        { VmState.Paused, ReconcileMode.Reload, "Resume Shutdown SetVmHardware Start" },
        { VmState.Saved, ReconcileMode.Reload, "Start Shutdown SetVmHardware Start" },
    };

    [Theory]
    [MemberData(nameof(MemoryChanged))]
    public void A_change_that_needs_the_vm_off_is_applied_only_while_it_is_off(VmState state, ReconcileMode mode, string expected)
    {
        var r = Run(state, mode, memoryBytes: 1L << 30);

        AssertOperations(r, state, mode, expected);
        if (mode == ReconcileMode.Up && state != VmState.Off)
            Assert.Contains(r.Notices, n => n.Contains("'lab reload web'", StringComparison.Ordinal));
    }

    [Fact]
    public void Up_no_longer_tells_the_user_to_reload_a_paused_vm_it_resumes_itself()
    {
        var r = Run(VmState.Paused, ReconcileMode.Up, memoryBytes: null);

        Assert.DoesNotContain(r.Notices, n => n.Contains("paused", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(VmState.Starting)]
    [InlineData(VmState.Stopping)]
    public void A_vm_in_a_transient_state_stops_the_command_with_a_message_to_wait(VmState state)
    {
        var r = Run(state, ReconcileMode.Up, memoryBytes: null);

        var conflict = Assert.Single(r.Conflicts);
        Assert.Equal($"VM 'web' is {state.ToString().ToLowerInvariant()}; wait until it is running or off, then run 'lab up' again.", conflict.Message);
        Assert.True(r.IsEmpty);
    }

    private static void AssertOperations(Core.Reconciliation.Reconciliation r, VmState state, ReconcileMode mode, string expected)
    {
        if (expected == "conflict")
        {
            Assert.Single(r.Conflicts);
            Assert.True(r.IsEmpty);
            return;
        }
        Assert.Empty(r.Conflicts);
        var ops = r.Vms.SelectMany(v => v.Operations).Where(o => o is not RemoveFile).ToList();
        Assert.Equal(expected, string.Join(' ', ops.Select(Name)));
        AcceptedByHyperV(state, ops);
    }

    /// <summary>Walks the operations through Hyper-V's state rules; each must be allowed in the state the VM has by then.</summary>
    private static void AcceptedByHyperV(VmState state, IEnumerable<HostOperation> ops)
    {
        foreach (var op in ops)
        {
            state = (op, state) switch
            {
                (StopVm { TurnOff: false }, VmState.Running) => VmState.Off,
                (StopVm { TurnOff: true }, VmState.Running or VmState.Paused) => VmState.Off,
                (ResumeVm, VmState.Paused) => VmState.Running,
                (StartVm, VmState.Off or VmState.Saved) => VmState.Running,
                (DiscardSuspendedState, VmState.Saved) => VmState.Off,
                (SetVmHardware or SetFirmware or RemoveVm, VmState.Off) => VmState.Off,
                (AttachSeed { Drive.Exists: true } or ConnectVmAdapter, VmState.Off or VmState.Running) => state,
                _ => throw new Xunit.Sdk.XunitException($"Hyper-V refuses '{op.Describe()}' on a VM that is {state}."),
            };
        }
    }

    private static string Name(HostOperation op) => op switch
    {
        StopVm { TurnOff: true } => "TurnOff",
        StopVm => "Shutdown",
        StartVm => "Start",
        ResumeVm => "Resume",
        _ => op.GetType().Name,
    };

    private static Core.Reconciliation.Reconciliation Run(VmState state, ReconcileMode mode, long? memoryBytes)
    {
        var plan = LabfileLoader.LoadAndPlan(new SourceText("Labfile.yml", Lab), null, LabContext.Default).Plan!;
        var web = plan.Vms[0];
        var files = plan.Vms.ToImmutableDictionary(v => v.Name, v => new VmFiles($"/p/.lab/vms/{v.Name}", $"/p/.lab/vms/{v.Name}/{v.Name}.vhdx",
            $"/p/.lab/vms/{v.Name}/seed-1.iso", "/boxes/ubuntu.vhdx"));
        var adapters = web.Adapters.Select(a => new HostVmAdapter(a.GuestInterfaceName, a.Switch, a.Mac)).ToImmutableArray();
        var vm = new HostVm(web.HostVmName, state, Me.Mark, 2, memoryBytes ?? web.MemoryBytes, web.Cpus, adapters,
            [files["web"].DiskPath], [new HostDvdDrive(0, 1, files["web"].SeedPath)], true);
        var vnic = new HostNetAdapter(HyperVRules.VnicName(plan.Networks[0].Switch), "Hyper-V", false,
            [new HostIp(plan.Networks[0].Gateway!.Value, 24)]);
        var inventory = HostInventory.Empty with
        {
            NetAdapters = [vnic],
            Switches = [new HostSwitch(plan.Networks[0].Switch, SwitchKind.Internal, null, Me.Mark)],
            Vms = [vm],
            Files = ["/boxes/ubuntu.vhdx", files["web"].DiskPath],
        };
        return Reconciler.Reconcile(new ReconcileRequest(plan, inventory, Me, mode, files, "/p/.lab", [], []));
    }
}
