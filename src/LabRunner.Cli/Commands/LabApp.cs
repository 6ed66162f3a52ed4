using System.CommandLine;
using System.CommandLine.Parsing;
using LabRunner.Cli.Rendering;
using LabRunner.Core.Hosting;
using LabRunner.Engine;

namespace LabRunner.Cli.Commands;

/// <summary>The options every command shares.</summary>
public sealed class GlobalOptions
{
    public Option<string?> File { get; } = new("--file", "-f")
    {
        Description = "The Labfile to use [default: Labfile.yml or Labfile.yaml in the current folder]",
        HelpName = "PATH",
        Recursive = true,
    };

    public Option<string?> Provider { get; } = new("--provider")
    {
        Description = "Where the lab lives: 'hyperv' (this Windows host), 'qemu' (this Linux host) or 'simulated' (a simulated Hyper-V host in a JSON file, any OS) [default: hyperv on Windows, qemu on Linux with QEMU; env LABRUNNER_PROVIDER]",
        HelpName = "hyperv|qemu|simulated",
        Recursive = true,
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Print one JSON object on stdout instead of tables",
        Recursive = true,
    };

    public GlobalOptions()
    {
        OptionValues.RequireNonEmpty(File, "a file");
        OptionValues.AcceptOnly(Provider, HostSelection.HyperV, HostSelection.Qemu, HostSelection.Simulated);
    }
}

/// <summary>Builds the command tree and runs one command line. Thin: parse, call the core, render.</summary>
public static class LabApp
{
    public static RootCommand Build(CliEnvironment env, Services services)
    {
        var global = new GlobalOptions();
        var root = new RootCommand(
            "LabRunner: VM labs on Hyper-V from a Labfile.yml, with the networking it declares - " +
            "private, NAT, bridged and isolated networks, static IPs and forwarded ports.")
        {
            global.File,
            global.Provider,
            global.Json,
            ValidateCommand.Create(global, env),
            PlanCommand.Create(global, env),
            LifecycleCommands.Up(global, env, services),
            LifecycleCommands.Halt(global, env, services),
            LifecycleCommands.Reload(global, env, services),
            LifecycleCommands.Down(global, env, services),
            StatusCommand.Create(global, env, services),
            PortCommand.Create(global, env, services),
            SeedCommand.Create(global, env, services),
        };
        // Usage lines say 'lab' however the program was started (dotnet lab.dll, a test host, a renamed copy).
        root.HelpName = "lab";
        return root;
    }

    /// <summary>The parser's errors, with a word it did not recognise named as the unknown option or extra argument it is.</summary>
    private static IEnumerable<string> UsageErrors(ParseResult parsed)
    {
        var unmatched = parsed.UnmatchedTokens.Distinct(StringComparer.Ordinal).ToList();
        foreach (var token in unmatched)
        {
            yield return token.StartsWith('-')
                ? OptionValues.UnknownOption(token, parsed.CommandResult)
                : $"unexpected argument '{token}' for 'lab {OptionValues.CommandName(parsed.CommandResult)}'".Replace("'lab '", "'lab'", StringComparison.Ordinal);
        }
        foreach (var error in parsed.Errors)
        {
            if (!unmatched.Any(t => error.Message.Contains($"'{t}'", StringComparison.Ordinal)))
                yield return error.Message;
        }
    }

    public static async Task<int> RunAsync(string[] args, CliEnvironment env, Services? services = null, CancellationToken cancellationToken = default)
    {
        var root = Build(env, services ?? DefaultServices.Create());
        var config = new InvocationConfiguration
        {
            Output = new AnsiTextWriter(env.Out),
            Error = env.Error,
            // Our own handlers below map every exception to a documented exit code.
            EnableDefaultExceptionHandler = false,
            // Ctrl+C cancels the command's token; the engine stops between operations and records its
            // state. Give it time to do so before the process is ended regardless.
            ProcessTerminationTimeout = TimeSpan.FromSeconds(30),
        };
        if (args.Length == 0)
        {
            // Like git and vagrant: no command shows the help, and is still a usage error for scripts.
            await root.Parse(["--help"]).InvokeAsync(config, cancellationToken).ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        // No response files: '@PATH' would read any file whole (lab up @/dev/zero), and lab has too few options to need them.
        var parsed = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        var json = Json.Requested(parsed);
        var commandName = parsed.CommandResult.Command is RootCommand ? "lab" : parsed.CommandResult.Command.Name;
        if (parsed.Errors.Count > 0)
        {
            var messages = UsageErrors(parsed).ToList();
            foreach (var message in messages)
                env.Error.WriteLine($"lab: {message}");
            if (json) Json.WriteFailure(env, commandName, "usage_error", ExitCodes.Usage, string.Join("; ", messages), []);
            // A bad option value says all there is to say; an unknown word also points to the help.
            if (parsed.Errors.Any(e => e.SymbolResult is not (OptionResult or ArgumentResult { Parent: OptionResult })))
            {
                var command = OptionValues.CommandName(parsed.CommandResult);
                env.Error.WriteLine($"Run 'lab {(command.Length > 0 ? command + " " : "")}--help' for usage.");
            }
            return ExitCodes.Usage;
        }
        try
        {
            return await parsed.InvokeAsync(config, cancellationToken).ConfigureAwait(false);
        }
        catch (UsageException ex)
        {
            env.Error.WriteLine($"lab: {ex.Message}");
            if (json) Json.WriteFailure(env, commandName, "usage_error", ExitCodes.Usage, ex.Message, []);
            return ExitCodes.Usage;
        }
        catch (HostUnavailableException ex)
        {
            // Not elevated, Hyper-V off, an unreadable host file, a held lock: the user's to fix, and the
            // message says how. Nothing was changed.
            env.Error.WriteLine($"lab: {ex.Error.Message}");
            return ExitCodes.HostFailure;
        }
        catch (OperationCanceledException)
        {
            env.Error.WriteLine("lab: interrupted");
            if (json) Json.WriteFailure(env, commandName, "interrupted", ExitCodes.Interrupted, "interrupted", []);
            return ExitCodes.Interrupted;
        }
#pragma warning disable CA1031 // The last line of defence: a bug must not print a stack trace at a user.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            env.Error.WriteLine($"lab: internal error: {ex.GetType().Name}: {ex.Message}");
            env.Error.WriteLine(env.GetVariable("LABRUNNER_DEBUG") is { Length: > 0 }
                ? ex.ToString()
                : "This is a bug in LabRunner; set LABRUNNER_DEBUG=1 for details and please report it.");
            if (json) Json.WriteFailure(env, commandName, "internal_error", ExitCodes.InternalError, $"{ex.GetType().Name}: {ex.Message}", []);
            return ExitCodes.InternalError;
        }
    }
}
