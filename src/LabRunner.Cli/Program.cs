using LabRunner.Cli;
using LabRunner.Cli.Commands;

// First of all: from here on Ctrl+C asks the command to stop, and 'lab' still ends with its message and --json document.
using var interruption = Interruption.Register();
return await LabApp.RunAsync(args, CliEnvironment.FromProcess(), cancellationToken: interruption.Token);
