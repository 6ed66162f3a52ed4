using System.Text;
using LabRunner.Core.Hosting;

namespace LabRunner.Providers.HyperV.Scripting;

/// <summary>
/// The scripts of <c>type: smb</c> synced folders: the lab's local account (Microsoft.PowerShell.LocalAccounts), the
/// folder's access rule for it (icacls, as Windows PowerShell 5.1 has no cmdlet that adds one rule), the share
/// (SmbShare) and the firewall rule (NetSecurity).
/// </summary>
/// <remarks>
/// The account's password is never in the script: <see cref="StandardInput"/> is what the process reads, one base64
/// line per operation that needs it, in batch order, and the script turns each into a SecureString as it reads it.
/// So neither <c>--what-if</c>, nor the transcript in <c>.lab/logs</c> (which records standard input's length only),
/// nor an error message can show it.
/// </remarks>
public static partial class HyperVScript
{
    /// <summary>What the batch's script reads on its standard input: the secrets of its operations, in order; null when it needs none.</summary>
    public static string? StandardInput(OperationBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var input = new StringBuilder();
        foreach (var operation in batch.Operations)
        {
            if (SecretOf(operation) is { } secret)
                input.Append(Convert.ToBase64String(Encoding.UTF8.GetBytes(secret.Reveal()))).Append('\n');
        }
        return input.Length == 0 ? null : input.ToString();
    }

    private static HostSecret? SecretOf(HostOperation operation) => operation switch
    {
        CreateShareAccount op => op.Password,
        SetShareAccountPassword op => op.Password,
        _ => null,
    };

    private static void SecretPreamble(ScriptWriter w, OperationBatch batch)
    {
        if (!batch.Operations.Any(o => SecretOf(o) is not null)) return;
        w.Comment("Passwords arrive on standard input, one base64 line each, never in this text.");
        w.Line("$labrunnerIn = [Console]::In");
    }

    /// <summary>The next password from standard input, as the SecureString <c>$labrunnerPassword</c>.</summary>
    private static void ReadPassword(ScriptWriter w)
    {
        w.Line("$labrunnerPassword = [Security.SecureString]::new()");
        w.Line("foreach ($labrunnerChar in [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($labrunnerIn.ReadLine())).ToCharArray()) { $labrunnerPassword.AppendChar($labrunnerChar) }");
        w.Line("$labrunnerPassword.MakeReadOnly()");
    }

    private static bool ShareBlock(ScriptWriter w, HostOperation operation)
    {
        switch (operation)
        {
            case CreateShareAccount op:
                ReadPassword(w);
                w.Line("$null = " + new CommandText("New-LocalUser")
                    .String("Name", Name(op.Account, "account name"))
                    .Variable("Password", "$labrunnerPassword")
                    .String("FullName", op.FullName)
                    .String("Description", op.Description)
                    .Switch("AccountNeverExpires")
                    .Switch("PasswordNeverExpires")
                    .Switch("UserMayNotChangePassword")
                    .Stop());
                return true;

            case SetShareAccountPassword op:
                ReadPassword(w);
                w.Line(new CommandText("Set-LocalUser").String("Name", Name(op.Account, "account name")).Variable("Password", "$labrunnerPassword").Stop());
                return true;

            case AllowShareTraffic op:
                Name(op.SwitchName, "switch name");
                // Inbound TCP 445 to the host's own address on this network's host vNIC, from this network only.
                w.Line("$null = " + new CommandText("New-NetFirewallRule")
                    .String("Name", Name(op.RuleName, "firewall rule name"))
                    .String("DisplayName", op.RuleName)
                    .String("Description", op.Description)
                    .String("Direction", "Inbound")
                    .String("Action", "Allow")
                    .String("Protocol", "TCP")
                    .String("LocalPort", "445")
                    .String("InterfaceAlias", HyperVRules.VnicName(op.SwitchName))
                    .String("LocalAddress", op.LocalAddress.ToString())
                    .String("RemoteAddress", op.RemoteSubnet.ToString())
                    .String("Profile", "Any")
                    .Stop());
                return true;

            case CreateShare op:
                Name(op.Account, "account name");
                // The account may change files in the folder and below it (an inheritable Modify rule for it alone);
                // the share then grants it alone. Rule first: a share that exists has its rule.
                w.Line("$null = icacls.exe " + Q(op.Path) + " " + Q("/grant") + " " + Q(op.Account + ":(OI)(CI)M"));
                w.Line("if ($LASTEXITCODE -ne 0) { " + ThrowFailed($"icacls could not give account '{op.Account}' access to '{op.Path}'.", "LabRunnerFolderAccessFailed") + " }");
                w.Line("$null = " + new CommandText("New-SmbShare")
                    .String("Name", Name(op.Name, "share name"))
                    .String("Path", op.Path)
                    .String("ChangeAccess", op.Account)
                    .String("Description", op.Description)
                    .Stop());
                return true;

            case RemoveShare op:
                Name(op.Name, "share name");
                // A share already gone is the state wanted; the folder's rule goes only while the account exists
                // (icacls cannot name an account that is gone, and 'down' removes the account last).
                w.Line("$labrunnerShare = @(" + new CommandText("Get-SmbShare").Stop() + " | Where-Object { $_.Name -eq " + Q(op.Name) + " })");
                w.Line("if ($labrunnerShare.Count -gt 0) { " + new CommandText("Remove-SmbShare").String("Name", op.Name).Switch("Force").Stop() + " }");
                w.Line("$labrunnerUser = @(" + new CommandText("Get-LocalUser").Stop() + " | Where-Object { $_.Name -eq " + Q(Name(op.Account, "account name")) + " })");
                w.Line("if ($labrunnerUser.Count -gt 0 -and (" + new CommandText("Test-Path").String("LiteralPath", op.Path).String("PathType", "Container") + ")) {");
                w.Line("    $null = icacls.exe " + Q(op.Path) + " " + Q("/remove:g") + " " + Q(op.Account));
                w.Line("    if ($LASTEXITCODE -ne 0) { " + ThrowFailed($"icacls could not take account '{op.Account}' off '{op.Path}'.", "LabRunnerFolderAccessFailed") + " }");
                w.Line("}");
                return true;

            case RemoveShareTraffic op:
                w.Line("$labrunnerRule = @(" + new CommandText("Get-NetFirewallRule").Stop() + " | Where-Object { $_.Name -eq " + Q(Name(op.RuleName, "firewall rule name")) + " })");
                w.Line("if ($labrunnerRule.Count -gt 0) { " + new CommandText("Remove-NetFirewallRule").String("Name", op.RuleName).Stop() + " }");
                return true;

            case RemoveShareAccount op:
                w.Line("$labrunnerUser = @(" + new CommandText("Get-LocalUser").Stop() + " | Where-Object { $_.Name -eq " + Q(Name(op.Account, "account name")) + " })");
                w.Line("if ($labrunnerUser.Count -gt 0) { " + new CommandText("Remove-LocalUser").String("Name", op.Account).Stop() + " }");
                return true;

            default:
                return false;
        }
    }

    /// <summary>A real ErrorRecord for a native tool's failure, so the trap or catch reports it with an id of LabRunner's own.</summary>
    private static string ThrowFailed(string message, string errorId) =>
        "throw [System.Management.Automation.ErrorRecord]::new([System.InvalidOperationException]::new("
        + Q(message) + " + ' (exit code ' + $LASTEXITCODE + ')'), " + Q(errorId) + ", [System.Management.Automation.ErrorCategory]::InvalidOperation, $null)";
}
