using System.Collections.Immutable;
using LabRunner.Cli.Commands;
using LabRunner.Engine;
using LabRunner.Engine.Guests;
using LabRunner.Providers.HyperV;
using Microsoft.Extensions.Time.Testing;
using Spectre.Console.Testing;

namespace LabRunner.Cli.Tests;

/// <summary>
/// The guest wait of 'up' / 'reload' / 'provision' as a person sees it: plain lines when output is redirected
/// (unchanged), a live table per VM on a terminal. Guests are fakes that move a fake clock as they go.
/// </summary>
public sealed class GuestProgressTests : IDisposable
{
    private const string Labfile = """
        name: shop
        boxes: { ubuntu: boxes/ubuntu.vhdx }
        networks:
          - { name: lan, type: private, subnet: 10.42.0.0/24 }
          - { name: quiet, type: isolated }
        vms:
          - name: web
            box: ubuntu
            networks: [{ network: lan, ip: 10.42.0.10 }]
            provision:
              - shell: { inline: "echo hi" }
          - name: db
            box: ubuntu
            networks: [quiet]
        """;

    private readonly TempProject _project = new TempProject().With("Labfile.yml", Labfile).With("boxes/ubuntu.vhdx", "box")
        .With(".lab/id_ecdsa", "not a real key: the guests are fakes");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly CountingTime _timers;

    public GuestProgressTests() => _timers = new CountingTime(_time);

    /// <summary>The fake clock, counting the timers that are still waiting on it (a redraw loop is one).</summary>
    private sealed class CountingTime(TimeProvider inner) : TimeProvider
    {
        private int _active;

        public int Active => Volatile.Read(ref _active);

        public override DateTimeOffset GetUtcNow() => inner.GetUtcNow();

        public override long GetTimestamp() => inner.GetTimestamp();

        public override long TimestampFrequency => inner.TimestampFrequency;

        public override TimeZoneInfo LocalTimeZone => inner.LocalTimeZone;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            Interlocked.Increment(ref _active);
            return new Counted(inner.CreateTimer(callback, state, dueTime, period), () => Interlocked.Decrement(ref _active));
        }

        private sealed class Counted(ITimer timer, Action disposed) : ITimer
        {
            private int _disposed;

            public bool Change(TimeSpan dueTime, TimeSpan period) => timer.Change(dueTime, period);

            public void Dispose()
            {
                if (Interlocked.Exchange(ref _disposed, 1) == 0) disposed();
                timer.Dispose();
            }

            public async ValueTask DisposeAsync()
            {
                if (Interlocked.Exchange(ref _disposed, 1) == 0) disposed();
                await timer.DisposeAsync();
            }
        }
    }

    public void Dispose() => _project.Dispose();

    private Task<(int Exit, string Stdout, string Stderr)> WaitAsync(TestConsole console, ScriptedGuest guest, params string[] vms) =>
        WaitAsync(console, guest, CancellationToken.None, vms);

    private async Task<(int Exit, string Stdout, string Stderr)> WaitAsync(TestConsole console, ScriptedGuest guest, CancellationToken ct, params string[] vms)
    {
        var error = new StringWriter();
        var env = new CliEnvironment(console, error, _project.Root, _ => null);
        var project = LabProject.Open(null, _project.Root, _ => null, HyperVRules.Instance);
        var plan = project.Plan().Plan!;
        var services = new Services
        {
            Host = (_, _, _) => throw new InvalidOperationException("no host in these tests"),
            Seeds = (_, _) => throw new InvalidOperationException("no seeds in these tests"),
            GuestConnector = guest,
            Time = _timers,
        };
        var (exit, _) = await GuestSteps.WaitAsync(project, services, provider: null, env, quiet: false, plan, [.. vms.Select(v => new GuestRequest(v, Provision: true))], ct);
        return (exit, console.Output, error.ToString());
    }

    [Fact]
    public async Task Redirected_output_is_the_plain_lines_it_always_was()
    {
        var guest = new ScriptedGuest(_time) { Boot = TimeSpan.FromSeconds(7), Login = TimeSpan.FromSeconds(2), CloudInit = TimeSpan.FromSeconds(11) };

        var (exit, stdout, stderr) = await WaitAsync(new TestConsole().Width(200), guest, "web", "db");

        Assert.Equal(0, exit);
        Assert.Equal("""
            ==> guests: waiting for web, db
                web: booting (0.0 s)
                web: network (7.0 s)
                web: cloud-init (9.0 s)
                web: ready (20.0 s)
                web: provisioning (20.0 s)
                web| vm.provision[0] shell (inline)
                web| hello from web
                web: ready (23.0 s)
            web: ready after 20.0 s, SSH answered after 7.0 s

            """.ReplaceLineEndings(), stdout);
        Assert.Equal("""
            db: started, not reachable from the host: it is only on isolated networks, which the host has no address on

            """.ReplaceLineEndings(), stderr);
    }

    [Fact]
    public async Task Redirected_output_of_a_failed_guest_is_the_plain_lines_it_always_was()
    {
        var guest = new ScriptedGuest(_time)
        {
            Boot = TimeSpan.FromSeconds(4), Login = TimeSpan.FromSeconds(1), CloudInit = TimeSpan.FromSeconds(30),
            CloudInitExit = 2, CloudInitReport = ["status: done", "recoverable_errors:", "WARNING: apt mirror slow"],
        };
        var failing = new ScriptedGuest(_time) { CloudInitExit = 1, CloudInitReport = ["status: error", "errors:", "  - package 'nope' not found"] };

        var recovered = await WaitAsync(new TestConsole().Width(200), guest, "web");
        var failed = await WaitAsync(new TestConsole().Width(200), failing, "web");

        Assert.Equal((0, 3), (recovered.Exit, failed.Exit));
        Assert.Equal("""
            ==> guests: waiting for web
                web: booting (0.0 s)
                web: network (4.0 s)
                web: cloud-init (5.0 s)
                web: ready (35.0 s)
                web: provisioning (35.0 s)
                web| vm.provision[0] shell (inline)
                web| hello from web
                web: ready (38.0 s)
            web: ready after 35.0 s, SSH answered after 4.0 s

            """.ReplaceLineEndings(), recovered.Stdout);
        Assert.Equal("""
                web| cloud-init: status: done
                web| cloud-init: recoverable_errors:
                web| cloud-init: WARNING: apt mirror slow
              web: cloud-init: status: done
              web: cloud-init: recoverable_errors:
              web: cloud-init: WARNING: apt mirror slow

            """.ReplaceLineEndings(), recovered.Stderr);
        Assert.Equal("""
            ==> guests: waiting for web
                web: booting (0.0 s)
                web: network (0.0 s)
                web: cloud-init (0.0 s)

            """.ReplaceLineEndings(), failed.Stdout);
        Assert.Equal("""
            lab: web: cloud-init failed (status exit code 1)
              web| status: error
              web| errors:
              web|   - package 'nope' not found

            """.ReplaceLineEndings(), failed.Stderr);
    }

    [Fact]
    public async Task On_a_terminal_each_vm_has_a_row_with_its_phase_and_its_elapsed_time_ticking()
    {
        var console = new TestConsole().Width(80).Interactive();
        var guest = new ScriptedGuest(_time)
        {
            Boot = TimeSpan.FromSeconds(7), Login = TimeSpan.FromSeconds(2), CloudInit = TimeSpan.FromSeconds(8),
            Step = async step =>
            {
                if (step != "cloud-init") return;
                // Three seconds into cloud-init, a second at a time: the row ticks without any phase change.
                for (var second = 10; second <= 12; second++)
                {
                    _time.Advance(TimeSpan.FromSeconds(1));
                    await Shows(console, $"    web  {second} s  cloud-init");
                }
            },
        };

        var (exit, stdout, stderr) = await WaitAsync(console, guest, "web", "db");

        Assert.Equal(0, exit);
        // Each drawing of the rows follows the last one (a terminal draws it over; TestConsole drops the cursor moves).
        Assert.Contains("    web  0 s  booting", stdout, StringComparison.Ordinal);
        Assert.Contains("    db        waiting", stdout, StringComparison.Ordinal);
        Assert.Contains("    web  7 s  network", stdout, StringComparison.Ordinal);
        Assert.Contains("    web  9 s  cloud-init", stdout, StringComparison.Ordinal);
        Assert.Contains("    web  20 s  provisioning", stdout, StringComparison.Ordinal);
        // Provisioner output above the rows, prefixed as in plain output.
        Assert.Contains("    web| vm.provision[0] shell (inline)\n", stdout, StringComparison.Ordinal);
        Assert.Contains("    web| hello from web\n", stdout, StringComparison.Ordinal);
        // The rows end on each VM's final phase, then the summary and problems exactly as when redirected.
        var lines = stdout.Split('\n').Select(l => l.TrimEnd()).ToArray();
        Assert.EndsWith("    web  23.0 s  ready", lines[^4], StringComparison.Ordinal);
        Assert.Equal("    db           not reachable: it is only on isolated networks, which the host…", lines[^3]);
        Assert.Equal(["web: ready after 20.0 s, SSH answered after 7.0 s", ""], lines[^2..]);
        Assert.Equal("""
            db: started, not reachable from the host: it is only on isolated networks, which the host has no address on

            """.ReplaceLineEndings(), stderr);
    }

    [Fact]
    public async Task On_a_terminal_a_failed_guest_keeps_its_row_with_a_short_reason_and_its_problems_follow_the_rows()
    {
        var console = new TestConsole().Width(60).Interactive();
        var failing = new ScriptedGuest(_time)
        {
            Boot = TimeSpan.FromSeconds(3), CloudInit = TimeSpan.FromSeconds(40),
            CloudInitExit = 1, CloudInitReport = ["status: error", "errors:", "  - package 'nope' not found"],
        };

        var (exit, stdout, stderr) = await WaitAsync(console, failing, "web");

        Assert.Equal(3, exit);
        var lines = stdout.Split('\n').Select(l => l.TrimEnd()).ToArray();
        // Cut to the 60 columns of the terminal; the whole reason follows the rows.
        Assert.EndsWith("    web  43.0 s  failed: cloud-init failed (status exit cod…", lines[^2], StringComparison.Ordinal);
        Assert.Equal("", lines[^1]);
        Assert.Equal("""
            lab: web: cloud-init failed (status exit code 1)
              web| status: error
              web| errors:
              web|   - package 'nope' not found

            """.ReplaceLineEndings(), stderr);
    }

    [Fact]
    public async Task On_a_narrow_terminal_a_reason_is_cut_to_fit_its_row()
    {
        var console = new TestConsole().Width(50).Interactive();

        var (_, stdout, _) = await WaitAsync(console, new ScriptedGuest(_time), "db");

        var last = stdout.Split('\n').Select(l => l.TrimEnd()).ToArray()[^2];
        Assert.EndsWith("    db    not reachable: it is only on isolated n…", last, StringComparison.Ordinal);
        Assert.Equal(50, "    db    not reachable: it is only on isolated n…".Length);
    }

    [Fact]
    public async Task Ctrl_C_ends_the_live_rows_and_shows_the_cursor_again()
    {
        var console = new TestConsole().Width(80).Interactive().EmitAnsiSequences();
        using var interrupt = new CancellationTokenSource();
        var guest = new ScriptedGuest(_time)
        {
            Boot = TimeSpan.FromSeconds(5),
            Step = async step =>
            {
                if (step != "network") return;
                await Shows(console, "network");
                await interrupt.CancelAsync();
            },
        };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => WaitAsync(console, guest, interrupt.Token, "web"));

        const string Hide = "\u001b[?25l", Show = "\u001b[?25h";
        var output = console.Output;
        Assert.Contains(Hide, output, StringComparison.Ordinal);
        Assert.True(output.LastIndexOf(Show, StringComparison.Ordinal) > output.LastIndexOf(Hide, StringComparison.Ordinal), output);
        // No redraw after the display ended: nothing waits on the clock any more (the redraw loop was awaited),
        // so the clock going on draws nothing more.
        Assert.Equal(0, _timers.Active);
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(output, console.Output);
    }

    [Fact]
    public async Task Provisioner_output_on_a_terminal_drops_escape_sequences_that_would_break_the_rows()
    {
        var console = new TestConsole().Width(80).Interactive();
        var guest = new ScriptedGuest(_time) { ProvisionerLine = "\u001b[1;32mok\u001b[0m\tdone 10%\r20%\r100%\u001b]0;title\u0007" };

        var (_, stdout, _) = await WaitAsync(console, guest, "web");

        Assert.Contains("    web| 100%\n", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b", stdout, StringComparison.Ordinal);
        Assert.Equal("ok      done", LiveGuestReporterPrintable("\u001b[1;32mok\u001b[0m\tdone"));
    }

    [Fact]
    public async Task With_NO_COLOR_the_live_rows_carry_no_colour_codes()
    {
        var console = new TestConsole().Width(80).Interactive().Colors(Spectre.Console.ColorSystem.NoColors).EmitAnsiSequences();
        var coloured = new TestConsole().Width(80).Interactive().EmitAnsiSequences();

        await WaitAsync(console, new ScriptedGuest(_time), "web");
        await WaitAsync(coloured, new ScriptedGuest(_time), "web");

        Assert.DoesNotMatch(@"\u001b\[[0-9;]*m", console.Output);
        Assert.Contains("ready", console.Output, StringComparison.Ordinal);
        Assert.Matches(@"\u001b\[[0-9;]*mready", coloured.Output);
    }

    private static string LiveGuestReporterPrintable(string line) => Rendering.LiveGuestReporter.Printable(line);

    /// <summary>Waits (in real time, briefly) until the console shows <paramref name="text"/>: the clock's ticks are acted on by another thread.</summary>
    private static async Task Shows(TestConsole console, string text)
    {
        var real = System.Diagnostics.Stopwatch.StartNew();
        while (!console.Output.Contains(text, StringComparison.Ordinal))
        {
            Assert.True(real.Elapsed < TimeSpan.FromSeconds(10), $"the console never showed '{text}':\n{console.Output}");
            await Task.Delay(5);
        }
    }
}

/// <summary>A guest that takes the given times (on the fake clock) to answer, to let the user in, and to finish cloud-init.</summary>
internal sealed class ScriptedGuest(FakeTimeProvider time) : IGuestConnector, IGuestSession
{
    public TimeSpan Boot { get; init; }
    public TimeSpan Login { get; init; }
    public TimeSpan CloudInit { get; init; }
    public int CloudInitExit { get; init; }
    public IReadOnlyList<string> CloudInitReport { get; init; } = [];
    public TimeSpan Provisioning { get; init; } = TimeSpan.FromSeconds(3);
    public string ProvisionerLine { get; init; } = "hello from web";

    /// <summary>Called on the fake guest's way (after each step), so a test can look at the screen meanwhile.</summary>
    public Func<string, Task> Step { get; init; } = _ => Task.CompletedTask;

    public async Task<bool> PortAnswersAsync(GuestLogin login, CancellationToken cancellationToken)
    {
        await Step("booting");
        cancellationToken.ThrowIfCancellationRequested();
        time.Advance(Boot);
        return true;
    }

    public async Task<IGuestSession?> TryConnectAsync(GuestLogin login, CancellationToken cancellationToken)
    {
        await Step("network");
        cancellationToken.ThrowIfCancellationRequested();
        time.Advance(Login);
        return this;
    }

    public async Task<int> RunAsync(string command, ReadOnlyMemory<byte> input, Action<string> stdout, Action<string> stderr, CancellationToken cancellationToken)
    {
        if (command == GuestReadiness.CloudInitCommand)
        {
            await Step("cloud-init");
            cancellationToken.ThrowIfCancellationRequested();
            time.Advance(CloudInit);
            foreach (var line in CloudInitReport) stdout(line);
            return CloudInitExit;
        }
        await Step("provisioning");
        stdout(ProvisionerLine);
        time.Advance(Provisioning);
        return 0;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
