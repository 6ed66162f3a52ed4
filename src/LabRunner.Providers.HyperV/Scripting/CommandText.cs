using System.Diagnostics;
using System.Text;

namespace LabRunner.Providers.HyperV.Scripting;

/// <summary>
/// Builds one cmdlet call. Parameter names are the renderer's own constants; every value goes
/// through <see cref="PowerShellLiteral"/>, so a call can only ever bind values, never run them.
/// </summary>
internal sealed class CommandText
{
    private readonly StringBuilder _text;

    public CommandText(string command)
    {
        Debug.Assert(IsWord(command.Replace("\\", "", StringComparison.Ordinal)), "command names are constants");
        _text = new StringBuilder(command);
    }

    public CommandText String(string parameter, string value) => Add(parameter, PowerShellLiteral.Quote(value));

    public CommandText Number(string parameter, long value) => Add(parameter, PowerShellLiteral.Number(value));

    /// <summary>A [bool] parameter (not a switch), such as New-VMSwitch -AllowManagementOS.</summary>
    public CommandText Boolean(string parameter, bool value) => Add(parameter, PowerShellLiteral.Boolean(value));

    /// <summary>A switch parameter that is present: <c>-Force</c>.</summary>
    public CommandText Switch(string parameter) => Add(parameter, null);

    /// <summary>A switch parameter turned off explicitly: <c>-Confirm:$false</c>.</summary>
    public CommandText SwitchOff(string parameter)
    {
        Debug.Assert(IsWord(parameter));
        _text.Append(" -").Append(parameter).Append(":$false");
        return this;
    }

    /// <summary>A variable the script itself set (such as the boot disk it looked up), never outside data.</summary>
    public CommandText Variable(string parameter, string expression)
    {
        Debug.Assert(expression.StartsWith('$'), "only the script's own variables");
        return Add(parameter, expression);
    }

    /// <summary>
    /// Ends the call with <c>-ErrorAction 'Stop'</c>. Explicit on every call because script-module
    /// functions (NetNat and NetTCPIP are CDXML modules) do not see the script's
    /// $ErrorActionPreference, and a non-terminating error there would otherwise pass as success.
    /// </summary>
    public string Stop() => Add("ErrorAction", PowerShellLiteral.Quote("Stop")).ToString();

    public override string ToString() => _text.ToString();

    private CommandText Add(string parameter, string? value)
    {
        Debug.Assert(IsWord(parameter), "parameter names are constants");
        _text.Append(" -").Append(parameter);
        if (value is not null) _text.Append(' ').Append(value);
        return this;
    }

    private static bool IsWord(string s) => s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '-');
}
