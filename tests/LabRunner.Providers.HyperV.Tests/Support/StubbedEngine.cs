using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Text;
using LabRunner.Providers.HyperV.Running;

namespace LabRunner.Providers.HyperV.Tests.Support;

/// <summary>One recorded call of a stub cmdlet: its name and the parameters PowerShell bound.</summary>
internal sealed record StubCall(string Command, IReadOnlyDictionary<string, object?> Parameters)
{
    /// <summary>The bound value, unwrapped from its PSObject unless it is a PowerShell object itself ([pscustomobject]).</summary>
    public object? this[string parameter] => Parameters.GetValueOrDefault(parameter) is PSObject { BaseObject: not PSCustomObject } p ? p.BaseObject : Parameters.GetValueOrDefault(parameter);

    /// <summary>A property of an object bound to <paramref name="parameter"/> (an object piped in from a Get-* stub).</summary>
    public object? Property(string parameter, string property) => ((PSObject)Parameters[parameter]!).Properties[property].Value;

    public bool Has(string parameter) => Parameters.ContainsKey(parameter);
}

/// <summary>
/// The real PowerShell engine (System.Management.Automation, <c>CreateDefault2</c>) with tiny stub
/// functions in place of the Hyper-V, NetNat and NetTCPIP cmdlets. Each stub is an advanced function
/// with exactly the documented parameters (<see cref="DocumentedCmdlets"/>), so PowerShell's own
/// binder rejects any parameter the docs do not list, and it records what it was bound to.
/// Where-Object and Set-StrictMode are the engine's real ones. The System.Management.Automation package
/// has no Microsoft.PowerShell.Management module, so Test-Path and Remove-Item are stubs too, doing
/// their job with System.IO (and the documented parameters, so binding is still checked).
/// </summary>
internal sealed class StubbedEngine : IDisposable
{
    private readonly Runspace _runspace;
    private readonly List<object> _calls = [];

    public StubbedEngine()
    {
        _runspace = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
        _runspace.Open();
        _runspace.SessionStateProxy.SetVariable("LabRunnerCalls", _calls);
        _runspace.SessionStateProxy.SetVariable("LabRunnerOutputs", Outputs);
        _runspace.SessionStateProxy.SetVariable("LabRunnerFailOn", "");
        using var ps = PowerShell.Create();
        ps.Runspace = _runspace;
        ps.AddScript(StubModules()).Invoke();
        if (ps.HadErrors) throw new InvalidOperationException("stub setup failed: " + string.Join("; ", ps.Streams.Error));
    }

    /// <summary>What a stub writes to the pipeline, by cmdlet name (for the Get-* cmdlets the script pipes on).</summary>
    public Hashtable Outputs { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Makes the named stub fail with Write-Error of this category (e.g. "ResourceExists").</summary>
    public void FailOn(string cmdlet, string category, string message)
    {
        _runspace.SessionStateProxy.SetVariable("LabRunnerFailOn", cmdlet);
        _runspace.SessionStateProxy.SetVariable("LabRunnerFailCategory", category);
        _runspace.SessionStateProxy.SetVariable("LabRunnerFailMessage", message);
    }

    public IReadOnlyList<StubCall> Calls => _calls
        .Cast<IDictionary>()
        .Select(d => new StubCall(
            (string)d["#Command"]!,
            d.Keys.Cast<string>().Where(k => k != "#Command").ToDictionary(k => k, k => d[k], StringComparer.OrdinalIgnoreCase)))
        .ToList();

    public static PSObject Object(params (string Name, object? Value)[] properties)
    {
        var o = new PSObject();
        foreach (var (name, value) in properties) o.Properties.Add(new PSNoteProperty(name, value));
        return o;
    }

    /// <summary>Runs a script file as <c>-File</c> would and returns its exit code; output lines stream to <paramref name="onLine"/>.</summary>
    public PowerShellRun RunFile(string path, Action<string> onLine)
    {
        using var ps = PowerShell.Create();
        ps.Runspace = _runspace;
        var output = new PSDataCollection<PSObject>();
        output.DataAdded += (_, e) => onLine(output[e.Index]?.ToString() ?? "");
        _runspace.SessionStateProxy.SetVariable("LASTEXITCODE", 0);
        ps.AddScript("param($scriptPath) & $scriptPath").AddParameter("scriptPath", path);
        ps.Invoke(null, output);
        var stderr = string.Join('\n', ps.Streams.Error.Select(e => e.ToString()));
        var exit = _runspace.SessionStateProxy.GetVariable("LASTEXITCODE") is int code ? code : -1;
        return new PowerShellRun(exit, stderr);
    }

    /// <summary>Writes the script as the real runner does (UTF-8 with BOM) and runs it.</summary>
    public PowerShellRun RunScript(string script, Action<string>? onLine = null)
    {
        var path = Path.Combine(Path.GetTempPath(), $"labrunner-test-{Guid.NewGuid():N}.ps1");
        File.WriteAllText(path, script, new UTF8Encoding(true));
        try
        {
            return RunFile(path, onLine ?? (_ => { }));
        }
        finally
        {
            File.Delete(path);
        }
    }

    public void Dispose() => _runspace.Dispose();

    private static string StubModules()
    {
        var sb = new StringBuilder();
        foreach (var module in DocumentedCmdlets.StubbedCmdlets.GroupBy(StubModuleOf))
        {
            sb.Append("New-Module -Name '").Append(module.Key).Append("' -ScriptBlock {\n");
            foreach (var cmdlet in module) sb.Append(Stub(cmdlet));
            sb.Append("Export-ModuleMember -Function *\n} | Import-Module\n");
        }
        return sb.ToString();
    }

    private static string StubModuleOf(DocumentedCmdlet cmdlet) => cmdlet.Module switch
    {
        "Hyper-V" => "Hyper-V",
        "Microsoft.PowerShell.Management" => "LabRunner.Stubs.Management",
        _ => cmdlet.Source.Contains("/netnat/", StringComparison.Ordinal) ? "NetNat" : "NetTCPIP",
    };

    /// <summary>The file cmdlets do their job (literal paths only, as the script uses them), after recording the call.</summary>
    private static string Behaviour(DocumentedCmdlet cmdlet) => cmdlet.Name switch
    {
        "Test-Path" => "if ($PathType -eq 'Leaf') { [System.IO.File]::Exists($LiteralPath) } else { [System.IO.File]::Exists($LiteralPath) -or [System.IO.Directory]::Exists($LiteralPath) }",
        "Remove-Item" => "[System.IO.File]::Delete($LiteralPath)",
        _ => "",
    };

    private static string Stub(DocumentedCmdlet cmdlet)
    {
        var shouldProcess = cmdlet.Parameters.Contains("Confirm");
        var parameters = cmdlet.Parameters
            .Where(p => p is not ("WhatIf" or "Confirm"))
            .Select(p => p == cmdlet.PipelineParameter ? $"[Parameter(ValueFromPipeline = $true)]${p}"
                : cmdlet.Switches.Contains(p) ? $"[switch]${p}"
                : $"${p}");
        return $$"""
            function {{cmdlet.Name}} {
                [CmdletBinding(SupportsShouldProcess = ${{(shouldProcess ? "true" : "false")}})]
                param({{string.Join(", ", parameters)}})
                process {
                    $call = [System.Collections.Generic.Dictionary[string, object]]::new([System.StringComparer]::OrdinalIgnoreCase)
                    $call['#Command'] = '{{cmdlet.Name}}'
                    foreach ($key in $PSBoundParameters.Keys) { $call[$key] = $PSBoundParameters[$key] }
                    [void]$global:LabRunnerCalls.Add($call)
                    if ($global:LabRunnerFailOn -eq '{{cmdlet.Name}}') {
                        # A non-terminating error, as the real cmdlets write them: only -ErrorAction Stop makes it stop the script.
                        $PSCmdlet.WriteError([System.Management.Automation.ErrorRecord]::new(
                            [System.Exception]::new($global:LabRunnerFailMessage), 'StubFailure',
                            [System.Management.Automation.ErrorCategory]$global:LabRunnerFailCategory, $null))
                    }
                    if ($global:LabRunnerOutputs.ContainsKey('{{cmdlet.Name}}')) { $global:LabRunnerOutputs['{{cmdlet.Name}}'] }
                    {{Behaviour(cmdlet)}}
                }
            }

            """;
    }
}

/// <summary>An <see cref="IPowerShellRunner"/> that runs the script in-process on a <see cref="StubbedEngine"/>.</summary>
internal sealed class EnginePowerShellRunner(StubbedEngine engine) : IPowerShellRunner
{
    public string Executable => "in-process PowerShell";

    public int Runs { get; private set; }

    public Task<PowerShellRun> RunAsync(string script, Action<string> onStdoutLine, CancellationToken cancellationToken)
    {
        Runs++;
        return Task.FromResult(engine.RunScript(script, onStdoutLine));
    }
}
