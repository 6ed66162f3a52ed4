using System.Management.Automation;

namespace LabRunner.HyperV.Emulation.Cmdlets;

// The System.Management.Automation package ships only PowerShell's core cmdlets: Test-Path and
// Remove-Item (Microsoft.PowerShell.Management) and Write-Output (Microsoft.PowerShell.Utility) are
// missing, and their packages are not on the registry this project can reach. These thin stand-ins keep
// the documented parameter names and do the work through PowerShell's own providers
// (SessionState.InvokeProvider), so files behave as PowerShell's FileSystem provider makes them behave.

public enum TestPathType
{
    Any,
    Container,
    Leaf,
}

/// <summary>Test-Path [-Path] | -LiteralPath [-PathType].</summary>
[Cmdlet(VerbsDiagnostic.Test, "Path", DefaultParameterSetName = "Path")]
[OutputType(typeof(bool))]
public sealed class TestPathCommand : PSCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Path", ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [AllowEmptyString]
    public string[] Path { get; set; } = [];

    [Parameter(Mandatory = true, ParameterSetName = "LiteralPath", ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP")]
    public string[] LiteralPath { get; set; } = [];

    [Parameter]
    [Alias("Type")]
    public TestPathType PathType { get; set; }

    protected override void ProcessRecord()
    {
        var literal = ParameterSetName == "LiteralPath";
        foreach (var path in literal ? LiteralPath : Path)
            WriteObject(Exists(path, literal));
    }

    private bool Exists(string path, bool literal)
    {
        if (string.IsNullOrEmpty(path)) return false;
        try
        {
            if (!SessionState.InvokeProvider.Item.Exists(path, force: false, literalPath: literal)) return false;
            return PathType switch
            {
                TestPathType.Container => SessionState.InvokeProvider.Item.IsContainer(path),
                TestPathType.Leaf => !SessionState.InvokeProvider.Item.IsContainer(path),
                _ => true,
            };
        }
        catch (RuntimeException)
        {
            // A path on a drive that does not exist (C:\ on Linux) simply does not exist, as Test-Path reports it.
            return false;
        }
    }
}

/// <summary>Remove-Item [-Path] | -LiteralPath [-Recurse] [-Force]. Refuses a filesystem root, whatever a test gets wrong.</summary>
[Cmdlet(VerbsCommon.Remove, "Item", DefaultParameterSetName = "Path", SupportsShouldProcess = true)]
public sealed class RemoveItemCommand : PSCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Path", ValueFromPipelineByPropertyName = true)]
    public string[] Path { get; set; } = [];

    [Parameter(Mandatory = true, ParameterSetName = "LiteralPath", ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP")]
    public string[] LiteralPath { get; set; } = [];

    [Parameter]
    public SwitchParameter Recurse { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        var literal = ParameterSetName == "LiteralPath";
        foreach (var path in literal ? LiteralPath : Path)
        {
            var full = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
            if (string.Equals(System.IO.Path.GetPathRoot(full), full, StringComparison.Ordinal))
            {
                WriteError(new ErrorRecord(new InvalidOperationException($"The emulation's Remove-Item refuses to remove the root '{full}'."), "RemoveRootRefused", ErrorCategory.PermissionDenied, path));
                continue;
            }
            if (!ShouldProcess(full, "Remove Item")) continue;
            try
            {
                SessionState.InvokeProvider.Item.Remove([path], Recurse, Force, literal);
            }
            catch (RuntimeException e)
            {
                WriteError(new ErrorRecord(e.ErrorRecord, e));
            }
        }
    }
}

/// <summary>Write-Output [-InputObject] [-NoEnumerate].</summary>
[Cmdlet(VerbsCommunications.Write, "Output")]
public sealed class WriteOutputCommand : PSCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromRemainingArguments = true)]
    [AllowNull]
    [AllowEmptyCollection]
    public PSObject[]? InputObject { get; set; }

    [Parameter]
    public SwitchParameter NoEnumerate { get; set; }

    protected override void ProcessRecord()
    {
        if (InputObject is null)
        {
            WriteObject(null);
            return;
        }
        foreach (var item in InputObject) WriteObject(item, !NoEnumerate);
    }
}
