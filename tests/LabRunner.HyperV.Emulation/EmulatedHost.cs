using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Reflection;
using LabRunner.HyperV.Emulation.Cmdlets;
using LabRunner.Simulation;

namespace LabRunner.HyperV.Emulation;

/// <summary>What a script run through the emulation produced.</summary>
public sealed record EmulationResult(IReadOnlyList<PSObject?> Objects, IReadOnlyList<ErrorRecord> Errors, IReadOnlyList<string> Warnings)
{
    /// <summary>The output objects as strings (PowerShell's conversion).</summary>
    public IReadOnlyList<string> Output => [.. Objects.Select(o => o is null ? "" : LanguagePrimitives.ConvertTo<string>(o))];

    public bool Succeeded => Errors.Count == 0;
}

/// <summary>
/// Sessions of the real PowerShell engine in which the Hyper-V, NetNat, NetTCPIP and NetAdapter
/// cmdlets are the emulated ones, acting on a <see cref="SimulatedHost"/>.
/// <para>
/// The commands are imported in the modules Windows has them in (<see cref="EmulatedModules"/>: Hyper-V
/// as a binary module of cmdlets, NetNat, NetTCPIP and NetAdapter as script modules of functions, as the
/// CDXML modules are), before the session's first command, as Windows would auto-load them on first
/// use: scripts need no Import-Module, and unqualified names (<c>New-VM</c>) and module-qualified ones
/// (<c>Hyper-V\New-VM</c>) both resolve.
/// </para>
/// </summary>
public static class EmulatedHost
{
    /// <summary>The emulated cmdlets: Hyper-V, NetNat, NetTCPIP, NetAdapter.</summary>
    public static IReadOnlyList<Type> CmdletTypes { get; } = [.. typeof(EmulatedHost).Assembly.GetTypes()
        .Where(t => t.IsSubclassOf(typeof(EmulatedCmdlet)) && !t.IsAbstract && t.GetCustomAttribute<CmdletAttribute>() is not null)
        .OrderBy(t => t.Name, StringComparer.Ordinal)];

    /// <summary>Stand-ins for Test-Path, Remove-Item and Write-Output, which the SDK package lacks.</summary>
    public static IReadOnlyList<Type> StandInTypes { get; } = [typeof(TestPathCommand), typeof(RemoveItemCommand), typeof(WriteOutputCommand), typeof(InvokeLabRunnerIcaclsCommand)];

    /// <summary>PowerShell Direct: Invoke-Command, New-PSSession, Remove-PSSession and Copy-Item into the emulated guests.</summary>
    public static IReadOnlyList<Type> RemotingTypes { get; } = [typeof(InvokeCommandCommand), typeof(NewPSSessionCommand), typeof(RemovePSSessionCommand), typeof(CopyItemCommand)];

    public static string CommandName(Type cmdlet)
    {
        ArgumentNullException.ThrowIfNull(cmdlet);
        var attribute = cmdlet.GetCustomAttribute<CmdletAttribute>() ?? throw new ArgumentException($"{cmdlet.Name} is not a cmdlet.", nameof(cmdlet));
        return $"{attribute.VerbName}-{attribute.NounName}";
    }

    /// <summary>
    /// PowerShell's default session plus the emulated modules, bound to <paramref name="host"/>, and PowerShell
    /// Direct into <paramref name="guests"/> (none booted when null).
    /// </summary>
    public static InitialSessionState CreateSessionState(SimulatedHost host, EmulatedGuests? guests = null)
    {
        ArgumentNullException.ThrowIfNull(host);
        var state = InitialSessionState.CreateDefault2();
        // The engine's own remoting cmdlets give way to the emulated ones.
        foreach (var type in RemotingTypes)
            state.Commands.Remove(CommandName(type), typeof(SessionStateCmdletEntry));
        // The cmdlets behind the CDXML modules' proxy functions, the stand-ins and PowerShell Direct.
        foreach (var type in EmulatedModules.CdxmlCmdletTypes.Concat(StandInTypes).Concat(RemotingTypes))
            state.Commands.Add(new SessionStateCmdletEntry(CommandName(type), type, null));
        // The native icacls.exe, as a function that sets $LASTEXITCODE (see InvokeLabRunnerIcaclsCommand).
        state.Commands.Add(new SessionStateFunctionEntry("icacls.exe", InvokeLabRunnerIcaclsCommand.Function));
        state.Variables.Add(new SessionStateVariableEntry(EmulatedGuests.Variable, guests ?? new EmulatedGuests(),
            "The guests PowerShell Direct reaches.", ScopedItemOptions.Constant | ScopedItemOptions.AllScope));
        // As the provider starts PowerShell (-ExecutionPolicy Bypass). Elsewhere PowerShell has no
        // execution policy (it is always Unrestricted) and refuses to set one.
        if (OperatingSystem.IsWindows()) state.ExecutionPolicy = Microsoft.PowerShell.ExecutionPolicy.Bypass;
        state.ImportPSModule([.. EmulatedModules.ManifestPaths]);
        // A module that fails to load must fail the session, not leave the script to find its cmdlets missing.
        state.ThrowOnRunspaceOpenError = true;
        state.Variables.Add(new SessionStateVariableEntry(EmulatedCmdlet.HostVariable, host,
            "The simulated Hyper-V host the emulated cmdlets act on.", ScopedItemOptions.Constant | ScopedItemOptions.AllScope));
        return state;
    }

    /// <summary>
    /// Runs <paramref name="script"/> in a fresh runspace. <paramref name="variables"/> are set as
    /// PowerShell variables first, the way to hand a script data without writing it into the text.
    /// A terminating error ends the script and is the last entry of <see cref="EmulationResult.Errors"/>.
    /// </summary>
    public static EmulationResult Run(SimulatedHost host, string script, IReadOnlyDictionary<string, object?>? variables = null, EmulatedGuests? guests = null)
    {
        ArgumentNullException.ThrowIfNull(script);
        using var runspace = RunspaceFactory.CreateRunspace(CreateSessionState(host, guests));
        runspace.Open();
        foreach (var (name, value) in variables ?? new Dictionary<string, object?>())
            runspace.SessionStateProxy.SetVariable(name, value);
        using var shell = PowerShell.Create(runspace);
        shell.AddScript(script);
        Collection<PSObject> output = [];
        var errors = new List<ErrorRecord>();
        try
        {
            output = shell.Invoke();
        }
        catch (RuntimeException e)
        {
            errors.AddRange(shell.Streams.Error);
            errors.Add(e.ErrorRecord);
            return new EmulationResult([.. output], errors, [.. shell.Streams.Warning.Select(w => w.Message)]);
        }
        errors.AddRange(shell.Streams.Error);
        return new EmulationResult([.. output], errors, [.. shell.Streams.Warning.Select(w => w.Message)]);
    }
}
