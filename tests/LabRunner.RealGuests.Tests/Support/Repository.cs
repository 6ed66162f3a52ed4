namespace LabRunner.RealGuests.Tests.Support;

/// <summary>The clone the tests run from.</summary>
public static class Repository
{
    /// <summary>The folder holding LabRunner.sln, found upwards from the test assembly.</summary>
    public static string Root()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(dir.FullName, "LabRunner.sln"))) dir = dir.Parent!;
        return dir.FullName;
    }
}
