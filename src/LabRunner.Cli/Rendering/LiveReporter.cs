using LabRunner.Core.Hosting;
using LabRunner.Engine;
using Spectre.Console;

namespace LabRunner.Cli.Rendering;

/// <summary>
/// Progress on a terminal: one bar per VM (and one for host networking) that shows the operation it
/// is on. Redirected output gets <see cref="ConsoleReporter"/>'s plain lines instead.
/// </summary>
public sealed class LiveReporter(ProgressContext context) : IEngineReporter
{
    private readonly Dictionary<string, ProgressTask> _tasks = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _gate = new();

    public static bool Suits(CliEnvironment env) =>
        env.Out.Profile.Capabilities.Interactive && env.Out.Profile.Capabilities.Ansi && !env.Trace.Verbose;

    public static async Task<T> RunAsync<T>(CliEnvironment env, Func<IEngineReporter, Task<T>> work)
    {
        T result = default!;
        await env.Out.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new SpinnerColumn())
            .StartAsync(async ctx => result = await work(new LiveReporter(ctx)).ConfigureAwait(false))
            .ConfigureAwait(false);
        return result;
    }

    public void Info(string message)
    {
        lock (_gate) Task("lab").Description = Markup.Escape(message);
    }

    public void BatchStarted(OperationBatch batch)
    {
        lock (_gate)
            foreach (var group in batch.Operations.GroupBy(o => o.Vm ?? "host networking"))
            {
                var task = Task(group.Key);
                task.MaxValue += group.Count();
            }
    }

    public void Progress(OperationProgress progress)
    {
        lock (_gate)
        {
            var who = progress.Operation.Vm ?? "host networking";
            var task = Task(who);
            if (progress.Done)
            {
                task.Increment(1);
                task.Description = $"{Markup.Escape(who)}: {(task.Value >= task.MaxValue ? "[green]done[/]" : Markup.Escape(progress.Operation.Describe()))}";
            }
            else
            {
                task.Description = $"{Markup.Escape(who)}: {Markup.Escape(progress.Operation.Describe())}";
            }
        }
    }

    private ProgressTask Task(string key)
    {
        if (!_tasks.TryGetValue(key, out var task))
        {
            task = context.AddTask(Markup.Escape(key), maxValue: 0);
            _tasks[key] = task;
        }
        return task;
    }
}
