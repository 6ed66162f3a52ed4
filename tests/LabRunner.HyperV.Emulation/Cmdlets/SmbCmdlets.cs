using System.Management.Automation;
using LabRunner.Core.Hosting;
using LabRunner.Simulation;
using Microsoft.Management.Infrastructure;

namespace LabRunner.HyperV.Emulation.Cmdlets;

/// <summary>Get-SmbShare [[-Name] &lt;String[]&gt;]: every share without a name.</summary>
[Cmdlet(VerbsCommon.Get, "SmbShare")]
[OutputType("Microsoft.Management.Infrastructure.CimInstance#ROOT/Microsoft/Windows/SMB/MSFT_SmbShare")]
public sealed class GetSmbShareCommand : CimCmdlet
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    public string[]? Name { get; set; }

    [Parameter]
    public SwitchParameter IncludeHidden { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var name in Name ?? ["*"])
        {
            if (TryRead(m => MatchName(m.State.SmbShares, s => s.Name, name).Select(ShareObjects.SmbShare).ToList() is { } found && (found.Count > 0 || IsPattern(name))
                    ? found
                    : throw WindowsErrors.CimNotFound("MSFT_SmbShare", "Name", name), name, out var shares))
            {
                foreach (var share in shares) WriteObject(share);
            }
        }
    }
}

/// <summary>New-SmbShare [-Name] [-Path] [-ChangeAccess] [-FullAccess] [-Description].</summary>
[Cmdlet(VerbsCommon.New, "SmbShare", SupportsShouldProcess = true)]
[OutputType("Microsoft.Management.Infrastructure.CimInstance#ROOT/Microsoft/Windows/SMB/MSFT_SmbShare")]
public sealed class NewSmbShareCommand : CimCmdlet
{
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    public string Name { get; set; } = "";

    [Parameter(Mandatory = true, Position = 2, ValueFromPipelineByPropertyName = true)]
    public string Path { get; set; } = "";

    [Parameter]
    public string[]? ChangeAccess { get; set; }

    [Parameter]
    public string[]? FullAccess { get; set; }

    [Parameter]
    public string[]? ReadAccess { get; set; }

    [Parameter]
    public string Description { get; set; } = "";

    protected override void ProcessRecord()
    {
        if (ReadAccess is not null) ThrowInvalidArgument("NotEmulated", "The emulation models change and full access only.", Name);
        if (!ShouldProcess($"{Name}: {Path}", "New-Share")) return;
        if (TryMutate(m => ShareObjects.SmbShare(m.NewSmbShare(Name, Path, ChangeAccess ?? [], FullAccess ?? [], Description)), Name, out var created))
            WriteObject(created);
    }
}

/// <summary>Remove-SmbShare [-Name] &lt;String[]&gt; [-Force]: asks for confirmation unless -Force or -Confirm:$false.</summary>
[Cmdlet(VerbsCommon.Remove, "SmbShare", DefaultParameterSetName = "Query", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
public sealed class RemoveSmbShareCommand : CimCmdlet
{
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = "Query", ValueFromPipelineByPropertyName = true)]
    public string[] Name { get; set; } = [];

    /// <summary>Declared as documented; emulated objects bind by property name (Name) instead.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "InputObject (cdxml)", ValueFromPipeline = true)]
    public CimInstance[]? InputObject { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        if (InputObject is not null) ThrowInvalidArgument("NotEmulated", "The emulation cannot read real CimInstances; pipe Get-SmbShare output instead.", InputObject);
        foreach (var name in Name)
        {
            if (!Force && !ShouldProcess(name, "Remove-Share")) continue;
            TryMutate(m => m.RemoveSmbShare(m.FindSmbShare(name) ?? throw WindowsErrors.CimNotFound("MSFT_SmbShare", "Name", name)), name);
        }
    }
}
