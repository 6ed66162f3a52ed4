using System.ComponentModel;
using System.Text;
using CliWrap;

namespace LabRunner.HostCommon.Running;

/// <summary>
/// Runs host commands through CliWrap: the argument vector goes to the process as is (no shell, so no
/// value is ever interpreted), with <c>LC_ALL=C.UTF-8</c> so tools answer in one language. Output is
/// collected whole: these tools print small JSON documents.
/// </summary>
public sealed class CliWrapHostCommandRunner : IHostCommandRunner
{
    private int _processesStarted;

    /// <summary>How many processes this runner has started (benchmarks count them).</summary>
    public int ProcessesStarted => Volatile.Read(ref _processesStarted);

    public async Task<HostCommandResult> RunAsync(HostCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        cancellationToken.ThrowIfCancellationRequested();

        var argv = command.ToArgv();
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var cli = Cli.Wrap(argv[0])
            .WithArguments(argv.Skip(1))
            .WithEnvironmentVariables(env => env.Set("LC_ALL", "C.UTF-8"))
            .WithValidation(CommandResultValidation.None)
            .WithStandardOutputPipe(PipeTarget.ToStringBuilder(stdout))
            .WithStandardErrorPipe(PipeTarget.ToStringBuilder(stderr));
        if (command.StandardInput is not null)
            cli = cli.WithStandardInputPipe(PipeSource.FromString(command.StandardInput));

        CommandTask<CommandResult> running;
        try
        {
            running = cli.ExecuteAsync(cancellationToken);
        }
        catch (Exception e) when (e is Win32Exception or InvalidOperationException)
        {
            throw new HostCommandStartException(command, e);
        }
        Interlocked.Increment(ref _processesStarted);
        var result = await running.ConfigureAwait(false);
        return new HostCommandResult(result.ExitCode, stdout.ToString(), stderr.ToString());
    }
}
