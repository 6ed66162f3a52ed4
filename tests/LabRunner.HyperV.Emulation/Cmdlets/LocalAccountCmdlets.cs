using System.Management.Automation;
using System.Net;
using System.Security;
using LabRunner.Simulation;

namespace LabRunner.HyperV.Emulation.Cmdlets;

// Microsoft.PowerShell.LocalAccounts (Windows PowerShell 5.1): New-LocalUser, Set-LocalUser, Get-LocalUser and
// Remove-LocalUser with the parameters LabRunner's scripts use and their documented sets. The password arrives as a
// SecureString, as on Windows; the simulated host keeps only its SHA-256.

/// <summary>Get-LocalUser [[-Name] &lt;String[]&gt;]: every account without a name; a name that matches nothing is an error.</summary>
[Cmdlet(VerbsCommon.Get, "LocalUser", DefaultParameterSetName = "Default")]
[OutputType("Microsoft.PowerShell.Commands.LocalUser")]
public sealed class GetLocalUserCommand : CimCmdlet
{
    [Parameter(Position = 0, ParameterSetName = "Default", ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var name in Name ?? ["*"])
        {
            if (TryRead(m => MatchName(m.State.LocalUsers, u => u.Name, name).Select(ShareObjects.LocalUser).ToList() is { } found && (found.Count > 0 || IsPattern(name))
                    ? found
                    : throw HostModel.UserNotFound(name), name, out var users))
            {
                foreach (var user in users) WriteObject(user);
            }
        }
    }
}

/// <summary>New-LocalUser [-Name] -Password [-FullName] [-Description] [-AccountNeverExpires] [-PasswordNeverExpires] [-UserMayNotChangePassword] [-Disabled].</summary>
[Cmdlet(VerbsCommon.New, "LocalUser", DefaultParameterSetName = "Password", SupportsShouldProcess = true)]
[OutputType("Microsoft.PowerShell.Commands.LocalUser")]
public sealed class NewLocalUserCommand : CimCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateLength(1, 20)]
    public string Name { get; set; } = "";

    [Parameter(Mandatory = true, ParameterSetName = "Password", ValueFromPipelineByPropertyName = true)]
    public SecureString? Password { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = "NoPassword", ValueFromPipelineByPropertyName = true)]
    public SwitchParameter NoPassword { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public DateTime AccountExpires { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public SwitchParameter AccountNeverExpires { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateLength(0, 48)]
    public string Description { get; set; } = "";

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public SwitchParameter Disabled { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string FullName { get; set; } = "";

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public SwitchParameter PasswordNeverExpires { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public SwitchParameter UserMayNotChangePassword { get; set; }

    protected override void ProcessRecord()
    {
        if (NoPassword) ThrowInvalidArgument("NotEmulated", "The emulation creates accounts with a password only.", Name);
        if (!ShouldProcess(Name, "Create local user")) return;
        var password = new NetworkCredential("", Password).Password;
        if (TryMutate(m => ShareObjects.LocalUser(m.NewLocalUser(Name, password, FullName, Description)), Name, out var created))
            WriteObject(created);
    }
}

/// <summary>Set-LocalUser [-Name] [-Password] [-FullName] [-Description].</summary>
[Cmdlet(VerbsCommon.Set, "LocalUser", DefaultParameterSetName = "Name", SupportsShouldProcess = true)]
public sealed class SetLocalUserCommand : CimCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Name", ValueFromPipelineByPropertyName = true)]
    public string Name { get; set; } = "";

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public SecureString? Password { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? FullName { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateLength(0, 48)]
    public string? Description { get; set; }

    protected override void ProcessRecord()
    {
        if (!ShouldProcess(Name, "Modify local user")) return;
        var password = Password is null ? null : new NetworkCredential("", Password).Password;
        TryMutate(m =>
        {
            var user = m.GetLocalUser(Name);
            if (password is not null) m.SetLocalUserPassword(user, password);
            if (FullName is not null) user.FullName = FullName;
            if (Description is not null) user.Description = Description;
        }, Name);
    }
}

/// <summary>Remove-LocalUser [-Name] &lt;String[]&gt;.</summary>
[Cmdlet(VerbsCommon.Remove, "LocalUser", DefaultParameterSetName = "Default", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
public sealed class RemoveLocalUserCommand : CimCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Default", ValueFromPipelineByPropertyName = true)]
    public string[] Name { get; set; } = [];

    protected override void ProcessRecord()
    {
        foreach (var name in Name)
        {
            if (!ShouldProcess(name, "Remove local user")) continue;
            TryMutate(m => m.RemoveLocalUser(m.GetLocalUser(name)), name);
        }
    }
}
