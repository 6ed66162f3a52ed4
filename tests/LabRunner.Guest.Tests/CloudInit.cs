using LabRunner.Core.Planning;
using LabRunner.Guest.Tests.Tools;

namespace LabRunner.Guest.Tests;

/// <summary>Writes a rendered seed to disk and runs cloud-init's own tools on it.</summary>
internal static class CloudInit
{
    /// <summary>Writes the seed's files into <paramref name="folder"/> (the caller's, removed when it is disposed).</summary>
    public static DirectoryInfo WriteSeed(GuestRenderResult result, Iso.TempDirectory folder)
    {
        var dir = new DirectoryInfo(folder.Path);
        foreach (var file in result.Files)
            File.WriteAllBytes(Path.Combine(dir.FullName, file.Name), file.Content);
        return dir;
    }

    /// <summary>Runs <c>cloud-init devel net-convert</c> and returns the output directory.</summary>
    public static DirectoryInfo NetConvert(DirectoryInfo seed, string distro, string format)
    {
        var output = seed.CreateSubdirectory($"out-{distro}-{format}");
        var run = ExternalTool.Run("cloud-init", "devel", "net-convert",
            "-p", Path.Combine(seed.FullName, GuestConfigRenderer.NetworkConfigFile), "-k", "yaml",
            "-D", distro, "-O", format, "-d", output.FullName);
        Assert.True(run.ExitCode == 0, $"net-convert -D {distro} -O {format} failed:\n{run}");
        return output;
    }

    public static string Read(DirectoryInfo root, string relative)
    {
        var path = Path.Combine(root.FullName, relative);
        Assert.True(File.Exists(path), $"net-convert wrote no {relative}; it wrote: {string.Join(", ", root.EnumerateFiles("*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(root.FullName, f.FullName)))}");
        return File.ReadAllText(path);
    }

    /// <summary>The gateway an adapter's static default route must use, or null when it must have none.</summary>
    public static string? ExpectedRoute(AdapterPlan a) => a.DefaultRoute && a.Ip is not null ? a.Gateway?.ToString() : null;

    /// <summary>ENI stanzas by interface: the option lines under each <c>iface</c> line.</summary>
    public static Dictionary<string, (string Method, List<string> Options)> EniStanzas(string eni)
    {
        var stanzas = new Dictionary<string, (string, List<string>)>(StringComparer.Ordinal);
        List<string>? current = null;
        foreach (var raw in eni.Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith("iface ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                current = [];
                stanzas[parts[1]] = (parts[3], current);
            }
            else if (line.Length == 0 || line.StartsWith("auto ", StringComparison.Ordinal) || line.StartsWith('#'))
            {
                current = null;
            }
            else
            {
                current?.Add(line);
            }
        }
        return stanzas;
    }
}
