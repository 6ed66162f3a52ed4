using System.Runtime.CompilerServices;
using LabRunner.Core.Hosting;
using LabRunner.Providers.HyperV.Scripting;
using LabRunner.Providers.HyperV.Tests.Support;
using LabRunner.Tests.Shared;

namespace LabRunner.Providers.HyperV.Tests;

/// <summary>
/// The scripts of representative batches, as users see them with <c>lab up --what-if</c>.
/// Regenerate with <c>LABRUNNER_UPDATE_GOLDEN=1 dotnet test tests/LabRunner.Providers.HyperV.Tests</c>
/// and review the diff.
/// </summary>
public class GoldenScriptTests
{
    [Theory]
    [InlineData("up-batch.ps1")]
    [InlineData("down-batch.ps1")]
    public void The_rendered_script_matches_its_golden_file(string file)
    {
        var batch = file == "up-batch.ps1" ? Samples.UpBatch() : Samples.DownBatch();
        var actual = HyperVScript.Render(batch);
        var path = Path.Combine(GoldenDirectory(), file);

        if (GoldenFiles.UpdateRequested())
            File.WriteAllText(path, actual);

        Assert.True(File.Exists(path), $"{path} is missing: run with LABRUNNER_UPDATE_GOLDEN=1");
        Assert.Equal(File.ReadAllText(path), actual);
    }

    [Fact]
    public void Golden_scripts_are_what_the_real_parser_accepts()
    {
        foreach (var file in Directory.GetFiles(GoldenDirectory(), "*.ps1"))
            ScriptAst.Parse(File.ReadAllText(file));
    }

    private static string GoldenDirectory([CallerFilePath] string thisFile = "") => Path.Combine(Path.GetDirectoryName(thisFile)!, "Golden");
}
