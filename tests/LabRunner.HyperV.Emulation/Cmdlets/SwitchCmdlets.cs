using System.Management.Automation;
using LabRunner.Core.Hosting;

namespace LabRunner.HyperV.Emulation.Cmdlets;

/// <summary>Get-VMSwitch [[-Name] &lt;String&gt;] | [[-Id] &lt;Guid[]&gt;] [-SwitchType &lt;VMSwitchType[]&gt;].</summary>
[Cmdlet(VerbsCommon.Get, "VMSwitch", DefaultParameterSetName = "Name")]
[OutputType(typeof(VMSwitch))]
public sealed class GetVMSwitchCommand : HyperVCmdlet
{
    [Parameter(Position = 0, ParameterSetName = "Name")]
    [Alias("SwitchName")]
    public string? Name { get; set; }

    [Parameter(Position = 0, ParameterSetName = "Id", ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("SwitchId")]
    public Guid[]? Id { get; set; }

    [Parameter]
    public VMSwitchType[]? SwitchType { get; set; }

    protected override void ProcessRecord()
    {
        if (!TryRead(m =>
            {
                var switches = m.State.Switches.AsEnumerable();
                if (Name is not null)
                {
                    switches = MatchName(switches, s => s.Name, Name);
                    if (!switches.Any() && !IsPattern(Name)) throw Simulation.WindowsErrors.SwitchNotFound(Name);
                }
                if (Id is not null) switches = switches.Where(s => Id.Contains(s.Id));
                var found = switches.Select(s => HyperVObjects.Switch(m, s));
                return SwitchType is null ? found.ToList() : found.Where(s => SwitchType.Contains(s.SwitchType)).ToList();
            }, Name, out var result))
            return;
        foreach (var sw in result) WriteObject(sw);
    }
}

/// <summary>New-VMSwitch [-Name] -NetAdapterName | -NetAdapterInterfaceDescription | -SwitchType [-AllowManagementOS] [-Notes].</summary>
[Cmdlet(VerbsCommon.New, "VMSwitch", DefaultParameterSetName = "NetAdapterName", SupportsShouldProcess = true)]
[OutputType(typeof(VMSwitch))]
public sealed class NewVMSwitchCommand : HyperVCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    [Alias("SwitchName")]
    public string Name { get; set; } = "";

    [Parameter(ParameterSetName = "NetAdapterName")]
    [Parameter(ParameterSetName = "NetAdapterInterfaceDescription")]
    public bool AllowManagementOS { get; set; } = true;

    [Parameter(Mandatory = true, ParameterSetName = "NetAdapterName", ValueFromPipelineByPropertyName = true)]
    [Alias("InterfaceAlias")]
    public string[]? NetAdapterName { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = "NetAdapterInterfaceDescription", ValueFromPipelineByPropertyName = true)]
    [Alias("InterfaceDescription")]
    public string[]? NetAdapterInterfaceDescription { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = "SwitchType")]
    public VMSwitchType SwitchType { get; set; }

    [Parameter]
    public string? Notes { get; set; }

    protected override void ProcessRecord()
    {
        SwitchKind kind;
        string? adapter = null;
        if ((NetAdapterName ?? NetAdapterInterfaceDescription) is { Length: not 1 } several)
            ThrowInvalidArgument("NotEmulated", "The simulated host binds an external switch to one adapter; switch embedded teaming is not modelled.", several);
        switch (ParameterSetName)
        {
            case "SwitchType":
                if (SwitchType == VMSwitchType.External)
                    ThrowInvalidArgument("InvalidParameter", "-SwitchType accepts Internal or Private; an external switch is made with -NetAdapterName or -NetAdapterInterfaceDescription.", SwitchType);
                kind = SwitchType == VMSwitchType.Private ? SwitchKind.Private : SwitchKind.Internal;
                break;
            case "NetAdapterInterfaceDescription":
                kind = SwitchKind.External;
                var description = NetAdapterInterfaceDescription!.Single();
                if (!TryRead(m => m.State.NetAdapters.FirstOrDefault(a => string.Equals(a.InterfaceDescription, description, StringComparison.OrdinalIgnoreCase))?.Name
                        ?? throw Simulation.WindowsErrors.NetAdapterNotFound(description), description, out adapter))
                    return;
                break;
            default:
                kind = SwitchKind.External;
                adapter = NetAdapterName!.Single();
                break;
        }
        if (!ShouldProcess(Name, "New virtual switch")) return;
        if (TryMutate(m => HyperVObjects.Switch(m, m.NewSwitch(Name, kind, adapter, AllowManagementOS, Notes)), Name, out var created))
            WriteObject(created);
    }
}

/// <summary>Set-VMSwitch [-Name] | [-VMSwitch] [-SwitchType Internal|Private] [-AllowManagementOS] [-Notes] [-Passthru].</summary>
[Cmdlet(VerbsCommon.Set, "VMSwitch", DefaultParameterSetName = "SwitchName_SwitchType", SupportsShouldProcess = true)]
[OutputType(typeof(VMSwitch))]
public sealed class SetVMSwitchCommand : HyperVCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "SwitchName_SwitchType")]
    [Alias("SwitchName")]
    public string[]? Name { get; set; }

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "SwitchObject_SwitchType", ValueFromPipeline = true)]
    public VMSwitch[]? VMSwitch { get; set; }

    [Parameter]
    public VMSwitchType? SwitchType { get; set; }

    [Parameter]
    public bool? AllowManagementOS { get; set; }

    [Parameter]
    public string? Notes { get; set; }

    [Parameter]
    public SwitchParameter Passthru { get; set; }

    protected override void ProcessRecord()
    {
        SwitchKind? kind = SwitchType switch
        {
            null => null,
            VMSwitchType.Private => SwitchKind.Private,
            VMSwitchType.Internal => SwitchKind.Internal,
            _ => SwitchKind.External,
        };
        foreach (var name in VMSwitch?.Select(s => s.Name) ?? Name ?? [])
        {
            if (!ShouldProcess(name, "Set virtual switch")) continue;
            if (TryMutate(m =>
                {
                    var sw = m.GetSwitch(name);
                    m.SetSwitch(sw, Notes, kind, AllowManagementOS);
                    return HyperVObjects.Switch(m, sw);
                }, name, out var changed) && Passthru)
                WriteObject(changed);
        }
    }
}

/// <summary>Remove-VMSwitch [-Name] | [-VMSwitch] [-Force]: asks for confirmation unless -Force.</summary>
[Cmdlet(VerbsCommon.Remove, "VMSwitch", DefaultParameterSetName = "Name", SupportsShouldProcess = true)]
public sealed class RemoveVMSwitchCommand : HyperVCmdlet
{
    private bool _yesToAll;
    private bool _noToAll;

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Name", ValueFromPipeline = true)]
    [Alias("SwitchName")]
    public string[]? Name { get; set; }

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "SwitchObject", ValueFromPipeline = true)]
    public VMSwitch[]? VMSwitch { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var name in VMSwitch?.Select(s => s.Name) ?? Name ?? [])
        {
            if (!ShouldProcess(name, "Remove virtual switch")) continue;
            if (!Force && !ShouldContinue($"Are you sure you want to remove the virtual switch \"{name}\"?", "Confirm", ref _yesToAll, ref _noToAll)) continue;
            TryMutate(m => m.RemoveSwitch(m.GetSwitch(name)), name);
        }
    }
}
