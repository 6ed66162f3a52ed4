namespace LabRunner.Tests.Shared;

/// <summary>
/// The switch that rewrites golden files instead of comparing with them. Rewriting is for a person who
/// reviews the diff afterwards, never for CI: there it would turn every golden test into one that passes.
/// </summary>
internal static class GoldenFiles
{
    public const string UpdateVariable = "LABRUNNER_UPDATE_GOLDEN";

    /// <summary>True when golden files are to be rewritten; an error when CI is set.</summary>
    public static bool UpdateRequested(Func<string, string?> getVariable)
    {
        if (getVariable(UpdateVariable) != "1") return false;
        if (!string.IsNullOrEmpty(getVariable("CI")))
            throw new InvalidOperationException($"{UpdateVariable}=1 rewrites golden files and is refused when CI is set: regenerate them locally and commit the reviewed diff.");
        return true;
    }

    public static bool UpdateRequested() => UpdateRequested(Environment.GetEnvironmentVariable);
}
