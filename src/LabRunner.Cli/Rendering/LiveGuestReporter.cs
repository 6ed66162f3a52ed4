using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using LabRunner.Engine.Guests;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace LabRunner.Cli.Rendering;

/// <summary>
/// The guest wait on a terminal: a live row per VM with its phase and the time since its wait began, ticking
/// about once a second, and provisioner output printed above the rows as <c>    VM| line</c>. Each row ends on
/// the VM's final phase: ready, failed or not reachable with a short reason. Redirected output gets
/// <see cref="GuestLineReporter"/>'s plain lines instead (<see cref="LiveReporter.Suits"/> decides).
/// </summary>
public sealed partial class LiveGuestReporter : IGuestReporter
{
    public static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);

    /// <summary>A failure's reason in its row is cut here, or where the terminal ends; the whole of it is printed after the rows.</summary>
    public const int ReasonLength = 60;

    private readonly CliEnvironment _env;
    private readonly TimeProvider _time;
    // Every write to the console holds this lock: Spectre's live display and a line printed above it from
    // another VM's thread must never interleave, and its own locks are taken in different orders.
    private readonly Lock _gate = new();
    private readonly List<Row> _rows;
    private LiveDisplayContext? _context;

    private LiveGuestReporter(CliEnvironment env, TimeProvider time, IEnumerable<string> vms)
    {
        _env = env;
        _time = time;
        _rows = [.. vms.Select(v => new Row(v))];
    }

    /// <summary>
    /// Runs <paramref name="work"/> under the live rows and leaves them on each VM's final phase. When the work
    /// throws (Ctrl+C cancels it) the rows stop where they were, and the display ends with the cursor shown.
    /// </summary>
    public static async Task<ImmutableArray<GuestOutcome>> RunAsync(CliEnvironment env, TimeProvider time, IEnumerable<string> vms,
        Func<IGuestReporter, Task<ImmutableArray<GuestOutcome>>> work)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(work);
        var reporter = new LiveGuestReporter(env, time, vms);
        return await env.Out.Live(new Deferred(reporter.Table))
            .AutoClear(false)
            .StartAsync(async context =>
            {
                lock (reporter._gate) reporter._context = context;
                using var stop = new CancellationTokenSource();
                var ticker = reporter.TickAsync(stop.Token);
                try
                {
                    var outcomes = await work(reporter).ConfigureAwait(false);
                    reporter.Complete(outcomes);
                    return outcomes;
                }
                finally
                {
                    await stop.CancelAsync().ConfigureAwait(false);
                    await ticker.ConfigureAwait(false);
                    lock (reporter._gate) reporter._context = null;
                }
            }).ConfigureAwait(false);
    }

    public void Phase(string vm, GuestPhase phase, TimeSpan elapsed)
    {
        lock (_gate)
        {
            var row = RowOf(vm);
            (row.Phase, row.Elapsed, row.Since) = (phase, elapsed, _time.GetTimestamp());
            _context?.Refresh();
        }
    }

    public void Output(string vm, string line, bool error)
    {
        // Above the rows on the terminal both ways: stderr written under a live display would tear it apart.
        lock (_gate) _env.Out.Write(new ErasedLines(new Text($"    {vm}| {Printable(line)}")));
    }

    /// <summary>Each VM's final phase, with the reason of a failure (the engine reports phases without one).</summary>
    private void Complete(ImmutableArray<GuestOutcome> outcomes)
    {
        lock (_gate)
        {
            foreach (var o in outcomes)
            {
                var row = RowOf(o.Vm);
                (row.Phase, row.Elapsed, row.Since) = (o.Phase, o.Elapsed, _time.GetTimestamp());
                row.Reason = o.Phase is GuestPhase.Failed or GuestPhase.Unreachable ? Short(o.Error) : null;
            }
            _context?.Refresh();
        }
    }

    private async Task TickAsync(CancellationToken stop)
    {
        // No busy loop: one redraw a second, on the same clock the guests are waited on.
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Tick, _time, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            lock (_gate) _context?.Refresh();
        }
    }

    private Row RowOf(string vm)
    {
        var row = _rows.Find(r => string.Equals(r.Vm, vm, StringComparison.OrdinalIgnoreCase));
        if (row is null) _rows.Add(row = new Row(vm));
        return row;
    }

    /// <summary>The rows as they are now, fitted to <paramref name="width"/>: a failure's reason is cut to the room left.</summary>
    private Grid Table(RenderOptions options, int width)
    {
        lock (_gate)
        {
            var elapsed = _rows.Select(ElapsedOf).ToList();
            var room = width - Indent - _rows.Select(r => r.Vm.Length).DefaultIfEmpty().Max() - Gap - elapsed.Select(e => e.Length).DefaultIfEmpty().Max() - Gap;
            var grid = new Grid();
            grid.AddColumn(new GridColumn { NoWrap = true, Padding = new Padding(Indent, 0, Gap, 0) });
            grid.AddColumn(new GridColumn { NoWrap = true, Alignment = Justify.Right, Padding = new Padding(0, 0, Gap, 0) });
            grid.AddColumn(new GridColumn { NoWrap = true, Padding = new Padding(0) });
            foreach (var (row, time) in _rows.Zip(elapsed))
                grid.AddRow(new Text(row.Vm), new Text(time), new Markup(PhaseOf(row, room, options.Unicode)) { Overflow = Overflow.Ellipsis });
            return grid;
        }
    }

    private const int Indent = 4;
    private const int Gap = 2;

    private string ElapsedOf(Row row) => row.Phase switch
    {
        null or GuestPhase.Unreachable => "",
        GuestPhase.Ready or GuestPhase.Failed => row.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s",
        // Still on its way: whole seconds, ticking.
        _ => ((long)(row.Elapsed + _time.GetElapsedTime(row.Since)).TotalSeconds).ToString(CultureInfo.InvariantCulture) + " s",
    };

    private static string PhaseOf(Row row, int room, bool unicode)
    {
        var (label, style) = row.Phase switch
        {
            null => ("waiting", "grey"),
            GuestPhase.Ready => ("ready", "green"),
            GuestPhase.Failed => ("failed", "red"),
            GuestPhase.Unreachable => ("not reachable", "yellow"),
            { } phase => (GuestLineReporter.Name(phase), ""),
        };
        var reason = Fit(row.Reason, Math.Min(ReasonLength, room - label.Length - 2), unicode) is { } r ? ": " + Markup.Escape(r) : "";
        return (style.Length > 0 ? $"[{style}]{label}[/]" : label) + reason;
    }

    private static string? Fit(string? text, int width, bool unicode)
    {
        if (text is null || width < 8) return null;
        var ellipsis = unicode ? "…" : "...";
        return text.Length <= width ? text : text[..(width - ellipsis.Length)] + ellipsis;
    }

    /// <summary>A reason's first line; "started, not reachable from the host: why" is just why next to "not reachable".</summary>
    private static string? Short(string? reason)
    {
        if (reason is null) return null;
        var first = reason.Split('\n')[0].TrimEnd('\r');
        return first.StartsWith(GuestWork.UnreachablePrefix, StringComparison.Ordinal) ? first[GuestWork.UnreachablePrefix.Length..] : first;
    }

    /// <summary>
    /// What a guest's line shows on a terminal, as text the live display can measure: colours and other escape
    /// sequences dropped, a line redrawn with carriage returns (a progress counter) as its last state, tabs expanded.
    /// </summary>
    public static string Printable(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var plain = EscapeSequence().Replace(line, "").TrimEnd('\r');
        plain = plain[(plain.LastIndexOf('\r') + 1)..];
        var text = new StringBuilder(plain.Length);
        foreach (var c in plain)
        {
            if (c == '\t') text.Append(' ', 8 - text.Length % 8);
            else if (!char.IsControl(c)) text.Append(c);
        }
        return text.ToString();
    }

    // CSI (colours, cursor moves), OSC (titles, links) and the two-character escapes.
    [GeneratedRegex(@"\x1B(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1B]*(\x07|\x1B\\)?|[@-Z\\-_])")]
    private static partial Regex EscapeSequence();

    private sealed class Row(string vm)
    {
        public string Vm { get; } = vm;
        public GuestPhase? Phase { get; set; }
        public TimeSpan Elapsed { get; set; }
        public long Since { get; set; }
        public string? Reason { get; set; }
    }

    /// <summary>Built anew each time the live display draws, so the elapsed times are those of that moment.</summary>
    private sealed class Deferred(Func<RenderOptions, int, IRenderable> build) : IRenderable
    {
        public Measurement Measure(RenderOptions options, int maxWidth) => build(options, maxWidth).Measure(options, maxWidth);

        public IEnumerable<Segment> Render(RenderOptions options, int maxWidth) => build(options, maxWidth).Render(options, maxWidth);
    }

    /// <summary>Lines printed above the live rows erase what the rows left there first.</summary>
    private sealed class ErasedLines(IRenderable inner) : Renderable
    {
        protected override IEnumerable<Segment> Render(RenderOptions options, int maxWidth)
        {
            foreach (var line in Segment.SplitLines(inner.Render(options, maxWidth), maxWidth))
            {
                if (options.Ansi) yield return Segment.Control("\u001b[2K");
                foreach (var segment in line) yield return segment;
                yield return Segment.LineBreak;
            }
        }
    }
}
