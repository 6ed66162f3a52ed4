using System.Management.Automation;
using LabRunner.Core.Hosting;
using LabRunner.Simulation;

namespace LabRunner.HyperV.Emulation.Cmdlets;

/// <summary>
/// icacls.exe, the native tool, for the two forms LabRunner's scripts run: <c>PATH /grant ACCOUNT:(OI)(CI)M</c> and
/// <c>PATH /remove:g ACCOUNT</c>. The session's <c>icacls.exe</c> is a function that runs this and sets
/// <c>$LASTEXITCODE</c> from its result, as a native program's exit code would (0 done, 2 not found, 1332 no such
/// account, 87 an argument it does not take); messages go to the error stream, as icacls writes them to stderr.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "LabRunnerIcacls")]
[OutputType(typeof(int))]
public sealed class InvokeLabRunnerIcaclsCommand : PSCmdlet
{
    /// <summary>The function that stands in for the program.</summary>
    public const string Function = "$global:LASTEXITCODE = Invoke-LabRunnerIcacls -Arguments $args";

    [Parameter(Position = 0, ValueFromRemainingArguments = true)]
    public string[] Arguments { get; set; } = [];

    protected override void ProcessRecord()
    {
        var host = SessionState.PSVariable.GetValue(EmulatedCmdlet.HostVariable) as SimulatedHost
            ?? throw new InvalidOperationException("The session has no simulated host.");
        if (Arguments.Length != 3 || Arguments[1] is not ("/grant" or "/remove:g"))
        {
            Fail(87, "Invalid parameter: the emulation takes 'PATH /grant ACCOUNT:(OI)(CI)M' or 'PATH /remove:g ACCOUNT'.");
            return;
        }
        var (path, verb, who) = (Arguments[0], Arguments[1], Arguments[2]);
        const string modify = ":(OI)(CI)M";
        if (verb == "/grant" && !who.EndsWith(modify, StringComparison.Ordinal))
        {
            Fail(87, $"Invalid parameter \"{who}\": the emulation grants inheritable Modify (ACCOUNT{modify}) only.");
            return;
        }
        try
        {
            host.Mutate(m =>
            {
                if (verb == "/grant") m.GrantFolderAccess(path, who[..^modify.Length]);
                else m.RevokeFolderAccess(path, who);
            });
            WriteObject(0);
        }
        catch (SimulatedHostException e)
        {
            Fail(e.Kind == HostErrorKind.NotFound && e.ErrorId.EndsWith("1332", StringComparison.Ordinal) ? 1332 : e.Kind == HostErrorKind.NotFound ? 2 : 1, e.Message);
        }
    }

    private void Fail(int code, string message)
    {
        WriteError(new ErrorRecord(new InvalidOperationException(message), "NativeCommandError", ErrorCategory.NotSpecified, "icacls.exe"));
        WriteObject(code);
    }
}
