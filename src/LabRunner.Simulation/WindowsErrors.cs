using System.Globalization;
using LabRunner.Core.Hosting;

namespace LabRunner.Simulation;

/// <summary>
/// Every refusal of the simulated host, worded as Windows words it, in one place. Error ids are the
/// part of Windows' FullyQualifiedErrorId before the comma. Where a text was seen in real error output
/// (issue trackers quoting PowerShell sessions) the comment says "seen"; otherwise it is modelled on
/// the module's style and says so. Where Windows is terse ("The parameter is incorrect."), a second
/// sentence says which rule was broken, because users of the simulated host need to know.
/// </summary>
public static partial class WindowsErrors
{
    // Error ids of the Hyper-V module (VirtualizationException).
    public const string ObjectNotFound = "ObjectNotFound";
    /// <summary>Get-VM of a missing VM reports InvalidParameter (category InvalidArgument), unlike the other Hyper-V cmdlets. Seen.</summary>
    public const string InvalidParameter = "InvalidParameter";
    public const string InvalidState = "InvalidState";
    public const string InvalidOperation = "InvalidOperation";
    public const string ObjectInUse = "ObjectInUse";
    public const string AlreadyExists = "AlreadyExists";

    // Error ids of the CDXML modules (NetNat, NetTCPIP, NetAdapter): "Windows System Error N" for Win32 errors.
    public const string ParameterIncorrectId = "Windows System Error 87";
    public const string ObjectExists = "Windows System Error 5010";
    public const string SharingViolation = "Windows System Error 32";
    public const string ElementNotFound = "Windows System Error 1168";

    public const string Unspecified = "Unspecified";
    public const string InjectedFault = "InjectedFault";

    /// <summary>CDXML "not found" ids are CmdletizationQuery_NotFound_PROPERTY. Seen for Name and InterfaceAlias.</summary>
    public static string CimNotFoundId(string property) => "CmdletizationQuery_NotFound_" + property;

    // Hyper-V

    /// <summary>Seen (Get-VM, Set-VMFirmware, Start-VM …).</summary>
    public static SimulatedHostException VmNotFound(string name, bool fromGetVm = false) =>
        new(HostErrorKind.NotFound, fromGetVm ? InvalidParameter : ObjectNotFound, $"Hyper-V was unable to find a virtual machine with name \"{name}\".");

    /// <summary>Seen.</summary>
    public static SimulatedHostException SwitchNotFound(string name) =>
        new(HostErrorKind.NotFound, ObjectNotFound, $"Hyper-V was unable to find a virtual switch with name \"{name}\".");

    /// <summary>Seen (Start-VM on a VM in the wrong state).</summary>
    public static SimulatedHostException VmState(string vm, VmState state, string needs) =>
        new(HostErrorKind.InvalidState, InvalidState,
            $"The operation cannot be performed while the virtual machine is in its current state. ('{vm}' is {state}; {needs}.)");

    /// <summary>Modelled: real Hyper-V accepts duplicate switch names, which makes every -SwitchName ambiguous; the simulated host refuses them.</summary>
    public static SimulatedHostException SwitchExists(string name) =>
        new(HostErrorKind.AlreadyExists, AlreadyExists, $"Failed while creating virtual Ethernet switch. A virtual switch with the name '{name}' already exists.");

    /// <summary>Modelled: real Hyper-V accepts duplicate VM names; LabRunner addresses VMs by name, so the simulated host refuses them.</summary>
    public static SimulatedHostException VmExists(string name) =>
        new(HostErrorKind.AlreadyExists, AlreadyExists, $"Failed to create a new virtual machine. A virtual machine with the name '{name}' already exists.");

    public static SimulatedHostException NetAdapterNotFound(string name) =>
        new(HostErrorKind.NotFound, ObjectNotFound, $"Hyper-V was unable to find a network adapter with name \"{name}\".");

    /// <summary>Seen (New-VMSwitch on an adapter an external switch already uses).</summary>
    public static SimulatedHostException AdapterAlreadyBound(string description) =>
        new(HostErrorKind.Conflict, InvalidOperation,
            $"Failed while adding virtual Ethernet switch connections. External Ethernet adapter '{description}' is already bound to the Microsoft Virtual Switch protocol.");

    public static SimulatedHostException VmAdapterNotFound(string vm, string adapter) =>
        new(HostErrorKind.NotFound, ObjectNotFound, $"Unable to find a network adapter named '{adapter}' on virtual machine '{vm}'.");

    public static SimulatedHostException InvalidArgument(string message) =>
        new(HostErrorKind.Failed, InvalidParameter, message);

    public static SimulatedHostException FileNotFound(string what, string path) =>
        new(HostErrorKind.NotFound, ObjectNotFound, $"{what} The system cannot find the file specified. (0x80070002) ('{path}')");

    public static SimulatedHostException FileExists(string path) =>
        new(HostErrorKind.AlreadyExists, AlreadyExists, $"Failed to create the virtual hard disk. The system failed to create '{path}': The file exists. (0x80070050)");

    /// <summary>Modelled on the Win32 sharing violation Hyper-V reports for a disk another VM holds.</summary>
    public static SimulatedHostException FileInUse(string path, string vm) =>
        new(HostErrorKind.Conflict, ObjectInUse,
            $"The process cannot access the file '{path}' because it is being used by another process. (It is attached to virtual machine '{vm}'.)");

    // NetTCPIP / NetAdapter / NetNat (CDXML: CimException, CimJobException)

    /// <summary>Seen: "No MSFT_NetIPInterface objects found with property 'InterfaceAlias' equal to 'x'. Verify the value of the property and retry."</summary>
    public static SimulatedHostException CimNotFound(string cimClass, string property, string value) =>
        new(HostErrorKind.NotFound, CimNotFoundId(property),
            $"No {cimClass} objects found with property '{property}' equal to '{value}'. Verify the value of the property and retry.");

    /// <summary>Seen: New-NetIPAddress of an address the host already has (Windows System Error 5010).</summary>
    public static SimulatedHostException IpExists(string ip, string onInterface) =>
        new(HostErrorKind.AlreadyExists, ObjectExists, $"The object already exists. ({ip} is already on '{onInterface}'.)");

    /// <summary>Seen: New-NetNat answers only "The parameter is incorrect." (87) to a second NAT or an overlapping prefix.</summary>
    public static SimulatedHostException ParameterIncorrect(HostErrorKind kind, string why) =>
        new(kind, ParameterIncorrectId, $"The parameter is incorrect. ({why})");

    /// <summary>Modelled: WinNAT reports a port taken by another static mapping as a sharing violation (32).</summary>
    public static SimulatedHostException PortTaken(string protocol, string external, int port, uint existingId) =>
        new(HostErrorKind.Conflict, SharingViolation,
            string.Create(CultureInfo.InvariantCulture,
                $"The process cannot access the file because it is being used by another process. ({protocol} {external}:{port} is already forwarded by static mapping {existingId}; one external port per protocol and address host-wide.)"));

    public static SimulatedHostException NatNotFound(string name) => CimNotFound("MSFT_NetNat", "Name", name);

    public static SimulatedHostException Injected(int call) =>
        new(HostErrorKind.Failed, InjectedFault,
            string.Create(CultureInfo.InvariantCulture, $"Injected fault: mutating call {call} of this simulated host fails (FailAtOperation / LABRUNNER_SIM_FAIL_AT)."));
}
