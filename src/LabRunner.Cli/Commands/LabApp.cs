using System.CommandLine;
using System.CommandLine.Parsing;
using LabRunner.Cli.Rendering;
using LabRunner.Boxes;
using LabRunner.Core.Diagnostics;
using LabRunner.Core.Errors;
using LabRunner.Core.Providers;

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

    /// <summary>Where the lab lives: one of the catalog's providers, whose names, places and defaults the help lists.</summary>
    public Option<string?> Provider { get; }

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Print one JSON object on stdout instead of tables",
        Recursive = true,
    };

    public Option<bool> Verbose { get; } = new("--verbose")
    {
        Description = "Print each host command on stderr as it runs (program and arguments, or the PowerShell batch), with its exit code and duration. " +
            "Every run that touches a host also keeps a transcript in .lab/logs/, secrets redacted",
        Recursive = true,
    };

    /// <summary>The providers <see cref="Provider"/> chooses from.</summary>
    public ProviderCatalog Providers { get; }

    public GlobalOptions(ProviderCatalog providers)
    {
        ArgumentNullException.ThrowIfNull(providers);
        Providers = providers;
        var defaults = providers.Providers.Select(p => p.DefaultWhen).OfType<string>();
        Provider = new("--provider")
        {
            Description = $"Where the lab lives: {ProviderCatalog.OneOf(providers.Providers.Select(p => $"'{p.Name}' ({p.Summary})"))} " +
                $"[default: {string.Join(", ", defaults)}; env {ProviderCatalog.ProviderVariable}]",
            HelpName = string.Join('|', providers.Names),
            Recursive = true,
        };
        OptionValues.RequireNonEmpty(File, "a file");
        OptionValues.AcceptOnly(Provider, [.. providers.Names]);
    }
}

/// <summary>Builds the command tree and runs one command line. Thin: parse, call the core, render.</summary>
public static class LabApp
{
    public static RootCommand Build(CliEnvironment env, Services services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var global = new GlobalOptions(services.Providers);
        var root = new RootCommand(
            $"LabRunner: VM labs on {ProviderCatalog.OneOf(services.Providers.Providers.Select(p => p.Title))} from a Labfile.yml, with the networking it declares - " +
            "private, NAT, bridged and isolated networks, static IPs and forwarded ports.")
        {
            global.File,
            global.Provider,
            global.Json,
            global.Verbose,
            InitCommand.Create(global, env),
            ValidateCommand.Create(global, env),
            PlanCommand.Create(global, env),
            LifecycleCommands.Up(global, env, services),
            LifecycleCommands.Halt(global, env, services),
            LifecycleCommands.Reload(global, env, services),
            LifecycleCommands.Down(global, env, services),
            StatusCommand.Create(global, env, services),
            GlobalStatusCommand.Create(global, env, services),
            PortCommand.Create(global, env, services),
            SeedCommand.Create(global, env, services),
            BoxCommands.Create(global, env),
            SshCommand.Create(global, env, services),
            SshConfigCommand.Create(global, env, services),
            ProvisionCommand.Create(global, env, services),
            SnapshotCommand.Create(global, env, services),
            SyncCommand.Create(global, env, services),
            CompletionCommand.Create(global, env),
        };
        CompletionCommand.AddSources(root, global, env);
        // Usage lines say 'lab' however the program was started (dotnet lab.dll, a test host, a renamed copy).
        root.HelpName = "lab";
        RootHelp.Install(root);
        return root;
    }

    /// <summary>The parser's errors, with a word it did not recognise named as the unknown option or extra argument it is.</summary>
    private static IEnumerable<string> UsageErrors(ParseResult parsed)
    {
        var unmatched = parsed.UnmatchedTokens.Distinct(StringComparer.Ordinal).ToList();
        var command = parsed.CommandResult.Command;
        // A word where a command was expected is a mistyped command: name the closest one ('lab upp').
        var unknownCommand = command.Subcommands.Count > 0 && unmatched.FirstOrDefault(t => !t.StartsWith('-')) is { } first ? first : null;
        foreach (var token in unmatched)
        {
            if (token == unknownCommand)
            {
                var names = command.Subcommands.Where(c => !c.Hidden).SelectMany(c => c.Aliases.Append(c.Name)).ToList();
                var closest = LabRunner.Core.Labfile.Suggest.Closest(token, names);
                var words = OptionValues.CommandName(parsed.CommandResult);
                yield return $"unknown command '{token}' for 'lab{(words.Length > 0 ? " " + words : "")}'" + (closest is null ? "" : $"; did you mean '{closest}'?");
                continue;
            }
            yield return token.StartsWith('-')
                ? OptionValues.UnknownOption(token, parsed.CommandResult)
                : $"unexpected argument '{token}' for 'lab {OptionValues.CommandName(parsed.CommandResult)}'".Replace("'lab '", "'lab'", StringComparison.Ordinal);
        }
        foreach (var error in parsed.Errors)
        {
            // "Required command was not provided" says nothing more than the unknown command did.
            if (unknownCommand is not null && error.SymbolResult is CommandResult) continue;
            if (!unmatched.Any(t => error.Message.Contains($"'{t}'", StringComparison.Ordinal)))
                yield return error.Message;
        }
    }

    /// <summary>How long a command may take to stop after Ctrl+C before <c>lab</c> ends regardless (with its one --json document).</summary>
    public static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    /// <param name="cancellationToken">Cancelled by Ctrl+C (see <see cref="Interruption"/>): the command stops between operations.</param>
    public static async Task<int> RunAsync(string[] args, CliEnvironment env, Services? services = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(env);
        // Each run prints at most one --json document, and exactly one when --json was given.
        env = env with { JsonDocument = new JsonDocumentGate() };
        services ??= DefaultServices.Create();
        env = WithTrace(env, services.Time);
        var root = Build(env, services);
        var config = new InvocationConfiguration
        {
            Output = new AnsiTextWriter(env.Out),
            Error = env.Error,
            // Our own handlers below map every exception to a documented exit code.
            EnableDefaultExceptionHandler = false,
            // Ctrl+C is the caller's (Program registers it before anything else, so no signal ends the process
            // unseen); the time a command gets to stop is ours, below, so the end always writes its document.
            ProcessTerminationTimeout = null,
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
        var commandName = OptionValues.CommandName(parsed.CommandResult) is { Length: > 0 } words ? words : "lab";
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
        if (parsed.GetValue<bool>("--verbose")) env.Trace.PrintTo(env.Error);
        var exit = await InvokeAsync(parsed, config, env, services.Time, commandName, json, cancellationToken).ConfigureAwait(false);
        PointAtTranscript(env, exit);
        if (!json) return exit;
        // A command that ended without its document (or wrote it and then failed) still leaves exactly one.
        Json.WriteFailure(env, commandName, OutcomeOf(exit), exit, null, []);
        return env.JsonDocument.ExitCode ?? exit;
    }

    private static async Task<int> InvokeAsync(ParseResult parsed, InvocationConfiguration config, CliEnvironment env, TimeProvider time,
        string commandName, bool json, CancellationToken cancellationToken)
    {
        using var stopWait = new CancellationTokenSource();
        try
        {
            var invocation = parsed.InvokeAsync(config, cancellationToken);
            var deadline = StoppedTooLongAsync(time, cancellationToken, stopWait.Token);
            if (await Task.WhenAny(invocation, deadline).ConfigureAwait(false) != invocation)
            {
                // The command did not stop in time: end with the interruption, whatever it still does.
                return Interrupted(env, commandName, json, $"interrupted; the command did not stop within {StopTimeout.TotalSeconds:0} s. The next command finishes what was started");
            }
            return await invocation.ConfigureAwait(false);
        }
        catch (LabRunnerException ex)
        {
            // Every error LabRunner reports on purpose: a usage mistake, a host that refused or cannot be read
            // (not elevated, Hyper-V off, a held lock), a conflict. The message says what to fix.
            var (code, outcome) = ExitOf(ex);
            // A box's message may quote a catalog, an archive or a server: no control character reaches the terminal.
            var message = ex is BoxException ? OutsideText.Escape(ex.Message, int.MaxValue) : ex.Message;
            env.Error.WriteLine($"lab: {message}");
            if (json) Json.WriteFailure(env, commandName, outcome, code, message, []);
            return code;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Interrupted(env, commandName, json, "interrupted; what was done stays, and the next command finishes it");
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
        finally
        {
            await stopWait.CancelAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A new trace for this run, knowing the secrets the run can know: the administrator password from the
    /// environment, and every answer to a secret prompt.
    /// </summary>
    private static CliEnvironment WithTrace(CliEnvironment env, TimeProvider time)
    {
        var error = env.Error;
        var trace = new HostCommon.Tracing.HostTrace(time, message => error.WriteLine($"lab: warning: {message}"));
        trace.Secrets.Add(env.GetVariable(Engine.ProjectSecrets.AdminPasswordVariable));
        return env with
        {
            Trace = trace,
            ReadSecret = env.ReadSecret is { } ask ? question => Remember(trace, ask(question)) : null,
        };

        static string? Remember(HostCommon.Tracing.HostTrace trace, string? secret)
        {
            trace.Secrets.Add(secret);
            return secret;
        }
    }

    /// <summary>Ends the transcript; a run that failed after a host command failed says where the commands and their output are.</summary>
    private static void PointAtTranscript(CliEnvironment env, int exit)
    {
        env.Trace.Finish(exit);
        if (exit is ExitCodes.Success or ExitCodes.Usage || !env.Trace.AnyFailed || env.Trace.TranscriptPath is not { } path) return;
        env.Error.WriteLine($"lab: see {Path.GetRelativePath(env.WorkingDirectory, path)} for the host commands that ran and their output");
    }

    private static int Interrupted(CliEnvironment env, string commandName, bool json, string message)
    {
        env.Error.WriteLine($"lab: {message}");
        if (json) Json.WriteFailure(env, commandName, "interrupted", ExitCodes.Interrupted, message, []);
        return ExitCodes.Interrupted;
    }

    /// <summary>Completes <see cref="StopTimeout"/> after <paramref name="interrupted"/> is cancelled; never while <paramref name="done"/> is not.</summary>
    private static async Task StoppedTooLongAsync(TimeProvider time, CancellationToken interrupted, CancellationToken done)
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (interrupted.Register(() => cancelled.TrySetResult()))
            await cancelled.Task.WaitAsync(done).ConfigureAwait(false);
        await Task.Delay(StopTimeout, time, done).ConfigureAwait(false);
    }

    /// <summary>The exit code and JSON outcome of an error LabRunner reports on purpose.</summary>
    public static (int Code, string Outcome) ExitOf(LabRunnerException exception) => exception switch
    {
        null => throw new ArgumentNullException(nameof(exception)),
        BoxException box => BoxCommands.ExitOf(box.Kind),
        _ => exception.Category switch
        {
            ErrorCategory.Usage => (ExitCodes.Usage, "usage_error"),
            ErrorCategory.Conflict => (ExitCodes.Conflict, "conflict"),
            _ => (ExitCodes.HostFailure, "host_failure"),
        },
    };

    /// <summary>The JSON outcome of a command that ended with <paramref name="exitCode"/> and said no more.</summary>
    private static string OutcomeOf(int exitCode) => exitCode switch
    {
        ExitCodes.Success => "ok",
        ExitCodes.InvalidLabfile => "invalid_labfile",
        ExitCodes.Usage => "usage_error",
        ExitCodes.HostFailure => "host_failure",
        ExitCodes.Conflict => "conflict",
        ExitCodes.Interrupted => "interrupted",
        _ => "internal_error",
    };
}
