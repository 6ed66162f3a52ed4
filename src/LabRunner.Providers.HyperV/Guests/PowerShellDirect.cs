using System.Globalization;
using System.Text;
using LabRunner.Core.Hosting;
using LabRunner.Providers.HyperV.Running;

namespace LabRunner.Providers.HyperV.Guests;

/// <summary>
/// PowerShell Direct into Windows guests: <c>Invoke-Command -VMName … -Credential …</c> over the VM bus, no
/// network needed. Each call is one PowerShell process running <see cref="Script"/>, a fixed text: every
/// value — the VM's name, the user, the password, script content, arguments, environment, paths — arrives on
/// the process's standard input, one base64 (UTF-8) line each, and reaches the guest as a value
/// (<c>-ArgumentList</c>, <c>-LiteralPath</c>), never as script text. The password becomes a
/// <c>PSCredential</c> inside the script; it is in no file, command line or output.
/// </summary>
/// <remarks>
/// Output comes back as protocol lines (base64, so the console's code page cannot change them):
/// <code>
/// ##labrunner o B64   a line the guest script wrote to its output (Write-Host, native stdout, objects as strings)
/// ##labrunner e B64   an error the guest script wrote
/// ##labrunner x B64   the guest script's exit code: its `exit N`, else $LASTEXITCODE, 1 when it threw
/// ##labrunner ok B64  the guest answered (probe) or the copy is done
/// ##labrunner fail B64  PowerShell Direct itself failed (VM not running, credential refused, copy refused)
/// </code>
/// </remarks>
public sealed class PowerShellDirect(IPowerShellRunner runner) : IDirectGuestAccess
{
    private const string Prefix = "##labrunner ";

    /// <summary>An interactive session from an elevated PowerShell on the host; the VM's name is quoted for PowerShell.</summary>
    public string ManualAccess(string hostVmName, string user) =>
        $"PowerShell Direct from an elevated PowerShell on the host: Enter-PSSession -VMName {Scripting.PowerShellLiteral.Quote(hostVmName)} -Credential {user}";

    /// <summary>The script every call runs; the request on standard input says what to do.</summary>
    public const string Script = """
        # LabRunner: PowerShell Direct into a Hyper-V guest. Every value arrives on standard input, one
        # base64 (UTF-8) line each; none is part of this text.
        $ErrorActionPreference = 'Stop'
        $labIn = [Console]::In
        function Read-LabValue {
            $line = $labIn.ReadLine()
            if ($null -eq $line) { throw 'LabRunner: the request on standard input ended early.' }
            [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($line))
        }
        function Read-LabList {
            $count = [int](Read-LabValue)
            $list = [Collections.Generic.List[string]]::new()
            for ($i = 0; $i -lt $count; $i++) { $list.Add((Read-LabValue)) }
            , $list.ToArray()
        }
        function Write-LabLine([string] $kind, [string] $text) {
            '##labrunner ' + $kind + ' ' + [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($text))
        }

        $guestShell = {
            param([string] $content, [string[]] $arguments, [string[]] $names, [string[]] $values)
            $path = [IO.Path]::Combine([IO.Path]::GetTempPath(), 'labrunner-' + [guid]::NewGuid().ToString('N') + '.ps1')
            $bytes = [Convert]::FromBase64String($content)
            # Windows PowerShell 5.1 reads a script without a byte order mark in the ANSI code page.
            if ($bytes.Length -lt 3 -or $bytes[0] -ne 0xEF -or $bytes[1] -ne 0xBB -or $bytes[2] -ne 0xBF) {
                $bytes = [byte[]](@(0xEF, 0xBB, 0xBF) + $bytes)
            }
            [IO.File]::WriteAllBytes($path, $bytes)
            $saved = @{}
            try {
                # As 'powershell.exe -ExecutionPolicy Bypass' would; for this session only.
                try { Set-ExecutionPolicy -Scope Process -ExecutionPolicy Bypass -Force -ErrorAction Stop } catch { }
                for ($i = 0; $i -lt @($names).Count; $i++) {
                    $saved[$names[$i]] = [Environment]::GetEnvironmentVariable($names[$i])
                    [Environment]::SetEnvironmentVariable($names[$i], $values[$i])
                }
                $argv = @($arguments | Where-Object { $null -ne $_ })
                $global:LASTEXITCODE = 0
                $code = 0
                try {
                    & $path @argv *>&1 | ForEach-Object {
                        if ($_ -is [Management.Automation.ErrorRecord]) { 'e' + $_ } else { 'o' + $_ }
                    }
                    $code = $LASTEXITCODE
                } catch {
                    'e' + $_
                    $code = 1
                }
                'x' + $code
            } finally {
                # [NullString]: a $null passed for a string would arrive as '' and leave the variable set.
                foreach ($name in $saved.Keys) {
                    $old = $saved[$name]
                    if ($null -eq $old) { $old = [NullString]::Value }
                    [Environment]::SetEnvironmentVariable($name, $old)
                }
                [IO.File]::Delete($path)
            }
        }

        try {
            $action = Read-LabValue
            $vmName = Read-LabValue
            $user = Read-LabValue
            $secure = [Security.SecureString]::new()
            foreach ($c in (Read-LabValue).ToCharArray()) { $secure.AppendChar($c) }
            $secure.MakeReadOnly()
            $credential = [Management.Automation.PSCredential]::new($user, $secure)
            switch ($action) {
                'probe' {
                    $answer = Invoke-Command -VMName $vmName -Credential $credential -ScriptBlock { 'labrunner-ready' } -ErrorAction Stop
                    if ($answer -ne 'labrunner-ready') { throw "LabRunner: the guest answered '$answer'." }
                    Write-LabLine 'ok' ''
                }
                'shell' {
                    $content = $labIn.ReadLine()
                    $arguments = Read-LabList
                    $names = Read-LabList
                    $values = Read-LabList
                    Invoke-Command -VMName $vmName -Credential $credential -ScriptBlock $guestShell -ArgumentList $content, $arguments, $names, $values -ErrorAction Stop |
                        ForEach-Object {
                            $text = [string]$_
                            if ($text.Length -gt 0) { Write-LabLine $text.Substring(0, 1) $text.Substring(1) }
                        }
                }
                'copy' {
                    $source = Read-LabValue
                    $destination = Read-LabValue
                    $session = New-PSSession -VMName $vmName -Credential $credential -ErrorAction Stop
                    try {
                        Invoke-Command -Session $session -ArgumentList $destination -ErrorAction Stop -ScriptBlock {
                            param([string] $destination)
                            $parent = [IO.Path]::GetDirectoryName($destination)
                            if ($parent) { [void][IO.Directory]::CreateDirectory($parent) }
                        }
                        Copy-Item -LiteralPath $source -Destination $destination -ToSession $session -Force -ErrorAction Stop
                    } finally {
                        Remove-PSSession -Session $session
                    }
                    Write-LabLine 'ok' ''
                }
                default { throw "LabRunner: unknown action '$action'." }
            }
        } catch {
            Write-LabLine 'fail' $_.Exception.Message
            exit 1
        }
        """;

    public Task<DirectGuestRun> ProbeAsync(DirectGuest guest, CancellationToken cancellationToken) =>
        RunAsync(Request("probe", guest), null, cancellationToken);

    public Task<DirectGuestRun> RunScriptAsync(DirectGuest guest, DirectScript script, Action<string, bool> output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(script);
        ArgumentNullException.ThrowIfNull(output);
        var request = Request("shell", guest);
        request.Append(Convert.ToBase64String(script.Content.Span)).Append('\n');
        List(request, script.Args.IsDefault ? [] : [.. script.Args]);
        var env = script.Env.IsDefault ? [] : script.Env;
        List(request, [.. env.Select(e => e.Key)]);
        List(request, [.. env.Select(e => e.Value)]);
        return RunAsync(request, output, cancellationToken);
    }

    public Task<DirectGuestRun> CopyFileAsync(DirectGuest guest, string hostPath, string destination, CancellationToken cancellationToken)
    {
        var request = Request("copy", guest);
        Value(request, hostPath);
        Value(request, destination);
        return RunAsync(request, null, cancellationToken);
    }

    private static StringBuilder Request(string action, DirectGuest guest)
    {
        ArgumentNullException.ThrowIfNull(guest);
        var request = new StringBuilder();
        Value(request, action);
        Value(request, guest.HostVmName);
        Value(request, guest.User);
        Value(request, guest.Password);
        return request;
    }

    private static void Value(StringBuilder request, string value) =>
        request.Append(Convert.ToBase64String(Encoding.UTF8.GetBytes(value))).Append('\n');

    private static void List(StringBuilder request, IReadOnlyCollection<string> values)
    {
        Value(request, values.Count.ToString(CultureInfo.InvariantCulture));
        foreach (var v in values) Value(request, v);
    }

    private async Task<DirectGuestRun> RunAsync(StringBuilder request, Action<string, bool>? output, CancellationToken cancellationToken)
    {
        string? failure = null;
        int? exitCode = null;
        var ok = false;
        PowerShellRun process;
        try
        {
            process = await runner.RunAsync(Script, request.ToString(), line =>
            {
                if (!line.StartsWith(Prefix, StringComparison.Ordinal)) return;
                var parts = line[Prefix.Length..].Split(' ');
                if (parts.Length != 2 || Decode(parts[1]) is not { } text) return;
                switch (parts[0])
                {
                    case "o" or "e" when output is not null:
                        foreach (var l in text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n')) output(l, parts[0] == "e");
                        break;
                    case "x":
                        exitCode = int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var code) ? code : 1;
                        break;
                    case "ok":
                        ok = true;
                        break;
                    case "fail":
                        failure = text;
                        break;
                }
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (PowerShellStartException e)
        {
            return DirectGuestRun.Failed(e.Message);
        }
        if (failure is not null) return DirectGuestRun.Failed(failure);
        if (exitCode is { } exit) return new DirectGuestRun(exit, null);
        if (ok) return DirectGuestRun.Answered;
        var stderr = process.StandardError.Trim();
        return DirectGuestRun.Failed($"{runner.Executable} exited with code {process.ExitCode} without an answer{(stderr.Length > 0 ? ": " + stderr : "")}");
    }

    private static string? Decode(string base64)
    {
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(base64));
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
