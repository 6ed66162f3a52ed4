namespace LabRunner.Guest.Tests.Tools;

/// <summary>
/// A fact that needs external tools. On a developer machine without them it is skipped with a note
/// naming the apt package. Under CI (the <c>CI</c> variable is set) it is never skipped: a missing
/// tool then fails the test through <see cref="ExternalTool.Run"/>, so CI cannot go green by
/// silently testing less.
/// </summary>
public sealed class ToolFactAttribute : FactAttribute
{
    public ToolFactAttribute(params string[] tools)
    {
        Tools = tools;
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"))) return;
        var missing = tools.Where(t => !ExternalTool.IsInstalled(t)).ToArray();
        if (missing.Length > 0)
            Skip = $"needs {string.Join(", ", missing)} (apt-get install -y {string.Join(' ', missing.Select(ExternalTool.PackageOf).Distinct())}); set CI=1 to fail instead of skipping";
    }

    public IReadOnlyList<string> Tools { get; }
}
