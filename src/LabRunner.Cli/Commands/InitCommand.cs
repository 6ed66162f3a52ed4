using System.CommandLine;
using System.Text;
using LabRunner.Cli.Rendering;
using LabRunner.Core.Labfile;
using LabRunner.Engine;
using LabRunner.Core.Hosting;
using LabRunner.HostCommon.Files;
using AtomicFile = LabRunner.HostCommon.Files.AtomicFile;

namespace LabRunner.Cli.Commands;

/// <summary>A lab template 'lab init' writes: its name, what it makes, and the box it names unless --box says otherwise.</summary>
public sealed record LabTemplate(string Name, string Description, string DefaultBox)
{
    /// <summary>
    /// The templates, in the order '--list' shows them. Their text is compiled into 'lab' (Init/NAME.yml as manifest
    /// resources, read by name: no reflection over types, so trimming and native AOT keep them).
    /// </summary>
    public static readonly IReadOnlyList<LabTemplate> All =
    [
        new("linux", "one Linux VM on a NAT network", "debian-12"),
        new("web-db", "two Linux VMs: 'web' on NAT with port 80 forwarded to the host's 8080 and a provisioner, 'db' with a static IP on a private network they share", "debian-12"),
        new("windows", "one Windows VM on a NAT network (a sysprepped VHDX box)", "win2022"),
    ];

    /// <summary>The template's Labfile for lab <paramref name="lab"/> on box <paramref name="box"/> (both already checked names).</summary>
    public string Render(string lab, string box) =>
        Resource($"LabRunner.Init.{Name}.yml").Replace("__NAME__", lab, StringComparison.Ordinal).Replace("__BOX__", box, StringComparison.Ordinal);

    /// <summary>The Labfile JSON Schema (schema/labfile.schema.json of the repository), for editors.</summary>
    public static string Schema => Resource("LabRunner.Init.labfile.schema.json");

    private static string Resource(string name)
    {
        using var stream = typeof(LabTemplate).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"resource '{name}' is not in the lab binary");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}

/// <summary><c>lab init</c>: a commented Labfile.yml from a template, never over an existing one.</summary>
public static class InitCommand
{
    /// <summary>Where the schema the Labfile's first line names is written, relative to the project folder (inside git-ignored .lab/).</summary>
    public const string SchemaPath = ".lab/labfile.schema.json";

    public static Command Create(GlobalOptions global, CliEnvironment env)
    {
        var command = new Command("init",
            "Write a commented Labfile.yml from a template (and the Labfile schema for editors), and add .lab/ to the folder's .gitignore. " +
            "An existing Labfile is never overwritten.");
        var template = new Argument<string>("TEMPLATE")
        {
            Description = "The template ('lab init --list' describes each)",
            Arity = ArgumentArity.ZeroOrOne,
            DefaultValueFactory = _ => "linux",
        };
        template.AcceptOnlyFromAmong([.. LabTemplate.All.Select(t => t.Name)]);
        var box = new Option<string?>("--box")
        {
            Description = "The box the VMs use [default: the template's: debian-12, or win2022 for windows]",
            HelpName = "NAME",
        };
        box.Validators.Add(result =>
        {
            if (result.Tokens.Count > 0 && !Names.IsBoxReference(result.Tokens[^1].Value))
                result.AddError($"--box must be a box name ({Names.BoxReferenceRule}), not '{result.Tokens[^1].Value}'");
        });
        var list = new Option<bool>("--list") { Description = "List the templates; write nothing" };
        command.Add(template);
        command.Add(box);
        command.Add(list);
        command.SetAction(parse =>
        {
            var json = parse.GetValue(global.Json);
            if (parse.GetValue(list))
            {
                List(env, json);
                return ExitCodes.Success;
            }
            var chosen = LabTemplate.All.First(t => t.Name == parse.GetValue(template));
            var written = Write(chosen, parse.GetValue(box) ?? chosen.DefaultBox, parse.GetValue(global.File), env);
            if (json)
            {
                Json.Emit(env, "init", "ok", ExitCodes.Success, null, [], w =>
                {
                    w.WriteString("file", written.Labfile);
                    w.WriteString("template", chosen.Name);
                    w.WriteString("lab", written.Lab);
                    w.WriteString("box", written.Box);
                    w.WriteStringOrNull("gitignore", written.GitIgnore);
                });
                return ExitCodes.Success;
            }
            env.Stdout.WriteLine($"Wrote {written.Labfile}: lab '{written.Lab}' from template '{chosen.Name}', box '{written.Box}'.");
            if (written.GitIgnore is { } ignore) env.Stdout.WriteLine($"Added .lab/ to {ignore}.");
            env.Stdout.WriteLine($"Next: add the box ('lab box add {written.Box} SOURCE', or put its disk at boxes/{written.Box}.{(chosen.Name == "windows" || OperatingSystem.IsWindows() ? "vhdx" : "qcow2")}), then 'lab validate' and 'lab up'.");
            return ExitCodes.Success;
        });
        return command;
    }

    private static void List(CliEnvironment env, bool json)
    {
        if (json)
        {
            Json.Emit(env, "init", "ok", ExitCodes.Success, null, [], w =>
            {
                w.WriteStartArray("templates");
                foreach (var t in LabTemplate.All)
                {
                    w.WriteStartObject();
                    w.WriteString("name", t.Name);
                    w.WriteString("description", t.Description);
                    w.WriteString("box", t.DefaultBox);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            });
            return;
        }
        var width = LabTemplate.All.Max(t => t.Name.Length);
        foreach (var t in LabTemplate.All)
            env.Stdout.WriteLine($"{t.Name.PadRight(width)}  {t.Description} [box: {t.DefaultBox}]");
    }

    private sealed record Written(string Labfile, string Lab, string Box, string? GitIgnore);

    private static Written Write(LabTemplate template, string box, string? file, CliEnvironment env)
    {
        var display = file ?? "Labfile.yml";
        var path = Path.GetFullPath(display, env.WorkingDirectory);
        var folder = Path.GetDirectoryName(path)!;
        // Either name is the project's Labfile: writing Labfile.yml beside a Labfile.yaml would leave two.
        foreach (var existing in (string[])[path, .. file is null ? new[] { "Labfile.yaml" }.Select(n => Path.Combine(folder, n)) : []])
        {
            if (FileEntry.Kind(existing, followLinks: false) != EntryKind.Missing)
                throw new UsageException($"'{Path.GetRelativePath(env.WorkingDirectory, existing)}' already exists; 'lab init' never overwrites a Labfile (remove it first, or pass -f PATH for another file)");
        }
        var lab = LabName(folder);
        var text = template.Render(lab, box);
        try
        {
            // Create-new: a file another process made in the meantime is left alone, as one that was there before.
            if (!AtomicFile.CreateNew(path, Encoding.UTF8.GetBytes(text), ownerOnly: false))
                throw new UsageException($"'{display}' already exists; 'lab init' never overwrites a Labfile");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot write '{display}': {FileFailure.Reason(e)}");
        }
        WriteSchema(folder, env);
        return new Written(display, lab, box, AddToGitIgnore(folder, env));
    }

    /// <summary>The schema the Labfile's first line names, in the project's git-ignored state folder; a failure is only a warning.</summary>
    private static void WriteSchema(string folder, CliEnvironment env)
    {
        try
        {
            StateFolder.Create(Path.Combine(folder, ".lab"));
            AtomicFile.WriteAllText(Path.Combine(folder, SchemaPath), LabTemplate.Schema, ownerOnly: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or LabRunner.Core.Errors.LabRunnerException)
        {
            env.Error.WriteLine($"lab: warning: the Labfile schema for editors was not written to {SchemaPath}: {e.Message}");
        }
    }

    /// <summary>
    /// Adds <c>.lab/</c> to the project's .gitignore (the Labfile folder's, else the one at the root of the git
    /// work tree it lies in) unless a line already ignores it. No .gitignore: nothing is made (.lab/ ignores itself).
    /// </summary>
    private static string? AddToGitIgnore(string folder, CliEnvironment env)
    {
        var ignore = GitIgnoreOf(folder);
        if (ignore is null) return null;
        try
        {
            var text = File.ReadAllText(ignore);
            var lines = text.Split('\n').Select(l => l.Trim());
            if (lines.Any(l => l is ".lab" or ".lab/" or "/.lab" or "/.lab/" or "**/.lab" or "**/.lab/")) return null;
            File.AppendAllText(ignore, (text.Length > 0 && !text.EndsWith('\n') ? "\n" : "") + ".lab/\n");
            return Path.GetRelativePath(env.WorkingDirectory, ignore);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            env.Error.WriteLine($"lab: warning: could not add .lab/ to {ignore}: {FileFailure.Reason(e)}");
            return null;
        }
    }

    private static string? GitIgnoreOf(string folder)
    {
        for (var dir = folder; !string.IsNullOrEmpty(dir); dir = Path.GetDirectoryName(dir))
        {
            var candidate = Path.Combine(dir, ".gitignore");
            if (FileEntry.Kind(candidate, followLinks: true) == EntryKind.Regular && (dir == folder || Directory.Exists(Path.Combine(dir, ".git")) || File.Exists(Path.Combine(dir, ".git"))))
                return candidate;
            if (Directory.Exists(Path.Combine(dir, ".git")) || File.Exists(Path.Combine(dir, ".git"))) return null;
        }
        return null;
    }

    /// <summary>The lab's name from its folder's: letters and digits kept, anything else a hyphen, at most 32 ('lab' when nothing is left).</summary>
    public static string LabName(string folder)
    {
        var builder = new StringBuilder();
        foreach (var c in Path.GetFileName(Path.TrimEndingDirectorySeparator(folder)))
        {
            var keep = char.IsAsciiLetterOrDigit(c);
            if (keep) builder.Append(char.ToLowerInvariant(c));
            else if (builder.Length > 0 && builder[^1] != '-') builder.Append('-');
        }
        var name = builder.ToString();
        if (name.Length > 32) name = name[..32];
        name = name.Trim('-');
        return Names.IsLabName(name) ? name : "lab";
    }
}
