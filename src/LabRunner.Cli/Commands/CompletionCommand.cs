using System.CommandLine;
using System.CommandLine.Completions;
using LabRunner.Engine;

namespace LabRunner.Cli.Commands;

/// <summary>
/// <c>lab completion bash|zsh|fish|pwsh</c>: a script that hands the shell's command line to
/// <c>lab "[suggest:POSITION]" "LINE"</c> — System.CommandLine's own completion directive, so commands and options
/// complete from the command tree itself — and offers what it prints. VM arguments complete with the VM names of
/// the Labfile the line would use (its <c>-f</c>, or the one in the current folder); <c>--provider</c> with its values.
/// </summary>
public static class CompletionCommand
{
    public static readonly IReadOnlyList<string> Shells = ["bash", "zsh", "fish", "pwsh"];

    public static Command Create(GlobalOptions global, CliEnvironment env)
    {
        var command = new Command("completion",
            "Print a shell completion script: commands, options and the Labfile's VM names complete. " +
            "bash: eval \"$(lab completion bash)\"; zsh: eval \"$(lab completion zsh)\"; fish: lab completion fish | source; " +
            "PowerShell: lab completion pwsh | Out-String | Invoke-Expression (put the line in your shell's profile).");
        var shell = new Argument<string>("SHELL") { Description = "The shell" };
        shell.AcceptOnlyFromAmong([.. Shells]);
        command.Add(shell);
        command.SetAction(parse =>
        {
            env.Stdout.Write(Script(parse.GetValue(shell)!));
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>
    /// Adds what the command tree cannot know by itself: every <c>VM</c> argument completes with the Labfile's VM
    /// names, <c>--provider</c> with its values. A Labfile that cannot be read completes nothing (never an error).
    /// </summary>
    public static void AddSources(RootCommand root, GlobalOptions global, CliEnvironment env)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(global);
        global.Provider.CompletionSources.Add([.. global.Providers.Names]);
        foreach (var command in Commands(root))
        {
            foreach (var argument in command.Arguments.Where(a => a.Name == "VM"))
                argument.CompletionSources.Add(context => VmNames(context, global, env));
        }
    }

    private static IEnumerable<Command> Commands(Command command) => command.Subcommands.SelectMany(Commands).Prepend(command);

    private static IEnumerable<string> VmNames(CompletionContext context, GlobalOptions global, CliEnvironment env)
    {
        try
        {
            var rules = global.Providers.ForPlanning(context.ParseResult.GetValue(global.Provider), env.ForProviders, refuseUnknown: false).Rules;
            var project = LabProject.Open(context.ParseResult.GetValue(global.File), env.WorkingDirectory, env.GetVariable, rules);
            var lab = project.Load().Lab;
            return lab is null ? [] : lab.Vms.Select(v => v.Name).Where(n => n.StartsWith(context.WordToComplete, StringComparison.OrdinalIgnoreCase));
        }
#pragma warning disable CA1031 // Completion runs at every Tab: a Labfile that cannot be read offers nothing, and says nothing.
        catch (Exception)
#pragma warning restore CA1031
        {
            return [];
        }
    }

    /// <summary>The script for <paramref name="shell"/> (one of <see cref="Shells"/>).</summary>
    public static string Script(string shell) => shell switch
    {
        "bash" => Bash,
        "zsh" => Zsh,
        "fish" => Fish,
        "pwsh" => Pwsh,
        _ => throw new ArgumentOutOfRangeException(nameof(shell), shell, "not a shell 'lab completion' knows"),
    };

    // Each script asks 'lab' (as the user typed it: a path or a name on PATH) for the candidates at the cursor, passing
    // the line and the position as two arguments (never through eval), and offers those that start with the current
    // word; options only once the word starts with '-', and never the '/?' spellings of help.
    private const string Bash = """
        # bash completion for lab (LabRunner). Load it with: eval "$(lab completion bash)"
        _lab_complete() {
            local line="${COMP_LINE:0:$COMP_POINT}" cur="${COMP_WORDS[COMP_CWORD]}" candidates c
            candidates=$("${COMP_WORDS[0]}" "[suggest:${#line}]" "$line" 2>/dev/null) || return 0
            COMPREPLY=()
            while IFS= read -r c; do
                [[ -z "$c" || "$c" == /* ]] && continue
                [[ "$c" == -* && "$cur" != -* ]] && continue
                [[ "$c" == "$cur"* ]] && COMPREPLY+=("$c")
            done <<< "$candidates"
        }
        complete -o default -F _lab_complete lab

        """;

    private const string Zsh = """
        # zsh completion for lab (LabRunner). Load it with: eval "$(lab completion zsh)"
        _lab_complete() {
            local line="${BUFFER[1,$CURSOR]}" cur="${words[CURRENT]}"
            local -a candidates
            candidates=("${(@f)$(${words[1]} "[suggest:${#line}]" "$line" 2>/dev/null)}")
            candidates=(${candidates:#/*})
            [[ "$cur" == -* ]] || candidates=(${candidates:#-*})
            compadd -- "${candidates[@]}"
        }
        if ! whence compdef >/dev/null; then autoload -Uz compinit && compinit; fi
        compdef _lab_complete lab

        """;

    private const string Fish = """
        # fish completion for lab (LabRunner). Load it with: lab completion fish | source
        function __lab_complete
            set -l line (commandline -cp)
            set -l program (commandline -opc)[1]
            set -l candidates ($program "[suggest:"(string length -- "$line")"]" "$line" 2>/dev/null | string match -v -r -- '^/')
            if string match -q -- '-*' (commandline -ct)
                printf '%s\n' $candidates
            else
                printf '%s\n' $candidates | string match -v -r -- '^-'
            end
        end
        complete -c lab -f -a '(__lab_complete)'

        """;

    private const string Pwsh = """
        # PowerShell completion for lab (LabRunner). Load it with: lab completion pwsh | Out-String | Invoke-Expression
        Register-ArgumentCompleter -Native -CommandName 'lab', 'lab.exe' -ScriptBlock {
            param($wordToComplete, $commandAst, $cursorPosition)
            $line = $commandAst.ToString()
            $offset = $cursorPosition - $commandAst.Extent.StartOffset
            # The command's text ends at its last word; a cursor after a space completes a new word.
            $line = if ($offset -lt $line.Length) { $line.Substring(0, $offset) } else { $line.PadRight($offset) }
            $program = $commandAst.CommandElements[0].Extent.Text
            & $program "[suggest:$($line.Length)]" "$line" 2>$null | Where-Object {
                $_ -and -not $_.StartsWith('/') -and ($wordToComplete.StartsWith('-') -or -not $_.StartsWith('-')) -and
                    $_.StartsWith($wordToComplete, [System.StringComparison]::OrdinalIgnoreCase)
            } | ForEach-Object {
                [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)
            }
        }

        """;
}
