using System.Management.Automation;
using LabRunner.Core.Hosting;
using LabRunner.Simulation;
using LabRunner.Simulation.Model;

namespace LabRunner.HyperV.Emulation;

/// <summary>
/// Base of every emulated cmdlet: finds the simulated host of the session, runs one model call per
/// object as the real cmdlets act per object, and turns refusals into error records (non-terminating,
/// as the real modules write them; <c>-ErrorAction Stop</c> makes them terminating as usual).
/// </summary>
public abstract class EmulatedCmdlet : PSCmdlet
{
    /// <summary>The session variable that carries the <see cref="SimulatedHost"/> (set by <see cref="EmulatedHost"/>).</summary>
    public const string HostVariable = "__LabRunnerSimulatedHost";

    protected abstract ErrorStyle Style { get; }

    /// <summary>The host this session's cmdlets act on. (PSCmdlet.Host is PowerShell's own UI host.)</summary>
    protected SimulatedHost SimHost =>
        SessionState.PSVariable.GetValue(HostVariable) as SimulatedHost
        ?? throw new InvalidOperationException($"The session has no simulated host; create it with {nameof(EmulatedHost)}.{nameof(EmulatedHost.CreateSessionState)}.");

    /// <summary>One change; a refusal is written as an error record and yields false.</summary>
    protected bool TryMutate<T>(Func<HostModel, T> change, object? target, out T result)
    {
        try
        {
            result = SimHost.Mutate(change);
            return true;
        }
        catch (SimulatedHostException e)
        {
            WriteError(HostErrorRecords.From(e, Style, target));
        }
        catch (HostUnavailableException e)
        {
            ThrowTerminatingError(HostErrorRecords.From(e));
        }
        result = default!;
        return false;
    }

    protected bool TryMutate(Action<HostModel> change, object? target) =>
        TryMutate<object?>(m =>
        {
            change(m);
            return null;
        }, target, out _);

    protected bool TryRead<T>(Func<HostModel, T> read, object? target, out T result)
    {
        try
        {
            result = SimHost.Read(read);
            return true;
        }
        catch (SimulatedHostException e)
        {
            WriteError(HostErrorRecords.From(e, Style, target));
        }
        catch (HostUnavailableException e)
        {
            ThrowTerminatingError(HostErrorRecords.From(e));
        }
        result = default!;
        return false;
    }

    protected void WriteInvalidArgument(string errorId, string message, object? target) =>
        WriteError(HostErrorRecords.InvalidArgument(errorId, message, target));

    protected void ThrowInvalidArgument(string errorId, string message, object? target) =>
        ThrowTerminatingError(HostErrorRecords.InvalidArgument(errorId, message, target));

    /// <summary>
    /// Names match exactly first (so a VM called <c>a[1]</c> or <c>a`b</c> is found as written) and
    /// otherwise as a case-insensitive wildcard pattern, as the Hyper-V cmdlets accept <c>Test*</c>.
    /// </summary>
    protected static IEnumerable<T> MatchName<T>(IEnumerable<T> items, Func<T, string> name, string pattern)
    {
        var list = items.ToList();
        var exact = list.Where(i => HostModel.SameName(name(i), pattern)).ToList();
        if (exact.Count > 0 || !WildcardPattern.ContainsWildcardCharacters(pattern)) return exact;
        var wildcard = WildcardPattern.Get(pattern, WildcardOptions.IgnoreCase);
        return list.Where(i => wildcard.IsMatch(name(i)));
    }

    protected static bool IsPattern(string name) => WildcardPattern.ContainsWildcardCharacters(name);
}

/// <summary>Cmdlets of the Hyper-V module.</summary>
public abstract class HyperVCmdlet : EmulatedCmdlet
{
    protected override ErrorStyle Style => ErrorStyle.HyperV;

    /// <summary>
    /// The VMs named (wildcards allowed) or passed as objects. A name that matches nothing is written as
    /// Hyper-V's "unable to find a virtual machine" error and skipped.
    /// </summary>
    protected IReadOnlyList<(Guid Id, string Name)> ResolveVms(string[]? names, VirtualMachine[]? vms, bool asGetVm = false)
    {
        if (vms is not null) return [.. vms.Where(v => v is not null).Select(v => (v.Id, v.Name))];
        var result = new List<(Guid, string)>();
        foreach (var name in names ?? [])
        {
            if (TryRead(m =>
                {
                    var found = MatchName(m.State.Vms, v => v.Name, name).Select(v => (v.Id, v.Name)).ToList();
                    return found.Count > 0 || IsPattern(name) ? found : throw WindowsErrors.VmNotFound(name, asGetVm);
                }, name, out var found))
                result.AddRange(found);
        }
        return result;
    }

    protected IEnumerable<SimVmAdapter> AdaptersNamed(HostModel m, SimVm vm, string? name) =>
        name is null ? vm.NetworkAdapters.ToList() : MatchName(vm.NetworkAdapters, a => a.Name, name).ToList() is { Count: > 0 } found
            ? found
            : throw WindowsErrors.VmAdapterNotFound(vm.Name, name);
}

/// <summary>Cmdlets of the CDXML modules NetAdapter, NetTCPIP and NetNat.</summary>
public abstract class CimCmdlet : EmulatedCmdlet
{
    protected override ErrorStyle Style => ErrorStyle.Cim;

    /// <summary>Parses an IPv4 address parameter the way the CIM provider refuses a bad one.</summary>
    protected bool TryAddress(string text, string parameter, out LabRunner.Core.Net.Ipv4Address address)
    {
        if (LabRunner.Core.Net.Ipv4Address.TryParse(text, out address)) return true;
        var why = text.Contains(':', StringComparison.Ordinal)
            ? $"The simulated host models IPv4 only; '{text}' (-{parameter}) is IPv6."
            : $"'{text}' is not a valid IPv4 address for -{parameter}.";
        WriteError(HostErrorRecords.From(WindowsErrors.ParameterIncorrect(HostErrorKind.Failed, why), Style, text));
        return false;
    }
}
