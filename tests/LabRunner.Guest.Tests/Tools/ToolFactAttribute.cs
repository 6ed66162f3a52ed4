namespace LabRunner.Guest.Tests.Tools;

/// <summary>
/// A <see cref="FactAttribute"/> for tests that need external tools: <c>[ToolFact("xorriso", "isoinfo")]</c>.
/// When a tool is missing and <c>CI</c> is unset, the test is skipped with the apt package to install;
/// on CI it runs and fails in <see cref="ExternalTool.Run"/> with the same message. On Windows it always
/// skips: the tools are Debian's.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class ToolFactAttribute : FactAttribute
{
    public ToolFactAttribute(params string[] tools)
    {
        Tools = tools;
        if (OperatingSystem.IsWindows())
        {
            Skip = $"Needs Linux tools ({string.Join(", ", tools)}).";
            return;
        }
        if (ExternalTool.IsCi) return;
        var missing = tools.Where(t => ExternalTool.Find(t) is null).Select(ExternalTool.MissingMessage).ToArray();
        if (missing.Length > 0) Skip = string.Join("; ", missing);
    }

    public IReadOnlyList<string> Tools { get; }
}
