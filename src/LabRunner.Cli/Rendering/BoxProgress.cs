using System.Diagnostics;
using System.Globalization;
using LabRunner.Boxes;
using Spectre.Console;

namespace LabRunner.Cli.Rendering;

/// <summary>
/// A box download's progress on a terminal: a Spectre bar per box and stage with the bytes, the rate and
/// the time left. Redirected output gets <see cref="PlainBoxReporter"/>'s lines instead.
/// </summary>
public sealed class LiveBoxReporter(ProgressContext context) : IBoxReporter
{
    private readonly Dictionary<(string, TransferStage), ProgressTask> _tasks = [];
    private readonly Lock _gate = new();

    public static async Task<T> RunAsync<T>(CliEnvironment env, Func<IBoxReporter, Task<T>> work)
    {
        T result = default!;
        await env.Out.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async ctx => result = await work(new LiveBoxReporter(ctx)).ConfigureAwait(false))
            .ConfigureAwait(false);
        return result;
    }

    public void Progress(TransferProgress progress)
    {
        lock (_gate)
        {
            foreach (var other in _tasks.Where(t => t.Key.Item1 == progress.Box && t.Key.Item2 != progress.Stage && !t.Value.IsFinished))
            {
                other.Value.Value = other.Value.MaxValue;
                other.Value.StopTask();
            }
            if (!_tasks.TryGetValue((progress.Box, progress.Stage), out var task))
            {
                var label = $"{Markup.Escape(progress.Box)}: {progress.Stage.ToString().ToLowerInvariant()}";
                task = context.AddTask(label, maxValue: progress.Total ?? 1);
                task.IsIndeterminate = progress.Total is null;
                // A resumed download starts where the partial file ends; the rate counts new bytes only.
                if (progress.Resumed > 0) task.Value = progress.Resumed;
                _tasks[(progress.Box, progress.Stage)] = task;
            }
            if (progress.Total is { } total) task.MaxValue = Math.Max(total, 1);
            task.Value = progress.Total is null ? 0 : progress.Done;
        }
    }

    public void Note(string message)
    {
        lock (_gate) context.AddTask(Markup.Escape(message), maxValue: 1).Value = 1;
    }

    /// <summary>Marks every bar done (at the end of the command).</summary>
    public void Complete()
    {
        lock (_gate)
            foreach (var task in _tasks.Values)
            {
                task.Value = task.MaxValue;
                task.StopTask();
            }
    }
}

/// <summary>A box download's progress as plain lines: each stage once, then a line per tenth with the rate.</summary>
public sealed class PlainBoxReporter(CliEnvironment env) : IBoxReporter
{
    private readonly Lock _gate = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private (string Box, TransferStage Stage) _current;
    private int _lastTenth = -1;
    private TimeSpan _started;
    private long _startBytes;

    public void Progress(TransferProgress p)
    {
        lock (_gate)
        {
            if (_current != (p.Box, p.Stage))
            {
                _current = (p.Box, p.Stage);
                _lastTenth = -1;
                _started = _clock.Elapsed;
                _startBytes = p.Done;
                var resumed = p.Resumed > 0 ? $", resuming after {Sizes.Human(p.Resumed)}" : "";
                env.Stdout.WriteLine($"{p.Box}: {p.Stage.ToString().ToLowerInvariant()}{(p.Total is { } t ? $" ({Sizes.Human(t)}{resumed})" : "")}");
            }
            if (p.Total is not { } total || total == 0) return;
            var tenth = (int)(p.Done * 10 / total);
            if (tenth <= _lastTenth || tenth == 0) return;
            _lastTenth = tenth;
            var seconds = (_clock.Elapsed - _started).TotalSeconds;
            var rate = seconds > 0 ? (p.Done - _startBytes) / seconds : 0;
            env.Stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{p.Box}: {p.Stage.ToString().ToLowerInvariant()} {tenth * 10}% ({Sizes.Human(p.Done)} of {Sizes.Human(total)}, {Sizes.Human((long)rate)}/s)"));
        }
    }

    public void Note(string message)
    {
        lock (_gate) env.Stdout.WriteLine(message);
    }
}

/// <summary>Sizes for people: <c>812.4 MiB</c>, <c>1.0 GiB</c> (binary units, one decimal, invariant culture).</summary>
public static class Sizes
{
    public static string Human(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{bytes} B")
            : string.Create(CultureInfo.InvariantCulture, $"{value:0.0} {units[unit]}");
    }
}
