using System.Runtime.CompilerServices;
using LabRunner.Core.Labfile;
using LabRunner.Core.Planning;
using LabRunner.Providers.HyperV;
using LabRunner.Tests.Shared;

namespace LabRunner.Guest.Tests;

/// <summary>
/// Every default template's output for Golden/Labfile.yml, compared byte for byte with the files
/// kept under Golden/&lt;vm&gt;/. A change to a template shows up as a reviewable diff of these files.
/// Set LABRUNNER_UPDATE_GOLDEN=1 to rewrite them.
/// </summary>
public class GoldenTests
{
    [Theory]
    [InlineData("web", GuestConfigRenderer.MetaDataFile)]
    [InlineData("web", GuestConfigRenderer.UserDataFile)]
    [InlineData("web", GuestConfigRenderer.NetworkConfigFile)]
    [InlineData("win", GuestConfigRenderer.UnattendFile)]
    public void Rendered_file_matches_its_golden_copy(string vm, string file)
    {
        var plan = GoldenPlan();
        var result = new GuestConfigRenderer().Render(plan.Lab, plan.Vms.Single(v => v.Name == vm), Labs.Secrets);
        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics));
        var actual = result[file].Text;
        var path = Path.Combine(GoldenDirectory(), vm, file);

        if (GoldenFiles.UpdateRequested())
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, actual);
        }

        Assert.True(File.Exists(path), $"no golden file {path}; run with LABRUNNER_UPDATE_GOLDEN=1 to create it");
        // A Windows checkout may have turned the golden file's LF into CRLF; the seed itself is always LF.
        Assert.Equal(File.ReadAllText(path).Replace("\r\n", "\n", StringComparison.Ordinal), actual);
    }

    private static LabPlan GoldenPlan()
    {
        var text = File.ReadAllText(Path.Combine(GoldenDirectory(), "Labfile.yml"));
        var result = LabfileLoader.LoadAndPlan(new SourceText("Labfile.yml", text), null, LabContext.For(HyperVRules.Instance));
        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics));
        return result.Plan!;
    }

    private static string GoldenDirectory([CallerFilePath] string thisFile = "") =>
        Path.Combine(Path.GetDirectoryName(thisFile)!, "Golden");
}
