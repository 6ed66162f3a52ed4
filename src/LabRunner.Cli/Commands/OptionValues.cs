using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace LabRunner.Cli.Commands;

/// <summary>
/// Options whose values are checked while parsing, so that a bad value is a usage error (exit 2) with
/// one line saying what is allowed — never a conversion exception. Every option that takes a value is
/// made here.
/// </summary>
internal static class OptionValues
{
    /// <summary>A whole number in [min, max]; anything else (letters, fractions, overflow, a sign) is refused by name.</summary>
    public static Option<int> WholeNumber(string name, int min, int max, int defaultValue, string helpName, string description) => new(name)
    {
        Description = description,
        HelpName = helpName,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result =>
        {
            if (result.Tokens.Count == 0) return defaultValue;
            var text = result.Tokens[^1].Value;
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max)
                return n;
            result.AddError(string.Create(CultureInfo.InvariantCulture, $"{name} must be a whole number from {min} to {max}, not '{text}'"));
            return defaultValue;
        },
    };

    /// <summary>A path that must not be empty (an empty string is no path, and would otherwise fail deep inside).</summary>
    public static void RequireNonEmpty(Option<string?> option, string what) => option.Validators.Add(result =>
    {
        if (result.Tokens.Count > 0 && string.IsNullOrWhiteSpace(result.Tokens[^1].Value))
            result.AddError($"{option.Name} must name {what}, not '{result.Tokens[^1].Value}'");
    });

    /// <summary>One of a few words, compared ignoring case.</summary>
    public static void AcceptOnly(Option<string?> option, params string[] values) => option.Validators.Add(result =>
    {
        if (result.Tokens.Count > 0 && !values.Contains(result.Tokens[^1].Value, StringComparer.OrdinalIgnoreCase))
            result.AddError($"{option.Name} must be {string.Join(" or ", values.Select(v => $"'{v}'"))}, not '{result.Tokens[^1].Value}'");
    });

    /// <summary>
    /// A VM argument takes any word, so without this an unknown option such as <c>--provision</c> would be
    /// taken for a VM name. VM names never start with '-'.
    /// </summary>
    public static void RefuseOptionsAsNames<T>(Argument<T> argument) => argument.Validators.Add(result =>
    {
        foreach (var token in result.Tokens.Where(t => t.Value.StartsWith('-')))
            result.AddError(UnknownOption(token.Value, result));
    });

    public static string UnknownOption(string token, SymbolResult where) =>
        $"unknown option '{token}' for 'lab {CommandName(where)}'";

    /// <summary>The command's words after 'lab' ('box remove'; empty for the root), as in usage lines.</summary>
    public static string CommandName(SymbolResult? where)
    {
        while (where is not null and not CommandResult) where = where.Parent;
        var words = new List<string>();
        for (var command = where as CommandResult; command is not null && command.Command is not RootCommand; command = command.Parent as CommandResult)
            words.Insert(0, command.Command.Name);
        return string.Join(' ', words);
    }
}
