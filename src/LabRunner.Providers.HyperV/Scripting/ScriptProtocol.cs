using System.Globalization;
using System.Text;

namespace LabRunner.Providers.HyperV.Scripting;

/// <summary>
/// The line protocol a rendered script speaks on stdout. Operations are numbered from 1 in batch
/// order, so after <c>ok N</c> exactly N operations have completed.
/// <code>
/// ##labrunner begin N
/// ##labrunner ok N
/// ##labrunner fail N &lt;ErrorCategory&gt; &lt;base64 FullyQualifiedErrorId&gt; &lt;base64 message&gt;
/// </code>
/// Everything that may hold arbitrary text is base64 of UTF-8: stdout of Windows PowerShell is
/// encoded in the console's OEM code page, and a FullyQualifiedErrorId of a CIM cmdlet contains
/// spaces (<c>Windows System Error 5,New-NetNat</c>). Every other stdout line is ignored.
/// </summary>
public static class ScriptProtocol
{
    public const string Prefix = "##labrunner";

    public static string BeginLine(int step) => string.Create(CultureInfo.InvariantCulture, $"{Prefix} begin {step}");

    public static string OkLine(int step) => string.Create(CultureInfo.InvariantCulture, $"{Prefix} ok {step}");

    /// <summary>The fail line as the script writes it; used by tests and fakes to speak the protocol.</summary>
    public static string FailLine(int step, string category, string fullyQualifiedErrorId, string message) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{Prefix} fail {step} {category} {Convert.ToBase64String(Encoding.UTF8.GetBytes(fullyQualifiedErrorId))} {Convert.ToBase64String(Encoding.UTF8.GetBytes(message))}");

    /// <summary>Reads one stdout line; null for anything that is not a well-formed protocol line.</summary>
    public static ProtocolEvent? Parse(string? line)
    {
        if (line is null) return null;
        var parts = line.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 3 || !string.Equals(parts[0], Prefix, StringComparison.Ordinal)) return null;
        if (!int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var step) || step < 1) return null;
        switch (parts[1])
        {
            case "begin" when parts.Length == 3:
                return new ProtocolEvent.Begin(step);
            case "ok" when parts.Length == 3:
                return new ProtocolEvent.Ok(step);
            case "fail" when parts.Length is >= 4 and <= 6:
                // An empty id or message encodes to nothing, so trailing fields may be missing.
                var category = parts[3];
                var id = parts.Length > 4 ? Decode(parts[4]) : "";
                var message = parts.Length > 5 ? Decode(parts[5]) : "";
                return id is null || message is null ? null : new ProtocolEvent.Fail(step, category, id, message);
            default:
                return null;
        }
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

/// <summary>One protocol line, read.</summary>
public abstract record ProtocolEvent(int Step)
{
    /// <summary>Operation <see cref="ProtocolEvent.Step"/> is about to run.</summary>
    public sealed record Begin(int Step) : ProtocolEvent(Step);

    /// <summary>Operation <see cref="ProtocolEvent.Step"/> succeeded.</summary>
    public sealed record Ok(int Step) : ProtocolEvent(Step);

    /// <summary>Operation <see cref="ProtocolEvent.Step"/> threw; the script exits with code 1 after this line.</summary>
    public sealed record Fail(int Step, string Category, string FullyQualifiedErrorId, string Message) : ProtocolEvent(Step);
}
