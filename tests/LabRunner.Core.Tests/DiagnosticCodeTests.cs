using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using LabRunner.Core.Diagnostics;

namespace LabRunner.Core.Tests;

public class DiagnosticCodeTests
{
    [Fact]
    public void No_source_outside_the_diagnostics_folder_writes_a_code_as_a_literal()
    {
        var src = Path.GetFullPath(Path.Combine(ThisFolder(), "..", "..", "src"));
        var diagnostics = Path.Combine(src, "LabRunner.Core", "Diagnostics") + Path.DirectorySeparatorChar;

        var literals = Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.StartsWith(diagnostics, StringComparison.Ordinal) && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (f, i, line)))
            .Where(x => Regex.IsMatch(x.line, "\"LAB[0-9]{3}\""))
            .Select(x => $"{Path.GetRelativePath(src, x.f)}:{x.i + 1}: {x.line.Trim()}")
            .ToList();

        Assert.True(literals.Count == 0, "compare with DiagnosticCodes instead:\n" + string.Join('\n', literals));
    }

    [Fact]
    public void The_named_codes_are_the_codes_their_factories_give()
    {
        var span = SourceSpan.None("Labfile.yml");

        Assert.Equal(DiagnosticCodes.YamlSyntax, DiagnosticBuilder.YamlSyntax(span, "x").Code);
        Assert.Equal(DiagnosticCodes.ProvisionFileMissing, DiagnosticBuilder.ProvisionFileMissing(span, "x.sh").Code);
        Assert.Equal(DiagnosticCodes.SyncedFolderMissing, DiagnosticBuilder.SyncedFolderMissing(span, "./site").Code);
    }

    private static string ThisFolder([CallerFilePath] string file = "") => Path.GetDirectoryName(file)!;
}
