using System.Text;
using System.Text.RegularExpressions;
using LabRunner.Engine;
using LabRunner.Providers.HyperV;

namespace LabRunner.Cli.Tests;

/// <summary>
/// The README is tested, so it cannot drift from the program:
/// <list type="bullet">
/// <item>every <c>```yaml</c> block is a Labfile that <c>lab validate</c> accepts; a block whose first line is
/// <c># Labfile.local.yml</c> is a local override, validated merged over the Labfile before it;</item>
/// <item>every <c>```sh</c> block is an example sequence: its <c>lab …</c> lines (or <c>dotnet run --project
/// src/LabRunner.Cli -- …</c>) run in order, in a copy of the repository's example project, against a
/// simulated host, and must exit 0 — or the code a trailing <c># … exit N</c> comment gives. <c>export</c> and
/// <c>truncate -s</c> lines do what they say; any other line fails the test until it is supported here;</item>
/// <item>every other <c>```</c> block is a synopsis: each <c>lab COMMAND</c> line names a command, and each
/// <c>--option</c> on it is one that command accepts.</item>
/// </list>
/// New commands and options in the README are picked up without changing this file.
/// </summary>
public sealed partial class ReadmeTests
{
    private sealed record Block(string Language, string Text, int Line);

    private static readonly string ReadmePath = Path.Combine(Repo.Root(), "README.md");

    private static IReadOnlyList<Block> Blocks()
    {
        var blocks = new List<Block>();
        var lines = File.ReadAllLines(ReadmePath);
        for (var i = 0; i < lines.Length; i++)
        {
            if (!lines[i].StartsWith("```", StringComparison.Ordinal)) continue;
            var language = lines[i][3..].Trim();
            var start = i + 1;
            var text = new StringBuilder();
            for (i++; i < lines.Length && !lines[i].StartsWith("```", StringComparison.Ordinal); i++)
                text.Append(lines[i]).Append('\n');
            blocks.Add(new Block(language, text.ToString(), start));
        }
        return blocks;
    }

    private static bool IsLocalOverride(Block b) => b.Text.TrimStart().StartsWith("# Labfile.local.y", StringComparison.Ordinal);

    /// <summary>Each Labfile block (by its first line in README.md) with the local override blocks that follow it.</summary>
    public static TheoryData<int> LabfileBlocks()
    {
        var data = new TheoryData<int>();
        foreach (var b in Blocks().Where(b => b.Language == "yaml" && !IsLocalOverride(b))) data.Add(b.Line);
        return data;
    }

    [Fact]
    public void The_README_has_Labfiles_example_sequences_and_synopses_to_test()
    {
        var blocks = Blocks();

        Assert.Contains(blocks, b => b.Language == "yaml" && !IsLocalOverride(b));
        Assert.Contains(blocks, b => b.Language == "yaml" && IsLocalOverride(b));
        Assert.Contains(blocks, b => b.Language == "sh" && b.Text.Split('\n').Any(l => LabArgs(l) is not null));
        Assert.Contains(blocks, b => b.Language == "" && b.Text.Contains("lab up", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(LabfileBlocks))]
    public async Task Every_Labfile_in_the_README_validates(int line)
    {
        var blocks = Blocks();
        var index = blocks.ToList().FindIndex(b => b.Line == line);
        var locals = blocks.Skip(index + 1).TakeWhile(b => !(b.Language == "yaml" && !IsLocalOverride(b)))
            .Where(b => b.Language == "yaml" && IsLocalOverride(b)).ToList();
        using var project = new TempProject().With("Labfile.yml", blocks[index].Text);
        foreach (var local in locals) project.With("Labfile.local.yml", local.Text);
        CreateBoxes(project.Root);

        var result = await Lab.RunAsync(project.Root, "validate");

        Assert.True(result.ExitCode == 0, $"README.md:{line}: the Labfile{(locals.Count > 0 ? " with its Labfile.local.yml" : "")} does not validate:\n{result}");
    }

    [Fact]
    public async Task Every_example_sequence_in_the_README_runs_in_order_against_the_simulated_host()
    {
        foreach (var block in Blocks().Where(b => b.Language == "sh"))
        {
            using var project = ExampleProject();
            var env = new Dictionary<string, string> { ["LABRUNNER_SIM_HOST"] = Path.Combine(project.Root, ".sim", "host.json") };
            var lines = block.Text.Split('\n');
            for (var i = 0; i < lines.Length; i++)
            {
                var where = $"README.md:{block.Line + i}: {lines[i]}";
                var (command, expected) = SplitComment(lines[i]);
                if (command.Length == 0) continue;
                var words = Words(command);
                if (LabArgs(command) is { } args)
                {
                    var result = await Lab.RunAsync(project.Root, env, args);
                    Assert.True(result.ExitCode == expected, $"{where}\nexpected exit {expected}\n{result}");
                }
                else if (words is ["export", var assignment] && assignment.Split('=', 2) is [var name, var value])
                {
                    env[name] = value;
                }
                else if (words is ["truncate", "-s", _, var file])
                {
                    var path = Path.Combine(project.Root, file);
                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    File.WriteAllBytes(path, new byte[1024]);
                }
                else
                {
                    Assert.Fail($"{where}\nThis line of an example sequence cannot be run by ReadmeTests; support it there or move it out of the ```sh block.");
                }
            }
        }
    }

    [Fact]
    public async Task Every_option_in_the_README_synopses_is_accepted_by_its_command()
    {
        using var project = ExampleProject();
        foreach (var block in Blocks().Where(b => b.Language == ""))
        {
            var lines = block.Text.Split('\n');
            for (var i = 0; i < lines.Length; i++)
            {
                var (command, _) = SplitComment(lines[i]);
                if (LabArgs(command) is not [var verb, .. var rest]) continue;
                // 'lab box add …': the options belong to the subcommand.
                if (rest is [var sub, ..] && SubcommandPattern().IsMatch(sub) && (await Lab.RunAsync(project.Root, verb, "--help")).Stdout.Contains($"\n  {sub} ", StringComparison.Ordinal))
                    (verb, rest) = ($"{verb} {sub}", rest[1..]);
                var help = await Lab.RunAsync(project.Root, [.. verb.Split(' '), "--help"]);
                Assert.True(help.ExitCode == 0, $"README.md:{block.Line + i}: 'lab {verb}' is not a command\n{help}");
                foreach (Match option in OptionPattern().Matches(string.Join(' ', rest)))
                    Assert.True(help.Stdout.Contains(option.Value, StringComparison.Ordinal),
                        $"README.md:{block.Line + i}: 'lab {verb}' has no option {option.Value}\n{help.Stdout}");
            }
        }
    }

    [GeneratedRegex("^[a-z]+$")]
    private static partial Regex SubcommandPattern();

    /// <summary>The arguments of a <c>lab …</c> line (or the same through <c>dotnet run</c>); null for any other line.</summary>
    private static string[]? LabArgs(string line)
    {
        var words = Words(line);
        if (words is ["lab", .. var args]) return args;
        if (words is ["dotnet", "run", "--project", "src/LabRunner.Cli", "--", .. var rest]) return rest;
        return null;
    }

    /// <summary>The command and the exit code its trailing comment expects (<c># … exit N</c>), 0 by default.</summary>
    private static (string Command, int Exit) SplitComment(string line)
    {
        var hash = line.IndexOf(" #", StringComparison.Ordinal);
        if (line.TrimStart().StartsWith('#')) return ("", 0);
        if (hash < 0) return (line.Trim(), 0);
        var exit = ExitPattern().Match(line[hash..]);
        return (line[..hash].Trim(), exit.Success ? int.Parse(exit.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0);
    }

    /// <summary>Splits a shell line into words: whitespace separates, single and double quotes group.</summary>
    private static string[] Words(string line)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        char? quote = null;
        var any = false;
        foreach (var c in line.Trim())
        {
            if (quote is { } q)
            {
                if (c == q) quote = null;
                else word.Append(c);
            }
            else if (c is '\'' or '"')
            {
                quote = c;
                any = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (word.Length > 0 || any) words.Add(word.ToString());
                word.Clear();
                any = false;
            }
            else
            {
                word.Append(c);
            }
        }
        if (word.Length > 0 || any) words.Add(word.ToString());
        return [.. words];
    }

    /// <summary>A copy of the repository's own project files (the example Labfile, templates, boxes/), as a reader has them after cloning.</summary>
    private static TempProject ExampleProject()
    {
        var project = new TempProject();
        var root = Repo.Root();
        foreach (var file in Directory.EnumerateFiles(root, "Labfile*.yml"))
            File.Copy(file, Path.Combine(project.Root, Path.GetFileName(file)));
        foreach (var folder in new[] { "templates", "boxes" })
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(root, folder), "*", SearchOption.AllDirectories))
            {
                if (file.EndsWith(".vhdx", StringComparison.OrdinalIgnoreCase) || file.EndsWith(".vhd", StringComparison.OrdinalIgnoreCase)) continue;
                var target = Path.Combine(project.Root, Path.GetRelativePath(root, file));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target);
            }
        }
        return project;
    }

    /// <summary>An empty file for every box the Labfile's VMs use, where LabRunner will look for it (the simulated host only checks that it exists).</summary>
    private static void CreateBoxes(string folder)
    {
        var project = LabProject.Open(null, folder, _ => null, HyperVRules.Instance);
        var lab = project.Load().Lab;
        if (lab is null) return;
        foreach (var box in lab.Vms.Select(v => v.Box).OfType<string>().Distinct(StringComparer.OrdinalIgnoreCase))
        {
            var path = project.BoxPath(lab, box);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, new byte[1024]);
        }
        // The scripts and files its provisioners name, as a project would have them.
        foreach (var file in lab.Vms.SelectMany(v => v.Provisioners).Select(p => LabRunner.Core.Validation.LabValidator.ProvisionFile(p).Path).OfType<string>())
        {
            var path = project.ProvisionPath(file);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, "#!/bin/sh\n");
        }
        // And the folders its synced folders name.
        foreach (var synced in lab.Vms.SelectMany(v => v.SyncedFolders))
            Directory.CreateDirectory(project.SyncedFolderPath(synced.HostPath));
    }

    [GeneratedRegex(@"(?<![\w-])--[a-z][a-z-]*")]
    private static partial Regex OptionPattern();

    [GeneratedRegex(@"\bexit (\d+)\b")]
    private static partial Regex ExitPattern();
}
