using System.Collections;
using System.Collections.Concurrent;
using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Remoting;
using System.Management.Automation.Runspaces;

namespace LabRunner.HyperV.Emulation.Cmdlets;

// PowerShell Direct: Invoke-Command, New-PSSession, Remove-PSSession (Microsoft.PowerShell.Core) and
// Copy-Item (Microsoft.PowerShell.Management) with the parameter names and sets of the PowerShell 7.4
// reference (MicrosoftDocs/PowerShell-Docs reference/7.4). Only the PowerShell Direct sets act: the VM is
// resolved with 'Get-VM -Name' (the emulated Hyper-V cmdlet) as the real Invoke-Command does it
// (PSExecutionCmdlet.CreateHelpersForSpecifiedVMSession), must be Running, and the guest must accept the
// credential (EmulatedGuests). Errors carry the real resource texts and ids (RemotingErrorIdStrings):
// InvalidVMNameNotSingle, InvalidVMState, "The credential is invalid.". Other sets are declared and refused.
// One deviation: a real PSSession can only wrap a remote runspace, so sessions are EmulatedPSSession objects,
// and -Session/-ToSession/-FromSession take those.

/// <summary>A session into an emulated guest: a runspace of the real engine that lives until Remove-PSSession.</summary>
public sealed class EmulatedPSSession : IDisposable
{
    private static int _nextId;

    internal EmulatedPSSession(string vmName, Guid vmId, Runspace runspace, string? name)
    {
        Id = Interlocked.Increment(ref _nextId);
        VMName = vmName;
        VMId = vmId;
        Runspace = runspace;
        Name = name ?? $"WinRM{Id}";
    }

    public int Id { get; }

    public string Name { get; }

    public string VMName { get; }

    public Guid VMId { get; }

    public string ComputerName => VMName;

    public string ComputerType => "VirtualMachine";

    public Guid InstanceId { get; } = Guid.NewGuid();

    public string State => Runspace.RunspaceStateInfo.State == RunspaceState.Opened ? "Opened" : "Closed";

    internal Runspace Runspace { get; }

    public void Dispose() => Runspace.Dispose();

    public override string ToString() => $"[PSSession]{Name}";
}

/// <summary>What Invoke-Command and New-PSSession share: resolving the VM, checking it, opening the guest.</summary>
public abstract class EmulatedRemotingCmdlet : PSCmdlet
{
    /// <summary>The guest's session state: the engine's default commands and the stand-ins (no Hyper-V in a guest).</summary>
    internal static InitialSessionState GuestSessionState()
    {
        var state = InitialSessionState.CreateDefault2();
        foreach (var type in EmulatedHost.StandInTypes)
            state.Commands.Add(new SessionStateCmdletEntry(EmulatedHost.CommandName(type), type, null));
        return state;
    }

    private EmulatedGuests Guests =>
        SessionState.PSVariable.GetValue(EmulatedGuests.Variable) as EmulatedGuests
        ?? throw new InvalidOperationException("The session has no emulated guests.");

    /// <summary>Opens a session into <paramref name="vmName"/>'s guest, or writes the error Windows writes and returns null.</summary>
    protected (Runspace Runspace, string VmName, Guid VmId)? OpenGuest(string vmName, PSCredential credential)
    {
        Collection<PSObject> found;
        try
        {
            found = InvokeCommand.InvokeScript("Get-VM -Name $args", false, PipelineResultTypes.None, null, vmName);
        }
        catch (CommandNotFoundException)
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentException("The Hyper-V Module for Windows PowerShell is not available on this machine."),
                "HyperVModuleNotAvailable", ErrorCategory.NotInstalled, null));
            return null;
        }
        catch (RuntimeException)
        {
            found = [];
        }
        if (found.Count != 1)
        {
            WriteError(new ErrorRecord(new ArgumentException($"The input VMName {vmName} does not resolve to a single virtual machine."),
                "InvalidVMNameNotSingle", ErrorCategory.InvalidArgument, null));
            return null;
        }
        var vm = found[0];
        var name = (string)vm.Properties["VMName"].Value;
        var id = (Guid)vm.Properties["VMId"].Value;
        if (vm.Properties["State"].Value is not VMState.Running)
        {
            WriteError(new ErrorRecord(new ArgumentException($"The virtual machine {name} is not in running state."),
                "InvalidVMState", ErrorCategory.InvalidArgument, null));
            return null;
        }
        if (!Guests.Accepts(name, credential))
        {
            WriteError(new ErrorRecord(new PSRemotingTransportException("The credential is invalid."),
                "PSSessionOpenFailed", ErrorCategory.OpenError, name));
            return null;
        }
        var runspace = RunspaceFactory.CreateRunspace(GuestSessionState());
        runspace.Open();
        return (runspace, name, id);
    }

    /// <summary>Values cross a remoting boundary serialized (CLIXML), never as code.</summary>
    protected static object? Remote(object? value) =>
        value is null ? null : PSSerializer.Deserialize(PSSerializer.Serialize(value, 2));

    /// <summary>
    /// Runs <paramref name="script"/> (its text, as remoting sends it) in <paramref name="runspace"/> with
    /// <paramref name="arguments"/>, writing its output and errors here as they come, as Invoke-Command streams them.
    /// </summary>
    protected void RunInGuest(Runspace runspace, ScriptBlock script, object[]? arguments, string vmName)
    {
        using var items = new BlockingCollection<(PSObject? Output, ErrorRecord? Error)>();
        using var shell = PowerShell.Create(runspace);
        shell.AddScript(script.ToString());
        foreach (var argument in arguments ?? []) shell.AddArgument(Remote(argument));
        var output = new PSDataCollection<PSObject?>();
        output.DataAdded += (_, e) => items.Add((Remote(output[e.Index]) as PSObject ?? PSObject.AsPSObject(output[e.Index] ?? ""), null));
        shell.Streams.Error.DataAdded += (_, e) => items.Add((null, shell.Streams.Error[e.Index]));
        var run = Task.Run(() =>
        {
            try
            {
                shell.Invoke(null, output);
            }
            catch (RuntimeException e)
            {
                items.Add((null, e.ErrorRecord));
            }
            finally
            {
                items.CompleteAdding();
            }
        });
        foreach (var (item, error) in items.GetConsumingEnumerable())
        {
            if (error is not null)
                WriteError(new ErrorRecord(new RemoteException(error.Exception?.Message ?? error.ToString()), error.FullyQualifiedErrorId, error.CategoryInfo.Category, vmName));
            else
                WriteObject(item);
        }
        run.GetAwaiter().GetResult();
    }
}

/// <summary>Invoke-Command: the PowerShell Direct sets (VMName, VMId) and the Session set act; the others are declared as documented.</summary>
[Cmdlet(VerbsLifecycle.Invoke, "Command", DefaultParameterSetName = "InProcess")]
public sealed class InvokeCommandCommand : EmulatedRemotingCmdlet
{
    [Parameter(ParameterSetName = "Session", Position = 0)]
    [Parameter(ParameterSetName = "FilePathRunspace", Position = 0)]
    [ValidateNotNullOrEmpty]
    public EmulatedPSSession[]? Session { get; set; }

    [Parameter(ParameterSetName = "ComputerName", Position = 0)]
    [Parameter(ParameterSetName = "FilePathComputerName", Position = 0)]
    [Alias("Cn")]
    public string[]? ComputerName { get; set; }

    [Parameter(ParameterSetName = "ComputerName", ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = "Uri", ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = "FilePathComputerName", ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = "FilePathUri", ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = "VMId", Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = "VMName", Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = "FilePathVMId", Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = "FilePathVMName", Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [Credential]
    public PSCredential? Credential { get; set; }

    [Parameter(ParameterSetName = "ComputerName")]
    [Parameter(ParameterSetName = "FilePathComputerName")]
    [Parameter(ParameterSetName = "SSHHost")]
    public int Port { get; set; }

    [Parameter(ParameterSetName = "ComputerName")]
    [Parameter(ParameterSetName = "FilePathComputerName")]
    public SwitchParameter UseSSL { get; set; }

    [Parameter(ParameterSetName = "ComputerName", ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = "Uri", ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = "FilePathComputerName", ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = "FilePathUri", ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = "VMId", ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = "VMName", ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = "FilePathVMId", ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = "FilePathVMName", ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = "ContainerId", ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = "FilePathContainerId", ValueFromPipelineByPropertyName = true)]
    public string? ConfigurationName { get; set; }

    [Parameter(ParameterSetName = "ComputerName", ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = "FilePathComputerName", ValueFromPipelineByPropertyName = true)]
    public string? ApplicationName { get; set; }

    [Parameter(ParameterSetName = "Session")]
    [Parameter(ParameterSetName = "ComputerName")]
    [Parameter(ParameterSetName = "FilePathComputerName")]
    [Parameter(ParameterSetName = "FilePathRunspace")]
    [Parameter(ParameterSetName = "Uri")]
    [Parameter(ParameterSetName = "FilePathUri")]
    [Parameter(ParameterSetName = "VMId")]
    [Parameter(ParameterSetName = "VMName")]
    [Parameter(ParameterSetName = "FilePathVMId")]
    [Parameter(ParameterSetName = "FilePathVMName")]
    [Parameter(ParameterSetName = "ContainerId")]
    [Parameter(ParameterSetName = "FilePathContainerId")]
    public int ThrottleLimit { get; set; }

    [Parameter(Position = 0, ParameterSetName = "Uri")]
    [Parameter(Position = 0, ParameterSetName = "FilePathUri")]
    [Alias("URI", "CU")]
    public Uri[]? ConnectionUri { get; set; }

    [Parameter(ParameterSetName = "Session")]
    [Parameter(ParameterSetName = "ComputerName")]
    [Parameter(ParameterSetName = "FilePathComputerName")]
    [Parameter(ParameterSetName = "FilePathRunspace")]
    [Parameter(ParameterSetName = "Uri")]
    [Parameter(ParameterSetName = "FilePathUri")]
    [Parameter(ParameterSetName = "VMId")]
    [Parameter(ParameterSetName = "VMName")]
    [Parameter(ParameterSetName = "FilePathVMId")]
    [Parameter(ParameterSetName = "FilePathVMName")]
    [Parameter(ParameterSetName = "ContainerId")]
    [Parameter(ParameterSetName = "FilePathContainerId")]
    [Parameter(ParameterSetName = "SSHHost")]
    [Parameter(ParameterSetName = "SSHHostHashParam")]
    [Parameter(ParameterSetName = "FilePathSSHHost")]
    [Parameter(ParameterSetName = "FilePathSSHHostHash")]
    public SwitchParameter AsJob { get; set; }

    [Parameter(ParameterSetName = "ComputerName")]
    [Parameter(ParameterSetName = "FilePathComputerName")]
    [Parameter(ParameterSetName = "Uri")]
    [Parameter(ParameterSetName = "FilePathUri")]
    [Alias("Disconnected")]
    public SwitchParameter InDisconnectedSession { get; set; }

    [Parameter(ParameterSetName = "ComputerName")]
    [Parameter(ParameterSetName = "FilePathComputerName")]
    [Parameter(ParameterSetName = "Uri")]
    [Parameter(ParameterSetName = "FilePathUri")]
    public string[]? SessionName { get; set; }

    [Parameter(ParameterSetName = "Session")]
    [Parameter(ParameterSetName = "ComputerName")]
    [Parameter(ParameterSetName = "FilePathComputerName")]
    [Parameter(ParameterSetName = "FilePathRunspace")]
    [Parameter(ParameterSetName = "Uri")]
    [Parameter(ParameterSetName = "FilePathUri")]
    [Parameter(ParameterSetName = "VMId")]
    [Parameter(ParameterSetName = "VMName")]
    [Parameter(ParameterSetName = "FilePathVMId")]
    [Parameter(ParameterSetName = "FilePathVMName")]
    [Parameter(ParameterSetName = "ContainerId")]
    [Parameter(ParameterSetName = "FilePathContainerId")]
    [Parameter(ParameterSetName = "SSHHost")]
    [Parameter(ParameterSetName = "SSHHostHashParam")]
    [Parameter(ParameterSetName = "FilePathSSHHost")]
    [Parameter(ParameterSetName = "FilePathSSHHostHash")]
    [Alias("HCN")]
    public SwitchParameter HideComputerName { get; set; }

    [Parameter(ParameterSetName = "Session")]
    [Parameter(ParameterSetName = "ComputerName")]
    [Parameter(ParameterSetName = "FilePathComputerName")]
    [Parameter(ParameterSetName = "FilePathRunspace")]
    [Parameter(ParameterSetName = "Uri")]
    [Parameter(ParameterSetName = "FilePathUri")]
    [Parameter(ParameterSetName = "ContainerId")]
    [Parameter(ParameterSetName = "FilePathContainerId")]
    [Parameter(ParameterSetName = "SSHHost")]
    [Parameter(ParameterSetName = "SSHHostHashParam")]
    public string? JobName { get; set; }

    [Parameter(Position = 1, Mandatory = true, ParameterSetName = "Session")]
    [Parameter(Position = 1, Mandatory = true, ParameterSetName = "ComputerName")]
    [Parameter(Position = 1, Mandatory = true, ParameterSetName = "Uri")]
    [Parameter(Position = 0, Mandatory = true, ParameterSetName = "InProcess")]
    [Parameter(Position = 1, Mandatory = true, ParameterSetName = "VMId")]
    [Parameter(Position = 1, Mandatory = true, ParameterSetName = "VMName")]
    [Parameter(Position = 1, Mandatory = true, ParameterSetName = "ContainerId")]
    [Parameter(Position = 1, Mandatory = true, ParameterSetName = "SSHHost")]
    [Parameter(Position = 1, Mandatory = true, ParameterSetName = "SSHHostHashParam")]
    [ValidateNotNull]
    [Alias("Command")]
    public ScriptBlock? ScriptBlock { get; set; }

    [Parameter(ParameterSetName = "InProcess")]
    public SwitchParameter NoNewScope { get; set; }

    [Parameter(Position = 1, Mandatory = true, ParameterSetName = "FilePathComputerName")]
    [Parameter(Position = 1, Mandatory = true, ParameterSetName = "FilePathRunspace")]
    [Parameter(Position = 1, Mandatory = true, ParameterSetName = "FilePathUri")]
    [Parameter(Position = 1, Mandatory = true, ParameterSetName = "FilePathVMId")]
    [Parameter(Position = 1, Mandatory = true, ParameterSetName = "FilePathVMName")]
    [Parameter(Position = 1, Mandatory = true, ParameterSetName = "FilePathContainerId")]
    [Parameter(Position = 1, Mandatory = true, ParameterSetName = "FilePathSSHHost")]
    [Parameter(Position = 1, Mandatory = true, ParameterSetName = "FilePathSSHHostHash")]
    [Alias("PSPath")]
    public string? FilePath { get; set; }

    [Parameter(ParameterSetName = "Uri")]
    [Parameter(ParameterSetName = "FilePathUri")]
    public SwitchParameter AllowRedirection { get; set; }

    [Parameter(ParameterSetName = "ComputerName")]
    [Parameter(ParameterSetName = "FilePathComputerName")]
    [Parameter(ParameterSetName = "Uri")]
    [Parameter(ParameterSetName = "FilePathUri")]
    public PSSessionOption? SessionOption { get; set; }

    [Parameter(ParameterSetName = "ComputerName")]
    [Parameter(ParameterSetName = "FilePathComputerName")]
    [Parameter(ParameterSetName = "Uri")]
    [Parameter(ParameterSetName = "FilePathUri")]
    public AuthenticationMechanism Authentication { get; set; }

    [Parameter(ParameterSetName = "ComputerName")]
    [Parameter(ParameterSetName = "FilePathComputerName")]
    [Parameter(ParameterSetName = "Uri")]
    [Parameter(ParameterSetName = "FilePathUri")]
    public SwitchParameter EnableNetworkAccess { get; set; }

    [Parameter]
    public SwitchParameter RemoteDebug { get; set; }

    [Parameter(ValueFromPipeline = true)]
    public PSObject? InputObject { get; set; }

    [Parameter]
    [Alias("Args")]
    public object[]? ArgumentList { get; set; }

    [Parameter(Position = 0, Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = "VMId")]
    [Parameter(Position = 0, Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = "FilePathVMId")]
    [Alias("VMGuid")]
    public Guid[]? VMId { get; set; }

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = "VMName")]
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = "FilePathVMName")]
    public string[]? VMName { get; set; }

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = "ContainerId")]
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = "FilePathContainerId")]
    public string[]? ContainerId { get; set; }

    [Parameter(ParameterSetName = "ContainerId")]
    [Parameter(ParameterSetName = "FilePathContainerId")]
    public SwitchParameter RunAsAdministrator { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = "SSHHost")]
    [Parameter(Mandatory = true, ParameterSetName = "FilePathSSHHost")]
    public string[]? HostName { get; set; }

    [Parameter(ParameterSetName = "SSHHost")]
    [Parameter(ParameterSetName = "FilePathSSHHost")]
    public string? UserName { get; set; }

    [Parameter(ParameterSetName = "SSHHost")]
    [Parameter(ParameterSetName = "FilePathSSHHost")]
    [Alias("IdentityFilePath")]
    public string? KeyFilePath { get; set; }

    [Parameter(ParameterSetName = "SSHHost")]
    [Parameter(ParameterSetName = "FilePathSSHHost")]
    public string? Subsystem { get; set; }

    [Parameter(ParameterSetName = "SSHHost")]
    [Parameter(ParameterSetName = "FilePathSSHHost")]
    public int ConnectingTimeout { get; set; }

    [Parameter(ParameterSetName = "SSHHost")]
    [Parameter(ParameterSetName = "FilePathSSHHost")]
    public SwitchParameter SSHTransport { get; set; }

    [Parameter(ParameterSetName = "SSHHost")]
    [Parameter(ParameterSetName = "FilePathSSHHost")]
    public Hashtable? Options { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = "SSHHostHashParam")]
    [Parameter(Mandatory = true, ParameterSetName = "FilePathSSHHostHash")]
    public Hashtable[]? SSHConnection { get; set; }

    [Parameter(ParameterSetName = "ComputerName")]
    [Parameter(ParameterSetName = "Uri")]
    public string? CertificateThumbprint { get; set; }

    [Parameter(ParameterSetName = "InProcess")]
    public Version? StrictMode { get; set; }

    protected override void ProcessRecord()
    {
        if (AsJob || RemoteDebug || InputObject is not null)
            ThrowTerminatingError(new ErrorRecord(new NotSupportedException("The emulated Invoke-Command runs no jobs, remote debugging or pipeline input."),
                "EmulationNotSupported", ErrorCategory.NotImplemented, null));
        switch (ParameterSetName)
        {
            case "VMName":
                foreach (var name in VMName!)
                {
                    if (OpenGuest(name, Credential!) is not var (runspace, vmName, _)) continue;
                    using (runspace) RunInGuest(runspace, ScriptBlock!, ArgumentList, vmName);
                }
                break;
            case "Session":
                foreach (var session in Session ?? [])
                {
                    if (session.State != "Opened")
                    {
                        WriteError(new ErrorRecord(new InvalidOperationException($"Because the session state for session {session.Name}, {session.InstanceId}, {session.ComputerName} is not equal to Open, you cannot run a command  in the session.  The session state is {session.State}."),
                            "InvalidSessionState", ErrorCategory.InvalidOperation, session));
                        continue;
                    }
                    RunInGuest(session.Runspace, ScriptBlock!, ArgumentList, session.VMName);
                }
                break;
            default:
                ThrowTerminatingError(new ErrorRecord(new NotSupportedException($"The emulated Invoke-Command implements PowerShell Direct (-VMName) and -Session only, not the {ParameterSetName} set."),
                    "EmulationNotSupported", ErrorCategory.NotImplemented, null));
                break;
        }
    }
}

/// <summary>New-PSSession: the VMName set acts; the others are declared as documented.</summary>
[Cmdlet(VerbsCommon.New, "PSSession", DefaultParameterSetName = "ComputerName")]
[OutputType(typeof(EmulatedPSSession))]
public sealed class NewPSSessionCommand : EmulatedRemotingCmdlet
{
    [Parameter(Position = 0, ValueFromPipeline = true, ParameterSetName = "ComputerName")]
    [Alias("Cn")]
    public string[]? ComputerName { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = "ComputerName")]
    [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = "Uri")]
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = "VMId")]
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = "VMName")]
    [Credential]
    public PSCredential? Credential { get; set; }

    [Parameter]
    public string[]? Name { get; set; }

    [Parameter(ParameterSetName = "ComputerName")]
    [Parameter(ParameterSetName = "Uri")]
    [Parameter(ParameterSetName = "Session")]
    public SwitchParameter EnableNetworkAccess { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = "ComputerName")]
    [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = "Uri")]
    [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = "VMId")]
    [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = "VMName")]
    [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = "ContainerId")]
    public string? ConfigurationName { get; set; }

    [Parameter(ParameterSetName = "ComputerName")]
    [Parameter(ParameterSetName = "SSHHost")]
    public int Port { get; set; }

    [Parameter(ParameterSetName = "ComputerName")]
    public SwitchParameter UseSSL { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = "ComputerName")]
    public string? ApplicationName { get; set; }

    [Parameter(ParameterSetName = "ComputerName")]
    [Parameter(ParameterSetName = "Uri")]
    [Parameter(ParameterSetName = "VMId")]
    [Parameter(ParameterSetName = "VMName")]
    [Parameter(ParameterSetName = "Session")]
    [Parameter(ParameterSetName = "ContainerId")]
    public int ThrottleLimit { get; set; }

    [Parameter(Position = 0, Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = "Uri")]
    [Alias("URI", "CU")]
    public Uri[]? ConnectionUri { get; set; }

    [Parameter(ParameterSetName = "Uri")]
    public SwitchParameter AllowRedirection { get; set; }

    [Parameter(ParameterSetName = "ComputerName")]
    [Parameter(ParameterSetName = "Uri")]
    public PSSessionOption? SessionOption { get; set; }

    [Parameter(ParameterSetName = "ComputerName")]
    [Parameter(ParameterSetName = "Uri")]
    public AuthenticationMechanism Authentication { get; set; }

    [Parameter(ParameterSetName = "ComputerName")]
    [Parameter(ParameterSetName = "Uri")]
    public string? CertificateThumbprint { get; set; }

    [Parameter(Position = 0, Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = "VMId")]
    [Alias("VMGuid")]
    public Guid[]? VMId { get; set; }

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = "VMName")]
    public string[]? VMName { get; set; }

    [Parameter(Position = 0, ValueFromPipeline = true, ParameterSetName = "Session")]
    public EmulatedPSSession[]? Session { get; set; }

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = "ContainerId")]
    public string[]? ContainerId { get; set; }

    [Parameter(ParameterSetName = "ContainerId")]
    public SwitchParameter RunAsAdministrator { get; set; }

    [Parameter(ParameterSetName = "UseWindowsPowerShellParameterSet")]
    public SwitchParameter UseWindowsPowerShell { get; set; }

    [Parameter(Position = 0, Mandatory = true, ValueFromPipeline = true, ParameterSetName = "SSHHost")]
    public string[]? HostName { get; set; }

    [Parameter(ParameterSetName = "SSHHost")]
    public string? UserName { get; set; }

    [Parameter(ParameterSetName = "SSHHost")]
    [Alias("IdentityFilePath")]
    public string? KeyFilePath { get; set; }

    [Parameter(ParameterSetName = "SSHHost")]
    public string? Subsystem { get; set; }

    [Parameter(ParameterSetName = "SSHHost")]
    public int ConnectingTimeout { get; set; }

    [Parameter(ParameterSetName = "SSHHost")]
    public SwitchParameter SSHTransport { get; set; }

    [Parameter(ParameterSetName = "SSHHost")]
    public Hashtable? Options { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = "SSHHostHashParam")]
    public Hashtable[]? SSHConnection { get; set; }

    protected override void ProcessRecord()
    {
        if (ParameterSetName != "VMName")
            ThrowTerminatingError(new ErrorRecord(new NotSupportedException($"The emulated New-PSSession implements PowerShell Direct (-VMName) only, not the {ParameterSetName} set."),
                "EmulationNotSupported", ErrorCategory.NotImplemented, null));
        for (var i = 0; i < VMName!.Length; i++)
        {
            if (OpenGuest(VMName[i], Credential!) is not var (runspace, vmName, vmId)) continue;
            WriteObject(new EmulatedPSSession(vmName, vmId, runspace, Name is { } names && i < names.Length ? names[i] : null));
        }
    }
}

/// <summary>Remove-PSSession: the Session set acts; the others are declared as documented.</summary>
[Cmdlet(VerbsCommon.Remove, "PSSession", DefaultParameterSetName = "Id", SupportsShouldProcess = true)]
public sealed class RemovePSSessionCommand : PSCmdlet
{
    [Parameter(Position = 0, Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = "Id")]
    public int[]? Id { get; set; }

    [Parameter(Position = 0, Mandatory = true, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = "Session")]
    public EmulatedPSSession[]? Session { get; set; }

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = "ContainerId")]
    public string[]? ContainerId { get; set; }

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = "VMId")]
    [Alias("VMGuid")]
    public Guid[]? VMId { get; set; }

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = "VMName")]
    public string[]? VMName { get; set; }

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = "InstanceId")]
    public Guid[]? InstanceId { get; set; }

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = "Name")]
    public string[]? Name { get; set; }

    [Parameter(Position = 0, Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = "ComputerName")]
    [Alias("Cn")]
    public string[]? ComputerName { get; set; }

    protected override void ProcessRecord()
    {
        if (ParameterSetName != "Session")
            ThrowTerminatingError(new ErrorRecord(new NotSupportedException($"The emulated Remove-PSSession implements -Session only, not the {ParameterSetName} set."),
                "EmulationNotSupported", ErrorCategory.NotImplemented, null));
        foreach (var session in Session!)
            if (ShouldProcess(session.ToString(), "Remove")) session.Dispose();
    }
}

/// <summary>
/// Copy-Item [-Path] | -LiteralPath [[-Destination]] [-ToSession] [-FromSession] [-Force] …: copies one file,
/// on this machine or into an emulated guest's session (whose file system is this machine's). As on Windows,
/// the destination's folder must exist; an existing file is replaced.
/// </summary>
[Cmdlet(VerbsCommon.Copy, "Item", DefaultParameterSetName = "Path", SupportsShouldProcess = true, SupportsTransactions = true)]
public sealed class CopyItemCommand : PSCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Path", ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    public string[] Path { get; set; } = [];

    [Parameter(Mandatory = true, ParameterSetName = "LiteralPath", ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP")]
    public string[] LiteralPath { get; set; } = [];

    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    public string? Destination { get; set; }

    [Parameter]
    public SwitchParameter Container { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    public string? Filter { get; set; }

    [Parameter]
    public string[]? Include { get; set; }

    [Parameter]
    public string[]? Exclude { get; set; }

    [Parameter]
    public SwitchParameter Recurse { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Credential]
    public PSCredential? Credential { get; set; }

    [Parameter]
    public EmulatedPSSession? FromSession { get; set; }

    [Parameter]
    public EmulatedPSSession? ToSession { get; set; }

    protected override void ProcessRecord()
    {
        if (FromSession is not null || Recurse || Filter is not null || Include is not null || Exclude is not null || Credential is not null)
            ThrowTerminatingError(new ErrorRecord(new NotSupportedException("The emulated Copy-Item copies single files (optionally -ToSession) only."),
                "EmulationNotSupported", ErrorCategory.NotImplemented, null));
        if (ToSession is { State: not "Opened" } closed)
            ThrowTerminatingError(new ErrorRecord(new InvalidOperationException($"The session {closed.Name} is not open."), "SessionNotOpened", ErrorCategory.InvalidOperation, closed));
        var literal = ParameterSetName == "LiteralPath";
        foreach (var path in literal ? LiteralPath : Path)
        {
            string source;
            try
            {
                source = literal
                    ? SessionState.Path.GetUnresolvedProviderPathFromPSPath(path)
                    : SessionState.Path.GetResolvedProviderPathFromPSPath(path, out _).Single();
            }
            catch (RuntimeException e)
            {
                WriteError(new ErrorRecord(e.ErrorRecord, e));
                continue;
            }
            // A -ToSession destination is a path in the guest, taken as written (no local PowerShell drive).
            var destination = ToSession is null ? SessionState.Path.GetUnresolvedProviderPathFromPSPath(Destination ?? ".") : Destination ?? ".";
            if (Directory.Exists(destination)) destination = System.IO.Path.Combine(destination, System.IO.Path.GetFileName(source));
            if (!ShouldProcess($"Item: {source} Destination: {destination}", "Copy File")) continue;
            try
            {
                File.Copy(source, destination, overwrite: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                WriteError(new ErrorRecord(e, e is FileNotFoundException ? "PathNotFound,Microsoft.PowerShell.Commands.CopyItemCommand" : "CopyError,Microsoft.PowerShell.Commands.CopyItemCommand",
                    e is FileNotFoundException or DirectoryNotFoundException ? ErrorCategory.ObjectNotFound : ErrorCategory.WriteError, path));
                continue;
            }
            if (PassThru) WriteObject(new FileInfo(destination));
        }
    }
}
