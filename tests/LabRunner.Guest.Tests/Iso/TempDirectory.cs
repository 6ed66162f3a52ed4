namespace LabRunner.Guest.Tests.Iso;

/// <summary>A scratch directory removed on dispose, even when a tool left read-only files in it (xorriso does).</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory() =>
        Path = Directory.CreateTempSubdirectory("labrunner-iso-").FullName;

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        if (!OperatingSystem.IsWindows())
            foreach (var directory in Directory.EnumerateDirectories(Path, "*", SearchOption.AllDirectories))
                System.IO.File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.Delete(Path, recursive: true);
    }
}
