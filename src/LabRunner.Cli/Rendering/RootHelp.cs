using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Globalization;

namespace LabRunner.Cli.Rendering;

/// <summary>
/// 'lab --help' is written here: command rows show optional arguments as optional ('up [<VM>...]', where
/// System.CommandLine prints 'up <VM>'), and it ends with the exit codes. Each command's own help stays the library's.
/// </summary>
internal sealed class RootHelp(HelpAction inner) : SynchronousCommandLineAction
{
    /// <summary>The exit codes, at the end of 'lab --help' (and in the README): scripts rely on them.</summary>
    public static readonly (int Code, string Meaning)[] ExitCodeHelp =
    [
        (ExitCodes.Success, "done (or nothing to do, or --what-if)"),
        (ExitCodes.InvalidLabfile, "the Labfile (or a template) has errors; every one is reported"),
        (ExitCodes.Usage, "wrong usage: unknown command or option, no Labfile, a bad option or variable value"),
        (ExitCodes.HostFailure, "the host refused or failed an operation, or cannot be read; what succeeded stays"),
        (ExitCodes.Conflict, "the host is in a state LabRunner will not change on its own; nothing was changed"),
        (ExitCodes.InternalError, "a bug in LabRunner (LABRUNNER_DEBUG=1 shows the details)"),
        (ExitCodes.Interrupted, "interrupted (Ctrl+C); the next command finishes what was started"),
    ];

    /// <summary>Makes the root's help option write this help.</summary>
    public static void Install(RootCommand root)
    {
        if (root.Options.OfType<HelpOption>().FirstOrDefault() is { Action: HelpAction help } option)
            option.Action = new RootHelp(help);
    }

    // As the library's own help: '--help' wins over a missing argument ('lab box add --help').
    public override bool ClearsParseErrors => true;

    public override int Invoke(ParseResult parseResult)
    {
        if (parseResult.CommandResult.Command is not RootCommand root) return inner.Invoke(parseResult);
        var output = parseResult.InvocationConfiguration.Output;
        output.WriteLine("Description:");
        output.WriteLine($"  {root.Description}");
        output.WriteLine();
        output.WriteLine("Usage:");
        output.WriteLine($"  {root.HelpName ?? root.Name} [command] [options]");
        output.WriteLine();
        WriteSection(output, "Options:", root.Options.Where(o => !o.Hidden)
            .OrderBy(o => o is HelpOption or VersionOption).Select(o => (OptionLabel(o), o.Description ?? "")));
        WriteSection(output, "Commands:", root.Subcommands.Where(c => !c.Hidden).Select(c => (CommandLabel(c), c.Description ?? "")));
        WriteSection(output, "Exit codes:", ExitCodeHelp.Select(e => (e.Code.ToString(CultureInfo.InvariantCulture), e.Meaning)));
        return 0;
    }

    private static void WriteSection(TextWriter output, string title, IEnumerable<(string Label, string Text)> rows)
    {
        var list = rows.ToList();
        var width = list.Max(r => r.Label.Length) + 2;
        output.WriteLine(title);
        foreach (var (label, text) in list)
            output.WriteLine($"  {label.PadRight(width)}{text}".TrimEnd());
        output.WriteLine();
    }

    private static IEnumerable<string> Names(Symbol symbol, IEnumerable<string> aliases) =>
        aliases.Append(symbol.Name).Where(n => !n.StartsWith('/')).Distinct(StringComparer.Ordinal).OrderBy(n => n.Length).ThenBy(n => n, StringComparer.Ordinal);

    private static string OptionLabel(Option option)
    {
        var names = string.Join(", ", Names(option, option.Aliases));
        return option.ValueType == typeof(bool) || option.Arity.MaximumNumberOfValues == 0 ? names : $"{names} <{option.HelpName ?? option.Name.TrimStart('-').ToUpperInvariant()}>";
    }

    private static string CommandLabel(Command command) =>
        string.Join(' ', [string.Join(", ", command.Aliases.Append(command.Name).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)),
            .. command.Arguments.Where(a => !a.Hidden).Select(ArgumentLabel)]);

    private static string ArgumentLabel(Argument argument)
    {
        var name = $"<{argument.HelpName ?? argument.Name}>";
        if (argument.Arity.MaximumNumberOfValues > 1) name += "...";
        return argument.Arity.MinimumNumberOfValues == 0 ? $"[{name}]" : name;
    }
}
