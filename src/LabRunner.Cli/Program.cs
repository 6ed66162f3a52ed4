using LabRunner.Cli;
using LabRunner.Cli.Commands;

return await LabApp.RunAsync(args, CliEnvironment.FromProcess());
