using System.Globalization;
using LabRunner.Core.Diagnostics;

namespace LabRunner.Cli.Rendering;

public static class Summary
{
    public static string Count(int n, string noun) =>
        string.Create(CultureInfo.InvariantCulture, $"{n} {noun}{(n == 1 ? "" : "s")}");

    public static string Errors(IEnumerable<Diagnostic> diagnostics)
    {
        var list = diagnostics.ToList();
        var errors = list.Count(d => d.IsError);
        var warnings = list.Count - errors;
        return $"{Count(errors, "error")}" + (warnings > 0 ? $", {Count(warnings, "warning")}" : "") + "; nothing was changed.";
    }
}
